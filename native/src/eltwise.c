/* Elementwise, broadcasting binary, reduction, arg-reduction and activation-backward kernels,
 * float32, in place on the JS typed arrays. They follow src/backend/js/index.ts exactly: the
 * reference rounds each op's double result to float32, which for + - * / sqrt is the float32 op
 * itself, so those ops are bit-exact; exp, log, tanh and sigmoid are vector polynomials within a
 * few ulp; softplus and pow call libm in double. Sums run in float64 in an order fixed by the
 * shape, so the thread count never changes a bit.
 *
 * The loops are written as plain C over arrays and vectorised by gcc for AVX-512 and AVX2 through
 * function multiversioning (chosen at load time by CPU), with a portable default. Contraction of
 * a*b+c into FMA is off in this file: it would change results against the reference. */
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gl.h"
#include "eltwise.h"

#define INLINE static inline __attribute__((always_inline))

/* Elements (or rows times their length) per thread piece: below 2x this a call stays on the caller. */
#define ELT_GRAIN 32768

/* The names of the codes (codes.h), exported as eltwiseCodes so the TypeScript side can check at
 * load that this build was compiled from the same table. */
static const char *const UNARY_NAMES[GL_UNARY_COUNT] = {
  [GL_UNARY_NEG] = "neg", [GL_UNARY_ABS] = "abs", [GL_UNARY_SQRT] = "sqrt", [GL_UNARY_SQUARE] = "square",
  [GL_UNARY_RELU] = "relu", [GL_UNARY_STEP] = "step", [GL_UNARY_SIGN] = "sign", [GL_UNARY_RECIPROCAL] = "reciprocal",
  [GL_UNARY_EXP] = "exp", [GL_UNARY_SIGMOID] = "sigmoid", [GL_UNARY_LOG] = "log", [GL_UNARY_TANH] = "tanh",
  [GL_UNARY_SOFTPLUS] = "softplus"};
static const char *const BINARY_NAMES[GL_BINARY_COUNT] = {
  [GL_BINARY_ADD] = "add", [GL_BINARY_SUB] = "sub", [GL_BINARY_MUL] = "mul", [GL_BINARY_DIV] = "div",
  [GL_BINARY_MAXIMUM] = "maximum", [GL_BINARY_MINIMUM] = "minimum", [GL_BINARY_GT] = "gt", [GL_BINARY_GE] = "ge",
  [GL_BINARY_LT] = "lt", [GL_BINARY_LE] = "le", [GL_BINARY_EQ] = "eq", [GL_BINARY_MASK_POSITIVE] = "maskPositive",
  [GL_BINARY_POW] = "pow"};
static const char *const REDUCE_NAMES[GL_REDUCE_COUNT] = {
  [GL_REDUCE_SUM] = "sum", [GL_REDUCE_MAX] = "max", [GL_REDUCE_MIN] = "min"};
static const char *const ACTIVATION_NAMES[GL_ACT_COUNT] = {
  [GL_ACT_LINEAR] = "linear", [GL_ACT_RELU] = "relu", [GL_ACT_SIGMOID] = "sigmoid", [GL_ACT_TANH] = "tanh"};

/* ---- scalar-form math, inlined into the vectorised loops ---- */

typedef union { float f; uint32_t u; } fbits;

INLINE float bits_f(uint32_t u) { fbits b; b.u = u; return b.f; }
INLINE uint32_t f_bits(float f) { fbits b; b.f = f; return b.u; }

/* exp(x): x = n ln2 + r with |r| <= ln2/2, Cephes' degree-7 polynomial for e^r, and 2^n applied in
 * two halves so results down to the smallest denormal (and 0, and inf) come out right. The
 * rounding to n uses the 1.5 * 2^23 trick (no rint call, which SSE2 cannot vectorise). */
INLINE float exp_f(float x0) {
  float x = x0 > 89.f ? 89.f : x0;
  x = x < -104.f ? -104.f : x; /* NaN stays NaN */
  float n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = ((p * r) * r + r) + 1.f;
  int32_t ni = (int32_t)(x == x ? n : 0.f);
  int32_t n1 = ni >> 1;
  int32_t n2 = ni - n1;
  float s1 = bits_f((uint32_t)(n1 + 127) << 23);
  float s2 = bits_f((uint32_t)(n2 + 127) << 23);
  return (p * s1) * s2;
}

