/* Batch normalisation over x viewed as [rows, channels] (NHWC: channels last): each channel's
 * mean and biased variance, the per-channel affine map y = x scale + shift, and the training
 * backward. The sums run in double over fixed blocks of rows and are added in block order, so a
 * result depends on the shape only, never on the thread count or on which thread took a block.
 * The moments are sums of x - x[0, c] (shifted data): a channel whose mean dwarfs its spread
 * keeps its variance, which E[x^2] - E[x]^2 would lose. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "gl.h"

/* floats of one block of rows: its partial sums are one row of doubles per block */
#define NORM_BLOCK_FLOATS 8192
/* blocks (or, for the affine map, floats) per thread piece below which a call stays serial */
#define NORM_GRAIN_BLOCKS 4
#define NORM_GRAIN_FLOATS 32768

static int64_t block_rows(int64_t ch) {
  const int64_t r = NORM_BLOCK_FLOATS / (ch > 0 ? ch : 1);
  return r < 1 ? 1 : r;
}

typedef struct {
  const float *x, *dy; /* dy null: moments of x, else backward sums of dy and dy (x - center) */
  const float *center; /* per channel: x's first row (moments) or the batch mean (backward) */
  int64_t rows, ch, brows;
  double *s1, *s2; /* [blocks, ch] partial sums */
} sums_ctx;

GL_CLONES static void moment_rows(const float *restrict x, const float *restrict k, int64_t rows, int64_t ch,
  double *restrict s1, double *restrict s2) {
  for (int64_t c = 0; c < ch; c++) s1[c] = s2[c] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ch;
    for (int64_t c = 0; c < ch; c++) {
      const double d = (double)xr[c] - (double)k[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
}

GL_CLONES static void backward_rows(const float *restrict x, const float *restrict dy, const float *restrict mean,
  int64_t rows, int64_t ch, double *restrict s1, double *restrict s2) {
  for (int64_t c = 0; c < ch; c++) s1[c] = s2[c] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ch, *gr = dy + r * ch;
    for (int64_t c = 0; c < ch; c++) {
      const double g = gr[c];
      s1[c] += g;
      s2[c] += g * ((double)xr[c] - (double)mean[c]);
    }
  }
}

static void sums_task(void *p, int64_t b0, int64_t b1, int t) {
  (void)t;
  const sums_ctx *c = p;
  for (int64_t b = b0; b < b1; b++) {
    const int64_t r0 = b * c->brows;
    const int64_t n = (r0 + c->brows < c->rows ? c->brows : c->rows - r0);
    if (c->dy) backward_rows(c->x + r0 * c->ch, c->dy + r0 * c->ch, c->center, n, c->ch, c->s1 + b * c->ch, c->s2 + b * c->ch);
    else moment_rows(c->x + r0 * c->ch, c->center, n, c->ch, c->s1 + b * c->ch, c->s2 + b * c->ch);
  }
}

/* s1, s2 [ch] = the blocks' sums, added in block order; 0 on success, -1 when out of memory */
static int channel_sums(const float *x, const float *dy, const float *center, int64_t rows, int64_t ch, double *s1, double *s2) {
  const int64_t brows = block_rows(ch);
  const int64_t blocks = (rows + brows - 1) / brows;
  double *part = malloc(sizeof(double) * 2 * (size_t)(blocks * ch + 1));
  if (!part) return -1;
  sums_ctx c = {x, dy, center, rows, ch, brows, part, part + blocks * ch};
  gl_parallel_for(blocks, NORM_GRAIN_BLOCKS, sums_task, &c);
  for (int64_t j = 0; j < ch; j++) s1[j] = s2[j] = 0;
  for (int64_t b = 0; b < blocks; b++) {
    for (int64_t j = 0; j < ch; j++) {
      s1[j] += c.s1[b * ch + j];
      s2[j] += c.s2[b * ch + j];
    }
  }
  free(part);
  return 0;
}

typedef struct {
  const float *x, *dy, *scale, *shift, *mean, *dbeta, *dgamma_n;
  float *y;
  int64_t ch;
  double inv_rows;
} map_ctx;

/* y may be x (the Backend contract), so neither is restrict */
GL_CLONES static void affine_rows(const float *x, const float *restrict scale, const float *restrict shift, float *y,
  int64_t rows, int64_t ch) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ch;
    float *yr = y + r * ch;
    for (int64_t c = 0; c < ch; c++) yr[c] = xr[c] * scale[c] + shift[c];
  }
}

