/* 2-D max and average pooling (NHWC) and their backward passes, float32, bit-exact against
 * src/backend/js/index.ts: max pooling keeps the first cell of a tie and never lets NaN replace
 * the running max; average pooling sums in float64 in window order and divides in float64.
 * Channels are innermost (contiguous), so the loops over them vectorise; rows of images are
 * spread over the threads (each writes its own rows only). */
#pragma GCC optimize("fp-contract=off")
#include <stdlib.h>
#include <string.h>
#include "gl.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Floats of output per thread piece: below 2x this a call stays on the caller. */
#define POOL_GRAIN 16384
/* Channels per double accumulator tile (average pooling). */
#define CTILE 256

typedef struct {
  int64_t batch, inH, inW, C, outH, outW, kH, kW, sH, sW, pT, pL;
} pool_geo;

static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

typedef struct {
  const pool_geo *g;
  const float *x;
  float *out;
  int32_t *argmax;
  const float *dy;
  float *dx;
} pool_ctx;

#define INLINE static inline __attribute__((always_inline))

/* One output pixel's C channels: the max of its window's real cells and the flat index of it. */
INLINE void max_pixel(const float *restrict x, float *restrict out, int32_t *restrict am, int64_t C, int64_t first, int64_t h0, int64_t h1,
  int64_t w0, int64_t w1, int64_t rowStride, int64_t pixBase) {
  for (int64_t c = 0; c < C; c++) { out[c] = x[first + c]; am[c] = (int32_t)(first + c); }
  for (int64_t ih = h0; ih < h1; ih++) {
    for (int64_t iw = w0; iw < w1; iw++) {
      const int64_t i = pixBase + ih * rowStride + iw * C;
      const float *xr = x + i;
      for (int64_t c = 0; c < C; c++) {
        float v = xr[c], b = out[c];
        int gt = v > b;
        out[c] = gt ? v : b;
        am[c] = gt ? (int32_t)(i + c) : am[c];
      }
    }
  }
}

/* units: (image, output row) pairs; one function per ISA with the pixel loops inlined (a call per
 * pixel cost 3x the work at 6 channels) */
GL_CLONES static void max_rows(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C, rowStride = g->inW * C;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    const int64_t h0 = imax(0, oh * g->sH - g->pT), h1 = imin(g->inH, oh * g->sH - g->pT + g->kH);
    const int64_t pixBase = nb * g->inH * rowStride;
    for (int64_t ow = 0; ow < g->outW; ow++) {
      const int64_t w0 = imax(0, ow * g->sW - g->pL), w1 = imin(g->inW, ow * g->sW - g->pL + g->kW);
      const int64_t o = ((nb * g->outH + oh) * g->outW + ow) * C;
      const int64_t first = pixBase + h0 * rowStride + w0 * C;
      max_pixel(c->x, c->out + o, c->argmax + o, C, first, h0, h1, w0, w1, rowStride, pixBase);
    }
  }
}

#if defined(__x86_64__)
/* AVX-512: 16 channels a vector, the last one masked, so a few channels (LeNet's 6) still run as
 * one vector per cell instead of a scalar loop (3x faster at C = 6 than the loops above). */
__attribute__((target("avx512f"))) static void max_rows_avx512(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C, rowStride = g->inW * C;
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    const int64_t h0 = imax(0, oh * g->sH - g->pT), h1 = imin(g->inH, oh * g->sH - g->pT + g->kH);
    const int64_t pixBase = nb * g->inH * rowStride;
    for (int64_t ow = 0; ow < g->outW; ow++) {
      const int64_t w0 = imax(0, ow * g->sW - g->pL), w1 = imin(g->inW, ow * g->sW - g->pL + g->kW);
      const int64_t o = ((nb * g->outH + oh) * g->outW + ow) * C;
      for (int64_t c0 = 0; c0 < C; c0 += 16) {
        const __mmask16 k = C - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (C - c0)) - 1);
        const int64_t first = pixBase + h0 * rowStride + w0 * C + c0;
        __m512 best = _mm512_maskz_loadu_ps(k, c->x + first);
        __m512i bi = _mm512_add_epi32(_mm512_set1_epi32((int32_t)first), lanes);
        for (int64_t ih = h0; ih < h1; ih++) {
          for (int64_t iw = w0; iw < w1; iw++) {
            const int64_t i = pixBase + ih * rowStride + iw * C + c0;
            const __m512 v = _mm512_maskz_loadu_ps(k, c->x + i);
            const __mmask16 gt = _mm512_mask_cmp_ps_mask(k, v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, gt, v);
            bi = _mm512_mask_mov_epi32(bi, gt, _mm512_add_epi32(_mm512_set1_epi32((int32_t)i), lanes));
          }
        }
        _mm512_mask_storeu_ps(c->out + o + c0, k, best);
        _mm512_mask_storeu_epi32(c->argmax + o + c0, k, bi);
      }
    }
  }
}