INLINE float sigmoid_f(float v) {
  float e = exp_f(-fabsf(v));
  float d = 1.f + e;
  return v >= 0.f ? 1.f / d : e / d;
}

/* tanh: Cephes' odd polynomial below 0.625, else 1 - 2 / (e^{2|x|} + 1) with x's sign. */
INLINE float tanh_f(float x) {
  float ax = fabsf(x);
  float z = x * x;
  float s = -5.70498872745e-3f;
  s = s * z + 2.06390887954e-2f;
  s = s * z - 5.37397155531e-2f;
  s = s * z + 1.33314422036e-1f;
  s = s * z - 3.33332819422e-1f;
  s = (s * z) * x + x;
  float e = exp_f(ax + ax);
  float b = 1.f - 2.f / (e + 1.f);
  /* odd: the sign is x's (the polynomial alone would turn -0 into +0) */
  return copysignf(ax < 0.625f ? s : b, x);
}

/* log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), Cephes' degree-9 polynomial in m - 1; denormals
 * scaled by 2^23 first; x < 0 and NaN give NaN, 0 gives -inf, inf gives inf. */
INLINE float log_f(float x) {
  int den = x < 1.17549435e-38f;
  float xs = den ? x * 8388608.f : x;
  uint32_t u = f_bits(xs);
  int32_t e = (int32_t)((u >> 23) & 0xff) - 126 - (den ? 23 : 0);
  float m = bits_f((u & 0x007fffffu) | 0x3f000000u); /* [0.5, 1) */
  int lo = m < 0.707106781186547524f;
  e = lo ? e - 1 : e;
  m = lo ? (m + m) - 1.f : m - 1.f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = (y * m) * z;
  float fe = (float)e;
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = (m + y) + fe * 0.693359375f;
  r = x == 0.f ? -INFINITY : r;
  r = x == INFINITY ? INFINITY : r;
  return x >= 0.f ? r : NAN; /* negative and NaN */
}

/* ---- unary ---- */

#define UNARY_LOOP(EXPR)                                  \
  for (int64_t i = 0; i < n; i++) {                       \
    float v = x[i];                                       \
    out[i] = (EXPR);                                      \
  }                                                       \
  return;

GL_CLONES static void unary_run(int op, const float *x, float *out, int64_t n) {
  switch (op) {
    case GL_UNARY_NEG: UNARY_LOOP(-v)
    case GL_UNARY_EXP: UNARY_LOOP(exp_f(v))
    case GL_UNARY_LOG: UNARY_LOOP(log_f(v))
    case GL_UNARY_SQRT: UNARY_LOOP(sqrtf(v))
    case GL_UNARY_ABS: UNARY_LOOP(fabsf(v))
    case GL_UNARY_SQUARE: UNARY_LOOP(v * v)
    case GL_UNARY_SIGN: UNARY_LOOP(v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f))
    case GL_UNARY_SIGMOID: UNARY_LOOP(sigmoid_f(v))
    case GL_UNARY_TANH: UNARY_LOOP(tanh_f(v))
    case GL_UNARY_RELU: UNARY_LOOP(v > 0.f ? v : 0.f)
    case GL_UNARY_STEP: UNARY_LOOP(v >= 0.f ? 1.f : 0.f)
    case GL_UNARY_RECIPROCAL: UNARY_LOOP(1.f / v)
    case GL_UNARY_SOFTPLUS:
      /* log(1 + e^v) without overflow, in double through libm, as the reference */
      for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        out[i] = (float)(v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)));
      }
      return;
    default: return;
  }
}

void gl_unary_f32(int op, const float *x, float *out, int64_t n) { unary_run(op, x, out, n); }

typedef struct { int op; const float *x; float *out; } unary_ctx;

static void unary_task(void *p, int64_t b, int64_t e, int t) {
  (void)t;
  unary_ctx *c = p;
  unary_run(c->op, c->x + b, c->out + b, e - b);
}

/* ---- binary ---- */

/* JS's Math.pow special cases where C's pow differs: a NaN exponent, and (+-1) ** (+-inf). */
INLINE float pow_js(float a, float b) {
  if (b != b) return NAN;
  if (fabsf(a) == 1.f && isinf(b)) return NAN;
  return (float)pow((double)a, (double)b);
}

