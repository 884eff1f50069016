/* Packed, cache-blocked float32 GEMM (the Goto/BLIS loop nest: jc -> pc (pack B into NR-wide
 * panels) -> ic (pack A into MR-tall panels) -> jr -> ir -> micro-kernel) with one register-blocked
 * micro-kernel per ISA, chosen at run time. Each ISA's code is in functions with
 * __attribute__((target)), so the file builds for baseline x86-64 (or any CPU) and runs anywhere.
 * Packing reads A and B through (row, column) strides, so every transpose costs nothing extra.
 * The epilogue (bias per column, activation) is applied in the micro-kernel's store of the last
 * k block, while the tile is still in registers (relu) or in L1 (sigmoid, tanh). */
#include "gl.h"
#include "eltwise.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define GL_X86 1
#endif

typedef void (*ukr_fn)(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu);

typedef void (*ukr_ua_fn)(int64_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu);

typedef void (*ukr_m_fn)(int64_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu, int nr);

typedef struct {
  int mr, nr, mc, kc, nc;
  ukr_fn ukr;
  ukr_ua_fn ukr_ua; /* A read in place, or NULL */
  ukr_m_fn ukr_m; /* masked columns, A packed or in place: replaces both when set */
} isa_t;

/* ---- activations on a row (only sigmoid and tanh take this path; relu is applied in registers) ----
 * They are the unary kernels' vector polynomials (eltwise.c), so a fused epilogue gives the values
 * the separate activation op would, at vector speed: libm's scalar tanhf took ~7 ns a value, which
 * made a tanh conv's epilogue cost 5x its GEMM (LeNet-5 as published, 32x32x1 -> 6 5x5). */
static void act_row(float *y, int64_t n, int act) {
  switch (act) {
    case GL_ACT_RELU: for (int64_t j = 0; j < n; j++) y[j] = y[j] > 0 ? y[j] : 0; break;
    case GL_ACT_SIGMOID: gl_unary_f32(GL_UNARY_SIGMOID, y, y, n); break;
    case GL_ACT_TANH: gl_unary_f32(GL_UNARY_TANH, y, y, n); break;
    default: break;
  }
}

void gl_epilogue_rows(float *y, int64_t rows, int64_t n, int64_t ldy, const float *bias, int act) {
  if (ldy == n) {
    /* contiguous rows: the activation in one pass, so few channels still fill whole vectors */
    if (bias) for (int64_t i = 0; i < rows; i++) for (int64_t j = 0; j < n; j++) y[i * n + j] += bias[j];
    act_row(y, rows * n, act);
    return;
  }
  for (int64_t i = 0; i < rows; i++) {
    float *r = y + i * ldy;
    if (bias) for (int64_t j = 0; j < n; j++) r[j] += bias[j];
    act_row(r, n, act);
  }
}

/* ---- micro-kernels: C[MR x NR] (+)= A panel [k][MR] . B panel [k][NR], then bias and relu ---- */

/* Portable C, 6x16: the compiler vectorizes the j loops for whatever the baseline is. */
static void ukr_c(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu) {
  float acc[6][16];
  memset(acc, 0, sizeof acc);
  for (int64_t p = 0; p < k; p++) {
    const float *ap = a + p * 6, *bp = b + p * 16;
    for (int r = 0; r < 6; r++) {
      float av = ap[r];
      for (int j = 0; j < 16; j++) acc[r][j] += av * bp[j];
    }
  }
  for (int r = 0; r < 6; r++) {
    float *cr = c + r * ldc;
    for (int j = 0; j < 16; j++) {
      float v = acc[r][j];
      if (load) v += cr[j];
      if (bias) v += bias[j];
      if (relu) v = v > 0 ? v : 0;
      cr[j] = v;
    }
  }
}

#ifdef GL_X86
/* AVX2 + FMA, 6x16: 12 ymm accumulators, 2 B vectors and a broadcast (15 of 16 registers). */
__attribute__((target("avx2,fma")))
static void ukr_avx2(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t p = 0; p < k; p++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), av;
#define R2(r) av = _mm256_broadcast_ss(a + r); c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);
    R2(0) R2(1) R2(2) R2(3) R2(4) R2(5)
#undef R2
    a += 6;
    b += 16;
  }
  __m256 z = _mm256_setzero_ps();
  __m256 bb0 = bias ? _mm256_loadu_ps(bias) : z, bb1 = bias ? _mm256_loadu_ps(bias + 8) : z;
