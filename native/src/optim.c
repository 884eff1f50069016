/* Optimizer updates on float32 weights and moments (the weights in place). Adam runs in float32
 * arithmetic, as Keras' and PyTorch's float32 variables do: in float64 its division and square
 * root bound the update (~4 cycles a value; 0.14 ms for LeNet-size 203k weights against 0.04-0.07
 * in float32), where the reference (src/backend/js/index.ts) computes in float64; the two agree
 * to a few float32 roundings of each term, as the conformance suite checks. */
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include <stdatomic.h>
#include "gl.h"

#define OPTIM_GRAIN 32768

typedef struct {
  float *w;
  const float *g, *m, *v;
  float *mo, *vo;
  double alpha, b1, b2, eps;
} adam_ctx;

/* One element: the moments and the weight's step, in float32 (the coefficients rounded once). */
static inline __attribute__((always_inline)) void adam_elem(float *w, float g, float m, float v, float *mo, float *vo,
  float alpha, float b1, float c1, float b2, float c2, float eps) {
  const float mi = b1 * m + c1 * g;
  const float vi = b2 * v + (c2 * g) * g;
  *mo = mi;
  *vo = vi;
  *w = *w - (alpha * mi) / (sqrtf(vi) + eps);
}

/* m and v are read, the new moments written to mo and vo. Two loops over the one element, so
 * that neither has aliasing for the vectorizer to test at run time: in place (mo == m, vo == v),
 * and out of place into distinct arrays (restrict). */
GL_CLONES static void adam_in_place(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, int64_t n,
  float alpha, float b1, float c1, float b2, float c2, float eps) {
  for (int64_t i = 0; i < n; i++) adam_elem(w + i, g[i], m[i], v[i], m + i, v + i, alpha, b1, c1, b2, c2, eps);
}

GL_CLONES static void adam_out_of_place(float *restrict w, const float *restrict g, const float *restrict m,
  const float *restrict v, float *restrict mo, float *restrict vo, int64_t n, float alpha, float b1, float c1, float b2,
  float c2, float eps) {
  for (int64_t i = 0; i < n; i++) adam_elem(w + i, g[i], m[i], v[i], mo + i, vo + i, alpha, b1, c1, b2, c2, eps);
}

static void adam_task(void *p, int64_t b, int64_t e, int t) {
  (void)t;
  adam_ctx *c = p;
  const float alpha = (float)c->alpha, b1 = (float)c->b1, c1 = (float)(1 - c->b1), b2 = (float)c->b2, c2 = (float)(1 - c->b2),
    eps = (float)c->eps;
  if (c->mo == c->m && c->vo == c->v) adam_in_place(c->w + b, c->g + b, c->mo + b, c->vo + b, e - b, alpha, b1, c1, b2, c2, eps);
  else adam_out_of_place(c->w + b, c->g + b, c->m + b, c->v + b, c->mo + b, c->vo + b, e - b, alpha, b1, c1, b2, c2, eps);
}

static int overlaps(const float *a, const float *b, size_t n) {
  return n > 0 && a < b + n && b < a + n;
}

/* an optional Float32Array: null or undefined leaves *p at dflt */
static int opt_out(napi_env env, napi_value v, float *dflt, float **p, size_t *n, size_t dn) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *p = dflt;
    *n = dn;
    return 1;
  }
  return (*p = gl_f32(env, v, n)) != NULL;
}

/* optimAdam(w, g, m, v, alpha, beta1, beta2, epsilon, mOut | null, vOut | null) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value a[10];
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 10) {
    napi_throw_type_error(env, NULL, "optimAdam(w, g, m, v, alpha, beta1, beta2, epsilon, mOut, vOut)");
    return NULL;
  }
  size_t nw, ng, nm, nv, nmo, nvo;
  float *w, *g, *m, *v, *mo, *vo;
  double alpha, b1, b2, eps;
  if (!(w = gl_f32(env, a[0], &nw)) || !(g = gl_f32(env, a[1], &ng)) || !(m = gl_f32(env, a[2], &nm)) ||
      !(v = gl_f32(env, a[3], &nv)) || !gl_num(env, a[4], &alpha) || !gl_num(env, a[5], &b1) || !gl_num(env, a[6], &b2) ||
      !gl_num(env, a[7], &eps) || !opt_out(env, a[8], m, &mo, &nmo, nm) || !opt_out(env, a[9], v, &vo, &nvo, nv))
    return NULL;
  if (ng != nw || nm != nw || nv != nw || nmo != nw || nvo != nw) {
    napi_throw_range_error(env, NULL, "optimAdam: w, g, m, v and the outputs differ in length");
    return NULL;
  }
  /* the loops' restrict promises: in place both, or outputs apart from every other array */
  const int in_place = mo == m && vo == v;
  if (!in_place) {
    const float *arr[4] = {w, g, m, v};
    int bad = (mo == m) != (vo == v) || overlaps(mo, vo, nw) || overlaps(vo, mo, nw);
    for (int i = 0; i < 4 && !bad; i++) bad = overlaps(mo, arr[i], nw) || overlaps(vo, arr[i], nw);
    if (bad) {
      napi_throw_range_error(env, NULL, "optimAdam: mOut and vOut must both be m and v, or arrays of their own");
      return NULL;
    }
  }
  adam_ctx c = {w, g, m, v, mo, vo, alpha, b1, b2, eps};
  gl_parallel_for((int64_t)nw, OPTIM_GRAIN, adam_task, &c);
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Whether every value is finite: fit's checks of its data and of the weights after each step.
 * A float is NaN or infinite when its exponent bits are all ones, and only then does adding one
 * to the lowest exponent bit carry into the sign bit; an OR over the words vectorizes. */
typedef uint32_t __attribute__((may_alias)) word_alias;
GL_CLONES static int all_finite(const float *x, int64_t n) {
  const word_alias *u = (const word_alias *)x;
  uint32_t acc = 0;
  for (int64_t i = 0; i < n; i++) acc |= (u[i] & 0x7f800000u) + 0x00800000u;
  return (acc & 0x80000000u) == 0;
}

typedef struct {
  const float *x;
  atomic_int bad;
} finite_ctx;

static void finite_task(void *p, int64_t b, int64_t e, int t) {
  (void)t;
  finite_ctx *c = p;
  if (!all_finite(c->x + b, e - b)) atomic_store_explicit(&c->bad, 1, memory_order_relaxed);
}

/* allFinite(x) */
static napi_value js_all_finite(napi_env env, napi_callback_info info) {
  size_t argc = 1, n;
  napi_value a[1];
  float *x;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 1 || !(x = gl_f32(env, a[0], &n))) {
    if (argc < 1) napi_throw_type_error(env, NULL, "allFinite(x)");
    return NULL;
  }
  finite_ctx c = {x, 0};
  gl_parallel_for((int64_t)n, OPTIM_GRAIN * 8, finite_task, &c);
  napi_value r;
  napi_get_boolean(env, atomic_load(&c.bad) == 0, &r);
  return r;
}

void gl_register_optim(napi_env env, napi_value exports) {
  gl_export(env, exports, "optimAdam", js_adam);
  gl_export(env, exports, "allFinite", js_all_finite);
}