#define BIN_LOOPS(EXPR)                                                          \
  if (as && bs) {                                                                \
    for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); } \
  } else if (as) {                                                               \
    float y = b[0];                                                              \
    for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); }           \
  } else if (bs) {                                                               \
    float x = a[0];                                                              \
    for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); }           \
  } else {                                                                       \
    float x = a[0], y = b[0];                                                    \
    float r = (EXPR);                                                            \
    for (int64_t i = 0; i < n; i++) o[i] = r;                                    \
  }                                                                              \
  return;

/* o[i] = op(a[i * as], b[i * bs]) for i < n, as and bs each 0 (one value) or 1 (contiguous). */
GL_CLONES static void binary_run(int op, const float *a, int as, const float *b, int bs, float *o, int64_t n) {
  switch (op) {
    case GL_BINARY_ADD: BIN_LOOPS(x + y)
    case GL_BINARY_SUB: BIN_LOOPS(x - y)
    case GL_BINARY_MUL: BIN_LOOPS(x * y)
    case GL_BINARY_DIV: BIN_LOOPS(x / y)
    case GL_BINARY_MAXIMUM: BIN_LOOPS(x >= y ? x : y)
    case GL_BINARY_MINIMUM: BIN_LOOPS(x <= y ? x : y)
    case GL_BINARY_GT: BIN_LOOPS(x > y ? 1.f : 0.f)
    case GL_BINARY_GE: BIN_LOOPS(x >= y ? 1.f : 0.f)
    case GL_BINARY_LT: BIN_LOOPS(x < y ? 1.f : 0.f)
    case GL_BINARY_LE: BIN_LOOPS(x <= y ? 1.f : 0.f)
    case GL_BINARY_EQ: BIN_LOOPS(x == y ? 1.f : 0.f)
    case GL_BINARY_MASK_POSITIVE: BIN_LOOPS(x * (y > 0.f ? 1.f : 0.f))
    case GL_BINARY_POW:
      for (int64_t i = 0; i < n; i++) o[i] = pow_js(a[as ? i : 0], b[bs ? i : 0]);
      return;
    default: return;
  }
}

#define MAX_RANK 32
/* A short repeated row (a bias of a few channels) is tiled to at least this many floats, so the
 * kernel runs long vectors instead of a loop per few-float row. */
#define TILE_MIN 256

typedef struct {
  int op, rank;
  const float *a, *b;
  float *o;
  int64_t shape[MAX_RANK], as[MAX_RANK], bs[MAX_RANK];
  int64_t inner; /* length of a run: shape[rank-1] */
  int64_t rowsPer; /* rows per run (tiled rows: > 1) */
  const float *tile; /* the tiled row, or NULL */
  int tileIsA;
} binary_ctx;

static void binary_task(void *p, int64_t r0, int64_t r1, int t) {
  (void)t;
  binary_ctx *c = p;
  const int R = c->rank;
  const int64_t inner = c->inner;
  const int aIn = c->as[R - 1] != 0, bIn = c->bs[R - 1] != 0;
  if (c->tile) {
    /* rank 2: one operand full, the other one row; units are groups of rowsPer rows */
    const int64_t rows = c->shape[0];
    for (int64_t u = r0; u < r1; u++) {
      int64_t row = u * c->rowsPer;
      int64_t len = (row + c->rowsPer <= rows ? c->rowsPer : rows - row) * inner;
      int64_t off = row * inner;
      if (c->tileIsA) binary_run(c->op, c->tile, 1, c->b + off, 1, c->o + off, len);
      else binary_run(c->op, c->a + off, 1, c->tile, 1, c->o + off, len);
    }
    return;
  }
  /* the outer index of row r0, then an odometer over the outer axes */
  int64_t idx[MAX_RANK];
  int64_t ao = 0, bo = 0, rem = r0;
  for (int d = R - 2; d >= 0; d--) {
    idx[d] = rem % c->shape[d];
    rem /= c->shape[d];
    ao += idx[d] * c->as[d];
    bo += idx[d] * c->bs[d];
  }
  for (int64_t r = r0; r < r1; r++) {
    binary_run(c->op, c->a + ao, aIn, c->b + bo, bIn, c->o + r * inner, inner);
    for (int d = R - 2; d >= 0; d--) {
      idx[d]++;
      ao += c->as[d];
      bo += c->bs[d];
      if (idx[d] < c->shape[d]) break;
      ao -= c->as[d] * c->shape[d];
      bo -= c->bs[d] * c->shape[d];
      idx[d] = 0;
    }
  }
}

/* ---- reductions ---- */

/* Floats of x per summation block: the partial of a block is one double per column; blocks are
 * folded in order. Depends only on the shape. */
