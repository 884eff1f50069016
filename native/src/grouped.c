/* Grouped and depthwise 2-D convolution (NHWC, w [KH, KW, Cg, M]) and both backward passes,
 * float32, as direct kernels: these convs do a few multiply-adds per float moved, so an im2col
 * GEMM would spend its time copying. Depthwise (Cg = 1, one output per channel) runs vectorised
 * over the channels; other groupings loop per group, vectorised over the group's outputs (the
 * forward and the filter gradient) or its inputs (the input gradient, on a transposed kernel).
 *
 * Threads: the forward and the input gradient split output (input) rows, each written by one
 * thread; the filter gradient sums fixed blocks of output rows into their own partials and folds
 * them in block order in float64, so the thread count never changes a bit. */
#include <stdlib.h>
#include <string.h>
#include "gl.h"
#include "eltwise.h"

#define INLINE static inline __attribute__((always_inline))

/* Multiply-adds per thread piece: below 2x this a call stays on the caller. */
#define CONV_GRAIN (1 << 17)
/* Filter-gradient blocks of output rows (their partials are folded in order). */
#define MAX_BLOCKS 32

typedef struct {
  int64_t batch, inH, inW, C, outH, outW, M, kH, kW, sH, sW, dH, dW, pT, pL, groups;
  int64_t Cg, Mg;
} conv_geo;

typedef struct {
  const conv_geo *g;
  const float *x, *w, *dy;
  float *y, *dx;
  const float *bias;
  int act;
  const float *wt; /* input gradient: w transposed to [tap, group, Mg, Cg] */
  float *part; /* filter gradient: [blocks, wF] */
  int64_t blocks, wF;
  int failed;
} conv_ctx;

/* ---- forward ---- */

/* acc[M] += the window's taps for one output pixel (depthwise, Mg = 1). */
INLINE void dw_forward_pixel(const conv_geo *g, const float *x, const float *w, float *acc, int64_t nb, int64_t oh, int64_t ow) {
  const int64_t M = g->M;
  for (int64_t c = 0; c < M; c++) acc[c] = 0.f;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t ih = oh * g->sH - g->pT + kh * g->dH;
    if (ih < 0 || ih >= g->inH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t iw = ow * g->sW - g->pL + kw * g->dW;
      if (iw < 0 || iw >= g->inW) continue;
      const float *xr = x + ((nb * g->inH + ih) * g->inW + iw) * g->C;
      const float *wr = w + (kh * g->kW + kw) * M;
      for (int64_t c = 0; c < M; c++) acc[c] += xr[c] * wr[c];
    }
  }
}

INLINE void grouped_forward_pixel(const conv_geo *g, const float *x, const float *w, float *acc, int64_t nb, int64_t oh,
  int64_t ow) {
  const int64_t M = g->M, Cg = g->Cg, Mg = g->Mg;
  for (int64_t c = 0; c < M; c++) acc[c] = 0.f;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t ih = oh * g->sH - g->pT + kh * g->dH;
    if (ih < 0 || ih >= g->inH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t iw = ow * g->sW - g->pL + kw * g->dW;
      if (iw < 0 || iw >= g->inW) continue;
      const float *xr = x + ((nb * g->inH + ih) * g->inW + iw) * g->C;
      const float *wt = w + (kh * g->kW + kw) * Cg * M;
      for (int64_t b = 0; b < g->groups; b++) {
        float *ab = acc + b * Mg;
        for (int64_t c = 0; c < Cg; c++) {
          const float xv = xr[b * Cg + c];
          const float *wr = wt + c * M + b * Mg;
          for (int64_t m = 0; m < Mg; m++) ab[m] += xv * wr[m];
        }
      }
    }
  }
}

GL_CLONES static void forward_rows(const conv_ctx *c, int64_t u0, int64_t u1) {
  const conv_geo *g = c->g;
  const int depthwise = g->Cg == 1 && g->Mg == 1;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    float *row = c->y + (nb * g->outH + oh) * g->outW * g->M;
    for (int64_t ow = 0; ow < g->outW; ow++) {
      float *acc = row + ow * g->M;
      if (depthwise) dw_forward_pixel(g, c->x, c->w, acc, nb, oh, ow);
      else grouped_forward_pixel(g, c->x, c->w, acc, nb, oh, ow);
    }
    /* the epilogue on the row while it is in cache, as the unfused add and activation compute it */
    if (c->bias || c->act != GL_ACT_LINEAR) gl_bias_act_f32(row, g->outW * g->M, c->bias, g->M, c->act);
  }
}

static void forward_task(void *p, int64_t a, int64_t b, int t) {
  (void)t;
  forward_rows(p, a, b);
}

/* ---- input gradient: per input pixel, a gather over the output pixels whose windows hold it ---- */