static void affine_task(void *p, int64_t r0, int64_t r1, int t) {
  (void)t;
  const map_ctx *c = p;
  affine_rows(c->x + r0 * c->ch, c->scale, c->shift, c->y + r0 * c->ch, r1 - r0, c->ch);
}

/* dx = scale (dy - dbeta / rows - (x - mean) invstd^2 dgamma / rows), with scale = gamma invstd; the
 * caller folds invstd^2 / rows into dgamma_n and 1 / rows into dbeta (both per channel, float) */
GL_CLONES static void dx_rows(const float *restrict x, const float *restrict dy, const float *restrict mean,
  const float *restrict scale, const float *restrict dbeta_n, const float *restrict dgamma_n, float *restrict dx,
  int64_t rows, int64_t ch) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ch, *gr = dy + r * ch;
    float *o = dx + r * ch;
    for (int64_t c = 0; c < ch; c++) o[c] = scale[c] * (gr[c] - dbeta_n[c] - (xr[c] - mean[c]) * dgamma_n[c]);
  }
}

static void dx_task(void *p, int64_t r0, int64_t r1, int t) {
  (void)t;
  const map_ctx *c = p;
  dx_rows(c->x + r0 * c->ch, c->dy + r0 * c->ch, c->mean, c->scale, c->dbeta, c->dgamma_n, c->y + r0 * c->ch, r1 - r0, c->ch);
}

static int64_t row_grain(int64_t ch) {
  const int64_t g = NORM_GRAIN_FLOATS / (ch > 0 ? ch : 1);
  return g < 1 ? 1 : g;
}

/* Reads argument i as a Float32Array of exactly n floats (a null is allowed when may_be_null). */
static float *arg_f32(napi_env env, napi_value v, size_t n, const char *fn, const char *name, int may_be_null) {
  if (may_be_null) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t == napi_null || t == napi_undefined) return NULL;
  }
  size_t len;
  float *p = gl_f32(env, v, &len);
  if (p && len != n) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s has %zu floats, expected %zu", fn, name, len, n);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  return p;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *a, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

static int get_rows_channels(napi_env env, napi_value *a, int64_t *rows, int64_t *ch, const char *fn) {
  if (!gl_int(env, a[0], rows) || !gl_int(env, a[1], ch)) return 0;
  if (*rows < 0 || *ch < 0) {
    napi_throw_range_error(env, NULL, fn);
    return 0;
  }
  return 1;
}