#define SUM_BLOCK 65536
/* Rows shorter than this are summed R at a time (R * inner columns of independent chains). */
#define SUM_WIDTH 64
#define SUM_TILE 512

/* acc[j] (double) = sum over `rows` rows of x[rows, inner] of column j: rows taken R at a time as
 * R * inner independent columns (folded in r order afterwards), then the rows left over. */
GL_CLONES static void sum_block(const float *x, int64_t rows, int64_t inner, double *acc) {
  int64_t R = inner >= SUM_WIDTH ? 1 : (SUM_WIDTH + inner - 1) / inner;
  if (R > 1 && rows < 2 * R) R = 1;
  const int64_t W = R * inner;
  const int64_t q = rows / R;
  double t[SUM_TILE];
  for (int64_t j0 = 0; j0 < W; j0 += SUM_TILE) {
    const int64_t w = W - j0 < SUM_TILE ? W - j0 : SUM_TILE;
    for (int64_t j = 0; j < w; j++) t[j] = 0;
    for (int64_t r = 0; r < q; r++) {
      const float *row = x + r * W + j0;
      for (int64_t j = 0; j < w; j++) t[j] += (double)row[j];
    }
    if (R == 1) {
      for (int64_t j = 0; j < w; j++) acc[j0 + j] = t[j];
    } else {
      /* (W < SUM_TILE here: one tile) */
      for (int64_t j = 0; j < inner; j++) {
        double s = t[j];
        for (int64_t k = 1; k < R; k++) s += t[k * inner + j];
        acc[j] = s;
      }
    }
  }
  for (int64_t r = q * R; r < rows; r++) {
    const float *row = x + r * inner;
    for (int64_t j = 0; j < inner; j++) acc[j] += (double)row[j];
  }
}

typedef struct {
  const float *x;
  int64_t axis, inner, blockRows, blocks;
  double *part; /* [outer * blocks, inner] */
} sum_ctx;

static void sum_task(void *p, int64_t u0, int64_t u1, int t) {
  (void)t;
  sum_ctx *c = p;
  for (int64_t u = u0; u < u1; u++) {
    int64_t o = u / c->blocks, k = u % c->blocks;
    int64_t r0 = k * c->blockRows;
    int64_t rows = r0 + c->blockRows <= c->axis ? c->blockRows : c->axis - r0;
    sum_block(c->x + (o * c->axis + r0) * c->inner, rows, c->inner, c->part + u * c->inner);
  }
}

/* out[o, j] = sum_a x[o, a, j] in double: blocks of about SUM_BLOCK floats, folded in order. */
static int sum_reduce(const float *x, int64_t outer, int64_t axis, int64_t inner, float *out) {
  if (outer == 0 || inner == 0) return 1;
  if (axis == 0) {
    for (int64_t i = 0; i < outer * inner; i++) out[i] = 0.f;
    return 1;
  }
  int64_t blockRows = SUM_BLOCK / inner;
  if (blockRows < 1) blockRows = 1;
  if (blockRows >= SUM_WIDTH) blockRows -= blockRows % SUM_WIDTH; /* whole R-row groups */
  const int64_t blocks = (axis + blockRows - 1) / blockRows;
  double *part = malloc(sizeof(double) * (size_t)(outer * blocks * inner));
  if (!part) return 0;
  sum_ctx c = {x, axis, inner, blockRows, blocks, part};
  int64_t perUnit = blockRows * inner;
  int64_t grain = ELT_GRAIN / (perUnit > 0 ? perUnit : 1);
  gl_parallel_for(outer * blocks, grain < 1 ? 1 : grain, sum_task, &c);
  for (int64_t o = 0; o < outer; o++) {
    const double *p = part + o * blocks * inner;
    for (int64_t j = 0; j < inner; j++) {
      double s = p[j];
      for (int64_t k = 1; k < blocks; k++) s += p[k * inner + j];
      out[o * inner + j] = (float)s;
    }
  }
  free(part);
  return 1;
}

void gl_sum_rows_f32(const float *x, int64_t rows, int64_t inner, float *out) {
  if (!sum_reduce(x, 1, rows, inner, out)) {
    /* no memory for the partials: one block, on this thread */
    double *acc = calloc((size_t)inner, sizeof(double));
    if (!acc) return;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < inner; j++) acc[j] += x[r * inner + j];
    for (int64_t j = 0; j < inner; j++) out[j] = (float)acc[j];
    free(acc);
  }
}

