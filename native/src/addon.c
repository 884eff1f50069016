/* The addon's entry point and the argument helpers every kernel file shares. */
#include "gl.h"

static void *typed(napi_env env, napi_value v, napi_typedarray_type want, const char *what, size_t *length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  napi_typedarray_type type;
  size_t len;
  void *data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  if (length) *length = len;
  /* An empty typed array may report a NULL data pointer; callers only test for NULL as failure. */
  static float empty_sentinel[1];
  return data ? data : (void *)empty_sentinel;
}

float *gl_f32(napi_env env, napi_value v, size_t *length) {
  return (float *)typed(env, v, napi_float32_array, "gradlab native: expected a Float32Array", length);
}
double *gl_f64(napi_env env, napi_value v, size_t *length) {
  return (double *)typed(env, v, napi_float64_array, "gradlab native: expected a Float64Array", length);
}
int32_t *gl_i32(napi_env env, napi_value v, size_t *length) {
  return (int32_t *)typed(env, v, napi_int32_array, "gradlab native: expected an Int32Array", length);
}

int gl_int(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "gradlab native: expected an integer");
    return 0;
  }
  return 1;
}
int gl_num(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "gradlab native: expected a number");
    return 0;
  }
  return 1;
}
int gl_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "gradlab native: expected a boolean");
    return 0;
  }
  *out = b;
  return 1;
}

void gl_export(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  gl_register_threads(env, exports);
  gl_register_gemm(env, exports);
  gl_register_conv(env, exports);
  gl_register_eltwise(env, exports);
  gl_register_pool(env, exports);
  gl_register_optim(env, exports);
  gl_register_grouped(env, exports);
  gl_register_norm(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