#define S2(r) { float *cr = c + r * ldc; __m256 v0 = c##r##0, v1 = c##r##1; \
    if (load) { v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr)); v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8)); } \
    if (bias) { v0 = _mm256_add_ps(v0, bb0); v1 = _mm256_add_ps(v1, bb1); } \
    if (relu) { v0 = _mm256_max_ps(v0, z); v1 = _mm256_max_ps(v1, z); } \
    _mm256_storeu_ps(cr, v0); _mm256_storeu_ps(cr + 8, v1); }
  S2(0) S2(1) S2(2) S2(3) S2(4) S2(5)
#undef S2
}

/* AVX2 + FMA, 6x16 with A read in place (row r at a + r * lda, lda > 0) or from a packed panel
 * (lda == 0), and the columns past nr masked off in C's loads and stores (B's panel is zero
 * padded, so its loads stay plain). Narrow C (conv layers with 6-64 filters, backward passes into
 * few channels): no transposing pack of A and no scratch tile for the ragged edge. */
__attribute__((target("avx2,fma")))
static void ukr_avx2_m(int64_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#define R2(r, v) { __m256 av = _mm256_broadcast_ss(v); c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1); }
  if (lda > 0) {
    const float *a0 = a, *a3 = a + 3 * lda;
    const int64_t l2 = 2 * lda;
    for (int64_t p = 0; p < k; p++) {
      __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      R2(0, a0 + p) R2(1, a0 + p + lda) R2(2, a0 + p + l2) R2(3, a3 + p) R2(4, a3 + p + lda) R2(5, a3 + p + l2)
      b += 16;
    }
  } else {
    for (int64_t p = 0; p < k; p++) {
      __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      R2(0, a) R2(1, a + 1) R2(2, a + 2) R2(3, a + 3) R2(4, a + 4) R2(5, a + 5)
      a += 6;
      b += 16;
    }
  }
#undef R2
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
  __m256 z = _mm256_setzero_ps();
  __m256 bb0 = bias ? _mm256_maskload_ps(bias, m0) : z, bb1 = bias ? _mm256_maskload_ps(bias + 8, m1) : z;
  /* a whole tile stores plainly: AMD's masked stores are microcoded, ~10x a plain one */
#define S2(r, LD, ST) { float *cr = c + r * ldc; __m256 v0 = c##r##0, v1 = c##r##1; \
    if (load) { v0 = _mm256_add_ps(v0, LD(cr, m0)); v1 = _mm256_add_ps(v1, LD(cr + 8, m1)); } \
    if (bias) { v0 = _mm256_add_ps(v0, bb0); v1 = _mm256_add_ps(v1, bb1); } \
    if (relu) { v0 = _mm256_max_ps(v0, z); v1 = _mm256_max_ps(v1, z); } \
    ST(cr, m0, v0); ST(cr + 8, m1, v1); }
#define LD_FULL(p, m) _mm256_loadu_ps(p)
#define ST_FULL(p, m, v) _mm256_storeu_ps(p, v)
  if (nr == 16) {
    S2(0, LD_FULL, ST_FULL) S2(1, LD_FULL, ST_FULL) S2(2, LD_FULL, ST_FULL)
    S2(3, LD_FULL, ST_FULL) S2(4, LD_FULL, ST_FULL) S2(5, LD_FULL, ST_FULL)
  } else {
    S2(0, _mm256_maskload_ps, _mm256_maskstore_ps) S2(1, _mm256_maskload_ps, _mm256_maskstore_ps)
    S2(2, _mm256_maskload_ps, _mm256_maskstore_ps) S2(3, _mm256_maskload_ps, _mm256_maskstore_ps)
    S2(4, _mm256_maskload_ps, _mm256_maskstore_ps) S2(5, _mm256_maskload_ps, _mm256_maskstore_ps)
  }
#undef LD_FULL
#undef ST_FULL
#undef S2
}

/* AVX-512, 12x32: 24 zmm accumulators, 2 B vectors and a broadcast (27 of 32 registers). On
 * Zen 4 a zmm FMA takes both 256-bit pipes, so the gain over AVX2 is the register file: a taller
 * tile loads B once for twice the rows. */