/* The reference's rule: take v when it beats acc or is NaN (NaN sticks, ties keep acc). */
#define TAKE_MAX(v, acc) ((v) > (acc) || (v) != (v))
#define TAKE_MIN(v, acc) ((v) < (acc) || (v) != (v))

/* Max (min) down the columns of x[axis, inner] in row order: exactly the reference. */
GL_CLONES static void extreme_cols(int isMax, const float *x, int64_t axis, int64_t inner, float *out) {
  for (int64_t j = 0; j < inner; j++) out[j] = x[j];
  for (int64_t a = 1; a < axis; a++) {
    const float *row = x + a * inner;
    if (isMax) {
      for (int64_t j = 0; j < inner; j++) { float v = row[j], m = out[j]; out[j] = TAKE_MAX(v, m) ? v : m; }
    } else {
      for (int64_t j = 0; j < inner; j++) { float v = row[j], m = out[j]; out[j] = TAKE_MIN(v, m) ? v : m; }
    }
  }
}

#define LANES 32
/* Max (min) of a contiguous row: LANES interleaved chains, folded in lane order with the same
 * rule. Without NaN the reference returns the first element equal to the extreme; only the
 * sign of a zero can tell which that was, so a zero result is re-read from the row. */
GL_CLONES static float extreme_row(int isMax, const float *x, int64_t n) {
  float m;
  if (n < 2 * LANES) {
    m = x[0];
    for (int64_t i = 1; i < n; i++) {
      float v = x[i];
      m = (isMax ? TAKE_MAX(v, m) : TAKE_MIN(v, m)) ? v : m;
    }
    return m;
  }
  float l[LANES];
  for (int k = 0; k < LANES; k++) l[k] = x[k];
  int64_t q = n / LANES * LANES;
  for (int64_t i = LANES; i < q; i += LANES) {
    if (isMax) {
      for (int k = 0; k < LANES; k++) { float v = x[i + k], c = l[k]; l[k] = TAKE_MAX(v, c) ? v : c; }
    } else {
      for (int k = 0; k < LANES; k++) { float v = x[i + k], c = l[k]; l[k] = TAKE_MIN(v, c) ? v : c; }
    }
  }
  m = l[0];
  for (int k = 1; k < LANES; k++) m = (isMax ? TAKE_MAX(l[k], m) : TAKE_MIN(l[k], m)) ? l[k] : m;
  for (int64_t i = q; i < n; i++) m = (isMax ? TAKE_MAX(x[i], m) : TAKE_MIN(x[i], m)) ? x[i] : m;
  if (m == 0.f) {
    for (int64_t i = 0; i < n; i++) if (x[i] == 0.f) return x[i];
  }
  return m;
}

typedef struct { int isMax; const float *x; int64_t axis, inner; float *out; } extreme_ctx;

static void extreme_task(void *p, int64_t o0, int64_t o1, int t) {
  (void)t;
  extreme_ctx *c = p;
  for (int64_t o = o0; o < o1; o++) {
    const float *x = c->x + o * c->axis * c->inner;
    if (c->inner == 1) c->out[o] = extreme_row(c->isMax, x, c->axis);
    else extreme_cols(c->isMax, x, c->axis, c->inner, c->out + o * c->inner);
  }
}

typedef struct { int isMax; const float *x; int64_t axis, inner; float *out; } arg_ctx;

/* Index of the first strict max (min), as the reference: NaN never wins (unless it is first). */
static void arg_task(void *p, int64_t o0, int64_t o1, int t) {
  (void)t;
  arg_ctx *c = p;
  const int64_t axis = c->axis, inner = c->inner;
  for (int64_t o = o0; o < o1; o++) {
    for (int64_t j = 0; j < inner; j++) {
      const float *x = c->x + o * axis * inner + j;
      float best = x[0];
      int64_t bi = 0;
      if (c->isMax) {
        for (int64_t a = 1; a < axis; a++) { float v = x[a * inner]; if (v > best) { best = v; bi = a; } }
      } else {
        for (int64_t a = 1; a < axis; a++) { float v = x[a * inner]; if (v < best) { best = v; bi = a; } }
      }
      c->out[o * inner + j] = (float)bi;
    }
  }
}

/* ---- activation backward ---- */

