/* conv2d forward, both backward passes and the fused backward, float32, NHWC activations and
 * [kh, kw, in, out] kernels (src/backend/backend.ts).
 *
 * Every pass is a GEMM over rows of pixels: forward y[rows, M] = col(x)[rows, KH*KW*C] . w[K, M];
 * backward input dx[rows, C] = col(dz)[rows, KH*KW*M] . w'[K', C] (a gather: each dx pixel
 * collects the dz pixels that saw it, so rows stay disjoint and can be split over threads);
 * backward filter dw[K, M] = sum over rows of col(x)^T . dz. The pixel rows go in bands whose
 * im2col fits a bounded per-thread scratch (half the L2), so memory stays flat whatever the image
 * size (VGG16 at 224x224 included) and no shape falls off a cliff. A 1x1 stride-1 unpadded
 * convolution is the GEMM on the tensors themselves. On AVX-512 the forward (16+ channels in, 32+
 * filters) and the stride-1 input gradient's gather (16+ filters, 32+ channels) skip im2col:
 * their GEMM reads its rows through a table of pointers (ig_run). The passes split their rows
 * into a fine split's pieces (several per thread, taken by whichever thread is free); the filter
 * gradient sums one partial per piece, folded in piece order: the pieces depend on the sizes and
 * the thread count only, so the bits do too. */
#include "gl.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  int64_t n, h, w, c, oh, ow, m, kh, kw, sh, sw, dh, dw, pt, pl;
} geom_t;

static int is_pointwise(const geom_t *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h && g->ow == g->w;
}

/* im2col scratch, one per thread (pool workers are persistent) */
static __thread float *tl_col;
static __thread size_t tl_col_cap;

static float *col_buffer(size_t n) {
  if (tl_col_cap < n) {
    free(tl_col);
    tl_col = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    tl_col_cap = tl_col ? n : 0;
    if (!tl_col) abort(); /* a band's scratch (about 1 MiB): nothing sensible left to do */
  }
  return tl_col;
}

/* Short runs (a few channels) copy inline: a memcpy call per 1-6 floats costs more than the copy.
 * Macros, with loop-to-memcpy conversion off in their callers, so gcc keeps the loops inline. */
#define copy_f(dst, src, n) do { float *d_ = (dst); const float *s_ = (src); int64_t n_ = (n); \
    if (n_ >= 32) memcpy(d_, s_, sizeof(float) * (size_t)n_); else for (int64_t i_ = 0; i_ < n_; i_++) d_[i_] = s_[i_]; } while (0)
#define zero_f(dst, n) do { float *d_ = (dst); int64_t n_ = (n); \
    if (n_ >= 32) memset(d_, 0, sizeof(float) * (size_t)n_); else for (int64_t i_ = 0; i_ < n_; i_++) d_[i_] = 0; } while (0)
#define GL_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* im2col per thread: half the core's L2 (1 MiB here), so the band stays cached beside B's panels
 * and C; 1 MiB when the OS does not say, at least 256 KiB, at most 2 MiB. On this CPU's 2 MiB L2,
 * 64x32x32x32 -> 32 3x3 forward went from 5.1 to 4.7 ms and conv (b)'s from 9.4 to 8.7 ms
 * against 2 MiB bands (medians of three alternating runs), backward input 3-7%. */
static int64_t band_floats = 1 << 18; /* set once by gl_register_conv, before any conv runs */

static void init_band_floats(void) {
  long l2 = -1;
#ifdef _SC_LEVEL2_CACHE_SIZE
  l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
  int64_t bytes = l2 > 0 ? l2 / 2 : (1 << 20);
  if (bytes < (1 << 18)) bytes = 1 << 18;
  if (bytes > (1 << 21)) bytes = 1 << 21;
  band_floats = bytes / (int64_t)sizeof(float);
}
#define BAND_FLOATS band_floats
/* The filter gradient packs each band's columns once more (transposed, into the GEMM's panels), so
 * its bands are smaller: 256 KiB stays in L2 beside the panels. conv (b)'s filter gradient went
 * from 11.5 to 10.0 ms on 2 threads (23.4 to 19.6 on one) against 2 MiB bands. */
#define BWF_BAND_FLOATS (1 << 16)

/* Number of row bands: each fits the scratch, and (when there is enough work) a multiple of the
 * fine split's pieces so those are even. */
static int64_t band_count_of(int64_t rows, int64_t k, int64_t band_floats) {
  int64_t max_rows = band_floats / (k > 0 ? k : 1);
  if (max_rows < 16) max_rows = 16;
  int64_t nb = (rows + max_rows - 1) / max_rows;
  int64_t t = gl_fine_pieces(rows / 64, 1);
  if (t > 1) nb = (nb + t - 1) / t * t;
  if (nb > rows) nb = rows;
  return nb < 1 ? 1 : nb;
}

static int64_t band_count(int64_t rows, int64_t k) {
  return band_count_of(rows, k, BAND_FLOATS);
}

/* col[r - r0] = the receptive field of output pixel r, (kh, kw, c) order, zeros in the padding */
GL_INLINE_COPIES
static void im2col_x(const geom_t *g, const float *x, int64_t r0, int64_t r1, float *col) {
  const int64_t K = g->kh * g->kw * g->c, C = g->c;
  int64_t n = r0 / (g->oh * g->ow), rem = r0 % (g->oh * g->ow), oh = rem / g->ow, ow = rem % g->ow;
  for (int64_t r = r0; r < r1; r++) {
    float *dst = col + (r - r0) * K;
    int64_t iw0 = ow * g->sw - g->pl;
    int whole_row = g->dw == 1 && iw0 >= 0 && iw0 + g->kw <= g->w; /* KW*C contiguous floats */
    for (int64_t kh = 0; kh < g->kh; kh++, dst += g->kw * C) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      if (ih < 0 || ih >= g->h) {
        zero_f(dst, g->kw * C);
        continue;
      }
      const float *src = x + ((n * g->h + ih) * g->w) * C;
      if (whole_row) {
        copy_f(dst, src + iw0 * C, g->kw * C);
        continue;
      }
      for (int64_t kw = 0; kw < g->kw; kw++) {
        int64_t iw = iw0 + kw * g->dw;
        if (iw < 0 || iw >= g->w) zero_f(dst + kw * C, C);
        else copy_f(dst + kw * C, src + iw * C, C);
      }
    }
    if (++ow == g->ow) {
      ow = 0;
      if (++oh == g->oh) { oh = 0; n++; }
    }
  }
}

/* The same for few channels, one output row segment and one tap at a time: the valid columns of
 * a tap are a range computed once, so each element costs a load and a store, not a bounds test. */
GL_INLINE_COPIES
static void im2col_x_rows(const geom_t *g, const float *x, int64_t r0, int64_t r1, float *col) {
  const int64_t K = g->kh * g->kw * g->c, C = g->c;
  for (int64_t r = r0; r < r1;) {
    int64_t n = r / (g->oh * g->ow), rem = r % (g->oh * g->ow), oh = rem / g->ow, ow0 = rem % g->ow;
    int64_t ow1 = ow0 + (r1 - r) < g->ow ? ow0 + (r1 - r) : g->ow;
    float *base = col + (r - r0) * K - ow0 * K;
    for (int64_t kh = 0; kh < g->kh; kh++) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      int row_ok = ih >= 0 && ih < g->h;
      const float *src = x + ((n * g->h + (row_ok ? ih : 0)) * g->w) * C;
      for (int64_t kw = 0; kw < g->kw; kw++) {
        int64_t t = (kh * g->kw + kw) * C, off = kw * g->dw - g->pl;
        /* iw = ow * sw + off in [0, W) */
        int64_t lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw, hiN = g->w - 1 - off;
        int64_t hi = hiN < 0 ? 0 : hiN / g->sw + 1;
        if (!row_ok) { lo = ow1; hi = ow1; }
        if (lo < ow0) lo = ow0;
        if (hi > ow1) hi = ow1;
        if (lo > hi) lo = hi;
        for (int64_t ow = ow0; ow < lo; ow++) for (int64_t c = 0; c < C; c++) base[ow * K + t + c] = 0;
        if (C == 1) {
          for (int64_t ow = lo; ow < hi; ow++) base[ow * K + t] = src[ow * g->sw + off];
        } else if (C == 3) {
          /* RGB: the three channels as fixed stores, without the inner loop's count and branch */
          for (int64_t ow = lo; ow < hi; ow++) {
            const float *sp = src + (ow * g->sw + off) * 3;
            float *dp = base + ow * K + t;
            dp[0] = sp[0], dp[1] = sp[1], dp[2] = sp[2];
          }
        } else {
          for (int64_t ow = lo; ow < hi; ow++) for (int64_t c = 0; c < C; c++) base[ow * K + t + c] = src[(ow * g->sw + off) * C + c];
        }
        for (int64_t ow = hi; ow < ow1; ow++) for (int64_t c = 0; c < C; c++) base[ow * K + t + c] = 0;
      }
    }
    r += ow1 - ow0;
  }
}

static void im2col(const geom_t *g, const float *x, int64_t r0, int64_t r1, float *col) {
  if (g->c < 4) im2col_x_rows(g, x, r0, r1, col);
  else im2col_x(g, x, r0, r1, col);
}

/* col[r - r0] = for input pixel r, the dz rows of the output pixels whose windows hold it, tap by
 * tap ((kh, kw, m) order), zeros where no output pixel does */