__attribute__((target("avx512f")))
static void ukr_avx512(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
         c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00,
         c90 = c00, c91 = c00, cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;
  for (int64_t p = 0; p < k; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), av;
#define R2(r, i) av = _mm512_set1_ps(a[i]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);
    R2(0, 0) R2(1, 1) R2(2, 2) R2(3, 3) R2(4, 4) R2(5, 5) R2(6, 6) R2(7, 7) R2(8, 8) R2(9, 9) R2(A, 10) R2(B, 11)
#undef R2
    a += 12;
    b += 32;
  }
  __m512 z = _mm512_setzero_ps();
  __m512 bb0 = bias ? _mm512_loadu_ps(bias) : z, bb1 = bias ? _mm512_loadu_ps(bias + 16) : z;
#define S2(r, i) { float *cr = c + i * ldc; __m512 v0 = c##r##0, v1 = c##r##1; \
    if (load) { v0 = _mm512_add_ps(v0, _mm512_loadu_ps(cr)); v1 = _mm512_add_ps(v1, _mm512_loadu_ps(cr + 16)); } \
    if (bias) { v0 = _mm512_add_ps(v0, bb0); v1 = _mm512_add_ps(v1, bb1); } \
    if (relu) { v0 = _mm512_max_ps(v0, z); v1 = _mm512_max_ps(v1, z); } \
    _mm512_storeu_ps(cr, v0); _mm512_storeu_ps(cr + 16, v1); }
  S2(0, 0) S2(1, 1) S2(2, 2) S2(3, 3) S2(4, 4) S2(5, 5) S2(6, 6) S2(7, 7) S2(8, 8) S2(9, 9) S2(A, 10) S2(B, 11)
#undef S2
}

/* The same tile with A read in place (row r at a + r * lda), for row-major A and a narrow C:
 * im2col bands in conv, where packing A would be a strided copy as long as the GEMM itself
 * (PERF-NOTES: A-unpacked wins when N is small). */
__attribute__((target("avx512f")))
static void ukr_avx512_ua(int64_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
         c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00,
         c90 = c00, c91 = c00, cA0 = c00, cA1 = c00, cB0 = c00, cB1 = c00;
  const float *a0 = a, *a4 = a + 4 * lda, *a8 = a + 8 * lda;
  const int64_t l2 = 2 * lda, l3 = 3 * lda;
  for (int64_t p = 0; p < k; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), av;
#define R2(r, ptr) av = _mm512_set1_ps(ptr); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);
    R2(0, a0[p]) R2(1, a0[p + lda]) R2(2, a0[p + l2]) R2(3, a0[p + l3])
    R2(4, a4[p]) R2(5, a4[p + lda]) R2(6, a4[p + l2]) R2(7, a4[p + l3])
    R2(8, a8[p]) R2(9, a8[p + lda]) R2(A, a8[p + l2]) R2(B, a8[p + l3])
#undef R2
    b += 32;
  }
  __m512 z = _mm512_setzero_ps();
  __m512 bb0 = bias ? _mm512_loadu_ps(bias) : z, bb1 = bias ? _mm512_loadu_ps(bias + 16) : z;
#define S2(r, i) { float *cr = c + i * ldc; __m512 v0 = c##r##0, v1 = c##r##1; \
    if (load) { v0 = _mm512_add_ps(v0, _mm512_loadu_ps(cr)); v1 = _mm512_add_ps(v1, _mm512_loadu_ps(cr + 16)); } \
    if (bias) { v0 = _mm512_add_ps(v0, bb0); v1 = _mm512_add_ps(v1, bb1); } \
    if (relu) { v0 = _mm512_max_ps(v0, z); v1 = _mm512_max_ps(v1, z); } \
    _mm512_storeu_ps(cr, v0); _mm512_storeu_ps(cr + 16, v1); }
  S2(0, 0) S2(1, 1) S2(2, 2) S2(3, 3) S2(4, 4) S2(5, 5) S2(6, 6) S2(7, 7) S2(8, 8) S2(9, 9) S2(A, 10) S2(B, 11)
#undef S2
}

/* AVX-512 for narrow C (n <= 16: conv layers with few filters, backward passes into few
 * channels): a 12x16 tile, the columns past n masked off in the loads and stores, A read in place
 * (lda > 0) or from a packed panel (lda == 0). The 12x32 tile would waste over half its FMAs. */