GL_CLONES static void act_backward_run(int act, const float *dy, const float *y, float *dz, int64_t n) {
  switch (act) {
    case GL_ACT_RELU:
      for (int64_t i = 0; i < n; i++) dz[i] = dy[i] * (y[i] > 0.f ? 1.f : 0.f);
      return;
    case GL_ACT_SIGMOID:
      for (int64_t i = 0; i < n; i++) { float u = y[i]; dz[i] = dy[i] * (u * (1.f - u)); }
      return;
    case GL_ACT_TANH:
      for (int64_t i = 0; i < n; i++) { float u = y[i]; dz[i] = dy[i] * (1.f - u * u); }
      return;
    default:
      if (dz != dy) memmove(dz, dy, sizeof(float) * (size_t)n);
      return;
  }
}

typedef struct { int act; const float *dy, *y; float *dz; } act_ctx;

static void act_task(void *p, int64_t b, int64_t e, int t) {
  (void)t;
  act_ctx *c = p;
  act_backward_run(c->act, c->dy + b, c->y + b, c->dz + b, e - b);
}

GL_CLONES static void bias_add_rows(float *y, int64_t n, const float *bias, int64_t inner) {
  for (int64_t o = 0; o < n; o += inner)
    for (int64_t j = 0; j < inner; j++) y[o + j] += bias[j];
}

void gl_bias_act_f32(float *y, int64_t n, const float *bias, int64_t inner, int act) {
  if (bias && inner > 0) bias_add_rows(y, n, bias, inner);
  if (act == GL_ACT_RELU) unary_run(GL_UNARY_RELU, y, y, n);
  else if (act == GL_ACT_SIGMOID) unary_run(GL_UNARY_SIGMOID, y, y, n);
  else if (act == GL_ACT_TANH) unary_run(GL_UNARY_TANH, y, y, n);
}

/* ---- N-API wrappers: every length is checked against the sizes before any work ---- */

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

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