GL_INLINE_COPIES
static void im2col_dz(const geom_t *g, const float *dz, int64_t r0, int64_t r1, float *col) {
  const int64_t M = g->m, K = g->kh * g->kw * M;
  int64_t n = r0 / (g->h * g->w), rem = r0 % (g->h * g->w), ih = rem / g->w, iw = rem % g->w;
  for (int64_t r = r0; r < r1; r++, iw = iw + 1 == g->w ? (ih = ih + 1 == g->h ? (n++, 0) : ih + 1, 0) : iw + 1) {
    float *dst = col + (r - r0) * K;
    for (int64_t kh = 0; kh < g->kh; kh++) {
      int64_t t = ih + g->pt - kh * g->dh;
      int64_t oh = t / g->sh;
      int hv = t >= 0 && t % g->sh == 0 && oh < g->oh;
      for (int64_t kw = 0; kw < g->kw; kw++, dst += M) {
        int64_t u = iw + g->pl - kw * g->dw;
        int64_t ow = u / g->sw;
        if (hv && u >= 0 && u % g->sw == 0 && ow < g->ow) copy_f(dst, dz + ((n * g->oh + oh) * g->ow + ow) * M, M);
        else zero_f(dst, M);
      }
    }
  }
}

/* ---- one input channel (the first layer on grey images): direct kernels, no im2col ---- */
#if defined(__x86_64__)
#include <immintrin.h>
typedef struct {
  const geom_t *g;
  const float *x, *w, *bias;
  float *y;
  int act;
} c1_job;

typedef struct {
  const geom_t *g;
  const float *x, *dz;
  float *dw, *partials;
} c1f_job;

/* The KH input rows output row oh of image n reads, zero-padded to wp (a row outside is zeros). */
static void c1_pad_rows(const geom_t *g, const float *x, int64_t n, int64_t oh, int64_t wp, float *xp) {
  for (int64_t kh = 0; kh < g->kh; kh++) {
    float *d = xp + kh * wp;
    int64_t ih = oh * g->sh - g->pt + kh * g->dh;
    memset(d, 0, sizeof(float) * (size_t)wp);
    if (ih >= 0 && ih < g->h) memcpy(d + g->pl, x + (n * g->h + ih) * g->w, sizeof(float) * (size_t)g->w);
  }
}

#define C1_TARGET __attribute__((target("avx512f")))
#define C1_FWD c1_piece_avx512
#define C1_BWF c1f_piece_avx512
#define VL 16
#define V __m512
#define MASK_T __mmask16
#define MASK(mc) ((__mmask16)((1u << (mc)) - 1))
#define LOADM(p, mk) _mm512_maskz_loadu_ps(mk, p)
#define STOREM(p, mk, v) _mm512_mask_storeu_ps(p, mk, v)
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define MAX _mm512_max_ps
#define ZERO _mm512_setzero_ps
#define LOAD _mm512_loadu_ps
#define STORE _mm512_storeu_ps
#include "conv_c1.h"

#define C1_TARGET __attribute__((target("avx2,fma")))
#define C1_FWD c1_piece_avx2
#define C1_BWF c1f_piece_avx2
#define VL 8
#define V __m256
#define MASK_T __m256i
#define MASK(mc) _mm256_cmpgt_epi32(_mm256_set1_epi32(mc), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define LOADM(p, mk) _mm256_maskload_ps(p, mk)
#define STOREM(p, mk, v) _mm256_maskstore_ps(p, mk, v)
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define MAX _mm256_max_ps
#define ZERO _mm256_setzero_ps
#define LOAD _mm256_loadu_ps
#define STORE _mm256_storeu_ps
#include "conv_c1.h"

/* The filter gradient for few filters on AVX-512: M < 16 filters fill a third of a vector, so
 * P = 16 / M consecutive output pixels share one (their dz values are contiguous, P * M floats)
 * and one permute spreads the P input values of a tap over the matching lanes. Per pixel and tap
 * that is half a load pair and half an FMA where the generic kernel spends a whole one; the
 * lanes are folded per filter at the end, in pixel order. */
__attribute__((target("avx512f")))
static void c1f_packed_avx512(void *ctx, int64_t r0, int64_t r1, int piece) {
  const c1f_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t M = g->m, KW = g->kw, OW = g->ow, T = g->kh * KW, sw = g->sw;
  const int P = (int)(16 / M), PM = P * (int)M;
  const int64_t G = OW / P, rem = OW % P;
  const int64_t wp = g->pl + g->w + (OW * sw + KW * g->dw), tail = P * sw + 16;
  float *acc = piece == 0 ? j->dw : j->partials + (int64_t)(piece - 1) * T * M;
  float *xp = col_buffer((size_t)(g->kh * wp + tail + T * 16));
  float *tacc = xp + g->kh * wp + tail;
  /* whole-vector loads may run past the last padded row: zeros there, never stale values */
  memset(xp + g->kh * wp, 0, sizeof(float) * (size_t)tail);
  memset(tacc, 0, sizeof(float) * (size_t)(T * 16));
  int lanes[16];
  for (int l = 0; l < 16; l++) lanes[l] = l < PM ? (int)((l / M) * sw) : 0;
  const __m512i idx = _mm512_loadu_si512(lanes);
  const __mmask16 mk = (__mmask16)((1u << PM) - 1), mkr = (__mmask16)((1u << (rem * M)) - 1);
  const int64_t ps = P * sw;
#define C1P_TERM(xs, q, m) _mm512_fmadd_ps(_mm512_permutexvar_ps(idx, _mm512_loadu_ps((xs) + (q) * ps)), _mm512_maskz_loadu_ps(m, dzr + (q) * PM)
  for (int64_t row = r0; row < r1; row++) {
    int64_t n = row / g->oh, oh = row % g->oh;
    c1_pad_rows(g, j->x, n, oh, wp, xp);
    const float *dzr = j->dz + row * OW * M;
    /* two taps at a time, four accumulators each: a row holds few groups (14 in LeNet), so with
     * one tap the FMA chains' latency, not the ports, was the bound; an odd last tap alone */
    for (int64_t t = 0; t < T; t += 2) {
      const float *xs = xp + (t / KW) * wp + (t % KW) * g->dw;
      float *ta = tacc + t * 16;
      if (t + 1 == T) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;
        int64_t q = 0;
        for (; q + 2 <= G; q += 2) {
          a0 = C1P_TERM(xs, q, mk), a0);
          a1 = C1P_TERM(xs, q + 1, mk), a1);
        }
        if (q < G) a0 = C1P_TERM(xs, q, mk), a0);
        if (rem) a1 = C1P_TERM(xs, G, mkr), a1);
        _mm512_storeu_ps(ta, _mm512_add_ps(_mm512_loadu_ps(ta), _mm512_add_ps(a0, a1)));
        break;
      }
      const float *xt = xp + ((t + 1) / KW) * wp + ((t + 1) % KW) * g->dw;
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      int64_t q = 0;
      for (; q + 4 <= G; q += 4) {
        a0 = C1P_TERM(xs, q, mk), a0);
        b0 = C1P_TERM(xt, q, mk), b0);
        a1 = C1P_TERM(xs, q + 1, mk), a1);
        b1 = C1P_TERM(xt, q + 1, mk), b1);
        a2 = C1P_TERM(xs, q + 2, mk), a2);
        b2 = C1P_TERM(xt, q + 2, mk), b2);
        a3 = C1P_TERM(xs, q + 3, mk), a3);
        b3 = C1P_TERM(xt, q + 3, mk), b3);
      }
      if (q + 2 <= G) {
        a0 = C1P_TERM(xs, q, mk), a0);
        b0 = C1P_TERM(xt, q, mk), b0);
        a1 = C1P_TERM(xs, q + 1, mk), a1);
        b1 = C1P_TERM(xt, q + 1, mk), b1);
        q += 2;
      }
      if (q < G) {
        a2 = C1P_TERM(xs, q, mk), a2);
        b2 = C1P_TERM(xt, q, mk), b2);
      }
      if (rem) {
        a3 = C1P_TERM(xs, G, mkr), a3);
        b3 = C1P_TERM(xt, G, mkr), b3);
      }
      _mm512_storeu_ps(ta, _mm512_add_ps(_mm512_loadu_ps(ta), _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))));
      _mm512_storeu_ps(ta + 16, _mm512_add_ps(_mm512_loadu_ps(ta + 16), _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3))));
    }
  }
#undef C1P_TERM
  for (int64_t t = 0; t < T; t++)
    for (int64_t c = 0; c < M; c++) {
      float s = 0;
      for (int p = 0; p < P; p++) s += tacc[t * 16 + p * M + c];
      acc[t * M + c] = s;
    }
}

/* ---- one input channel, few filters, stride 1: flat-row kernels (AVX-512) ----
 * With M < 16 filters a vector per output pixel leaves 16 - M lanes idle (10 of 16 in LeNet's
 * first layer). Here an output row is one flat run of OW * M floats (lane L = ow * M + m, y's own
 * layout) and each input row is expanded once to xe[p * M + m] = xpad[p]: tap (kh, kw) then reads
 * xe shifted by kw * dw * M, a plain load, against one of P = M / gcd(M, 16) weight patterns
 * (lane l of chunk q holds filter (16 q + l) % M), so every lane does work. P is 1 or 3 for
 * M in {2, 3, 4, 6, 8, 12}, the shapes taken. Rows go in runs of FL_RUN output rows of one image
 * whose input rows are expanded once into per-thread scratch. */
#define FL_RUN 16
#define FL_NB 12   /* forward: chunks a block keeps in registers (a multiple of 3) */
#define FL_KG 5    /* filter gradient: taps kw a pass accumulates at once */
#define FL_MAXROWS 64