__attribute__((target("avx512f")))
static void ukr_avx512_n16(int64_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int load,
  const float *bias, int relu, int nr) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0,
         cA = c0, cB = c0;
  const __mmask16 mk = (__mmask16)((1u << nr) - 1);
  if (lda > 0) {
    const float *a0 = a, *a4 = a + 4 * lda, *a8 = a + 8 * lda;
    const int64_t l2 = 2 * lda, l3 = 3 * lda;
    for (int64_t p = 0; p < k; p++) {
      __m512 b0 = _mm512_loadu_ps(b);
#define R1(r, v) c##r = _mm512_fmadd_ps(_mm512_set1_ps(v), b0, c##r);
      R1(0, a0[p]) R1(1, a0[p + lda]) R1(2, a0[p + l2]) R1(3, a0[p + l3])
      R1(4, a4[p]) R1(5, a4[p + lda]) R1(6, a4[p + l2]) R1(7, a4[p + l3])
      R1(8, a8[p]) R1(9, a8[p + lda]) R1(A, a8[p + l2]) R1(B, a8[p + l3])
      b += 16;
    }
  } else {
    for (int64_t p = 0; p < k; p++) {
      __m512 b0 = _mm512_loadu_ps(b);
      R1(0, a[0]) R1(1, a[1]) R1(2, a[2]) R1(3, a[3]) R1(4, a[4]) R1(5, a[5])
      R1(6, a[6]) R1(7, a[7]) R1(8, a[8]) R1(9, a[9]) R1(A, a[10]) R1(B, a[11])
#undef R1
      a += 12;
      b += 16;
    }
  }
  __m512 z = _mm512_setzero_ps();
  __m512 bb = bias ? _mm512_maskz_loadu_ps(mk, bias) : z;
#define S1(r, i) { float *cr = c + i * ldc; __m512 v = c##r; \
    if (load) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, cr)); \
    if (bias) v = _mm512_add_ps(v, bb); \
    if (relu) v = _mm512_max_ps(v, z); \
    _mm512_mask_storeu_ps(cr, mk, v); }
  S1(0, 0) S1(1, 1) S1(2, 2) S1(3, 3) S1(4, 4) S1(5, 5) S1(6, 6) S1(7, 7) S1(8, 8) S1(9, 9) S1(A, 10) S1(B, 11)
#undef S1
}
#endif

/* KC x NR of B and MR x KC of A stay in L1/L2; MC x KC of A in L2; KC x NC of B in L3. */
static const isa_t ISA_C = {6, 16, 96, 256, 4096, ukr_c, NULL, NULL};
#ifdef GL_X86
static const isa_t ISA_AVX2 = {6, 16, 96, 384, 4096, ukr_avx2, NULL, NULL};
/* narrow C (n <= 64): every tile through the masked kernel, A in place when row-major */
static const isa_t ISA_AVX2_NARROW = {6, 16, 96, 1024, 64, NULL, NULL, ukr_avx2_m};
static const isa_t ISA_AVX512 = {12, 32, 144, 384, 4096, ukr_avx512, ukr_avx512_ua, NULL};
static const isa_t ISA_AVX512_N16 = {12, 16, 144, 1024, 16, NULL, NULL, ukr_avx512_n16};
#endif

static const isa_t *isa(int64_t n) {
#ifdef GL_X86
  int l = gl_cpu_level();
  if (l == 2) return n <= 16 ? &ISA_AVX512_N16 : &ISA_AVX512;
  if (l == 1) return n <= 64 ? &ISA_AVX2_NARROW : &ISA_AVX2;
#endif
  return &ISA_C;
}

/* ---- packing ---- */
static void pack_a(const isa_t *s, int64_t mc, int64_t kc, const float *a, int64_t ars, int64_t acs, float *dst) {
  const int MR = s->mr;
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    int mr = (int)(mc - i0 < MR ? mc - i0 : MR);
    const float *src = a + i0 * ars;
    if (ars == 1 && mr == MR) {
      /* constant-size copies inline (a memcpy call per 48 bytes costs more than the copy) */
      if (MR == 12) for (int64_t p = 0; p < kc; p++) memcpy(dst + p * 12, src + p * acs, sizeof(float) * 12);
      else if (MR == 6) for (int64_t p = 0; p < kc; p++) memcpy(dst + p * 6, src + p * acs, sizeof(float) * 6);
      else for (int64_t p = 0; p < kc; p++) memcpy(dst + p * MR, src + p * acs, sizeof(float) * MR);
      continue;
    }
    for (int r = 0; r < mr; r++) {
      const float *sr = src + r * ars;
      if (acs == 1) for (int64_t p = 0; p < kc; p++) dst[p * MR + r] = sr[p];
      else for (int64_t p = 0; p < kc; p++) dst[p * MR + r] = sr[p * acs];
    }
    for (int r = mr; r < MR; r++) for (int64_t p = 0; p < kc; p++) dst[p * MR + r] = 0;
  }
}