INLINE void dw_input_pixel(const conv_geo *g, const float *dy, const float *w, float *acc, int64_t nb, int64_t ih, int64_t iw) {
  const int64_t M = g->M;
  for (int64_t c = 0; c < M; c++) acc[c] = 0.f;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t nh = ih + g->pT - kh * g->dH;
    if (nh < 0 || nh % g->sH) continue;
    const int64_t oh = nh / g->sH;
    if (oh >= g->outH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t nw = iw + g->pL - kw * g->dW;
      if (nw < 0 || nw % g->sW) continue;
      const int64_t ow = nw / g->sW;
      if (ow >= g->outW) continue;
      const float *dr = dy + ((nb * g->outH + oh) * g->outW + ow) * M;
      const float *wr = w + (kh * g->kW + kw) * M;
      for (int64_t c = 0; c < M; c++) acc[c] += dr[c] * wr[c];
    }
  }
}

INLINE void grouped_input_pixel(const conv_geo *g, const float *dy, const float *wt, float *acc, int64_t nb, int64_t ih,
  int64_t iw) {
  const int64_t M = g->M, Cg = g->Cg, Mg = g->Mg, G = g->groups;
  for (int64_t c = 0; c < g->C; c++) acc[c] = 0.f;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t nh = ih + g->pT - kh * g->dH;
    if (nh < 0 || nh % g->sH) continue;
    const int64_t oh = nh / g->sH;
    if (oh >= g->outH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t nw = iw + g->pL - kw * g->dW;
      if (nw < 0 || nw % g->sW) continue;
      const int64_t ow = nw / g->sW;
      if (ow >= g->outW) continue;
      const float *dr = dy + ((nb * g->outH + oh) * g->outW + ow) * M;
      const float *wtap = wt + (kh * g->kW + kw) * G * Mg * Cg;
      for (int64_t b = 0; b < G; b++) {
        float *ab = acc + b * Cg;
        for (int64_t m = 0; m < Mg; m++) {
          const float d = dr[b * Mg + m];
          const float *wr = wtap + (b * Mg + m) * Cg;
          for (int64_t c = 0; c < Cg; c++) ab[c] += d * wr[c];
        }
      }
    }
  }
}

GL_CLONES static void input_rows(const conv_ctx *c, int64_t u0, int64_t u1) {
  const conv_geo *g = c->g;
  const int depthwise = g->Cg == 1 && g->Mg == 1;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->inH, ih = u % g->inH;
    float *row = c->dx + (nb * g->inH + ih) * g->inW * g->C;
    for (int64_t iw = 0; iw < g->inW; iw++) {
      if (depthwise) dw_input_pixel(g, c->dy, c->w, row + iw * g->C, nb, ih, iw);
      else grouped_input_pixel(g, c->dy, c->wt, row + iw * g->C, nb, ih, iw);
    }
  }
}

static void input_task(void *p, int64_t a, int64_t b, int t) {
  (void)t;
  input_rows(p, a, b);
}

/* ---- filter gradient ---- */

INLINE void dw_filter_pixel(const conv_geo *g, const float *x, const float *dy, float *part, int64_t nb, int64_t oh, int64_t ow) {
  const int64_t M = g->M;
  const float *dr = dy + ((nb * g->outH + oh) * g->outW + ow) * M;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t ih = oh * g->sH - g->pT + kh * g->dH;
    if (ih < 0 || ih >= g->inH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t iw = ow * g->sW - g->pL + kw * g->dW;
      if (iw < 0 || iw >= g->inW) continue;
      const float *xr = x + ((nb * g->inH + ih) * g->inW + iw) * g->C;
      float *pr = part + (kh * g->kW + kw) * M;
      for (int64_t c = 0; c < M; c++) pr[c] += xr[c] * dr[c];
    }
  }
}

INLINE void grouped_filter_pixel(const conv_geo *g, const float *x, const float *dy, float *part, int64_t nb, int64_t oh,
  int64_t ow) {
  const int64_t M = g->M, Cg = g->Cg, Mg = g->Mg;
  const float *dr = dy + ((nb * g->outH + oh) * g->outW + ow) * M;
  for (int64_t kh = 0; kh < g->kH; kh++) {
    const int64_t ih = oh * g->sH - g->pT + kh * g->dH;
    if (ih < 0 || ih >= g->inH) continue;
    for (int64_t kw = 0; kw < g->kW; kw++) {
      const int64_t iw = ow * g->sW - g->pL + kw * g->dW;
      if (iw < 0 || iw >= g->inW) continue;
      const float *xr = x + ((nb * g->inH + ih) * g->inW + iw) * g->C;
      float *pt = part + (kh * g->kW + kw) * Cg * M;
      for (int64_t b = 0; b < g->groups; b++) {
        const float *db = dr + b * Mg;
        for (int64_t c = 0; c < Cg; c++) {
          const float xv = xr[b * Cg + c];
          float *pr = pt + c * M + b * Mg;
          for (int64_t m = 0; m < Mg; m++) pr[m] += xv * db[m];
        }
      }
    }
  }
}