typedef struct {
  const geom_t *g;
  const float *x, *dz;
  float *y, *dw, *partials;
  const float *wpat, *bpat; /* [T][P][16] and [P][16] (forward) */
  /* the filter gradient from dy and the activation's output y (dz = dy * act'(y), made per run in
   * scratch), with dbias partials per piece (M floats each) when dbparts is set */
  const float *dy, *yact;
  float *dbparts;
  int act, P;
  int64_t nch, xeLen;       /* chunks of an output row; floats of an expanded input row */
} fl_job;

/* The lanes of 16 padded pixels from px that lie in the row (pixels [pl, pl + w)). */
static inline __mmask16 fl_valid(int64_t px, int64_t pl, int64_t w) {
  int64_t lo = pl - px, hi = pl + w - px; /* valid lanes: [lo, hi) */
  if (lo < 0) lo = 0;
  if (hi > 16) hi = 16;
  if (hi <= lo) return 0;
  return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

static int fl_patterns(int64_t m) { return m == 2 || m == 4 || m == 8 ? 1 : m == 3 || m == 6 || m == 12 ? 3 : 0; }

static int64_t fl_xe_len(const geom_t *g, int64_t nch) {
  /* the forward computes whole blocks of FL_NB chunks; reads reach (KW - 1) * dw * M beyond */
  int64_t reach = ((nch + FL_NB - 1) / FL_NB) * FL_NB * 16 + (g->kw - 1) * g->dw * g->m;
  return (reach + 16 + 47) / 48 * 48; /* whole groups of three chunks, as fl_expand_run writes them */
}

/* Output rows a run takes: a whole image when its input rows fit 64 KiB of scratch (each is then
 * expanded once), else FL_RUN. */
static int64_t fl_run(const geom_t *g, int64_t xeLen) {
  const int64_t whole = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1;
  return whole <= FL_MAXROWS && whole * xeLen <= 16384 ? g->oh : FL_RUN;
}

/* Input rows a run reads, at most. */
static int64_t fl_run_rows(const geom_t *g, int64_t xeLen) { return (fl_run(g, xeLen) - 1) * g->sh + (g->kh - 1) * g->dh + 1; }

static int fl_takes(const geom_t *g) {
  if (gl_cpu_level() != 2 || g->c != 1 || g->sw != 1 || !fl_patterns(g->m)) return 0;
  const int64_t xeLen = fl_xe_len(g, (g->ow * g->m + 15) / 16);
  return fl_run_rows(g, xeLen) <= FL_MAXROWS && fl_run_rows(g, xeLen) * xeLen < (1 << 22);
}

/* Expands the input rows output rows [oa, ob) of image n read into buf (one xeLen run each) and
 * points rows[i] at input row oa * sh - pt + i, or NULL where that row is padding. Chunk q of a
 * run is the padded row from pixel 16 q / M on, permuted by the pattern of q % P: read from x
 * with a masked load (zeros in the padding; masked lanes never fault), no padded copy (whose
 * fresh stores the unaligned loads could not forward from). */
__attribute__((target("avx512f")))
static void fl_expand_run(const fl_job *j, int64_t n, int64_t oa, int64_t ob, float *buf, const float **rows) {
  const geom_t *g = j->g;
  const int64_t M = g->m, xeLen = j->xeLen, count = (ob - 1 - oa) * g->sh + (g->kh - 1) * g->dh + 1;
  const int P = j->P;
  int lanes[3][16];
  for (int p = 0; p < P; p++)
    for (int l = 0; l < 16; l++) lanes[p][l] = (int)((16 * p + l) / M - (16 * p) / M);
  const __m512i idx0 = _mm512_loadu_si512(lanes[0]);
  const __m512i idx1 = P > 1 ? _mm512_loadu_si512(lanes[1]) : idx0, idx2 = P > 2 ? _mm512_loadu_si512(lanes[2]) : idx0;
  const int64_t off1 = 16 / M, off2 = 32 / M, stepP = 16 * P / M;
#define FL_SRC(px) ((px) >= g->pl && (px) + 16 <= g->pl + g->w ? _mm512_loadu_ps(xr + (px) - g->pl) \
    : _mm512_maskz_loadu_ps(fl_valid(px, g->pl, g->w), xr + (px) - g->pl))
  for (int64_t i = 0; i < count; i++) {
    const int64_t ih = oa * g->sh - g->pt + i;
    if (ih < 0 || ih >= g->h) { rows[i] = NULL; continue; }
    const float *xr = j->x + (n * g->h + ih) * g->w;
    float *xe = buf + i * xeLen;
    int64_t px = 0; /* the padded pixel chunk q starts at */
    for (int64_t q = 0; q < xeLen / 16; q += P, px += stepP, xe += 16 * P) {
      _mm512_storeu_ps(xe, _mm512_permutexvar_ps(idx0, FL_SRC(px)));
      if (P > 1) {
        _mm512_storeu_ps(xe + 16, _mm512_permutexvar_ps(idx1, FL_SRC(px + off1)));
        _mm512_storeu_ps(xe + 32, _mm512_permutexvar_ps(idx2, FL_SRC(px + off2)));
      }
    }
    rows[i] = buf + i * xeLen;
  }
#undef FL_SRC
}

/* One block of NB chunks (12, 6 or 3, a constant after inlining) from chunk q0 (a multiple of 3)
 * of an output row; the first nstore are stored (a short last block computes a few chunks past the
 * row's end from the scratch's slack rather than branching per FMA). */
__attribute__((target("avx512f"), always_inline))
static inline void fl_forward_block(const fl_job *j, const float *const *rows, int64_t base, int64_t q0, const int NB,
  int64_t nstore, float *yrow, const int P) {
  const geom_t *g = j->g;
  const int64_t KW = g->kw, step = g->dw * g->m, L = g->ow * g->m;
  __m512 a[FL_NB];
  for (int i = 0; i < NB; i++) a[i] = _mm512_loadu_ps(j->bpat + (i % P) * 16);
  for (int64_t kh = 0; kh < g->kh; kh++) {
    const float *e = rows[base + kh * g->dh];
    if (!e) continue;
    e += q0 * 16;
    const float *wt = j->wpat + kh * KW * P * 16;
    for (int64_t kw = 0; kw < KW; kw++, e += step, wt += P * 16) {
      const __m512 w0 = _mm512_loadu_ps(wt), w1 = P > 1 ? _mm512_loadu_ps(wt + 16) : w0, w2 = P > 2 ? _mm512_loadu_ps(wt + 32) : w0;
      for (int i = 0; i < NB; i++) a[i] = _mm512_fmadd_ps(_mm512_loadu_ps(e + 16 * i), i % P == 0 ? w0 : i % P == 1 ? w1 : w2, a[i]);
    }
  }
  const __m512 z = _mm512_setzero_ps();
  for (int i = 0; i < NB && i < nstore; i++) {
    const int64_t lane = (q0 + i) * 16;
    __m512 v = j->act == GL_ACT_RELU ? _mm512_max_ps(a[i], z) : a[i];
    if (lane + 16 <= L) _mm512_storeu_ps(yrow + lane, v);
    else _mm512_mask_storeu_ps(yrow + lane, (__mmask16)((1u << (L - lane)) - 1), v);
  }
}

__attribute__((target("avx512f"), always_inline))
static inline void fl_forward_rows(const fl_job *j, const float *const *rows, int64_t n, int64_t oa, int64_t ob, const int P) {
  const geom_t *g = j->g;
  const int64_t nch = j->nch;
  for (int64_t oh = oa; oh < ob; oh++) {
    float *yrow = j->y + (n * g->oh + oh) * g->ow * g->m;
    const int64_t base = (oh - oa) * g->sh;
    int64_t q0 = 0;
    for (; q0 + FL_NB <= nch; q0 += FL_NB) fl_forward_block(j, rows, base, q0, FL_NB, FL_NB, yrow, P);
    /* the rest: 12 (10 or 11 left), else 6 and/or 3 */
    if (nch - q0 > 9) fl_forward_block(j, rows, base, q0, FL_NB, nch - q0, yrow, P), q0 = nch;
    if (nch - q0 > 3) fl_forward_block(j, rows, base, q0, 6, nch - q0, yrow, P), q0 += 6;
    if (q0 < nch) fl_forward_block(j, rows, base, q0, 3, nch - q0, yrow, P);
    if (j->act >= GL_ACT_SIGMOID) gl_epilogue_rows(yrow, g->ow, g->m, g->m, NULL, j->act);
  }
}

/* One run of output rows starting at row oa: at most fl_run rows, within the image and the piece. */
static int64_t fl_run_end(const fl_job *j, int64_t oa, int64_t rowsLeft) {
  int64_t ob = oa + fl_run(j->g, j->xeLen);
  if (ob > j->g->oh) ob = j->g->oh;
  if (ob - oa > rowsLeft) ob = oa + rowsLeft;
  return ob;
}

__attribute__((target("avx512f")))
static void fl_forward_piece(void *ctx, int64_t r0, int64_t r1, int thread) {
  const fl_job *j = ctx;
  const geom_t *g = j->g;
  float *buf = col_buffer((size_t)(fl_run_rows(g, j->xeLen) * j->xeLen));
  const float *rows[FL_MAXROWS];
  for (int64_t r = r0; r < r1;) {
    const int64_t n = r / g->oh, oa = r % g->oh;
    const int64_t ob = fl_run_end(j, oa, r1 - r);
    fl_expand_run(j, n, oa, ob, buf, rows);
    if (j->P == 1) fl_forward_rows(j, rows, n, oa, ob, 1);
    else fl_forward_rows(j, rows, n, oa, ob, 3);
    r += ob - oa;
  }
}