static void pack_b(const isa_t *s, int64_t kc, int64_t nc, const float *b, int64_t brs, int64_t bcs, float *dst) {
  const int NR = s->nr;
  for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    int nr = (int)(nc - j0 < NR ? nc - j0 : NR);
    const float *src = b + j0 * bcs;
    if (bcs == 1 && nr == NR && (NR == 32 || NR == 16)) {
      if (NR == 32) for (int64_t p = 0; p < kc; p++) memcpy(dst + p * 32, src + p * brs, sizeof(float) * 32);
      else for (int64_t p = 0; p < kc; p++) memcpy(dst + p * 16, src + p * brs, sizeof(float) * 16);
      continue;
    }
    if (bcs == 1) {
      for (int64_t p = 0; p < kc; p++) {
        memcpy(dst + p * NR, src + p * brs, sizeof(float) * nr);
        for (int j = nr; j < NR; j++) dst[p * NR + j] = 0;
      }
      continue;
    }
    for (int j = 0; j < nr; j++) {
      const float *sj = src + j * bcs;
      if (brs == 1) for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = sj[p];
      else for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = sj[p * brs];
    }
    for (int j = nr; j < NR; j++) for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = 0;
  }
}

/* Per-thread packing buffers: pool workers are persistent, so these are allocated once each. */
static __thread float *tl_a, *tl_b;
static __thread size_t tl_a_cap, tl_b_cap;

static float *buffer(float **p, size_t *cap, size_t n) {
  if (*cap < n) {
    free(*p);
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    *p = aligned_alloc(64, bytes);
    *cap = *p ? n : 0;
  }
  return *p;
}