/* units: blocks of output rows (image, row), fixed by the shape */
GL_CLONES static void filter_blocks(const conv_ctx *c, int64_t k0, int64_t k1) {
  const conv_geo *g = c->g;
  const int depthwise = g->Cg == 1 && g->Mg == 1;
  const int64_t rows = g->batch * g->outH;
  for (int64_t k = k0; k < k1; k++) {
    float *part = c->part + k * c->wF;
    memset(part, 0, sizeof(float) * (size_t)c->wF);
    const int64_t r0 = rows * k / c->blocks, r1 = rows * (k + 1) / c->blocks;
    for (int64_t r = r0; r < r1; r++) {
      const int64_t nb = r / g->outH, oh = r % g->outH;
      for (int64_t ow = 0; ow < g->outW; ow++) {
        if (depthwise) dw_filter_pixel(g, c->x, c->dy, part, nb, oh, ow);
        else grouped_filter_pixel(g, c->x, c->dy, part, nb, oh, ow);
      }
    }
  }
}

static void filter_task(void *p, int64_t a, int64_t b, int t) {
  (void)t;
  filter_blocks(p, a, b);
}

typedef struct { const float *part; int64_t blocks, wF; float *dw; } fold_ctx;

static void fold_task(void *p, int64_t i0, int64_t i1, int t) {
  (void)t;
  fold_ctx *c = p;
  for (int64_t i = i0; i < i1; i++) {
    double s = c->part[i];
    for (int64_t k = 1; k < c->blocks; k++) s += c->part[k * c->wF + i];
    c->dw[i] = (float)s;
  }
}

/* ---- N-API ---- */

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *fn) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, fn);
    return 0;
  }
  return 1;
}

/* geometry: Int32Array [batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW,
 * dilationH, dilationW, padTop, padLeft, groups] */
static int read_geo(napi_env env, napi_value v, conv_geo *g, const char *fn) {
  size_t n;
  int32_t *a = gl_i32(env, v, &n);
  if (!a) return 0;
  if (n < 16) {
    napi_throw_range_error(env, NULL, fn);
    return 0;
  }
  *g = (conv_geo){a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], 0, 0};
  int ok = g->batch >= 0 && g->inH >= 0 && g->inW >= 0 && g->C >= 1 && g->outH >= 0 && g->outW >= 0 && g->M >= 1 &&
    g->kH >= 1 && g->kW >= 1 && g->sH >= 1 && g->sW >= 1 && g->dH >= 1 && g->dW >= 1 && g->groups >= 1 &&
    g->C % g->groups == 0 && g->M % g->groups == 0;
  if (!ok) {
    napi_throw_range_error(env, NULL, fn);
    return 0;
  }
  g->Cg = g->C / g->groups;
  g->Mg = g->M / g->groups;
  return 1;
}

static int64_t x_size(const conv_geo *g) { return g->batch * g->inH * g->inW * g->C; }
static int64_t y_size(const conv_geo *g) { return g->batch * g->outH * g->outW * g->M; }
static int64_t w_size(const conv_geo *g) { return g->kH * g->kW * g->Cg * g->M; }

static int64_t grain_rows(int64_t macsPerRow) {
  int64_t r = CONV_GRAIN / (macsPerRow > 0 ? macsPerRow : 1);
  return r < 1 ? 1 : r;
}

/* groupedConv2d(x, w, y, geometry, bias | null, act) */
static napi_value js_forward(napi_env env, napi_callback_info info) {
  napi_value v[6];
  const char *fn = "groupedConv2d(x, w, y, geometry, bias, act): sizes do not match the geometry";
  if (!args(env, info, 6, v, fn)) return NULL;
  size_t nx, nw, ny, nbias = 0;
  float *x, *w, *y, *bias = NULL;
  int64_t act;
  conv_geo g;
  if (!(x = gl_f32(env, v[0], &nx)) || !(w = gl_f32(env, v[1], &nw)) || !(y = gl_f32(env, v[2], &ny)) ||
      !read_geo(env, v[3], &g, fn) || !gl_int(env, v[5], &act))
    return NULL;
  napi_valuetype bt;
  napi_typeof(env, v[4], &bt);
  if (bt != napi_null && bt != napi_undefined && !(bias = gl_f32(env, v[4], &nbias))) return NULL;
  if ((int64_t)nx != x_size(&g) || (int64_t)nw != w_size(&g) || (int64_t)ny != y_size(&g) || (bias && (int64_t)nbias != g.M) ||
      act < 0 || act >= GL_ACT_COUNT) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  conv_ctx c = {&g, x, w, NULL, y, NULL, bias, (int)act, NULL, NULL, 0, 0, 0};
  gl_parallel_for(g.batch * g.outH, grain_rows(g.outW * g.M * g.kH * g.kW * g.Cg), forward_task, &c);
  return undef(env);
}