/* eltwiseUnary(op, x, out) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!args(env, info, 3, a, "eltwiseUnary(op, x, out)")) return NULL;
  int64_t op;
  size_t nx, no;
  float *x, *out;
  if (!gl_int(env, a[0], &op) || !(x = gl_f32(env, a[1], &nx)) || !(out = gl_f32(env, a[2], &no))) return NULL;
  if (op < 0 || op >= GL_UNARY_COUNT) return range_error(env, "eltwiseUnary: unknown op");
  if (nx != no) return range_error(env, "eltwiseUnary: x and out differ in length");
  unary_ctx c = {(int)op, x, out};
  gl_parallel_for((int64_t)nx, op == GL_UNARY_SOFTPLUS ? ELT_GRAIN / 16 : ELT_GRAIN, unary_task, &c);
  return undef(env);
}

/* eltwiseBinary(op, a, b, out, dims): dims = [rank, aShape..., bShape..., outShape...], the
 * operands' shapes already left-padded to the output's rank (backend.ts). */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  napi_value v[5];
  if (!args(env, info, 5, v, "eltwiseBinary(op, a, b, out, dims)")) return NULL;
  int64_t op;
  size_t na, nb, no, nd;
  float *a, *b, *o;
  int32_t *dims;
  if (!gl_int(env, v[0], &op) || !(a = gl_f32(env, v[1], &na)) || !(b = gl_f32(env, v[2], &nb)) ||
      !(o = gl_f32(env, v[3], &no)) || !(dims = gl_i32(env, v[4], &nd)))
    return NULL;
  if (op < 0 || op >= GL_BINARY_COUNT) return range_error(env, "eltwiseBinary: unknown op");
  if (nd < 1) return range_error(env, "eltwiseBinary: dims is empty");
  const int rank = dims[0];
  if (rank < 0 || rank > MAX_RANK || nd < (size_t)(1 + 3 * rank)) return range_error(env, "eltwiseBinary: bad rank");
  const int32_t *sa = dims + 1, *sb = dims + 1 + rank, *so = dims + 1 + 2 * rank;
  int64_t pa = 1, pb = 1, po = 1;
  for (int d = 0; d < rank; d++) {
    if (sa[d] < 0 || sb[d] < 0 || so[d] < 0) return range_error(env, "eltwiseBinary: negative dimension");
    if ((sa[d] != so[d] && sa[d] != 1) || (sb[d] != so[d] && sb[d] != 1))
      return range_error(env, "eltwiseBinary: shapes do not broadcast to the output");
    pa *= sa[d];
    pb *= sb[d];
    po *= so[d];
  }
  if ((size_t)pa != na || (size_t)pb != nb || (size_t)po != no)
    return range_error(env, "eltwiseBinary: array lengths do not match the shapes");
  const int64_t n = po;
  if (n == 0) return undef(env);
  binary_ctx c;
  c.op = (int)op;
  c.a = a;
  c.b = b;
  c.o = o;
  c.tile = NULL;
  c.tileIsA = 0;
  c.rowsPer = 1;
  /* broadcast strides, then adjacent axes that both operands walk the same way coalesced */
  int64_t astr[MAX_RANK], bstr[MAX_RANK];
  int64_t accA = 1, accB = 1;
  for (int d = rank - 1; d >= 0; d--) {
    astr[d] = sa[d] == 1 && so[d] != 1 ? 0 : accA;
    bstr[d] = sb[d] == 1 && so[d] != 1 ? 0 : accB;
    accA *= sa[d];
    accB *= sb[d];
  }
  int R = 0;
  for (int d = 0; d < rank; d++) {
    if (so[d] == 1) continue;
    if (R > 0 && c.as[R - 1] == astr[d] * so[d] && c.bs[R - 1] == bstr[d] * so[d]) {
      c.shape[R - 1] *= so[d];
      c.as[R - 1] = astr[d];
      c.bs[R - 1] = bstr[d];
    } else {
      c.shape[R] = so[d];
      c.as[R] = astr[d];
      c.bs[R] = bstr[d];
      R++;
    }
  }
  if (R == 0) { /* every axis 1: one element */
    c.shape[0] = 1;
    c.as[0] = 1;
    c.bs[0] = 1;
    R = 1;
  }
  c.rank = R;
  c.inner = c.shape[R - 1];
  float tile[TILE_MIN + SUM_WIDTH * 4];
  int64_t rows = n / c.inner;
  if (R == 2 && c.inner < TILE_MIN && rows > 1) {
    /* one operand full, the other one row repeated: tile the row */
    int aRow = c.as[0] == 0 && c.as[1] == 1 && c.bs[0] == c.inner && c.bs[1] == 1;
    int bRow = c.bs[0] == 0 && c.bs[1] == 1 && c.as[0] == c.inner && c.as[1] == 1;
    if (aRow || bRow) {
      int64_t k = (TILE_MIN + c.inner - 1) / c.inner;
      if (k > rows) k = rows;
      const float *row = aRow ? a : b;
      for (int64_t r = 0; r < k; r++) memcpy(tile + r * c.inner, row, sizeof(float) * (size_t)c.inner);
      c.tile = tile;
      c.tileIsA = aRow;
      c.rowsPer = k;
      int64_t units = (rows + k - 1) / k;
      int64_t grain = ELT_GRAIN / (k * c.inner);
      gl_parallel_for(units, grain < 1 ? 1 : grain, binary_task, &c);
      return undef(env);
    }
  }
  int64_t grain = (op == GL_BINARY_POW ? ELT_GRAIN / 16 : ELT_GRAIN) / c.inner;
  gl_parallel_for(rows, grain < 1 ? 1 : grain, binary_task, &c);
  return undef(env);
}

static int reduce_args(napi_env env, napi_callback_info info, const char *fn, int64_t *op, const float **x,
  int64_t *outer, int64_t *axis, int64_t *inner, float **out) {
  napi_value v[6];
  if (!args(env, info, 6, v, fn)) return 0;
  size_t nx, no;
  float *xx;
  if (!gl_int(env, v[0], op) || !(xx = gl_f32(env, v[1], &nx)) || !gl_int(env, v[2], outer) || !gl_int(env, v[3], axis) ||
      !gl_int(env, v[4], inner) || !(*out = gl_f32(env, v[5], &no)))
    return 0;
  *x = xx;
  if (*outer < 0 || *axis < 0 || *inner < 0 || (size_t)(*outer * *axis * *inner) != nx || (size_t)(*outer * *inner) != no) {
    napi_throw_range_error(env, NULL, "eltwise reduce: lengths do not match [outer, axis, inner]");
    return 0;
  }
  return 1;
}