void gl_sgemm_serial(int64_t m, int64_t n, int64_t k, const float *a, int64_t ars, int64_t acs, const float *b,
  int64_t brs, int64_t bcs, float *c, int64_t ldc, int accumulate, const float *bias, int act) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++) if (!accumulate) memset(c + i * ldc, 0, sizeof(float) * n);
    if (bias || act) gl_epilogue_rows(c, m, n, ldc, bias, act);
    return;
  }
  const isa_t *s = isa(n);
  const int MR = s->mr, NR = s->nr;
  int64_t KC = s->kc, MC = s->mc, NC = s->nc;
  /* narrow C with row-major A: A in place, and one k block as long as B's panel fits L2 */
  int unpacked = (s->ukr_ua || s->ukr_m) && acs == 1 && n <= 4 * NR;
  if (unpacked) KC = k < 1024 ? k : 1024;
  int64_t ncMax = n < NC ? (n + NR - 1) / NR * NR : NC;
  int64_t mcMax = m < MC ? (m + MR - 1) / MR * MR : MC;
  int64_t kcMax = k < KC ? k : KC;
  float *pa = buffer(&tl_a, &tl_a_cap, (size_t)(mcMax * kcMax));
  float *pb = buffer(&tl_b, &tl_b_cap, (size_t)(ncMax * kcMax));
  if (!pa || !pb) abort(); /* out of memory for a few MiB: nothing sensible left to do */
  float tile[32 * 32] __attribute__((aligned(64)));
  for (int64_t jc = 0; jc < n; jc += NC) {
    int64_t nc = n - jc < NC ? n - jc : NC;
    for (int64_t pc = 0; pc < k; pc += KC) {
      int64_t kc = k - pc < KC ? k - pc : KC;
      int load = accumulate || pc > 0, last = pc + kc == k;
      pack_b(s, kc, nc, b + pc * brs + jc * bcs, brs, bcs, pb);
      for (int64_t ic = 0; ic < m; ic += MC) {
        int64_t mc = m - ic < MC ? m - ic : MC;
        if (!unpacked) pack_a(s, mc, kc, a + ic * ars + pc * acs, ars, acs, pa);
        else if (mc % MR) pack_a(s, mc % MR, kc, a + (ic + mc / MR * MR) * ars + pc, ars, 1, pa + mc / MR * MR * kc);
        int64_t npan = (nc + NR - 1) / NR, mpan = (mc + MR - 1) / MR;
        /* ir outer: an A micro-panel stays in L1 while the B panels stream from L2 (measured ~5%
         * faster than jr outer at n = 1024) */
        for (int64_t t = 0; t < npan * mpan; t++) {
          int64_t ir = t / npan * MR, jr = t % npan * NR;
          int nr = (int)(nc - jr < NR ? nc - jr : NR);
          const float *bp = pb + jr * kc;
          const float *bj = last && bias ? bias + jc + jr : NULL;
          {
            int mr = (int)(mc - ir < MR ? mc - ir : MR);
            float *ct = c + (ic + ir) * ldc + jc + jr;
            const float *ap = pa + ir * kc;
            if (s->ukr_m) {
              int relu = last && act == GL_ACT_RELU;
              if (mr == MR && unpacked) s->ukr_m(kc, a + (ic + ir) * ars + pc, ars, bp, ct, ldc, load, bj, relu, nr);
              else if (mr == MR) s->ukr_m(kc, ap, 0, bp, ct, ldc, load, bj, relu, nr);
              else {
                s->ukr_m(kc, ap, 0, bp, tile, NR, 0, NULL, 0, NR);
                for (int r = 0; r < mr; r++) {
                  float *cr = ct + r * ldc;
                  const float *tr = tile + r * NR;
                  for (int j = 0; j < nr; j++) cr[j] = (load ? cr[j] : 0) + tr[j] + (bj ? bj[j] : 0);
                }
              }
              if (last && act >= (mr == MR ? GL_ACT_SIGMOID : GL_ACT_RELU)) for (int r = 0; r < mr; r++) act_row(ct + r * ldc, nr, act);
            } else if (mr == MR && nr == NR) {
              if (unpacked) s->ukr_ua(kc, a + (ic + ir) * ars + pc, ars, bp, ct, ldc, load, bj, last && act == GL_ACT_RELU);
              else s->ukr(kc, ap, bp, ct, ldc, load, bj, last && act == GL_ACT_RELU);
              if (last && act >= GL_ACT_SIGMOID) for (int r = 0; r < MR; r++) act_row(ct + r * ldc, NR, act);
            } else {
              /* ragged edge: the full tile into a scratch tile, then the live part merged */
              if (unpacked && mr == MR) s->ukr_ua(kc, a + (ic + ir) * ars + pc, ars, bp, tile, NR, 0, NULL, 0);
              else s->ukr(kc, ap, bp, tile, NR, 0, NULL, 0);
              for (int r = 0; r < mr; r++) {
                float *cr = ct + r * ldc;
                const float *tr = tile + r * NR;
                for (int j = 0; j < nr; j++) {
                  float v = tr[j];
                  if (load) v += cr[j];
                  if (bj) v += bj[j];
                  cr[j] = v;
                }
                if (last && act) act_row(cr, nr, act);
              }
            }
          }
        }
      }
    }
  }
}

/* ---- the parallel split: row bands (or column bands when n is the larger side) ---- */
typedef struct {
  int64_t m, n, k, ars, acs, brs, bcs, ldc, unit;
  const float *a, *b, *bias;
  float *c;
  int accumulate, act, by_rows;
} gemm_job;

static void gemm_piece(void *ctx, int64_t begin, int64_t end, int thread) {
  const gemm_job *j = ctx;
  int64_t lo = begin * j->unit, hi = end * j->unit;
  if (j->by_rows) {
    if (hi > j->m) hi = j->m;
    gl_sgemm_serial(hi - lo, j->n, j->k, j->a + lo * j->ars, j->ars, j->acs, j->b, j->brs, j->bcs,
      j->c + lo * j->ldc, j->ldc, j->accumulate, j->bias, j->act);
  } else {
    if (hi > j->n) hi = j->n;
    gl_sgemm_serial(j->m, hi - lo, j->k, j->a, j->ars, j->acs, j->b + lo * j->bcs, j->brs, j->bcs,
      j->c + lo, j->ldc, j->accumulate, j->bias ? j->bias + lo : NULL, j->act);
  }
}