/* groupedConv2dBackpropInput(dy, w, dx, geometry) */
static napi_value js_input(napi_env env, napi_callback_info info) {
  napi_value v[4];
  const char *fn = "groupedConv2dBackpropInput(dy, w, dx, geometry): sizes do not match the geometry";
  if (!args(env, info, 4, v, fn)) return NULL;
  size_t ndy, nw, ndx;
  float *dy, *w, *dx;
  conv_geo g;
  if (!(dy = gl_f32(env, v[0], &ndy)) || !(w = gl_f32(env, v[1], &nw)) || !(dx = gl_f32(env, v[2], &ndx)) || !read_geo(env, v[3], &g, fn))
    return NULL;
  if ((int64_t)ndy != y_size(&g) || (int64_t)nw != w_size(&g) || (int64_t)ndx != x_size(&g)) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  float *wt = NULL;
  if (!(g.Cg == 1 && g.Mg == 1)) {
    /* w [tap, c, b*Mg + m] -> wt [tap, b, m, c]: the input gradient's inner loop runs over c */
    wt = malloc(sizeof(float) * (size_t)(nw > 0 ? nw : 1));
    if (!wt) {
      napi_throw_error(env, NULL, "groupedConv2dBackpropInput: out of memory");
      return NULL;
    }
    const int64_t taps = g.kH * g.kW;
    for (int64_t t = 0; t < taps; t++)
      for (int64_t b = 0; b < g.groups; b++)
        for (int64_t m = 0; m < g.Mg; m++)
          for (int64_t c = 0; c < g.Cg; c++)
            wt[((t * g.groups + b) * g.Mg + m) * g.Cg + c] = w[(t * g.Cg + c) * g.M + b * g.Mg + m];
  }
  conv_ctx c = {&g, NULL, w, dy, NULL, dx, NULL, 0, wt, NULL, 0, 0, 0};
  gl_parallel_for(g.batch * g.inH, grain_rows(g.inW * g.C * g.kH * g.kW * g.Mg), input_task, &c);
  free(wt);
  return undef(env);
}

/* groupedConv2dBackpropFilter(x, dy, dw, geometry) */
static napi_value js_filter(napi_env env, napi_callback_info info) {
  napi_value v[4];
  const char *fn = "groupedConv2dBackpropFilter(x, dy, dw, geometry): sizes do not match the geometry";
  if (!args(env, info, 4, v, fn)) return NULL;
  size_t nx, ndy, ndw;
  float *x, *dy, *dw;
  conv_geo g;
  if (!(x = gl_f32(env, v[0], &nx)) || !(dy = gl_f32(env, v[1], &ndy)) || !(dw = gl_f32(env, v[2], &ndw)) || !read_geo(env, v[3], &g, fn))
    return NULL;
  if ((int64_t)nx != x_size(&g) || (int64_t)ndy != y_size(&g) || (int64_t)ndw != w_size(&g)) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  const int64_t wF = (int64_t)ndw, rows = g.batch * g.outH;
  const int64_t macsPerRow = g.outW * g.M * g.kH * g.kW * g.Cg;
  /* blocks: as many as the work repays (at least a grain each), at most MAX_BLOCKS; shape only */
  int64_t blocks = rows * macsPerRow / CONV_GRAIN;
  if (blocks > MAX_BLOCKS) blocks = MAX_BLOCKS;
  if (blocks > rows) blocks = rows;
  if (blocks < 1) blocks = 1;
  float *part = malloc(sizeof(float) * (size_t)(blocks * wF > 0 ? blocks * wF : 1));
  if (!part) {
    napi_throw_error(env, NULL, "groupedConv2dBackpropFilter: out of memory");
    return NULL;
  }
  conv_ctx c = {&g, x, NULL, dy, NULL, NULL, NULL, 0, NULL, part, blocks, wF, 0};
  if (rows == 0) memset(part, 0, sizeof(float) * (size_t)wF);
  else gl_parallel_for(blocks, 1, filter_task, &c);
  fold_ctx f = {part, blocks, wF, dw};
  gl_parallel_for(wF, 1 << 14, fold_task, &f);
  free(part);
  return undef(env);
}

void gl_register_grouped(napi_env env, napi_value exports) {
  gl_export(env, exports, "groupedConv2d", js_forward);
  gl_export(env, exports, "groupedConv2dBackpropInput", js_input);
  gl_export(env, exports, "groupedConv2dBackpropFilter", js_filter);
}