/* dw's patterns: acc[t][u][16] += over the rows of the run, tap t = (kh, kw), chunk q in set u
 * (q % U; pattern u % P). U = 3 sets for P = 3, 2 for P = 1 (two chains per tap hide the FMA
 * latency). One pass holds FL_KG taps x U sets in registers. */
__attribute__((target("avx512f"), always_inline))
static inline void fl_filter_rows(const fl_job *j, const float *const *rows, const float *dzrun, int64_t oa, int64_t ob, float *acc, const int P) {
  const geom_t *g = j->g;
  const int U = P == 1 ? 2 : 3;
  const int64_t KW = g->kw, step = g->dw * g->m, L = g->ow * g->m, nch = j->nch;
  const int64_t full = L / 16; /* chunks without a tail */
  for (int64_t kh = 0; kh < g->kh; kh++)
    for (int64_t kw0 = 0; kw0 < KW; kw0 += FL_KG) {
      const int kg = (int)(KW - kw0 < FL_KG ? KW - kw0 : FL_KG);
      __m512 a[FL_KG][3];
      for (int k = 0; k < FL_KG; k++) for (int u = 0; u < 3; u++) a[k][u] = _mm512_setzero_ps();
      for (int64_t oh = oa; oh < ob; oh++) {
        const float *e = rows[(oh - oa) * g->sh + kh * g->dh];
        if (!e) continue;
        e += kw0 * step;
        const float *d = dzrun + (oh - oa) * L;
        int64_t q = 0;
        for (; q + U <= full; q += U)
          for (int u = 0; u < U; u++) {
            const __m512 dv = _mm512_loadu_ps(d + 16 * (q + u));
            for (int k = 0; k < FL_KG; k++)
              if (k < kg) a[k][u] = _mm512_fmadd_ps(_mm512_loadu_ps(e + 16 * (q + u) + k * step), dv, a[k][u]);
          }
        for (int u = 0; u < U && q + u < nch; u++) {
          const int64_t lane = 16 * (q + u);
          const __mmask16 mk = lane + 16 <= L ? (__mmask16)0xFFFF : (__mmask16)((1u << (L - lane)) - 1);
          const __m512 dv = _mm512_maskz_loadu_ps(mk, d + lane);
          for (int k = 0; k < FL_KG; k++)
            if (k < kg) a[k][u] = _mm512_fmadd_ps(_mm512_loadu_ps(e + lane + k * step), dv, a[k][u]);
        }
      }
      for (int k = 0; k < kg; k++)
        for (int u = 0; u < U; u++) {
          float *ta = acc + ((kh * KW + kw0 + k) * 3 + u) * 16;
          _mm512_storeu_ps(ta, _mm512_add_ps(_mm512_loadu_ps(ta), a[k][u]));
        }
    }
}

/* dz = dy * act'(y) for output rows [oa, ob) of image n (one flat run) into dzs, the products
 * rounded as the unfused pass (dz_run) rounds them; adds the run to the dbias patterns (set u
 * holds the chunks q with q % 3 == u, pattern u % P). Returns dzs. */
__attribute__((target("avx512f")))
static const float *fl_dz_run(const fl_job *j, int64_t n, int64_t oa, int64_t ob, float *dzs, float *dbacc) {
  const geom_t *g = j->g;
  const int64_t len = (ob - oa) * g->ow * g->m, off = (n * g->oh + oa) * g->ow * g->m;
  const float *dy = j->dy + off, *y = j->yact ? j->yact + off : NULL;
  const __m512 one = _mm512_set1_ps(1.0f), z = _mm512_setzero_ps();
  __m512 b[3] = {z, z, z};
  for (int64_t c = 0, i = 0; i < len; c++, i += 16) {
    const __mmask16 mk = i + 16 <= len ? (__mmask16)0xFFFF : (__mmask16)((1u << (len - i)) - 1);
    __m512 d = _mm512_maskz_loadu_ps(mk, dy + i);
    if (j->act != GL_ACT_LINEAR) {
      const __m512 u = _mm512_maskz_loadu_ps(mk, y + i);
      if (j->act == GL_ACT_RELU) d = _mm512_mul_ps(d, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(u, z, _CMP_GT_OQ), one));
      else if (j->act == GL_ACT_SIGMOID) d = _mm512_mul_ps(d, _mm512_mul_ps(u, _mm512_sub_ps(one, u)));
      else d = _mm512_mul_ps(d, _mm512_sub_ps(one, _mm512_mul_ps(u, u)));
    }
    _mm512_storeu_ps(dzs + i, d);
    b[c % 3] = _mm512_add_ps(b[c % 3], d);
  }
  for (int u = 0; u < 3; u++) _mm512_storeu_ps(dbacc + u * 16, _mm512_add_ps(_mm512_loadu_ps(dbacc + u * 16), b[u]));
  return dzs;
}

__attribute__((target("avx512f")))
static void fl_filter_piece(void *ctx, int64_t r0, int64_t r1, int piece) {
  const fl_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t M = g->m, T = g->kh * g->kw;
  const int64_t scratch = fl_run_rows(g, j->xeLen) * j->xeLen, dzLen = j->dz ? 0 : fl_run(g, j->xeLen) * g->ow * M + 16;
  float *buf = col_buffer((size_t)(scratch + T * 48 + 48 + dzLen));
  float *tacc = buf + scratch, *dbacc = tacc + T * 48, *dzs = dbacc + 48;
  memset(tacc, 0, sizeof(float) * (size_t)(T * 48 + 48));
  const float *rows[FL_MAXROWS];
  for (int64_t r = r0; r < r1;) {
    const int64_t n = r / g->oh, oa = r % g->oh;
    const int64_t ob = fl_run_end(j, oa, r1 - r);
    fl_expand_run(j, n, oa, ob, buf, rows);
    const float *dzrun = j->dz ? j->dz + (n * g->oh + oa) * g->ow * M : fl_dz_run(j, n, oa, ob, dzs, dbacc);
    if (j->P == 1) fl_filter_rows(j, rows, dzrun, oa, ob, tacc, 1);
    else fl_filter_rows(j, rows, dzrun, oa, ob, tacc, 3);
    r += ob - oa;
  }
  /* fold: set u holds pattern u % P, whose lane l is filter (16 (u % P) + l) % M; sets in order */
  float *out = piece == 0 ? j->dw : j->partials + (int64_t)(piece - 1) * T * M;
  for (int64_t t = 0; t < T; t++) {
    float s[16] = {0};
    for (int u = 0; u < 3; u++)
      for (int l = 0; l < 16; l++) s[(16 * (u % j->P) + l) % M] += tacc[(t * 3 + u) * 16 + l];
    for (int64_t m = 0; m < M; m++) out[t * M + m] = s[m];
  }
  if (j->dbparts) {
    float s[16] = {0};
    for (int u = 0; u < 3; u++)
      for (int l = 0; l < 16; l++) s[(16 * (u % j->P) + l) % M] += dbacc[u * 16 + l];
    for (int64_t m = 0; m < M; m++) j->dbparts[piece * M + m] = s[m];
  }
}

/* The job with its patterns (wpat: T * P * 16 floats, bpat: P * 16, in `pat`). */
static fl_job fl_make(const geom_t *g, const float *x, const float *w, const float *bias, float *pat) {
  const int P = fl_patterns(g->m);
  const int64_t T = g->kh * g->kw, M = g->m, nch = (g->ow * M + 15) / 16;
  fl_job j = {g, x, NULL, NULL, NULL, NULL, pat, pat + T * P * 16, NULL, NULL, NULL, 0, P, nch, fl_xe_len(g, nch)};
  if (w)
    for (int64_t t = 0; t < T; t++)
      for (int p = 0; p < P; p++)
        for (int l = 0; l < 16; l++) pat[(t * P + p) * 16 + l] = w[t * M + (16 * p + l) % M];
  for (int p = 0; p < P; p++)
    for (int l = 0; l < 16; l++) pat[T * P * 16 + p * 16 + l] = bias ? bias[(16 * p + l) % M] : 0;
  return j;
}

/* The flat-row kernels' entry points: whether they took the call. */
static int fl_forward(const geom_t *g, const float *x, const float *w, float *y, const float *bias, int act) {
  if (!fl_takes(g)) return 0;
  float *pat = malloc(sizeof(float) * (size_t)((g->kh * g->kw + 1) * 48));
  if (!pat) abort();
  fl_job j = fl_make(g, x, w, bias, pat);
  j.y = y;
  j.act = act;
  gl_parallel_for_fine(g->n * g->oh, 4, fl_forward_piece, &j);
  free(pat);
  return 1;
}

/* dw from dz, or (dz NULL) from dy and the activation's output y with dz = dy * act'(y) made
 * run by run, and then dbias too when given (the fused backward of a first layer, which needs no
 * input gradient: no dz pass over memory). */