/* AVX2: the same with 8 channels a vector. AMD's masked stores are microcoded (~10x a plain
 * one), so a pixel's last, partial vector is stored whole, spilling into the next pixels' first
 * channels, which are written after it (pixels go in address order); a store that would pass the
 * piece's end is masked, so pieces on other threads are never touched. Loads read whole vectors
 * unless they would pass the input's end. */
__attribute__((target("avx2"))) static void max_rows_avx2(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C, rowStride = g->inW * C, xlen = g->batch * g->inH * rowStride;
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int64_t pieceEnd = u1 * g->outW * C;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    const int64_t h0 = imax(0, oh * g->sH - g->pT), h1 = imin(g->inH, oh * g->sH - g->pT + g->kH);
    const int64_t pixBase = nb * g->inH * rowStride;
    for (int64_t ow = 0; ow < g->outW; ow++) {
      const int64_t w0 = imax(0, ow * g->sW - g->pL), w1 = imin(g->inW, ow * g->sW - g->pL + g->kW);
      const int64_t o = ((nb * g->outH + oh) * g->outW + ow) * C;
      for (int64_t c0 = 0; c0 < C; c0 += 8) {
        const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(C - c0 < 8 ? C - c0 : 8)), lanes);
        const int64_t first = pixBase + h0 * rowStride + w0 * C + c0;
        __m256 best = first + 8 <= xlen ? _mm256_loadu_ps(c->x + first) : _mm256_maskload_ps(c->x + first, k);
        __m256 bi = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32((int32_t)first), lanes));
        for (int64_t ih = h0; ih < h1; ih++) {
          for (int64_t iw = w0; iw < w1; iw++) {
            const int64_t i = pixBase + ih * rowStride + iw * C + c0;
            const __m256 v = i + 8 <= xlen ? _mm256_loadu_ps(c->x + i) : _mm256_maskload_ps(c->x + i, k);
            const __m256 gt = _mm256_cmp_ps(v, best, _CMP_GT_OQ); /* false for NaN: NaN never replaces the max */
            best = _mm256_blendv_ps(best, v, gt);
            bi = _mm256_blendv_ps(bi, _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32((int32_t)i), lanes)), gt);
          }
        }
        if (o + c0 + 8 <= pieceEnd) {
          _mm256_storeu_ps(c->out + o + c0, best);
          _mm256_storeu_si256((__m256i *)(c->argmax + o + c0), _mm256_castps_si256(bi));
        } else {
          _mm256_maskstore_ps(c->out + o + c0, k, best);
          _mm256_maskstore_epi32(c->argmax + o + c0, k, _mm256_castps_si256(bi));
        }
      }
    }
  }
}
#endif

static void max_task(void *p, int64_t u0, int64_t u1, int t) {
  (void)t;
#if defined(__x86_64__)
  /* the ISA in use (GRADLAB_NATIVE_ISA / setIsa can lower it, so each path gets tested) */
  int l = gl_cpu_level();
  if (l == 2) { max_rows_avx512(p, u0, u1); return; }
  if (l == 1) { max_rows_avx2(p, u0, u1); return; }
#endif
  max_rows(p, u0, u1);
}

/* dx of each image: zero, then dx[argmax[i]] += dy[i] in i order (the reference's order, per image). */
typedef struct { const float *dy; const int32_t *am; float *dx; int64_t inImg, outImg; int bad; } maxb_ctx;

static void max_backward_task(void *p, int64_t n0, int64_t n1, int t) {
  (void)t;
  maxb_ctx *c = p;
  for (int64_t nb = n0; nb < n1; nb++) {
    const int64_t lo = nb * c->inImg;
    float *dx = c->dx + lo;
    memset(dx, 0, sizeof(float) * (size_t)c->inImg);
    const float *dy = c->dy + nb * c->outImg;
    const int32_t *am = c->am + nb * c->outImg;
    for (int64_t i = 0; i < c->outImg; i++) {
      const int64_t j = (int64_t)am[i] - lo;
      if (j < 0 || j >= c->inImg) { __atomic_store_n(&c->bad, 1, __ATOMIC_RELAXED); continue; }
      dx[j] += dy[i];
    }
  }
}