static napi_value undefined_value(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* normMoments(rows, channels, x, mean, variance) */
static napi_value js_moments(napi_env env, napi_callback_info info) {
  const char *fn = "normMoments(rows, channels, x, mean, variance)";
  napi_value a[5];
  int64_t rows, ch;
  if (!get_args(env, info, 5, a, fn) || !get_rows_channels(env, a, &rows, &ch, fn)) return NULL;
  const float *x;
  float *mean, *var;
  if (!(x = arg_f32(env, a[2], (size_t)(rows * ch), "normMoments", "x", 0)) ||
      !(mean = arg_f32(env, a[3], (size_t)ch, "normMoments", "mean", 0)) ||
      !(var = arg_f32(env, a[4], (size_t)ch, "normMoments", "variance", 0)))
    return NULL;
  if (rows == 0 || ch == 0) {
    for (int64_t c = 0; c < ch; c++) mean[c] = var[c] = NAN;
    return undefined_value(env);
  }
  double *s = malloc(sizeof(double) * 2 * (size_t)ch);
  if (!s || channel_sums(x, NULL, x, rows, ch, s, s + ch) != 0) {
    free(s);
    napi_throw_error(env, NULL, "normMoments: out of memory");
    return NULL;
  }
  for (int64_t c = 0; c < ch; c++) {
    const double m = s[c] / (double)rows;
    const double v = (s[ch + c] - s[c] * m) / (double)rows;
    mean[c] = (float)((double)x[c] + m);
    var[c] = (float)(v > 0 ? v : 0);
  }
  free(s);
  return undefined_value(env);
}

/* normAffine(rows, channels, x, scale, shift, y) */
static napi_value js_affine(napi_env env, napi_callback_info info) {
  const char *fn = "normAffine(rows, channels, x, scale, shift, y)";
  napi_value a[6];
  int64_t rows, ch;
  if (!get_args(env, info, 6, a, fn) || !get_rows_channels(env, a, &rows, &ch, fn)) return NULL;
  const float *x, *scale, *shift;
  float *y;
  if (!(x = arg_f32(env, a[2], (size_t)(rows * ch), "normAffine", "x", 0)) ||
      !(scale = arg_f32(env, a[3], (size_t)ch, "normAffine", "scale", 0)) ||
      !(shift = arg_f32(env, a[4], (size_t)ch, "normAffine", "shift", 0)) ||
      !(y = arg_f32(env, a[5], (size_t)(rows * ch), "normAffine", "y", 0)))
    return NULL;
  map_ctx c = {x, NULL, scale, shift, NULL, NULL, NULL, y, ch, 0};
  gl_parallel_for(rows, row_grain(ch), affine_task, &c);
  return undefined_value(env);
}

/* normBackward(rows, channels, dy, x, mean, invStd, scale, dx | null, dgamma, dbeta) */
static napi_value js_backward(napi_env env, napi_callback_info info) {
  const char *fn = "normBackward(rows, channels, dy, x, mean, invStd, scale, dx, dgamma, dbeta)";
  napi_value a[10];
  int64_t rows, ch;
  if (!get_args(env, info, 10, a, fn) || !get_rows_channels(env, a, &rows, &ch, fn)) return NULL;
  const size_t n = (size_t)(rows * ch);
  const float *dy, *x, *mean, *invstd, *scale;
  float *dx = NULL, *dgamma, *dbeta;
  if (!(dy = arg_f32(env, a[2], n, "normBackward", "dy", 0)) || !(x = arg_f32(env, a[3], n, "normBackward", "x", 0)) ||
      !(mean = arg_f32(env, a[4], (size_t)ch, "normBackward", "mean", 0)) ||
      !(invstd = arg_f32(env, a[5], (size_t)ch, "normBackward", "invStd", 0)) ||
      !(scale = arg_f32(env, a[6], (size_t)ch, "normBackward", "scale", 0)))
    return NULL;
  bool pending;
  dx = arg_f32(env, a[7], n, "normBackward", "dx", 1);
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  if (!(dgamma = arg_f32(env, a[8], (size_t)ch, "normBackward", "dgamma", 0)) ||
      !(dbeta = arg_f32(env, a[9], (size_t)ch, "normBackward", "dbeta", 0)))
    return NULL;
  double *s = malloc(sizeof(double) * 2 * (size_t)ch);
  float *folded = malloc(sizeof(float) * 2 * (size_t)(ch + 1));
  if (!s || !folded || (rows > 0 && channel_sums(x, dy, mean, rows, ch, s, s + ch) != 0)) {
    free(s);
    free(folded);
    napi_throw_error(env, NULL, "normBackward: out of memory");
    return NULL;
  }
  if (rows == 0) for (int64_t c = 0; c < 2 * ch; c++) s[c] = 0;
  for (int64_t c = 0; c < ch; c++) {
    const double db = s[c], dg = s[ch + c] * (double)invstd[c];
    dbeta[c] = (float)db;
    dgamma[c] = (float)dg;
    folded[c] = (float)(db / (double)rows);
    folded[ch + c] = (float)(dg * (double)invstd[c] / (double)rows);
  }
  if (dx && rows > 0) {
    map_ctx c = {x, dy, scale, NULL, mean, folded, folded + ch, dx, ch, 0};
    gl_parallel_for(rows, row_grain(ch), dx_task, &c);
  }
  free(s);
  free(folded);
  return undefined_value(env);
}

void gl_register_norm(napi_env env, napi_value exports) {
  gl_export(env, exports, "normMoments", js_moments);
  gl_export(env, exports, "normAffine", js_affine);
  gl_export(env, exports, "normBackward", js_backward);
}