static int fl_filter(const geom_t *g, const float *x, const float *dz, const float *dy, const float *y, int act, float *dw, float *dbias) {
  if (!fl_takes(g) || act >= GL_ACT_COUNT) return 0;
  const int64_t K = g->kh * g->kw, M = g->m, prow = g->n * g->oh;
  float *pat = malloc(sizeof(float) * (size_t)((K + 1) * 48));
  if (!pat) abort();
  fl_job j = fl_make(g, x, NULL, NULL, pat);
  j.dz = dz;
  j.dy = dy;
  j.yact = y;
  j.act = act;
  j.dw = dw;
  int64_t pieces = gl_fine_pieces(prow, 4);
  if (pieces > 1) {
    j.partials = calloc((size_t)((pieces - 1) * K * M), sizeof(float));
    if (!j.partials) abort();
  }
  if (!dz && dbias) {
    j.dbparts = calloc((size_t)(pieces * M), sizeof(float));
    if (!j.dbparts) abort();
  }
  pieces = gl_parallel_for_fine(prow, 4, fl_filter_piece, &j);
  for (int64_t p = 1; p < pieces; p++)
    for (int64_t i = 0; i < K * M; i++) dw[i] += j.partials[(p - 1) * K * M + i];
  if (j.dbparts) {
    memset(dbias, 0, sizeof(float) * (size_t)M);
    for (int64_t p = 0; p < pieces; p++)
      for (int64_t i = 0; i < M; i++) dbias[i] += j.dbparts[p * M + i];
  }
  free(j.dbparts);
  free(j.partials);
  free(pat);
  return 1;
}

/* ---- forward and stride-1 input gradient by indirect GEMM (AVX-512) ----
 * The im2col GEMM writes and rereads KH*KW copies of x: 22% of a 64x32x32x32 -> 32 3x3 forward
 * went to those copies. Here a 12x32 tile of pixels x output channels reads its A rows straight
 * from x (or dz) through a table of pointers, one per pixel and tap (XNNPACK's indirection
 * buffer), with taps outside the image pointing at zeros; all taps accumulate in registers and C
 * is written once, with bias and relu. B is packed once per call into 32-wide column panels. */
#define IG_MR 12
#define IG_ZEROS 4096
#define IG_TAPS 128 /* up to 11x11: the pointer table is 12 KiB of stack */
static const float ig_zeros[IG_ZEROS] __attribute__((aligned(64)));

/* One pass: y[rows, nout] = the rows' taps (pointers into src, kin floats each) . B[T * kin, nout].
 * The forward's rows are output pixels reading x; the input gradient's are input pixels reading
 * the dz pixels whose windows hold them (the gather of im2col_dz, with w transposed as B). */
typedef struct {
  const geom_t *g;
  const float *src, *bp, *bias;
  float *y;
  int act, gather;
  int64_t kin, nout, rows, groups;
} ig_job;

__attribute__((target("avx512f")))
static void ig_tile(int64_t T, int64_t C, const float *const *ap, const float *b, float *c, int64_t ldc, int rows,
  __mmask16 m0, __mmask16 m1, const float *bias, int relu) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
         c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00,
         c90 = c00, c91 = c00, cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;
  for (int64_t t = 0; t < T; t++, ap += IG_MR) {
    const float *a0 = ap[0], *a1 = ap[1], *a2 = ap[2], *a3 = ap[3], *a4 = ap[4], *a5 = ap[5],
                *a6 = ap[6], *a7 = ap[7], *a8 = ap[8], *a9 = ap[9], *aA = ap[10], *aB = ap[11];
    for (int64_t p = 0; p < C; p++) {
      __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), av;
#define R2(r) av = _mm512_set1_ps(a##r[p]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
      c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);
      R2(0) R2(1) R2(2) R2(3) R2(4) R2(5) R2(6) R2(7) R2(8) R2(9) R2(A) R2(B)
#undef R2
      b += 32;
    }
  }
  __m512 z = _mm512_setzero_ps();
  __m512 bb0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : z, bb1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : z;
#define S2(r, i) if (i < rows) { float *cr = c + i * ldc; __m512 v0 = _mm512_add_ps(c##r##0, bb0), v1 = _mm512_add_ps(c##r##1, bb1); \
    if (relu) { v0 = _mm512_max_ps(v0, z); v1 = _mm512_max_ps(v1, z); } \
    _mm512_mask_storeu_ps(cr, m0, v0); _mm512_mask_storeu_ps(cr + 16, m1, v1); }
  S2(0, 0) S2(1, 1) S2(2, 2) S2(3, 3) S2(4, 4) S2(5, 5) S2(6, 6) S2(7, 7) S2(8, 8) S2(9, 9) S2(A, 10) S2(B, 11)
#undef S2
}

static void ig_piece(void *ctx, int64_t g0, int64_t g1, int thread) {
  const ig_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t T = g->kh * g->kw, kin = j->kin, nout = j->nout, K = T * kin;
  const int64_t plane = j->gather ? g->h * g->w : g->oh * g->ow, pw = j->gather ? g->w : g->ow;
  const float *ptr[IG_MR * IG_TAPS];
  for (int64_t grp = g0; grp < g1; grp++) {
    const int64_t r0 = grp * IG_MR, nr = j->rows - r0 < IG_MR ? j->rows - r0 : IG_MR;
    for (int64_t i = 0; i < IG_MR; i++) {
      /* rows past the end repeat the first: computed, never stored */
      const int64_t r = r0 + (i < nr ? i : 0), n = r / plane, ph = r % plane / pw, pc = r % pw;
      for (int64_t kh = 0; kh < g->kh; kh++)
        for (int64_t kw = 0; kw < g->kw; kw++) {
          const float *p = ig_zeros;
          if (!j->gather) {
            const int64_t ih = ph * g->sh - g->pt + kh * g->dh, iw = pc * g->sw - g->pl + kw * g->dw;
            if (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w) p = j->src + ((n * g->h + ih) * g->w + iw) * kin;
          } else {
            /* stride 1 only (conv_backprop_input): the dz pixel is the shifted one, no division */
            const int64_t oh = ph + g->pt - kh * g->dh, ow = pc + g->pl - kw * g->dw;
            if (oh >= 0 && oh < g->oh && ow >= 0 && ow < g->ow) p = j->src + ((n * g->oh + oh) * g->ow + ow) * kin;
          }
          ptr[(kh * g->kw + kw) * IG_MR + i] = p;
        }
    }
    for (int64_t j0 = 0; j0 < nout; j0 += 32) {
      const int64_t w = nout - j0 < 32 ? nout - j0 : 32;
      const __mmask16 m0 = (__mmask16)(w >= 16 ? 0xFFFF : (1u << w) - 1);
      const __mmask16 m1 = (__mmask16)(w >= 32 ? 0xFFFF : w > 16 ? (1u << (w - 16)) - 1 : 0);
      ig_tile(T, kin, ptr, j->bp + j0 * K, j->y + r0 * nout + j0, nout, (int)nr, m0, m1,
        j->bias ? j->bias + j0 : NULL, j->act == GL_ACT_RELU);
    }
    if (j->act > GL_ACT_RELU) gl_epilogue_rows(j->y + r0 * nout, nr, nout, nout, NULL, j->act);
  }
}

/* Whether the indirect GEMM takes a pass reading kin channels per tap into nout columns:
 * AVX-512, channels enough to fill the k loop, columns enough to fill the tile, zeros enough for
 * a tap in the padding, a pointer table that fits the stack. */
static int ig_takes(const geom_t *g, int64_t kin, int64_t nout) {
  return gl_cpu_level() == 2 && kin >= 16 && kin <= IG_ZEROS && nout >= 32 && g->kh * g->kw <= IG_TAPS;
}

/* B's row t * kin + i, column l is w[t * C * M + i * wrs + l * wcs] (the forward: i a channel, l a
 * filter; the input gradient: i a filter, l a channel, w read transposed in place): packed into
 * 32-wide panels, zeros past nout */
static void ig_run(const geom_t *g, int gather, const float *src, int64_t kin, int64_t nout, const float *w,
  int64_t wrs, int64_t wcs, float *y, const float *bias, int act) {
  const int64_t K = g->kh * g->kw * kin, panels = (nout + 31) / 32;
  const int64_t rows = gather ? g->n * g->h * g->w : g->n * g->oh * g->ow;
  float *bp = aligned_alloc(64, ((size_t)(panels * K * 32) * sizeof(float) + 63) & ~(size_t)63);
  if (!bp) abort();
  for (int64_t pnl = 0; pnl < panels; pnl++)
    for (int64_t k = 0; k < K; k++) {
      float *d = bp + (pnl * K + k) * 32;
      const float *wk = w + k / kin * g->c * g->m + k % kin * wrs;
      for (int64_t l = 0; l < 32; l++) d[l] = pnl * 32 + l < nout ? wk[(pnl * 32 + l) * wcs] : 0;
    }
  ig_job j = {g, src, bp, bias, y, act, gather, kin, nout, rows, (rows + IG_MR - 1) / IG_MR};
  gl_parallel_for_fine(j.groups, 8, ig_piece, &j);
  free(bp);
}

/* The direct kernels for this CPU, or NULL (portable build, or no AVX2): im2col then. */
static gl_task_fn c1_forward_kernel(void) {
  int l = gl_cpu_level();
  return l == 2 ? c1_piece_avx512 : l == 1 ? c1_piece_avx2 : NULL;
}
static gl_task_fn c1_filter_kernel(void) {
  int l = gl_cpu_level();
  return l == 2 ? c1f_piece_avx512 : l == 1 ? c1f_piece_avx2 : NULL;
}
#endif

/* ---- one output channel (a regression, mask or reconstruction head): direct kernels ----
 * An im2col GEMM with a single column keeps one lane of sixteen busy (8 GFLOP/s for a 28x28x16 -> 1
 * 3x3 conv, 2 ms a step of a small autoencoder). Here each pass is a multiply-add per tap over the
 * C contiguous input channels, which the compiler vectorizes: the forward sums per-channel partials
 * over the taps and then over the channels; the filter gradient adds dz times each tap's input row
 * into one partial per piece (folded in piece order); the input gradient scatters dz times each
 * tap's weights into dx, one image per piece. */