/* The real cells of output pixel (oh, ow)'s window, clipped to the image. */
static void window(const pool_geo *g, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1, int64_t *w0, int64_t *w1) {
  *h0 = imax(0, oh * g->sH - g->pT);
  *h1 = imin(g->inH, oh * g->sH - g->pT + g->kH);
  *w0 = imax(0, ow * g->sW - g->pL);
  *w1 = imin(g->inW, ow * g->sW - g->pL + g->kW);
}

INLINE void avg_pixel(const float *restrict x, float *restrict out, int64_t C, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
  int64_t rowStride, int64_t pixBase) {
  const double count = (double)((h1 - h0) * (w1 - w0));
  double acc[CTILE];
  for (int64_t c0 = 0; c0 < C; c0 += CTILE) {
    const int64_t cn = imin(CTILE, C - c0);
    for (int64_t c = 0; c < cn; c++) acc[c] = 0;
    for (int64_t ih = h0; ih < h1; ih++) {
      for (int64_t iw = w0; iw < w1; iw++) {
        const float *xr = x + pixBase + ih * rowStride + iw * C + c0;
        for (int64_t c = 0; c < cn; c++) acc[c] += (double)xr[c];
      }
    }
    for (int64_t c = 0; c < cn; c++) out[c0 + c] = (float)(acc[c] / count);
  }
}

GL_CLONES static void avg_rows(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C, rowStride = g->inW * C;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    for (int64_t ow = 0; ow < g->outW; ow++) {
      int64_t h0, h1, w0, w1;
      window(g, oh, ow, &h0, &h1, &w0, &w1);
      avg_pixel(c->x, c->out + ((nb * g->outH + oh) * g->outW + ow) * C, C, h0, h1, w0, w1, rowStride, nb * g->inH * rowStride);
    }
  }
}

static void avg_task(void *p, int64_t u0, int64_t u1, int t) {
  (void)t;
  avg_rows(p, u0, u1);
}

/* Output rows (columns) whose windows hold input row ih: oh in [lo, hi). */
static void covering(int64_t i, int64_t s, int64_t pad, int64_t k, int64_t outN, int64_t *lo, int64_t *hi) {
  /* oh * s - pad <= i < oh * s - pad + k  <=>  (i + pad - k) / s < oh <= (i + pad) / s */
  int64_t a = i + pad - k + 1; /* oh >= ceil(a / s) */
  int64_t l = a <= 0 ? 0 : (a + s - 1) / s;
  int64_t h = (i + pad) / s + 1; /* i + pad >= 0 always */
  *lo = imax(0, l);
  *hi = imin(outN, h);
}

/* dx at one input pixel: sum of dy[o] / count[o] over the windows holding it, in (oh, ow) order
 * (the order the reference's scatter adds them in), in float64. */
INLINE void avg_back_pixel(const float *restrict dy, float *restrict dx, int64_t C, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1,
  const pool_geo *g, int64_t outBase) {
  double acc[CTILE];
  for (int64_t c0 = 0; c0 < C; c0 += CTILE) {
    const int64_t cn = imin(CTILE, C - c0);
    for (int64_t c = 0; c < cn; c++) acc[c] = 0;
    for (int64_t oh = oh0; oh < oh1; oh++) {
      for (int64_t ow = ow0; ow < ow1; ow++) {
        const int64_t h0 = imax(0, oh * g->sH - g->pT), h1 = imin(g->inH, oh * g->sH - g->pT + g->kH);
        const int64_t w0 = imax(0, ow * g->sW - g->pL), w1 = imin(g->inW, ow * g->sW - g->pL + g->kW);
        const double count = (double)((h1 - h0) * (w1 - w0));
        const float *d = dy + outBase + (oh * g->outW + ow) * C + c0;
        for (int64_t c = 0; c < cn; c++) acc[c] += (double)d[c] / count;
      }
    }
    for (int64_t c = 0; c < cn; c++) dx[c0 + c] = (float)acc[c];
  }
}

/* units: (image, input row) pairs */
GL_CLONES static void avg_back_rows(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C;
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->inH, ih = u % g->inH;
    int64_t oh0, oh1;
    covering(ih, g->sH, g->pT, g->kH, g->outH, &oh0, &oh1);
    for (int64_t iw = 0; iw < g->inW; iw++) {
      int64_t ow0, ow1;
      covering(iw, g->sW, g->pL, g->kW, g->outW, &ow0, &ow1);
      avg_back_pixel(c->dy, c->dx + ((nb * g->inH + ih) * g->inW + iw) * C, C, oh0, oh1, ow0, ow1, g,
        nb * g->outH * g->outW * C);
    }
  }
}