void gl_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t ars, int64_t acs, const float *b,
  int64_t brs, int64_t bcs, float *c, int64_t ldc, int accumulate, const float *bias, int act) {
  /* below ~1 MFLOP the dispatch costs more than the second core gains */
  if (gl_thread_count() < 2 || (double)m * n * k < 5e5) {
    gl_sgemm_serial(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, bias, act);
    return;
  }
  const isa_t *s = isa(n);
  gemm_job j = {m, n, k, ars, acs, brs, bcs, ldc, 0, a, b, bias, c, accumulate, act, 0};
  j.by_rows = m / s->mr >= n / s->nr;
  j.unit = j.by_rows ? s->mr : s->nr;
  int64_t units = ((j.by_rows ? m : n) + j.unit - 1) / j.unit;
  gl_parallel_for(units, 1, gemm_piece, &j);
}

/* ---- JS: matmul(a, b, c, batch, m, k, n, transA, transB, aStride, bStride, bias|null, act) ---- */
typedef struct {
  const float *a, *b, *bias;
  float *c;
  int64_t m, k, n, as, bs, ars, acs, brs, bcs;
  int act;
} batch_job;

static void batch_piece(void *ctx, int64_t begin, int64_t end, int thread) {
  const batch_job *j = ctx;
  for (int64_t t = begin; t < end; t++) {
    gl_sgemm_serial(j->m, j->n, j->k, j->a + t * j->as, j->ars, j->acs, j->b + t * j->bs, j->brs, j->bcs,
      j->c + t * j->m * j->n, j->n, 0, j->bias, j->act);
  }
}

static napi_value js_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value v[13];
  napi_get_cb_info(env, info, &argc, v, NULL, NULL);
  if (argc < 13) {
    napi_throw_type_error(env, NULL, "matmul: expected 13 arguments");
    return NULL;
  }
  size_t la, lb, lc, lbias = 0;
  float *a = gl_f32(env, v[0], &la), *b, *c, *bias = NULL;
  if (!a || !(b = gl_f32(env, v[1], &lb)) || !(c = gl_f32(env, v[2], &lc))) return NULL;
  int64_t batch, m, k, n, as, bs, act;
  int ta, tb;
  if (!gl_int(env, v[3], &batch) || !gl_int(env, v[4], &m) || !gl_int(env, v[5], &k) || !gl_int(env, v[6], &n) ||
      !gl_bool(env, v[7], &ta) || !gl_bool(env, v[8], &tb) || !gl_int(env, v[9], &as) || !gl_int(env, v[10], &bs) ||
      !gl_int(env, v[12], &act))
    return NULL;
  napi_valuetype bt;
  napi_typeof(env, v[11], &bt);
  if (bt != napi_null && bt != napi_undefined && !(bias = gl_f32(env, v[11], &lbias))) return NULL;
  if (batch < 0 || m < 0 || k < 0 || n < 0 || as < 0 || bs < 0 || act < 0 || act >= GL_ACT_COUNT ||
      (batch > 0 && ((size_t)((batch - 1) * as + m * k) > la || (size_t)((batch - 1) * bs + k * n) > lb ||
      (size_t)(batch * m * n) > lc)) || (bias && (int64_t)lbias != n)) {
    napi_throw_range_error(env, NULL, "matmul: array lengths do not match the sizes");
    return NULL;
  }
  batch_job j = {a, b, bias, c, m, k, n, as, bs, ta ? 1 : k, ta ? m : 1, tb ? 1 : n, tb ? k : 1, (int)act};
  /* many small matrices: one per piece; few large ones: each split over the pool */
  if (batch >= 2 * gl_thread_count() && (double)m * n * k < 4e6) {
    int64_t grain = (int64_t)(2e5 / ((double)m * n * k + 1)) + 1;
    gl_parallel_for(batch, grain, batch_piece, &j);
  } else {
    for (int64_t t = 0; t < batch; t++)
      gl_sgemm(m, n, k, a + t * as, j.ars, j.acs, b + t * bs, j.brs, j.bcs, c + t * m * n, n, 0, bias, (int)act);
  }
  return NULL;
}

void gl_register_gemm(napi_env env, napi_value exports) {
  gl_export(env, exports, "matmul", js_matmul);
}