#define M1_CHUNK 256

typedef struct {
  const geom_t *g;
  const float *x, *w, *dz, *bias;
  float *y, *dx, *dw, *partials;
  int act;
} m1_job;

GL_CLONES static void m1_forward_rows(const m1_job *j, int64_t r0, int64_t r1) {
  const geom_t *g = j->g;
  const int64_t C = g->c;
  float part[M1_CHUNK];
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / g->oh, oh = r % g->oh;
    float *yrow = j->y + r * g->ow;
    for (int64_t ow = 0; ow < g->ow; ow++) {
      float sum = 0;
      for (int64_t c0 = 0; c0 < C; c0 += M1_CHUNK) {
        const int64_t cn = C - c0 < M1_CHUNK ? C - c0 : M1_CHUNK;
        for (int64_t c = 0; c < cn; c++) part[c] = 0;
        for (int64_t kh = 0; kh < g->kh; kh++) {
          const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
          if (ih < 0 || ih >= g->h) continue;
          for (int64_t kw = 0; kw < g->kw; kw++) {
            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
            if (iw < 0 || iw >= g->w) continue;
            const float *restrict xr = j->x + ((n * g->h + ih) * g->w + iw) * C + c0;
            const float *restrict wr = j->w + (kh * g->kw + kw) * C + c0;
            for (int64_t c = 0; c < cn; c++) part[c] += xr[c] * wr[c];
          }
        }
        for (int64_t c = 0; c < cn; c++) sum += part[c];
      }
      yrow[ow] = sum;
    }
    if (j->bias || j->act) gl_epilogue_rows(yrow, g->ow, 1, 1, j->bias, j->act);
  }
}

static void m1_forward_piece(void *ctx, int64_t r0, int64_t r1, int thread) {
  (void)thread;
  m1_forward_rows(ctx, r0, r1);
}

GL_CLONES static void m1_filter_rows(const m1_job *j, int64_t r0, int64_t r1, float *restrict acc) {
  const geom_t *g = j->g;
  const int64_t C = g->c;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / g->oh, oh = r % g->oh;
    for (int64_t ow = 0; ow < g->ow; ow++) {
      const float d = j->dz[r * g->ow + ow];
      for (int64_t kh = 0; kh < g->kh; kh++) {
        const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
        if (ih < 0 || ih >= g->h) continue;
        for (int64_t kw = 0; kw < g->kw; kw++) {
          const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
          if (iw < 0 || iw >= g->w) continue;
          const float *restrict xr = j->x + ((n * g->h + ih) * g->w + iw) * C;
          float *restrict a = acc + (kh * g->kw + kw) * C;
          for (int64_t c = 0; c < C; c++) a[c] += d * xr[c];
        }
      }
    }
  }
}

static void m1_filter_piece(void *ctx, int64_t r0, int64_t r1, int piece) {
  const m1_job *j = ctx;
  const int64_t K = j->g->kh * j->g->kw * j->g->c;
  m1_filter_rows(j, r0, r1, piece == 0 ? j->dw : j->partials + (int64_t)(piece - 1) * K);
}

GL_CLONES static void m1_input_images(const m1_job *j, int64_t n0, int64_t n1) {
  const geom_t *g = j->g;
  const int64_t C = g->c;
  for (int64_t n = n0; n < n1; n++) {
    float *dxi = j->dx + n * g->h * g->w * C;
    memset(dxi, 0, sizeof(float) * (size_t)(g->h * g->w * C));
    for (int64_t oh = 0; oh < g->oh; oh++) {
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const float d = j->dz[(n * g->oh + oh) * g->ow + ow];
        for (int64_t kh = 0; kh < g->kh; kh++) {
          const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
          if (ih < 0 || ih >= g->h) continue;
          for (int64_t kw = 0; kw < g->kw; kw++) {
            const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
            if (iw < 0 || iw >= g->w) continue;
            float *restrict o = dxi + (ih * g->w + iw) * C;
            const float *restrict wr = j->w + (kh * g->kw + kw) * C;
            for (int64_t c = 0; c < C; c++) o[c] += d * wr[c];
          }
        }
      }
    }
    if (j->bias || j->act) gl_epilogue_rows(dxi, g->h * g->w, C, C, j->bias, j->act);
  }
}

static void m1_input_piece(void *ctx, int64_t n0, int64_t n1, int thread) {
  (void)thread;
  m1_input_images(ctx, n0, n1);
}

/* ---- forward ---- */
typedef struct {
  const geom_t *g;
  const float *x, *w, *bias;
  float *y;
  int act;
  int64_t rows, bands;
} fwd_job;

static void fwd_piece(void *ctx, int64_t b0, int64_t b1, int thread) {
  const fwd_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t K = g->kh * g->kw * g->c;
  for (int64_t b = b0; b < b1; b++) {
    int64_t r0 = j->rows * b / j->bands, r1 = j->rows * (b + 1) / j->bands;
    float *col = col_buffer((size_t)((r1 - r0) * K));
    im2col(g, j->x, r0, r1, col);
    gl_sgemm_serial(r1 - r0, g->m, K, col, K, 1, j->w, g->m, 1, j->y + r0 * g->m, g->m, 0, j->bias, j->act);
  }
}

static void conv_forward(const geom_t *g, const float *x, const float *w, float *y, const float *bias, int act) {
  const int64_t rows = g->n * g->oh * g->ow, K = g->kh * g->kw * g->c;
  if (rows == 0 || g->m == 0) return;
  if (g->m == 1) {
    m1_job mj = {g, x, w, NULL, bias, y, NULL, NULL, NULL, act};
    gl_parallel_for_fine(g->n * g->oh, 4, m1_forward_piece, &mj);
    return;
  }
  if (is_pointwise(g)) {
    gl_sgemm(rows, g->m, g->c, x, g->c, 1, w, g->m, 1, y, g->m, 0, bias, act);
    return;
  }
#if defined(__x86_64__)
  if (fl_forward(g, x, w, y, bias, act)) return;
  if (g->c == 1 && g->m <= 32 && c1_forward_kernel() && g->kh * (g->pl + g->w + g->ow * g->sw + g->kw * g->dw) < (1 << 20)) {
    c1_job cj = {g, x, w, bias, y, act};
    gl_parallel_for_fine(g->n * g->oh, 4, c1_forward_kernel(), &cj);
    return;
  }
  if (ig_takes(g, g->c, g->m)) {
    ig_run(g, 0, x, g->c, g->m, w, g->m, 1, y, bias, act);
    return;
  }
#endif
  fwd_job j = {g, x, w, bias, y, act, rows, band_count(rows, K)};
  gl_parallel_for_fine(j.bands, 1, fwd_piece, &j);
}

/* ---- backward input ---- */
typedef struct {
  const geom_t *g;
  const float *dz, *wt, *bias;
  float *dx;
  int act;
  int64_t rows, bands;
} bwi_job;

static void bwi_piece(void *ctx, int64_t b0, int64_t b1, int thread) {
  const bwi_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t K = g->kh * g->kw * g->m;
  for (int64_t b = b0; b < b1; b++) {
    int64_t r0 = j->rows * b / j->bands, r1 = j->rows * (b + 1) / j->bands;
    float *col = col_buffer((size_t)((r1 - r0) * K));
    im2col_dz(g, j->dz, r0, r1, col);
    gl_sgemm_serial(r1 - r0, g->c, K, col, K, 1, j->wt, g->c, 1, j->dx + r0 * g->c, g->c, 0, j->bias, j->act);
  }
}

/* Backward input by col2im, one image per piece: dcol[rows, K] = dz[rows, M] . w^T, then each
 * row's taps added into dx in a fixed order. Wins over the gather when the gather's GEMM would be
 * narrow (few input channels) or mostly zeros (stride > 1), as long as there are images enough
 * to share among the threads. */
typedef struct {
  const geom_t *g;
  const float *dz, *w, *bias; /* w transposed: [M, K] */
  float *dx;
  int act;
} col2im_job;

static void col2im_piece(void *ctx, int64_t i0, int64_t i1, int thread) {
  const col2im_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t C = g->c, M = g->m, K = g->kh * g->kw * C, rows = g->oh * g->ow, img = g->h * g->w * C;
  int64_t max_rows = BAND_FLOATS / (K > 0 ? K : 1);
  if (max_rows < 16) max_rows = 16;
  for (int64_t n = i0; n < i1; n++) {
    float *dx = j->dx + n * img;
    memset(dx, 0, sizeof(float) * (size_t)img);
    for (int64_t r0 = 0; r0 < rows; r0 += max_rows) {
      int64_t r1 = r0 + max_rows < rows ? r0 + max_rows : rows;
      float *dcol = col_buffer((size_t)((r1 - r0) * K));
      /* B(p = m, j = k) = wt[m * K + k]: rows of B contiguous, so packing it is a copy */
      gl_sgemm_serial(r1 - r0, K, M, j->dz + (n * rows + r0) * M, M, 1, j->w, K, 1, dcol, K, 0, NULL, 0);
      for (int64_t r = r0; r < r1; r++) {
        int64_t oh = r / g->ow, ow = r % g->ow;
        const float *src = dcol + (r - r0) * K;
        const int64_t iw0 = ow * g->sw - g->pl, KWC = g->kw * C;
        /* the taps of a kernel row inside the image: one contiguous run of KW * C values */
        const int inside = g->dw == 1 && iw0 >= 0 && iw0 + g->kw <= g->w;
        for (int64_t kh = 0; kh < g->kh; kh++) {
          int64_t ih = oh * g->sh - g->pt + kh * g->dh;
          if (ih < 0 || ih >= g->h) continue;
          if (inside) {
            float *d = dx + (ih * g->w + iw0) * C;
            const float *sv = src + kh * KWC;
            for (int64_t i = 0; i < KWC; i++) d[i] += sv[i];
            continue;
          }
          for (int64_t kw = 0; kw < g->kw; kw++) {
            int64_t iw = ow * g->sw - g->pl + kw * g->dw;
            if (iw < 0 || iw >= g->w) continue;
            float *d = dx + (ih * g->w + iw) * C;
            const float *sv = src + (kh * g->kw + kw) * C;
            for (int64_t c = 0; c < C; c++) d[c] += sv[c];
          }
        }
      }
    }
    if (j->bias || j->act) gl_epilogue_rows(dx, g->h * g->w, C, C, j->bias, j->act);
  }
}