static void avg_backward_task(void *p, int64_t u0, int64_t u1, int t) {
  (void)t;
  avg_back_rows(p, u0, u1);
}

/* Windows that tile the image (stride = size, no padding, none partial): every input pixel lies
 * in one window or, past the last row or column of windows, in none. dx is then dy / count (the
 * same double division as the general path) copied to the window's kH x kW pixels: the division
 * runs vectorized over a whole output row instead of once per pixel and channel tile.
 * units: (image, output row) pairs; the last row of an image also zeroes the rows below it. */
static int avg_tiles(const pool_geo *g) {
  return g->sH == g->kH && g->sW == g->kW && g->pT == 0 && g->pL == 0 && g->outH * g->kH <= g->inH && g->outW * g->kW <= g->inW;
}

GL_CLONES static void avg_back_tiled_rows(const pool_ctx *c, int64_t u0, int64_t u1) {
  const pool_geo *g = c->g;
  const int64_t C = g->C, rowOut = g->outW * C, rowIn = g->inW * C, used = g->outW * g->kW * C;
  const double count = (double)(g->kH * g->kW);
  float *q = malloc(sizeof(float) * (size_t)(rowOut + 1));
  if (!q) abort();
  for (int64_t u = u0; u < u1; u++) {
    const int64_t nb = u / g->outH, oh = u % g->outH;
    const float *d = c->dy + (nb * g->outH + oh) * rowOut;
    for (int64_t j = 0; j < rowOut; j++) q[j] = (float)((double)d[j] / count);
    float *first = c->dx + (nb * g->inH + oh * g->kH) * rowIn;
    for (int64_t ow = 0; ow < g->outW; ow++)
      for (int64_t kw = 0; kw < g->kW; kw++) memcpy(first + (ow * g->kW + kw) * C, q + ow * C, sizeof(float) * (size_t)C);
    memset(first + used, 0, sizeof(float) * (size_t)(rowIn - used));
    for (int64_t kh = 1; kh < g->kH; kh++) memcpy(first + kh * rowIn, first, sizeof(float) * (size_t)rowIn);
    if (oh == g->outH - 1) {
      const int64_t below = g->inH - g->outH * g->kH;
      memset(first + g->kH * rowIn, 0, sizeof(float) * (size_t)(below * rowIn));
    }
  }
  free(q);
}

static void avg_backward_tiled_task(void *p, int64_t u0, int64_t u1, int t) {
  (void)t;
  avg_back_tiled_rows(p, u0, u1);
}

/* ---- N-API ---- */

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* geometry: Int32Array [batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft] */
static int read_geo(napi_env env, napi_value v, pool_geo *g, const char *fn) {
  size_t n;
  int32_t *a = gl_i32(env, v, &n);
  if (!a) return 0;
  if (n < 12) {
    napi_throw_range_error(env, NULL, fn);
    return 0;
  }
  *g = (pool_geo){a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]};
  int ok = g->batch >= 0 && g->inH >= 1 && g->inW >= 1 && g->C >= 0 && g->outH >= 0 && g->outW >= 0 && g->kH >= 1 &&
    g->kW >= 1 && g->sH >= 1 && g->sW >= 1 && g->pT >= 0 && g->pL >= 0;
  /* every window must hold a real cell (checked by the ops before the call) */
  if (ok && g->outH > 0) ok = g->pT < g->kH && (g->outH - 1) * g->sH - g->pT < g->inH;
  if (ok && g->outW > 0) ok = g->pL < g->kW && (g->outW - 1) * g->sW - g->pL < g->inW;
  if (ok) ok = (int64_t)g->batch * g->inH * g->inW * g->C < INT32_MAX;
  if (!ok) napi_throw_range_error(env, NULL, fn);
  return ok;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *fn) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, fn);
    return 0;
  }
  return 1;
}

static int64_t in_size(const pool_geo *g) { return g->batch * g->inH * g->inW * g->C; }
static int64_t out_size(const pool_geo *g) { return g->batch * g->outH * g->outW * g->C; }

static int64_t grain_rows(int64_t floatsPerRow) {
  int64_t gr = POOL_GRAIN / (floatsPerRow > 0 ? floatsPerRow : 1);
  return gr < 1 ? 1 : gr;
}