/* eltwiseReduce(op, x, outer, axis, inner, out) */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  int64_t op, outer, axis, inner;
  const float *x;
  float *out;
  if (!reduce_args(env, info, "eltwiseReduce(op, x, outer, axis, inner, out)", &op, &x, &outer, &axis, &inner, &out)) return NULL;
  if (op < 0 || op >= GL_REDUCE_COUNT) return range_error(env, "eltwiseReduce: unknown op");
  if (op == GL_REDUCE_SUM) {
    if (!sum_reduce(x, outer, axis, inner, out)) return range_error(env, "eltwiseReduce: out of memory");
    return undef(env);
  }
  if (axis < 1) return range_error(env, "eltwiseReduce: max/min over an empty axis");
  extreme_ctx c = {op == GL_REDUCE_MAX, x, axis, inner, out};
  int64_t grain = ELT_GRAIN / (axis * inner > 0 ? axis * inner : 1);
  gl_parallel_for(outer, grain < 1 ? 1 : grain, extreme_task, &c);
  return undef(env);
}

/* eltwiseArgReduce(isMax, x, outer, axis, inner, out) */
static napi_value js_arg_reduce(napi_env env, napi_callback_info info) {
  int64_t op, outer, axis, inner;
  const float *x;
  float *out;
  if (!reduce_args(env, info, "eltwiseArgReduce(isMax, x, outer, axis, inner, out)", &op, &x, &outer, &axis, &inner, &out))
    return NULL;
  if (axis < 1 && outer * inner > 0) return range_error(env, "eltwiseArgReduce: over an empty axis");
  arg_ctx c = {op != 0, x, axis, inner, out};
  int64_t grain = ELT_GRAIN / (axis * inner > 0 ? axis * inner : 1);
  gl_parallel_for(outer, grain < 1 ? 1 : grain, arg_task, &c);
  return undef(env);
}

/* eltwiseActivationBackward(act, dy, y, dz, dbias | null, inner) */
static napi_value js_act_backward(napi_env env, napi_callback_info info) {
  napi_value v[6];
  if (!args(env, info, 6, v, "eltwiseActivationBackward(act, dy, y, dz, dbias, inner)")) return NULL;
  int64_t act, inner;
  size_t ndy, ny, ndz, nbias = 0;
  float *dy, *y, *dz, *dbias = NULL;
  if (!gl_int(env, v[0], &act) || !(dy = gl_f32(env, v[1], &ndy)) || !(y = gl_f32(env, v[2], &ny)) ||
      !(dz = gl_f32(env, v[3], &ndz)) || !gl_int(env, v[5], &inner))
    return NULL;
  if (!is_null(env, v[4]) && !(dbias = gl_f32(env, v[4], &nbias))) return NULL;
  if (act < 0 || act >= GL_ACT_COUNT) return range_error(env, "eltwiseActivationBackward: unknown activation");
  if (ndy != ny || ndy != ndz) return range_error(env, "eltwiseActivationBackward: dy, y and dz differ in length");
  if (dbias && (inner < 1 || (size_t)inner != nbias || ndy % (size_t)inner != 0))
    return range_error(env, "eltwiseActivationBackward: dbias must hold `inner` values, and dy whole rows of them");
  act_ctx c = {(int)act, dy, y, dz};
  gl_parallel_for((int64_t)ndy, ELT_GRAIN, act_task, &c);
  if (dbias) gl_sum_rows_f32(dz, (int64_t)ndy / inner, inner, dbias);
  return undef(env);
}

static void set_names(napi_env env, napi_value obj, const char *key, const char *const *names, int count) {
  napi_value arr;
  napi_create_array_with_length(env, (size_t)count, &arr);
  for (int i = 0; i < count; i++) {
    napi_value s;
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, (uint32_t)i, s);
  }
  napi_set_named_property(env, obj, key, arr);
}

void gl_register_eltwise(napi_env env, napi_value exports) {
  gl_export(env, exports, "eltwiseUnary", js_unary);
  gl_export(env, exports, "eltwiseBinary", js_binary);
  gl_export(env, exports, "eltwiseReduce", js_reduce);
  gl_export(env, exports, "eltwiseArgReduce", js_arg_reduce);
  gl_export(env, exports, "eltwiseActivationBackward", js_act_backward);
  /* the op codes, as name lists in code order */
  napi_value codes;
  napi_create_object(env, &codes);
  set_names(env, codes, "unary", UNARY_NAMES, GL_UNARY_COUNT);
  set_names(env, codes, "binary", BINARY_NAMES, GL_BINARY_COUNT);
  set_names(env, codes, "reduce", REDUCE_NAMES, GL_REDUCE_COUNT);
  set_names(env, codes, "activation", ACTIVATION_NAMES, GL_ACT_COUNT);
  napi_set_named_property(env, exports, "eltwiseCodes", codes);
}