static void conv_backprop_input(const geom_t *g, const float *dz, const float *w, float *dx, const float *bias, int act) {
  const int64_t rows = g->n * g->h * g->w, C = g->c, M = g->m, T = g->kh * g->kw;
  if (rows == 0 || C == 0) return;
  if (M == 1) {
    m1_job mj = {g, NULL, w, dz, bias, NULL, dx, NULL, NULL, act};
    gl_parallel_for_fine(g->n, 1, m1_input_piece, &mj);
    return;
  }
  if (is_pointwise(g)) {
    /* dx[rows, C] = dz[rows, M] . w^T, w read as [C, M] */
    gl_sgemm(rows, C, M, dz, M, 1, w, 1, M, dx, C, 0, bias, act);
    return;
  }
  int t = gl_thread_count();
  if ((C < 16 || g->sh * g->sw > 1) && (t == 1 || g->n >= 2 * t)) {
    /* w as [M, K]: wt[m * K + k] = w[k * M + m] */
    const int64_t K = T * C;
    float *wt = malloc(sizeof(float) * (size_t)(K * M + 1));
    if (!wt) abort();
    for (int64_t k = 0; k < K; k++)
      for (int64_t m = 0; m < M; m++) wt[m * K + k] = w[k * M + m];
    col2im_job cj = {g, dz, wt, bias, dx, act};
    gl_parallel_for_fine(g->n, 1, col2im_piece, &cj);
    free(wt);
    return;
  }
#if defined(__x86_64__)
  if (g->sh == 1 && g->sw == 1 && ig_takes(g, M, C)) {
    ig_run(g, 1, dz, M, C, w, 1, M, dx, bias, act);
    return;
  }
#endif
  /* w'[tap][m][c] = w[tap][c][m]: B row-major for the gather's column order */
  float *wt = malloc(sizeof(float) * (size_t)(T * M * C + 1));
  if (!wt) abort();
  for (int64_t t = 0; t < T; t++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t m = 0; m < M; m++) wt[(t * M + m) * C + c] = w[(t * C + c) * M + m];
  bwi_job j = {g, dz, wt, bias, dx, act, rows, band_count(rows, T * M)};
  gl_parallel_for_fine(j.bands, 1, bwi_piece, &j);
  free(wt);
}

/* ---- backward filter ---- */
typedef struct {
  const geom_t *g;
  const float *x, *dz;
  float *dw, *partials; /* partial t > 0 at partials + (t - 1) * K * M */
  int64_t rows, bands;
  int pointwise;
} bwf_job;

static void bwf_piece(void *ctx, int64_t b0, int64_t b1, int thread) {
  const bwf_job *j = ctx;
  const geom_t *g = j->g;
  const int64_t K = g->kh * g->kw * g->c, M = g->m;
  float *acc = thread == 0 ? j->dw : j->partials + (int64_t)(thread - 1) * K * M;
  for (int64_t b = b0; b < b1; b++) {
    int64_t r0 = j->rows * b / j->bands, r1 = j->rows * (b + 1) / j->bands;
    const float *col;
    if (j->pointwise) {
      col = j->x + r0 * g->c;
    } else {
      float *buf = col_buffer((size_t)((r1 - r0) * K));
      im2col(g, j->x, r0, r1, buf);
      col = buf;
    }
    /* acc[K, M] (+)= col^T . dz[r0:r1] */
    gl_sgemm_serial(K, M, r1 - r0, col, 1, K, j->dz + r0 * M, M, 1, acc, M, b > b0, NULL, 0);
  }
}

static void conv_backprop_filter(const geom_t *g, const float *x, const float *dz, float *dw) {
  const int64_t rows = g->n * g->oh * g->ow, K = g->kh * g->kw * g->c, M = g->m;
  if (K * M == 0) return;
  if (rows == 0) {
    memset(dw, 0, sizeof(float) * (size_t)(K * M));
    return;
  }
  if (M == 1) {
    const int64_t prow = g->n * g->oh;
    int64_t pieces = gl_fine_pieces(prow, 4);
    m1_job mj = {g, x, NULL, dz, NULL, NULL, NULL, dw, NULL, 0};
    if (pieces > 1) {
      mj.partials = calloc((size_t)((pieces - 1) * K), sizeof(float));
      if (!mj.partials) abort();
    }
    memset(dw, 0, sizeof(float) * (size_t)K);
    pieces = gl_parallel_for_fine(prow, 4, m1_filter_piece, &mj);
    for (int64_t p = 1; p < pieces; p++)
      for (int64_t i = 0; i < K; i++) dw[i] += mj.partials[(p - 1) * K + i];
    free(mj.partials);
    return;
  }
#if defined(__x86_64__)
  if (fl_filter(g, x, dz, NULL, NULL, GL_ACT_LINEAR, dw, NULL)) return;
  if (g->c == 1 && c1_filter_kernel() && g->kh * (g->pl + g->w + g->ow * g->sw + g->kw * g->dw) < (1 << 20)) {
    int64_t prow = g->n * g->oh, pieces = gl_fine_pieces(prow, 4);
    c1f_job cj = {g, x, dz, dw, NULL};
    if (pieces > 1) {
      cj.partials = calloc((size_t)((pieces - 1) * K * M), sizeof(float));
      if (!cj.partials) abort();
    }
    memset(dw, 0, sizeof(float) * (size_t)(K * M));
    const int packed = gl_cpu_level() == 2 && g->m <= 8 && (16 / g->m - 1) * g->sw <= 15;
    pieces = gl_parallel_for_fine(prow, 4, packed ? c1f_packed_avx512 : c1_filter_kernel(), &cj);
    for (int64_t p = 1; p < pieces; p++)
      for (int64_t i = 0; i < K * M; i++) dw[i] += cj.partials[(p - 1) * K * M + i];
    free(cj.partials);
    return;
  }
#endif
  bwf_job j = {g, x, dz, dw, NULL, rows, 0, is_pointwise(g)};
  /* bands of BWF_BAND_FLOATS of columns (pointwise: of x, which is read in place, so they only split the sum) */
  j.bands = band_count_of(rows, K, BWF_BAND_FLOATS);
  int64_t pieces = gl_fine_pieces(j.bands, 1);
  if (pieces > 1) {
    j.partials = malloc(sizeof(float) * (size_t)((pieces - 1) * K * M));
    if (!j.partials) abort();
  }
  pieces = gl_parallel_for_fine(j.bands, 1, bwf_piece, &j);
  for (int64_t p = 1; p < pieces; p++) {
    const float *src = j.partials + (p - 1) * K * M;
    for (int64_t i = 0; i < K * M; i++) dw[i] += src[i];
  }
  free(j.partials);
}

/* ---- dz = dy * act'(y) and dbias = column sums of dz (per-thread partials, folded in order) ---- */
typedef struct {
  const float *dy, *y;
  float *dz, *dbias_parts;
  int64_t rows, m;
  int act;
} dz_job;

#define DZ_CLONES GL_CLONES __attribute__((optimize("fp-contract=off")))

/* dz = dy * act'(y) over a flat run, the products rounded one by one as the unfused kernels store
 * them (no contraction into FMAs); built for each ISA, since this file's other code is scalar */
DZ_CLONES static void dz_run(int act, const float *dy, const float *y, float *dz, int64_t len) {
  switch (act) {
    case GL_ACT_RELU: for (int64_t i = 0; i < len; i++) dz[i] = dy[i] * (y[i] > 0 ? 1.0f : 0.0f); break;
    case GL_ACT_SIGMOID: for (int64_t i = 0; i < len; i++) { float u = y[i], d = 1.0f - u; float s = u * d; dz[i] = dy[i] * s; } break;
    case GL_ACT_TANH: for (int64_t i = 0; i < len; i++) { float u = y[i], s = u * u; float d = 1.0f - s; dz[i] = dy[i] * d; } break;
    default: memcpy(dz, dy, sizeof(float) * (size_t)len); break;
  }
}

/* db[i] += column sums of rows x M: R rows at a time as one flat run of R * M >= 32 floats
 * (a loop over LeNet's 6 columns would not vectorize), folded per column at the end */