/* poolMax2d(x, out, argmax, geo) */
static napi_value js_max(napi_env env, napi_callback_info info) {
  napi_value v[4];
  const char *fn = "poolMax2d(x, out, argmax, geometry): sizes do not match the geometry";
  if (!args(env, info, 4, v, fn)) return NULL;
  size_t nx, no, na;
  float *x, *out;
  int32_t *am;
  pool_geo g;
  if (!(x = gl_f32(env, v[0], &nx)) || !(out = gl_f32(env, v[1], &no)) || !(am = gl_i32(env, v[2], &na)) || !read_geo(env, v[3], &g, fn))
    return NULL;
  if ((int64_t)nx != in_size(&g) || (int64_t)no != out_size(&g) || na != no) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  pool_ctx c = {&g, x, out, am, NULL, NULL};
  gl_parallel_for_fine(g.batch * g.outH, grain_rows(g.outW * g.C * g.kH * g.kW / 2), max_task, &c);
  return undef(env);
}

/* poolMax2dBackward(dy, argmax, dx, geo) */
static napi_value js_max_backward(napi_env env, napi_callback_info info) {
  napi_value v[4];
  const char *fn = "poolMax2dBackward(dy, argmax, dx, geometry): sizes do not match the geometry";
  if (!args(env, info, 4, v, fn)) return NULL;
  size_t ndy, na, ndx;
  float *dy, *dx;
  int32_t *am;
  pool_geo g;
  if (!(dy = gl_f32(env, v[0], &ndy)) || !(am = gl_i32(env, v[1], &na)) || !(dx = gl_f32(env, v[2], &ndx)) || !read_geo(env, v[3], &g, fn))
    return NULL;
  if ((int64_t)ndx != in_size(&g) || (int64_t)ndy != out_size(&g) || na != ndy) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  const int64_t inImg = g.inH * g.inW * g.C, outImg = g.outH * g.outW * g.C;
  maxb_ctx c = {dy, am, dx, inImg, outImg, 0};
  gl_parallel_for_fine(g.batch, grain_rows(inImg + outImg), max_backward_task, &c);
  if (c.bad) {
    napi_throw_range_error(env, NULL, "poolMax2dBackward: an argmax index points outside its image");
    return NULL;
  }
  return undef(env);
}

/* poolAvg2d(x, out, geo) */
static napi_value js_avg(napi_env env, napi_callback_info info) {
  napi_value v[3];
  const char *fn = "poolAvg2d(x, out, geometry): sizes do not match the geometry";
  if (!args(env, info, 3, v, fn)) return NULL;
  size_t nx, no;
  float *x, *out;
  pool_geo g;
  if (!(x = gl_f32(env, v[0], &nx)) || !(out = gl_f32(env, v[1], &no)) || !read_geo(env, v[2], &g, fn)) return NULL;
  if ((int64_t)nx != in_size(&g) || (int64_t)no != out_size(&g)) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  pool_ctx c = {&g, x, out, NULL, NULL, NULL};
  gl_parallel_for_fine(g.batch * g.outH, grain_rows(g.outW * g.C * g.kH * g.kW / 2), avg_task, &c);
  return undef(env);
}

/* poolAvg2dBackward(dy, dx, geo) */
static napi_value js_avg_backward(napi_env env, napi_callback_info info) {
  napi_value v[3];
  const char *fn = "poolAvg2dBackward(dy, dx, geometry): sizes do not match the geometry";
  if (!args(env, info, 3, v, fn)) return NULL;
  size_t ndy, ndx;
  float *dy, *dx;
  pool_geo g;
  if (!(dy = gl_f32(env, v[0], &ndy)) || !(dx = gl_f32(env, v[1], &ndx)) || !read_geo(env, v[2], &g, fn)) return NULL;
  if ((int64_t)ndx != in_size(&g) || (int64_t)ndy != out_size(&g)) {
    napi_throw_range_error(env, NULL, fn);
    return NULL;
  }
  pool_ctx c = {&g, NULL, NULL, NULL, dy, dx};
  if (avg_tiles(&g) && g.outH > 0 && g.outW > 0) {
    gl_parallel_for_fine(g.batch * g.outH, grain_rows(g.kH * g.inW * g.C * 2), avg_backward_tiled_task, &c);
    return undef(env);
  }
  gl_parallel_for_fine(g.batch * g.inH, grain_rows(g.inW * g.C * 2), avg_backward_task, &c);
  return undef(env);
}

void gl_register_pool(napi_env env, napi_value exports) {
  gl_export(env, exports, "poolMax2d", js_max);
  gl_export(env, exports, "poolMax2dBackward", js_max_backward);
  gl_export(env, exports, "poolAvg2d", js_avg);
  gl_export(env, exports, "poolAvg2dBackward", js_avg_backward);
}