DZ_CLONES static void dbias_run(const float *src, int64_t rows, int64_t M, float *db) {
  const int64_t R = M >= 32 ? 1 : (32 + M - 1) / M, W = R * M;
  int64_t r = 0;
  if (W <= 8192) {
    float acc[W];
    memset(acc, 0, sizeof(float) * (size_t)W);
    for (; r + R <= rows; r += R) {
      const float *s = src + r * M;
      for (int64_t k = 0; k < W; k++) acc[k] += s[k];
    }
    for (int64_t k = 0; k < W; k++) db[k % M] += acc[k];
  }
  for (; r < rows; r++)
    for (int64_t i = 0; i < M; i++) db[i] += src[r * M + i];
}

static void dz_piece(void *ctx, int64_t r0, int64_t r1, int thread) {
  const dz_job *j = ctx;
  const int64_t M = j->m;
  float *db = j->dbias_parts ? j->dbias_parts + thread * M : NULL;
  if (db) memset(db, 0, sizeof(float) * M);
  /* the piece's rows are one flat run of (r1 - r0) * M floats */
  const int64_t lo = r0 * M, len = (r1 - r0) * M;
  const float *dy = j->dy + lo, *y = j->y ? j->y + lo : NULL;
  float *dz = j->dz ? j->dz + lo : NULL;
  if (dz) dz_run(j->act, dy, y, dz, len);
  if (db) dbias_run(dz ? dz : dy, r1 - r0, M, db);
}

/* ---- JS glue ---- */
static int read_geom(napi_env env, napi_value v, geom_t *g) {
  size_t len;
  int32_t *a = gl_i32(env, v, &len);
  if (!a) return 0;
  if (len < 15) {
    napi_throw_range_error(env, NULL, "conv2d: geometry needs 15 values");
    return 0;
  }
  int64_t *f = &g->n;
  for (int i = 0; i < 15; i++) f[i] = a[i];
  if (g->n < 0 || g->h < 0 || g->w < 0 || g->c < 0 || g->oh < 0 || g->ow < 0 || g->m < 0 || g->kh < 1 || g->kw < 1 ||
      g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->pt < 0 || g->pl < 0) {
    napi_throw_range_error(env, NULL, "conv2d: invalid geometry");
    return 0;
  }
  return 1;
}

static int opt_f32(napi_env env, napi_value v, float **out, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *out = NULL;
  *len = 0;
  if (t == napi_null || t == napi_undefined) return 1;
  *out = gl_f32(env, v, len);
  return *out != NULL;
}

static int too_short(napi_env env, size_t have, int64_t need, const char *what) {
  if ((int64_t)have < need) {
    napi_throw_range_error(env, NULL, what);
    return 1;
  }
  return 0;
}

#define GET_ARGS(N) size_t argc = N; napi_value v[N]; napi_get_cb_info(env, info, &argc, v, NULL, NULL); \
  if (argc < N) { napi_throw_type_error(env, NULL, "gradlab native conv: too few arguments"); return NULL; }

/* conv2d(x, w, y, geom, bias|null, act) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  GET_ARGS(6)
  geom_t g;
  size_t lx, lw, ly, lb;
  float *x, *w, *y, *bias;
  int64_t act;
  if (!(x = gl_f32(env, v[0], &lx)) || !(w = gl_f32(env, v[1], &lw)) || !(y = gl_f32(env, v[2], &ly)) ||
      !read_geom(env, v[3], &g) || !opt_f32(env, v[4], &bias, &lb) || !gl_int(env, v[5], &act))
    return NULL;
  if (too_short(env, lx, g.n * g.h * g.w * g.c, "conv2d: x too short") || too_short(env, lw, g.kh * g.kw * g.c * g.m, "conv2d: w too short") ||
      too_short(env, ly, g.n * g.oh * g.ow * g.m, "conv2d: y too short") || (bias && too_short(env, lb, g.m, "conv2d: bias too short")))
    return NULL;
  conv_forward(&g, x, w, y, bias, (int)act);
  return NULL;
}

/* conv2dBackpropInput(dy, w, dx, geom, bias|null, act) */
static napi_value js_conv2d_bwi(napi_env env, napi_callback_info info) {
  GET_ARGS(6)
  geom_t g;
  size_t ldy, lw, ldx, lb;
  float *dy, *w, *dx, *bias;
  int64_t act;
  if (!(dy = gl_f32(env, v[0], &ldy)) || !(w = gl_f32(env, v[1], &lw)) || !(dx = gl_f32(env, v[2], &ldx)) ||
      !read_geom(env, v[3], &g) || !opt_f32(env, v[4], &bias, &lb) || !gl_int(env, v[5], &act))
    return NULL;
  if (too_short(env, ldy, g.n * g.oh * g.ow * g.m, "conv2dBackpropInput: dy too short") ||
      too_short(env, lw, g.kh * g.kw * g.c * g.m, "conv2dBackpropInput: w too short") ||
      too_short(env, ldx, g.n * g.h * g.w * g.c, "conv2dBackpropInput: dx too short") ||
      (bias && too_short(env, lb, g.c, "conv2dBackpropInput: bias too short")))
    return NULL;
  conv_backprop_input(&g, dy, w, dx, bias, (int)act);
  return NULL;
}

/* conv2dBackpropFilter(x, dy, dw, geom) */
static napi_value js_conv2d_bwf(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  geom_t g;
  size_t lx, ldy, ldw;
  float *x, *dy, *dw;
  if (!(x = gl_f32(env, v[0], &lx)) || !(dy = gl_f32(env, v[1], &ldy)) || !(dw = gl_f32(env, v[2], &ldw)) || !read_geom(env, v[3], &g))
    return NULL;
  if (too_short(env, lx, g.n * g.h * g.w * g.c, "conv2dBackpropFilter: x too short") ||
      too_short(env, ldy, g.n * g.oh * g.ow * g.m, "conv2dBackpropFilter: dy too short") ||
      too_short(env, ldw, g.kh * g.kw * g.c * g.m, "conv2dBackpropFilter: dw too short"))
    return NULL;
  conv_backprop_filter(&g, x, dy, dw);
  return NULL;
}

/* conv2dBackward(x, w, dy, geom, dx|null, dw|null, dbias|null, y|null, act) */
static napi_value js_conv2d_backward(napi_env env, napi_callback_info info) {
  GET_ARGS(9)
  geom_t g;
  size_t lx, lw, ldy, ldx, ldw, ldb, lyy;
  float *x, *w, *dy, *dx, *dw, *dbias, *y;
  int64_t act;
  if (!(x = gl_f32(env, v[0], &lx)) || !(w = gl_f32(env, v[1], &lw)) || !(dy = gl_f32(env, v[2], &ldy)) ||
      !read_geom(env, v[3], &g) || !opt_f32(env, v[4], &dx, &ldx) || !opt_f32(env, v[5], &dw, &ldw) ||
      !opt_f32(env, v[6], &dbias, &ldb) || !opt_f32(env, v[7], &y, &lyy) || !gl_int(env, v[8], &act))
    return NULL;
  const int64_t rows = g.n * g.oh * g.ow, ny = rows * g.m;
  if (too_short(env, lx, g.n * g.h * g.w * g.c, "conv2dBackward: x too short") ||
      too_short(env, lw, g.kh * g.kw * g.c * g.m, "conv2dBackward: w too short") ||
      too_short(env, ldy, ny, "conv2dBackward: dy too short") ||
      (dx && too_short(env, ldx, g.n * g.h * g.w * g.c, "conv2dBackward: dx too short")) ||
      (dw && too_short(env, ldw, g.kh * g.kw * g.c * g.m, "conv2dBackward: dw too short")) ||
      (dbias && too_short(env, ldb, g.m, "conv2dBackward: dbias too short")))
    return NULL;
  if (act != GL_ACT_LINEAR && (!y || too_short(env, lyy, ny, "conv2dBackward: y too short"))) {
    if (!y) napi_throw_type_error(env, NULL, "conv2dBackward: a fused activation needs its output y");
    return NULL;
  }
#if defined(__x86_64__)
  /* a first layer (no dx) on the flat-row kernel makes dz per run inside the filter gradient */
  if (!dx && dw && fl_filter(&g, x, NULL, dy, y, (int)act, dw, dbias)) return NULL;
#endif
  const float *dz = dy;
  float *dzbuf = NULL;
  if (act != GL_ACT_LINEAR || dbias) {
    int64_t t = gl_fine_pieces(rows, 256);
    float *parts = dbias ? calloc((size_t)(t * g.m + 1), sizeof(float)) : NULL;
    if (act != GL_ACT_LINEAR) {
      dzbuf = malloc(sizeof(float) * (size_t)(ny + 1));
      dz = dzbuf;
    }
    if ((dbias && !parts) || (act != GL_ACT_LINEAR && !dzbuf)) abort();
    dz_job j = {dy, y, dzbuf, parts, rows, g.m, (int)act};
    t = gl_parallel_for_fine(rows, 256, dz_piece, &j);
    if (dbias) {
      /* the fold runs in piece order */
      memset(dbias, 0, sizeof(float) * g.m);
      for (int p = 0; p < t; p++)
        for (int64_t i = 0; i < g.m; i++) dbias[i] += parts[p * g.m + i];
    }
    free(parts);
  }
  if (dx) conv_backprop_input(&g, dz, w, dx, NULL, 0);
  if (dw) conv_backprop_filter(&g, x, dz, dw);
  free(dzbuf);
  return NULL;
}

void gl_register_conv(napi_env env, napi_value exports) {
  init_band_floats();
  gl_export(env, exports, "conv2d", js_conv2d);
  gl_export(env, exports, "conv2dBackpropInput", js_conv2d_bwi);
  gl_export(env, exports, "conv2dBackpropFilter", js_conv2d_bwf);
  gl_export(env, exports, "conv2dBackward", js_conv2d_backward);
}
