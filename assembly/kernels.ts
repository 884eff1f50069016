// gradlab's wasm kernels (f32 only). One source, built four ways (plain SIMD or relaxed SIMD,
// private or shared memory); ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build
// keeps exactly one microkernel. Every pointer is a byte address in the imported memory, and the
// JS side owns the memory layout: these functions never allocate.

// The microkernels start from C (masked to zero when overwriting) rather than adding C after the
// loop: with a branch in the epilogue V8 spilled accumulators inside the loop (6x8: 25 against
// 58 GFLOP/s in cache).
// Register blocking: 6x8 with relaxed SIMD, 4x8 with plain SIMD. With FMA a 6x8 tile needs 12
// accumulators + 2 B vectors + 1 A broadcast = 15 xmm registers; plain SIMD's separate multiply
// needs a temporary per product, so 6x8 spills there and 4x8 is its best tile (PERF-NOTES.md).
// Measured in cache, one thread: relaxed 6x8 57 GFLOP/s against 51 for relaxed 4x8.
import {
  ACT_RELU, ACT_SIGMOID, ACT_TANH, BINARY_ADD, BINARY_DIV, BINARY_GE, BINARY_GT, BINARY_LE, BINARY_LT, BINARY_MASK_POSITIVE,
  BINARY_MAXIMUM, BINARY_MINIMUM, BINARY_MUL, BINARY_SUB, REDUCE_MAX, REDUCE_SUM, UNARY_ABS, UNARY_EXP, UNARY_NEG,
  UNARY_RECIPROCAL, UNARY_RELU, UNARY_SIGMOID, UNARY_SIGN, UNARY_SQRT, UNARY_SQUARE, UNARY_STEP,
} from './codes';

const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR: i32 = 8;
const KC: i32 = 384;
const MC: i32 = 96;
const NC: i32 = 4096;
const UNPACKED_MAX_N: i32 = 128;
const UNPACKED_MAX_K: i32 = 64;

// Edge tiles go through an MR x 8 scratch tile kept right after the A-packing buffer, so each
// thread (each with its own packing buffers) has its own.
const TILE_FLOATS: i32 = MR * 8;

export function mr(): i32 {
  return MR;
}

export function heapBase(): usize {
  return __heap_base;
}

/** Floats of A-packing space gemm needs (including its edge tile). */
export function packASize(): i32 {
  return MC * KC + TILE_FLOATS;
}

/** Floats of packed B for op(B)[k, n] (all of it: packed once, shared by the threads). */
export function packBSize(n: i32, k: i32): i32 {
  return k * (((n + NR - 1) / NR) * NR);
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// C[4x8] (=|+=) Apanel[kc x 4] . Bpanel[kc x 8]; ldc in bytes.
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  const keep = overwrite ? i32x4.splat(0) : i32x4.splat(-1);
  let r0 = c;
  let c00 = v128.and(v128.load(r0), keep), c01 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c10 = v128.and(v128.load(r0), keep), c11 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c20 = v128.and(v128.load(r0), keep), c21 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c30 = v128.and(v128.load(r0), keep), c31 = v128.and(v128.load(r0, 16), keep);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  let r = c;
  v128.store(r, c00); v128.store(r, c01, 16); r += ldc;
  v128.store(r, c10); v128.store(r, c11, 16); r += ldc;
  v128.store(r, c20); v128.store(r, c21, 16); r += ldc;
  v128.store(r, c30); v128.store(r, c31, 16);
}

// As kernel4x8, reading A in place (4 rows of a row-major matrix, lda in bytes) instead of from a
// packed panel: for the skinny products of convolution (n = output channels) packing A would
// cost as much as the multiply (PERF-NOTES.md: per-image im2col + unpacked A was fastest).
function kernel4x8u(kc: i32, a: usize, lda: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  const keep = overwrite ? i32x4.splat(0) : i32x4.splat(-1);
  let r0 = c;
  let c00 = v128.and(v128.load(r0), keep), c01 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c10 = v128.and(v128.load(r0), keep), c11 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c20 = v128.and(v128.load(r0), keep), c21 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c30 = v128.and(v128.load(r0), keep), c31 = v128.and(v128.load(r0, 16), keep);
  let a0 = a;
  const a1 = lda, a2 = lda << 1, a3 = lda * 3;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let v = v128.load32_splat(a0);
    c00 = madd(v, b0, c00); c01 = madd(v, b1, c01);
    v = v128.load32_splat(a0 + a1);
    c10 = madd(v, b0, c10); c11 = madd(v, b1, c11);
    v = v128.load32_splat(a0 + a2);
    c20 = madd(v, b0, c20); c21 = madd(v, b1, c21);
    v = v128.load32_splat(a0 + a3);
    c30 = madd(v, b0, c30); c31 = madd(v, b1, c31);
    a0 += 4;
    pb += 32;
  }
  let r = c;
  v128.store(r, c00); v128.store(r, c01, 16); r += ldc;
  v128.store(r, c10); v128.store(r, c11, 16); r += ldc;
  v128.store(r, c20); v128.store(r, c21, 16); r += ldc;
  v128.store(r, c30); v128.store(r, c31, 16);
}


// The relaxed build's tile: C[6x8] (=|+=) Apanel[kc x 6] . Bpanel[kc x 8].
function kernel6x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  const keep = overwrite ? i32x4.splat(0) : i32x4.splat(-1);
  let r0 = c;
  let c00 = v128.and(v128.load(r0), keep), c01 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c10 = v128.and(v128.load(r0), keep), c11 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c20 = v128.and(v128.load(r0), keep), c21 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c30 = v128.and(v128.load(r0), keep), c31 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c40 = v128.and(v128.load(r0), keep), c41 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c50 = v128.and(v128.load(r0), keep), c51 = v128.and(v128.load(r0, 16), keep);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    pa += 24;
    pb += 32;
  }
  let r = c;
  v128.store(r, c00); v128.store(r, c01, 16); r += ldc;
  v128.store(r, c10); v128.store(r, c11, 16); r += ldc;
  v128.store(r, c20); v128.store(r, c21, 16); r += ldc;
  v128.store(r, c30); v128.store(r, c31, 16); r += ldc;
  v128.store(r, c40); v128.store(r, c41, 16); r += ldc;
  v128.store(r, c50); v128.store(r, c51, 16);
}

// As kernel6x8, reading 6 rows of A in place (lda in bytes).
function kernel6x8u(kc: i32, a: usize, lda: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  const keep = overwrite ? i32x4.splat(0) : i32x4.splat(-1);
  let r0 = c;
  let c00 = v128.and(v128.load(r0), keep), c01 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c10 = v128.and(v128.load(r0), keep), c11 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c20 = v128.and(v128.load(r0), keep), c21 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c30 = v128.and(v128.load(r0), keep), c31 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c40 = v128.and(v128.load(r0), keep), c41 = v128.and(v128.load(r0, 16), keep); r0 += ldc;
  let c50 = v128.and(v128.load(r0), keep), c51 = v128.and(v128.load(r0, 16), keep);
  let a0 = a;
  const a3 = a + lda * 3;
  let a1 = a3;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let v = v128.load32_splat(a0);
    c00 = madd(v, b0, c00); c01 = madd(v, b1, c01);
    v = v128.load32_splat(a0 + lda);
    c10 = madd(v, b0, c10); c11 = madd(v, b1, c11);
    v = v128.load32_splat(a0 + (lda << 1));
    c20 = madd(v, b0, c20); c21 = madd(v, b1, c21);
    v = v128.load32_splat(a1);
    c30 = madd(v, b0, c30); c31 = madd(v, b1, c31);
    v = v128.load32_splat(a1 + lda);
    c40 = madd(v, b0, c40); c41 = madd(v, b1, c41);
    v = v128.load32_splat(a1 + (lda << 1));
    c50 = madd(v, b0, c50); c51 = madd(v, b1, c51);
    a0 += 4;
    a1 += 4;
    pb += 32;
  }
  let r = c;
  v128.store(r, c00); v128.store(r, c01, 16); r += ldc;
  v128.store(r, c10); v128.store(r, c11, 16); r += ldc;
  v128.store(r, c20); v128.store(r, c21, 16); r += ldc;
  v128.store(r, c30); v128.store(r, c31, 16); r += ldc;
  v128.store(r, c40); v128.store(r, c41, 16); r += ldc;
  v128.store(r, c50); v128.store(r, c51, 16);
}

@inline function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) kernel6x8(kc, pa, pb, c, ldc, overwrite);
  else kernel4x8(kc, pa, pb, c, ldc, overwrite);
}

@inline function microU(kc: i32, a: usize, lda: usize, pb: usize, c: usize, ldc: usize, overwrite: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) kernel6x8u(kc, a, lda, pb, c, ldc, overwrite);
  else kernel4x8u(kc, a, lda, pb, c, ldc, overwrite);
}

// Packs op(A)[0:mc, 0:kc] (a points at its first element) into MR-tall panels [kc][MR],
// zero-padding the last panel.
function packA(mc: i32, kc: i32, a: usize, lda: i32, transA: bool, pa: usize): void {
  const ld = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = pa + (<usize>(ir * kc) << 2);
    if (!transA) {
      for (let r = 0; r < rows; r++) {
        let src = a + <usize>(ir + r) * ld;
        let dst = panel + (<usize>r << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(dst, load<f32>(src));
          src += 4;
          dst += <usize>MR << 2;
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + <usize>p * ld + (<usize>ir << 2);
        const dst = panel + (<usize>(p * MR) << 2);
        if (rows == MR) {
          v128.store(dst, v128.load(src));
          if (MR == 6) store<u64>(dst, load<u64>(src, 16), 16);
        } else {
          for (let r = 0; r < rows; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
        }
      }
    }
    for (let r = rows; r < MR; r++) {
      let dst = panel + (<usize>r << 2);
      for (let p = 0; p < kc; p++) {
        store<f32>(dst, 0);
        dst += <usize>MR << 2;
      }
    }
  }
}

// Packs op(B)[0:kc, 0:nc] into NR-wide panels [kc][NR], zero-padding the last panel.
function packB(kc: i32, nc: i32, b: usize, ldb: i32, transB: bool, pb: usize): void {
  const ld = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = pb + (<usize>(jr * kc) << 2);
    if (!transB) {
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          const src = b + <usize>p * ld + (<usize>jr << 2);
          const dst = panel + (<usize>p << 5);
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const src = b + <usize>p * ld + (<usize>jr << 2);
          const dst = panel + (<usize>p << 5);
          v128.store(dst, f32x4.splat(0));
          v128.store(dst, f32x4.splat(0), 16);
          for (let j = 0; j < cols; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
        }
      }
    } else {
      for (let j = 0; j < NR; j++) {
        let dst = panel + (<usize>j << 2);
        if (j < cols) {
          let src = b + <usize>(jr + j) * ld;
          for (let p = 0; p < kc; p++) {
            store<f32>(dst, load<f32>(src));
            src += 4;
            dst += 32;
          }
        } else {
          for (let p = 0; p < kc; p++) {
            store<f32>(dst, 0);
            dst += 32;
          }
        }
      }
    }
  }
}

/**
 * Packs all of op(B)[k,n] (op(B)[p,j] is B[p*ldb+j], or B[j*ldb+p] when transB) for gemmPacked:
 * the (jc, pc) block sits at float offset jc*k + pc*ncPadded and holds NR-wide panels [kc][NR].
 */
export function packBAll(n: i32, k: i32, b: usize, ldb: i32, transB: bool, pb: usize): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const ncp = ((nc + NR - 1) / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const bBase = transB
        ? b + ((<usize>jc * <usize>ldb + <usize>pc) << 2)
        : b + ((<usize>pc * <usize>ldb + <usize>jc) << 2);
      packB(kc, nc, bBase, ldb, transB, pb + ((<usize>jc * <usize>k + <usize>pc * <usize>ncp) << 2));
    }
  }
}

/**
 * C[m,n] (=, or += when accumulate) op(A)[m,k] . B, with B packed by packBAll. op(A)[i,p] is
 * A[i*lda+p], or A[p*lda+i] when transA; C[i*ldc+j]. pa holds packASize() floats.
 * Goto/BLIS loop nest: jc -> pc -> ic (pack A) -> jr -> ir -> microkernel.
 */
export function gemmPacked(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool, pb: usize, c: usize, ldc: i32,
  accumulate: bool, pa: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldcB = <usize>ldc << 2;
  const ldaB = <usize>lda << 2;
  const tile = pa + (<usize>(MC * KC) << 2);
  // Skinny products (few output columns) skip packing A: it would cost as much as the multiply.
  // So do short ones (a conv's input gradient: k = output channels), whose A rows stay in L1.
  const unpacked = !transA && (n <= UNPACKED_MAX_N || k <= UNPACKED_MAX_K);
  if (k <= 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcB, 0, <usize>n << 2);
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const ncp = ((nc + NR - 1) / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const pbBlock = pb + ((<usize>jc * <usize>k + <usize>pc * <usize>ncp) << 2);
      const overwrite = pc == 0 && !accumulate;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        const aBase = transA
          ? a + ((<usize>pc * <usize>lda + <usize>ic) << 2)
          : a + ((<usize>ic * <usize>lda + <usize>pc) << 2);
        // full row panels read A in place; a partial last panel is packed (zero-padded) into pa
        const fullRows = unpacked ? mc - mc % MR : 0;
        if (!unpacked) packA(mc, kc, aBase, lda, transA, pa);
        else if (fullRows < mc) packA(mc - fullRows, kc, aBase + <usize>fullRows * ldaB, lda, false, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pbp = pbBlock + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const inPlace = ir < fullRows;
            const pap = pa + (<usize>((unpacked ? ir - fullRows : ir) * kc) << 2);
            const ap = aBase + <usize>ir * ldaB;
            const cp = c + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 2);
            if (rows == MR && cols == NR) {
              if (inPlace) microU(kc, ap, ldaB, pbp, cp, ldcB, overwrite);
              else micro(kc, pap, pbp, cp, ldcB, overwrite);
            } else {
              if (inPlace) microU(kc, ap, ldaB, pbp, tile, NR << 2, true);
              else micro(kc, pap, pbp, tile, NR << 2, true);
              for (let r = 0; r < rows; r++) {
                const dst = cp + <usize>r * ldcB;
                const src = tile + (<usize>(r * NR) << 2);
                if (overwrite) {
                  for (let j = 0; j < cols; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
                } else {
                  for (let j = 0; j < cols; j++) {
                    const q = dst + (<usize>j << 2);
                    store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>j << 2)));
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/** gemmPacked with B packed first into pb (packBSize(n, k) floats). */
export function gemm(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool, b: usize, ldb: i32,
  transB: bool, c: usize, ldc: i32, accumulate: bool, pa: usize, pb: usize): void {
  if (m <= 0 || n <= 0) return;
  packBAll(n, k, b, ldb, transB, pb);
  gemmPacked(m, n, k, a, lda, transA, pb, c, ldc, accumulate, pa);
}

// ---- convolution: per-image im2col / col2im around gemm -------------------------------------
// Geometry block (i32 fields at g): inH inW inC outH outW outC kH kW strideH strideW dilationH
// dilationW padTop padLeft band. The im2col panel holds `band` output rows (0: the whole image):
// at 224x224x64 one image's panel is 115 MB, past the scratch cap, so the JS side picks a band
// whose panel fits each thread's share, and the kernels below loop over the bands of an image.

@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

// Output rows per im2col panel.
@inline function bandRows(g: usize): i32 {
  const b = gi(g, 14), outH = gi(g, 3);
  return b <= 0 || b > outH ? outH : b;
}

// Short contiguous runs (a kernel row of a few channels) are too short for memory.copy's call.
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

@inline function addRun(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

@inline function zeroRun(dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), f32x4.splat(0));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), 0);
}

// col[(oh1-oh0)*OW, KH*KW*C] for output rows oh0..oh1 of one NHWC image; rows follow the
// [kh][kw][c] order of the kernel.
function im2col(g: usize, x: usize, col: usize, oh0: i32, oh1: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), outW = gi(g, 4);
  const kH = gi(g, 6), kW = gi(g, 7), sH = gi(g, 8), sW = gi(g, 9), dH = gi(g, 10), dW = gi(g, 11);
  const pT = gi(g, 12), pL = gi(g, 13);
  const cb = <usize>C << 2;
  const rowRun = kW * C;
  let dst = col;
  for (let oh = oh0; oh < oh1; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const iw0 = ow * sW - pL;
      // with dilation 1 a kernel row inside the image is one contiguous run of kW*C floats
      const rowInside = dW == 1 && iw0 >= 0 && iw0 + kW <= inW;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - pT + kh * dH;
        if (ih < 0 || ih >= inH) {
          zeroRun(dst, rowRun);
          dst += <usize>rowRun << 2;
          continue;
        }
        if (rowInside) {
          copyRun(dst, x + <usize>(ih * inW + iw0) * cb, rowRun);
          dst += <usize>rowRun << 2;
          continue;
        }
        for (let kw = 0; kw < kW; kw++) {
          const iw = iw0 + kw * dW;
          if (iw >= 0 && iw < inW) copyRun(dst, x + <usize>(ih * inW + iw) * cb, C);
          else zeroRun(dst, C);
          dst += cb;
        }
      }
    }
  }
}

// dx (one image) += dcol's rows (output rows oh0..oh1) scattered back to their input cells.
function col2im(g: usize, dcol: usize, dx: usize, oh0: i32, oh1: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), outW = gi(g, 4);
  const kH = gi(g, 6), kW = gi(g, 7), sH = gi(g, 8), sW = gi(g, 9), dH = gi(g, 10), dW = gi(g, 11);
  const pT = gi(g, 12), pL = gi(g, 13);
  const cb = <usize>C << 2;
  const rowRun = kW * C;
  let src = dcol;
  for (let oh = oh0; oh < oh1; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const iw0 = ow * sW - pL;
      const rowInside = dW == 1 && iw0 >= 0 && iw0 + kW <= inW;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - pT + kh * dH;
        if (ih >= 0 && ih < inH) {
          if (rowInside) {
            addRun(dx + <usize>(ih * inW + iw0) * cb, src, rowRun);
          } else {
            for (let kw = 0; kw < kW; kw++) {
              const iw = iw0 + kw * dW;
              if (iw >= 0 && iw < inW) addRun(dx + <usize>(ih * inW + iw) * cb, src + (<usize>(kw * C) << 2), C);
            }
          }
        }
        src += <usize>rowRun << 2;
      }
    }
  }
}

@inline function isPointwise(g: usize): bool {
  // 1x1, stride 1, no padding: the image itself is the im2col matrix.
  return gi(g, 6) == 1 && gi(g, 7) == 1 && gi(g, 8) == 1 && gi(g, 9) == 1 &&
    gi(g, 12) == 0 && gi(g, 13) == 0 && gi(g, 0) == gi(g, 3) && gi(g, 1) == gi(g, 4);
}

// ---- direct convolution for one input channel, stride 1, dilation 1 (LeNet's first layer) ----
// im2col + GEMM wastes most of its time there: K = KH*KW is tiny, the im2col runs are KW floats
// long, and a few output channels make every GEMM tile an edge tile. Instead the lanes run over
// output channels (NHWC's contiguous axis, so results are stored as they are) and the register
// rows over four pixels (forward) or four taps (filter gradient), taps read in place from the
// zero-padded image: a 4 x (2 vectors of 4 channels) tile, 8 accumulators, no transposes. Channel
// counts that are not a multiple of 4 use a last vector overlapping the one before (6 channels:
// 0-3 and 2-5), whose shared lanes compute bit-identical values.

@inline function useDirectC1(g: usize): bool {
  return gi(g, 2) == 1 && gi(g, 5) >= 4 && gi(g, 8) == 1 && gi(g, 9) == 1 && gi(g, 10) == 1 && gi(g, 11) == 1 &&
    gi(g, 6) * gi(g, 7) >= 2 && directC1Floats(g) <= bandRows(g) * gi(g, 4) * gi(g, 6) * gi(g, 7);
}

// Width of the padded image: the output row rounded up to the 4-pixel tile, plus the kernel.
@inline function paddedWidthC1(g: usize): i32 {
  return ((gi(g, 4) + 3) & ~3) + gi(g, 7) - 1;
}

// Scratch floats (taken from the im2col buffer, band*OW*KH*KW floats): the padded image, then
// either the packed weights (forward) or one image's filter gradient and one channel pair of dy
// (backward), plus alignment.
@inline function directC1Floats(g: usize): i32 {
  const T = gi(g, 6) * gi(g, 7);
  const pairs = (((gi(g, 5) + 3) >> 2) + 1) >> 1;
  // image, 64-byte alignment, then the tile (32) + weights, or the gradient + its sink row
  return (gi(g, 3) + gi(g, 6) - 1) * paddedWidthC1(g) + 16 +
    max(32 + pairs * T * 8, (T + 1) * gi(g, 5) + 16 + gi(g, 3) * gi(g, 4) * 8);
}

// xp[(outH+KH-1) x wps] = the image with its padding (and the lane slack past outW) as zeros.
function padImageC1(g: usize, x: usize, xp: usize, wps: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), outH = gi(g, 3), kH = gi(g, 6);
  const pT = gi(g, 12), pL = gi(g, 13);
  const hp = outH + kH - 1;
  memory.fill(xp, 0, <usize>(hp * wps) << 2);
  for (let ih = 0; ih < inH; ih++) {
    const r = ih + pT;
    if (r >= hp) break;
    memory.copy(xp + (<usize>(r * wps + pL) << 2), x + (<usize>(ih * inW) << 2), <usize>min(inW, wps - pL) << 2);
  }
}

// First channel of the v-th 4-channel vector (N >= 4).
@inline function chanOffC1(v: i32, N: i32): i32 {
  return min(v << 2, N - 4);
}

function convForwardC1(g: usize, x: usize, w: usize, y: usize, nImg: i32, buf: usize): void {
  const inImg = <usize>(gi(g, 0) * gi(g, 1)) << 2;
  const outH = gi(g, 3), outW = gi(g, 4), N = gi(g, 5), kH = gi(g, 6), kW = gi(g, 7);
  const T = kH * kW;
  const wps = paddedWidthC1(g);
  const wpsB = <usize>wps << 2;
  const NV = (N + 3) >> 2;
  const pairs = (NV + 1) >> 1;
  const xp = buf;
  const tile = (xp + (<usize>((outH + kH - 1) * wps) << 2) + 63) & ~63;
  const wp = tile + 128;
  // wp[pair][t][8]: the two channel vectors of a pair, tap by tap
  for (let pr = 0; pr < pairs; pr++) {
    const c0 = chanOffC1(pr << 1, N), c1 = chanOffC1(min((pr << 1) + 1, NV - 1), N);
    for (let t = 0; t < T; t++) {
      const src = w + (<usize>(t * N) << 2);
      const dst = wp + (<usize>((pr * T + t) << 3) << 2);
      v128.store(dst, v128.load(src + (<usize>c0 << 2)));
      v128.store(dst, v128.load(src + (<usize>c1 << 2)), 16);
    }
  }
  const outImg = <usize>(outH * outW * N) << 2;
  const pixB = <usize>N << 2;
  for (let i = 0; i < nImg; i++) {
    padImageC1(g, x + <usize>i * inImg, xp, wps);
    const yi = y + <usize>i * outImg;
    for (let pr = 0; pr < pairs; pr++) {
      const c0B = <usize>chanOffC1(pr << 1, N) << 2;
      const c1B = <usize>chanOffC1(min((pr << 1) + 1, NV - 1), N) << 2;
      const wpp = wp + (<usize>(pr * T) << 5);
      for (let oh = 0; oh < outH; oh++) {
        const rowBase = xp + <usize>oh * wpsB;
        for (let ow0 = 0; ow0 < outW; ow0 += 4) {
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
          let a10 = f32x4.splat(0), a11 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0);
          let a30 = f32x4.splat(0), a31 = f32x4.splat(0);
          let wq = wpp;
          let r = rowBase + (<usize>ow0 << 2);
          for (let kh = 0; kh < kH; kh++) {
            let o = r;
            for (let kw = 0; kw < kW; kw++) {
              const w0 = v128.load(wq);
              const w1 = v128.load(wq, 16);
              let v = v128.load32_splat(o);
              a00 = madd(v, w0, a00); a01 = madd(v, w1, a01);
              v = v128.load32_splat(o, 4);
              a10 = madd(v, w0, a10); a11 = madd(v, w1, a11);
              v = v128.load32_splat(o, 8);
              a20 = madd(v, w0, a20); a21 = madd(v, w1, a21);
              v = v128.load32_splat(o, 12);
              a30 = madd(v, w0, a30); a31 = madd(v, w1, a31);
              wq += 32;
              o += 4;
            }
            r += wpsB;
          }
          // a partial block of pixels goes to the tile first (select, not a branch, before the stores)
          const npix = min(4, outW - ow0);
          const direct = yi + <usize>(oh * outW + ow0) * pixB;
          const d = select<usize>(direct, tile, npix == 4);
          const step = select<usize>(pixB, 32, npix == 4);
          const e0 = select<usize>(c0B, 0, npix == 4);
          const e1 = select<usize>(c1B, 16, npix == 4);
          v128.store(d + e0, a00); v128.store(d + e1, a01);
          v128.store(d + step + e0, a10); v128.store(d + step + e1, a11);
          v128.store(d + 2 * step + e0, a20); v128.store(d + 2 * step + e1, a21);
          v128.store(d + 3 * step + e0, a30); v128.store(d + 3 * step + e1, a31);
          if (npix < 4) {
            for (let j = 0; j < npix; j++) {
              const q = direct + <usize>j * pixB;
              v128.store(q + c0B, v128.load(tile + (<usize>j << 5)));
              v128.store(q + c1B, v128.load(tile + (<usize>j << 5), 16));
            }
          }
        }
      }
    }
  }
}

function convBackFilterC1(g: usize, x: usize, dy: usize, nImg: i32, accumulate: bool, dw: usize, buf: usize): void {
  const inImg = <usize>(gi(g, 0) * gi(g, 1)) << 2;
  const outH = gi(g, 3), outW = gi(g, 4), N = gi(g, 5), kH = gi(g, 6), kW = gi(g, 7);
  const T = kH * kW;
  const M = outH * outW;
  const wps = paddedWidthC1(g);
  const NV = (N + 3) >> 2;
  const pairs = (NV + 1) >> 1;
  const xp = buf;
  // one image's gradient, stored (not added: overlapping vectors would add twice), then summed into dw
  const part = (xp + (<usize>((outH + kH - 1) * wps) << 2) + 63) & ~63;
  const sink = part + (<usize>(T * N) << 2);
  // dy of one channel pair as [pixel][8]: the inner loop then reads it at constant offsets
  const dyp = (sink + (<usize>N << 2) + 63) & ~63;
  const TN = T * N;
  if (!accumulate) memory.fill(dw, 0, <usize>TN << 2);
  const outImg = <usize>(M * N) << 2;
  const pixB = <usize>N << 2;
  for (let i = 0; i < nImg; i++) {
    padImageC1(g, x + <usize>i * inImg, xp, wps);
    const dyi = dy + <usize>i * outImg;
    for (let pr = 0; pr < pairs; pr++) {
      const c0B = <usize>chanOffC1(pr << 1, N) << 2;
      const c1B = <usize>chanOffC1(min((pr << 1) + 1, NV - 1), N) << 2;
      let src = dyi;
      const dEnd = dyp + (<usize>M << 5);
      for (let q = dyp; q < dEnd; q += 32) {
        v128.store(q, v128.load(src + c0B));
        v128.store(q, v128.load(src + c1B), 16);
        src += pixB;
      }
      for (let t0 = 0; t0 < T; t0 += 4) {
        // byte offsets of four taps in the padded image; taps past T repeat the last (results dropped)
        const t1 = min(t0 + 1, T - 1), t2 = min(t0 + 2, T - 1), t3 = min(t0 + 3, T - 1);
        const o0 = <usize>((t0 / kW) * wps + t0 % kW) << 2;
        const o1 = <usize>((t1 / kW) * wps + t1 % kW) << 2;
        const o2 = <usize>((t2 / kW) * wps + t2 % kW) << 2;
        const o3 = <usize>((t3 / kW) * wps + t3 % kW) << 2;
        let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
        let a10 = f32x4.splat(0), a11 = f32x4.splat(0);
        let a20 = f32x4.splat(0), a21 = f32x4.splat(0);
        let a30 = f32x4.splat(0), a31 = f32x4.splat(0);
        let d = dyp;
        for (let oh = 0; oh < outH; oh++) {
          const row = xp + (<usize>(oh * wps) << 2);
          let p0 = row + o0, p1 = row + o1, p2 = row + o2, p3 = row + o3;
          const end = d + (<usize>outW << 5);
          for (; d < end; d += 32) {
            const d0 = v128.load(d);
            const d1 = v128.load(d, 16);
            let v = v128.load32_splat(p0);
            a00 = madd(v, d0, a00); a01 = madd(v, d1, a01);
            v = v128.load32_splat(p1);
            a10 = madd(v, d0, a10); a11 = madd(v, d1, a11);
            v = v128.load32_splat(p2);
            a20 = madd(v, d0, a20); a21 = madd(v, d1, a21);
            v = v128.load32_splat(p3);
            a30 = madd(v, d0, a30); a31 = madd(v, d1, a31);
            p0 += 4; p1 += 4; p2 += 4; p3 += 4;
          }
        }
        const q0 = part + <usize>t0 * pixB;
        const q1 = select<usize>(q0 + pixB, sink, t0 + 1 < T);
        const q2 = select<usize>(q0 + 2 * pixB, sink, t0 + 2 < T);
        const q3 = select<usize>(q0 + 3 * pixB, sink, t0 + 3 < T);
        v128.store(q0 + c0B, a00); v128.store(q0 + c1B, a01);
        v128.store(q1 + c0B, a10); v128.store(q1 + c1B, a11);
        v128.store(q2 + c0B, a20); v128.store(q2 + c1B, a21);
        v128.store(q3 + c0B, a30); v128.store(q3 + c1B, a31);
      }
    }
    let j = 0;
    for (; j + 4 <= TN; j += 4) {
      const o = <usize>j << 2;
      v128.store(dw + o, f32x4.add(v128.load(dw + o), v128.load(part + o)));
    }
    for (; j < TN; j++) {
      const o = <usize>j << 2;
      store<f32>(dw + o, load<f32>(dw + o) + load<f32>(part + o));
    }
  }
}

/**
 * y[img] = act(im2col(x[img]) . w + bias) for nImg images, a band of output rows at a time; col
 * holds band*OW*KH*KW*C floats. The epilogue (see biasAct) runs on each band while it is still
 * in cache.
 */
export function convForward(g: usize, x: usize, w: usize, y: usize, nImg: i32, bias: usize, period: i32, act: i32,
  col: usize, pa: usize, pb: usize): void {
  const inImg = <usize>(gi(g, 0) * gi(g, 1) * gi(g, 2)) << 2;
  const outH = gi(g, 3), outW = gi(g, 4);
  const M = outH * outW, N = gi(g, 5), K = gi(g, 6) * gi(g, 7) * gi(g, 2);
  const outImg = <usize>(M * N) << 2;
  const direct = isPointwise(g);
  if (!direct && useDirectC1(g)) {
    convForwardC1(g, x, w, y, nImg, col);
    biasAct(y, nImg * M * N, bias, period, act);
    return;
  }
  if (nImg > 0) packBAll(N, K, w, N, false, pb);
  const band = bandRows(g);
  for (let i = 0; i < nImg; i++) {
    const xi = x + <usize>i * inImg;
    const yi = y + <usize>i * outImg;
    if (direct) {
      gemmPacked(M, N, K, xi, K, false, pb, yi, N, false, pa);
      biasAct(yi, M * N, bias, period, act);
      continue;
    }
    for (let oh0 = 0; oh0 < outH; oh0 += band) {
      const mb = min(band, outH - oh0) * outW;
      const yb = yi + (<usize>(oh0 * outW * N) << 2);
      im2col(g, xi, col, oh0, oh0 + mb / outW);
      gemmPacked(mb, N, K, col, K, false, pb, yb, N, false, pa);
      biasAct(yb, mb * N, bias, period, act);
    }
  }
}

/** dx[img] = col2im(dy[img] . w^T) for nImg images, a band at a time; dcol holds band*OW*KH*KW*C floats. */
export function convBackInput(g: usize, dy: usize, w: usize, dx: usize, nImg: i32, dcol: usize, pa: usize, pb: usize): void {
  const inImg = <usize>(gi(g, 0) * gi(g, 1) * gi(g, 2)) << 2;
  const outH = gi(g, 3), outW = gi(g, 4);
  const M = outH * outW, N = gi(g, 5), K = gi(g, 6) * gi(g, 7) * gi(g, 2);
  const outImg = <usize>(M * N) << 2;
  const direct = isPointwise(g);
  const band = bandRows(g);
  // w^T is packed once for all the images of the call
  if (nImg > 0) packBAll(K, N, w, N, true, pb);
  for (let i = 0; i < nImg; i++) {
    const dxi = dx + <usize>i * inImg;
    const dyi = dy + <usize>i * outImg;
    if (direct) {
      gemmPacked(M, K, N, dyi, N, false, pb, dxi, K, false, pa);
      continue;
    }
    // bands scatter into overlapping input rows, so one thread takes a whole image
    memory.fill(dxi, 0, inImg);
    for (let oh0 = 0; oh0 < outH; oh0 += band) {
      const rows = min(band, outH - oh0);
      gemmPacked(rows * outW, K, N, dyi + (<usize>(oh0 * outW * N) << 2), N, false, pb, dcol, K, false, pa);
      col2im(g, dcol, dxi, oh0, oh0 + rows);
    }
  }
}

/**
 * dw (=, or += when accumulate) sum over nImg images and their bands of im2col(x[img])^T .
 * dy[img]. The per-thread buffers come last, so the pool can append each thread's own; pb holds
 * packBSize(N, band*OW) floats.
 */
export function convBackFilter(g: usize, x: usize, dy: usize, nImg: i32, accumulate: bool, dw: usize, col: usize,
  pa: usize, pb: usize): void {
  const inImg = <usize>(gi(g, 0) * gi(g, 1) * gi(g, 2)) << 2;
  const outH = gi(g, 3), outW = gi(g, 4);
  const M = outH * outW, N = gi(g, 5), K = gi(g, 6) * gi(g, 7) * gi(g, 2);
  const outImg = <usize>(M * N) << 2;
  const direct = isPointwise(g);
  if (nImg <= 0 && !accumulate) memory.fill(dw, 0, <usize>(K * N) << 2);
  if (nImg > 0 && !direct && useDirectC1(g)) {
    convBackFilterC1(g, x, dy, nImg, accumulate, dw, col);
    return;
  }
  const band = bandRows(g);
  for (let i = 0; i < nImg; i++) {
    const xi = x + <usize>i * inImg;
    for (let oh0 = 0; oh0 < outH; oh0 += band) {
      const mb = min(band, outH - oh0) * outW;
      // a pointwise conv's image is its own im2col matrix: its band is a row offset
      let a = xi + (<usize>(oh0 * outW * K) << 2);
      if (!direct) { im2col(g, xi, col, oh0, oh0 + mb / outW); a = col; }
      gemm(K, N, mb, a, K, true, dy + <usize>i * outImg + (<usize>(oh0 * outW * N) << 2), N, false, dw, N,
        accumulate || i > 0 || oh0 > 0, pa, pb);
    }
  }
}

// ---- grouped and depthwise convolution: lanes over output channels ------------------------------
// Geometry block: the conv fields, then groups at [14]. With few input channels per group the
// GEMM route has nothing to multiply (K = KH*KW*C/groups, N = M/groups: a depthwise 3x3 is a
// 9 x 1 product per channel), so these kernels vectorize over output channels instead, NHWC's
// contiguous axis, as the one-channel direct kernels above do. Each image is first laid out
// "expanded": zero-padded, each pixel holding for every in-group channel c the input value each
// output lane o reads (x[o / Mg * Cg + c]), Cp = M rounded up to 4 lanes (the extra lanes zero).
// Then every tap is one aligned vector load per 4 output channels, with no bounds checks. The
// input gradient runs the same loop over dy with zeros between its pixels (the stride) and the
// kernel reversed, then sums each group's Mg lanes; the filter gradient correlates the expanded
// image with dy. Register tiles: 4 output pixels (forward, input gradient; 8 spilled and ran
// 1.3x slower) or 9 taps (filter).

@inline function cpOf(m: i32): i32 {
  return (m + 3) & ~3;
}

@inline function align64(p: usize): usize {
  return (p + 63) & ~63;
}

// Rows of the padded image the taps of the output rows reach: (out - 1) * s + (k - 1) * d + 1.
@inline function paddedExtent(out: i32, k: i32, s: i32, d: i32): i32 {
  return (out - 1) * s + (k - 1) * d + 1;
}

/** Per-thread scratch floats of groupedForward: expanded image, packed kernel, output staging. */
export function groupedForwardFloats(g: usize): i32 {
  const M = gi(g, 5), Cg = gi(g, 2) / gi(g, 14), Cp = cpOf(M);
  const Hp = paddedExtent(gi(g, 3), gi(g, 6), gi(g, 8), gi(g, 10));
  const Wp = paddedExtent(gi(g, 4), gi(g, 7), gi(g, 9), gi(g, 11));
  const stage = Cp == M ? 0 : gi(g, 3) * gi(g, 4) * Cp;
  return Hp * Wp * Cg * Cp + gi(g, 6) * gi(g, 7) * Cg * Cp + stage + 48;
}

/** Per-thread scratch floats of groupedBackInput: dilated dy, reversed kernel, per-lane results. */
export function groupedBackInputFloats(g: usize): i32 {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), M = gi(g, 5), G = gi(g, 14);
  const Cg = C / G, Cp = cpOf(M);
  const Hz = inH + (gi(g, 6) - 1) * gi(g, 10);
  const Wz = inW + (gi(g, 7) - 1) * gi(g, 11);
  const stage = Cg == 1 && Cp == M && M == C ? 0 : inH * inW * Cg * Cp;
  return Hz * Wz * Cp + gi(g, 6) * gi(g, 7) * Cg * Cp + stage + 48;
}

/** Per-thread scratch floats of groupedBackFilter (its [KH*KW*Cg, Cp] partial is separate). */
export function groupedBackFilterFloats(g: usize): i32 {
  const M = gi(g, 5), Cg = gi(g, 2) / gi(g, 14), Cp = cpOf(M);
  const Hp = paddedExtent(gi(g, 3), gi(g, 6), gi(g, 8), gi(g, 10));
  const Wp = paddedExtent(gi(g, 4), gi(g, 7), gi(g, 9), gi(g, 11));
  const stage = Cp == M ? 0 : gi(g, 3) * gi(g, 4) * Cp;
  return Hp * Wp * Cg * Cp + stage + 32;
}

// xp[Hp, Wp, Cg, Cp]: pixel (ih + pT, iw + pL) holds, for block channel c and lane o < M,
// x[ih, iw, (o / Mg) * Cg + c]; everything else zero.
function expandImage(g: usize, x: usize, Hp: i32, Wp: i32, Cp: i32, xp: usize): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), M = gi(g, 5), G = gi(g, 14);
  const pT = gi(g, 12), pL = gi(g, 13);
  const Cg = C / G, Mg = M / G;
  const pixF = Cg * Cp;
  memory.fill(xp, 0, <usize>(Hp * Wp * pixF) << 2);
  const qEnd = min(inW, Wp - pL);
  if (qEnd <= 0) return;
  for (let ih = 0; ih < inH; ih++) {
    const r = ih + pT;
    if (r >= Hp) break;
    const src0 = x + (<usize>(ih * inW * C) << 2);
    const dst0 = xp + (<usize>((r * Wp + pL) * pixF) << 2);
    if (Mg == 1 && Cg == 1) {
      // depthwise, one output per channel: the image row itself, channels padded to Cp
      if (Cp == C) memory.copy(dst0, src0, <usize>(qEnd * C) << 2);
      else for (let iw = 0; iw < qEnd; iw++) copyRun(dst0 + (<usize>(iw * Cp) << 2), src0 + (<usize>(iw * C) << 2), C);
      continue;
    }
    for (let iw = 0; iw < qEnd; iw++) {
      const src = src0 + (<usize>(iw * C) << 2);
      const dst = dst0 + (<usize>(iw * pixF) << 2);
      for (let b = 0; b < G; b++) {
        for (let c = 0; c < Cg; c++) {
          const v = load<f32>(src + (<usize>(b * Cg + c) << 2));
          const d = dst + (<usize>(c * Cp + b * Mg) << 2);
          let m = 0;
          if (Mg >= 4) {
            const vv = f32x4.splat(v);
            for (; m + 4 <= Mg; m += 4) v128.store(d + (<usize>m << 2), vv);
          }
          for (; m < Mg; m++) store<f32>(d + (<usize>m << 2), v);
        }
      }
    }
  }
}

// zp[Hz, Wz, Cp] = dy with (stride - 1) zeros between its pixels, shifted by (offH, offW) (which
// may be negative: padding wider than the kernel drops dy's first rows), lanes past M zero.
function dilateImage(g: usize, dy: usize, Hz: i32, Wz: i32, Cp: i32, zp: usize): void {
  const outH = gi(g, 3), outW = gi(g, 4), M = gi(g, 5);
  const sH = gi(g, 8), sW = gi(g, 9);
  const offH = (gi(g, 6) - 1) * gi(g, 10) - gi(g, 12);
  const offW = (gi(g, 7) - 1) * gi(g, 11) - gi(g, 13);
  memory.fill(zp, 0, <usize>(Hz * Wz * Cp) << 2);
  for (let oh = 0; oh < outH; oh++) {
    const r = oh * sH + offH;
    if (r < 0) continue;
    if (r >= Hz) break;
    for (let ow = 0; ow < outW; ow++) {
      const q = ow * sW + offW;
      if (q < 0) continue;
      if (q >= Wz) break;
      copyRun(zp + (<usize>((r * Wz + q) * Cp) << 2), dy + (<usize>((oh * outW + ow) * M) << 2), M);
    }
  }
}

// wp[t, c, Cp] = w[t', c, 0..M) (t' = t, or T-1-t reversed), lanes past M zero.
function packGrouped(w: usize, T: i32, Cg: i32, M: i32, Cp: i32, reverse: bool, wp: usize): void {
  for (let t = 0; t < T; t++) {
    const ts = reverse ? T - 1 - t : t;
    for (let c = 0; c < Cg; c++) {
      const dst = wp + (<usize>((t * Cg + c) * Cp) << 2);
      copyRun(dst, w + (<usize>((ts * Cg + c) * M) << 2), M);
      for (let o = M; o < Cp; o++) store<f32>(dst + (<usize>o << 2), 0);
    }
  }
}

// dst[r, 0..M) = src[r, 0..M) for rows of Cp floats (dropping the padding lanes).
function compactRows(src: usize, rows: i32, Cp: i32, M: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) copyRun(dst + (<usize>(r * M) << 2), src + (<usize>(r * Cp) << 2), M);
}

// out[oh, ow, Cp] = sum over taps and block channels of xp (strided, dilated) * wp.
function forwardTaps(g: usize, xp: usize, Wp: i32, Cp: i32, wp: usize, out: usize): void {
  const outH = gi(g, 3), outW = gi(g, 4), kH = gi(g, 6), kW = gi(g, 7);
  const sH = gi(g, 8), sW = gi(g, 9), dH = gi(g, 10), dW = gi(g, 11);
  const Cg = gi(g, 2) / gi(g, 14);
  const cpB = <usize>Cp << 2;
  const pixB = <usize>Cg * cpB;
  const stepB = <usize>sW * pixB;
  const rowB = <usize>Wp * pixB;
  const tapHB = <usize>dH * rowB;
  const tapWB = <usize>dW * pixB;
  for (let oh = 0; oh < outH; oh++) {
    const rowBase = xp + <usize>(oh * sH) * rowB;
    let ow = 0;
    for (; ow + 4 <= outW; ow += 4) {
      const pBase = rowBase + <usize>ow * stepB;
      const o0 = out + <usize>(oh * outW + ow) * cpB;
      for (let vo: usize = 0; vo < cpB; vo += 16) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let wq = wp + vo;
        let r = pBase + vo;
        for (let kh = 0; kh < kH; kh++) {
          let q = r;
          for (let kw = 0; kw < kW; kw++) {
            let p = q;
            for (let c = 0; c < Cg; c++) {
              const wv = v128.load(wq);
              a0 = madd(v128.load(p), wv, a0);
              a1 = madd(v128.load(p + stepB), wv, a1);
              a2 = madd(v128.load(p + 2 * stepB), wv, a2);
              a3 = madd(v128.load(p + 3 * stepB), wv, a3);
              wq += cpB;
              p += cpB;
            }
            q += tapWB;
          }
          r += tapHB;
        }
        v128.store(o0 + vo, a0);
        v128.store(o0 + cpB + vo, a1);
        v128.store(o0 + 2 * cpB + vo, a2);
        v128.store(o0 + 3 * cpB + vo, a3);
      }
    }
    for (; ow < outW; ow++) {
      const pBase = rowBase + <usize>ow * stepB;
      const o0 = out + <usize>(oh * outW + ow) * cpB;
      for (let vo: usize = 0; vo < cpB; vo += 16) {
        let a0 = f32x4.splat(0);
        let wq = wp + vo;
        let r = pBase + vo;
        for (let kh = 0; kh < kH; kh++) {
          let q = r;
          for (let kw = 0; kw < kW; kw++) {
            let p = q;
            for (let c = 0; c < Cg; c++) {
              a0 = madd(v128.load(p), v128.load(wq), a0);
              wq += cpB;
              p += cpB;
            }
            q += tapWB;
          }
          r += tapHB;
        }
        v128.store(o0 + vo, a0);
      }
    }
  }
}

// out[ih, iw, c, Cp] = sum over taps of zp (stride 1, dilated) * wr[t, c] (the reversed kernel).
function backInputTaps(g: usize, zp: usize, Wz: i32, Cp: i32, wr: usize, out: usize): void {
  const inH = gi(g, 0), inW = gi(g, 1), kH = gi(g, 6), kW = gi(g, 7);
  const dH = gi(g, 10), dW = gi(g, 11);
  const Cg = gi(g, 2) / gi(g, 14);
  const cpB = <usize>Cp << 2;
  const rowB = <usize>Wz * cpB;
  const tapHB = <usize>dH * rowB;
  const tapWB = <usize>dW * cpB;
  // consecutive taps of one block channel are Cg*Cp floats apart in wr, as are an output
  // pixel's block channels in out
  const wStep = <usize>Cg * cpB;
  for (let ih = 0; ih < inH; ih++) {
    const rowBase = zp + <usize>ih * rowB;
    let iw = 0;
    for (; iw + 4 <= inW; iw += 4) {
      const pBase = rowBase + <usize>iw * cpB;
      for (let c = 0; c < Cg; c++) {
        const o0 = out + <usize>((ih * inW + iw) * Cg + c) * cpB;
        for (let vo: usize = 0; vo < cpB; vo += 16) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let wq = wr + <usize>c * cpB + vo;
          let r = pBase + vo;
          for (let kh = 0; kh < kH; kh++) {
            let p = r;
            for (let kw = 0; kw < kW; kw++) {
              const wv = v128.load(wq);
              a0 = madd(v128.load(p), wv, a0);
              a1 = madd(v128.load(p + cpB), wv, a1);
              a2 = madd(v128.load(p + 2 * cpB), wv, a2);
              a3 = madd(v128.load(p + 3 * cpB), wv, a3);
              wq += wStep;
              p += tapWB;
            }
            r += tapHB;
          }
          v128.store(o0 + vo, a0);
          v128.store(o0 + wStep + vo, a1);
          v128.store(o0 + 2 * wStep + vo, a2);
          v128.store(o0 + 3 * wStep + vo, a3);
        }
      }
    }
    for (; iw < inW; iw++) {
      const pBase = rowBase + <usize>iw * cpB;
      for (let c = 0; c < Cg; c++) {
        const o0 = out + <usize>((ih * inW + iw) * Cg + c) * cpB;
        for (let vo: usize = 0; vo < cpB; vo += 16) {
          let a0 = f32x4.splat(0);
          let wq = wr + <usize>c * cpB + vo;
          let r = pBase + vo;
          for (let kh = 0; kh < kH; kh++) {
            let p = r;
            for (let kw = 0; kw < kW; kw++) {
              a0 = madd(v128.load(p), v128.load(wq), a0);
              wq += wStep;
              p += tapWB;
            }
            r += tapHB;
          }
          v128.store(o0 + vo, a0);
        }
      }
    }
  }
}

// part[t, c, Cp] += sum over output pixels of xp (at the tap, strided) * dy. The kernel is cut
// into tiles of 3 kernel rows x 3 "columns" (a column is a kernel column and block channel pair,
// kW*Cg per row), the tile's 9 sums in registers over a whole output row: a 3x3 depthwise kernel
// is one tile, one pass over dy (1.8x faster than 3 taps at a time). Row pointers and column
// offsets stay in registers (9 separate tap offsets spilled and ran as slowly as 3 taps).
// Tile rows/columns past the kernel repeat its last one, and their sums are dropped.
function filterTaps(g: usize, xp: usize, Wp: i32, Cp: i32, dy: usize, part: usize): void {
  const outH = gi(g, 3), outW = gi(g, 4), kH = gi(g, 6), kW = gi(g, 7);
  const sH = gi(g, 8), sW = gi(g, 9), dH = gi(g, 10), dW = gi(g, 11);
  const Cg = gi(g, 2) / gi(g, 14);
  const cols = kW * Cg;
  const cpB = <usize>Cp << 2;
  const pixB = <usize>Cg * cpB;
  const stepB = <usize>sW * pixB;
  const rowB = <usize>Wp * pixB;
  // part rows: tap (kh, kw) and block channel c at (kh * kW + kw) * Cg + c = kh * cols + column
  const partRowB = <usize>cols * cpB;
  for (let oh = 0; oh < outH; oh++) {
    const rowBase = xp + <usize>(oh * sH) * rowB;
    const dRow = dy + <usize>(oh * outW) * cpB;
    for (let r0 = 0; r0 < kH; r0 += 3) {
      const nr = min(3, kH - r0);
      const ro0 = <usize>(r0 * dH) * rowB;
      const ro1 = <usize>(min(r0 + 1, kH - 1) * dH) * rowB;
      const ro2 = <usize>(min(r0 + 2, kH - 1) * dH) * rowB;
      for (let c0 = 0; c0 < cols; c0 += 3) {
        const nc = min(3, cols - c0);
        const j1 = min(c0 + 1, cols - 1), j2 = min(c0 + 2, cols - 1);
        // column j = kw * Cg + c sits kw*dW pixels and c block channels along
        const co0 = <usize>((c0 / Cg) * dW) * pixB + <usize>(c0 % Cg) * cpB;
        const co1 = <usize>((j1 / Cg) * dW) * pixB + <usize>(j1 % Cg) * cpB;
        const co2 = <usize>((j2 / Cg) * dW) * pixB + <usize>(j2 % Cg) * cpB;
        const q0 = part + <usize>r0 * partRowB + <usize>c0 * cpB;
        for (let vo: usize = 0; vo < cpB; vo += 16) {
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0);
          let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0);
          let p0 = rowBase + ro0 + vo, p1 = rowBase + ro1 + vo, p2 = rowBase + ro2 + vo;
          let d = dRow + vo;
          const dEnd = d + <usize>outW * cpB;
          for (; d < dEnd; d += cpB) {
            const dv = v128.load(d);
            a00 = madd(v128.load(p0 + co0), dv, a00);
            a01 = madd(v128.load(p0 + co1), dv, a01);
            a02 = madd(v128.load(p0 + co2), dv, a02);
            a10 = madd(v128.load(p1 + co0), dv, a10);
            a11 = madd(v128.load(p1 + co1), dv, a11);
            a12 = madd(v128.load(p1 + co2), dv, a12);
            a20 = madd(v128.load(p2 + co0), dv, a20);
            a21 = madd(v128.load(p2 + co1), dv, a21);
            a22 = madd(v128.load(p2 + co2), dv, a22);
            p0 += stepB;
            p1 += stepB;
            p2 += stepB;
          }
          let q = q0 + vo;
          v128.store(q, f32x4.add(v128.load(q), a00));
          if (nc > 1) v128.store(q + cpB, f32x4.add(v128.load(q + cpB), a01));
          if (nc > 2) v128.store(q + 2 * cpB, f32x4.add(v128.load(q + 2 * cpB), a02));
          if (nr > 1) {
            q += partRowB;
            v128.store(q, f32x4.add(v128.load(q), a10));
            if (nc > 1) v128.store(q + cpB, f32x4.add(v128.load(q + cpB), a11));
            if (nc > 2) v128.store(q + 2 * cpB, f32x4.add(v128.load(q + 2 * cpB), a12));
          }
          if (nr > 2) {
            q += partRowB;
            v128.store(q, f32x4.add(v128.load(q), a20));
            if (nc > 1) v128.store(q + cpB, f32x4.add(v128.load(q + cpB), a21));
            if (nc > 2) v128.store(q + 2 * cpB, f32x4.add(v128.load(q + 2 * cpB), a22));
          }
        }
      }
    }
  }
}

/**
 * y[img] = act(groupedConv(x[img], w) + bias) for nImg images (w [KH,KW,C/groups,M]); buf is
 * this thread's groupedForwardFloats of scratch. The epilogue is biasAct's.
 */
export function groupedForward(g: usize, x: usize, w: usize, y: usize, nImg: i32, bias: usize, period: i32, act: i32,
  buf: usize): void {
  const C = gi(g, 2), M = gi(g, 5), G = gi(g, 14);
  const Cg = C / G, Cp = cpOf(M), T = gi(g, 6) * gi(g, 7);
  const M2 = gi(g, 3) * gi(g, 4);
  const Hp = paddedExtent(gi(g, 3), gi(g, 6), gi(g, 8), gi(g, 10));
  const Wp = paddedExtent(gi(g, 4), gi(g, 7), gi(g, 9), gi(g, 11));
  const xp = align64(buf);
  const wp = align64(xp + (<usize>(Hp * Wp * Cg * Cp) << 2));
  const stage = align64(wp + (<usize>(T * Cg * Cp) << 2));
  packGrouped(w, T, Cg, M, Cp, false, wp);
  const inImg = <usize>(gi(g, 0) * gi(g, 1) * C) << 2;
  const outImg = <usize>(M2 * M) << 2;
  for (let i = 0; i < nImg; i++) {
    const yi = y + <usize>i * outImg;
    expandImage(g, x + <usize>i * inImg, Hp, Wp, Cp, xp);
    if (Cp == M) {
      forwardTaps(g, xp, Wp, Cp, wp, yi);
    } else {
      forwardTaps(g, xp, Wp, Cp, wp, stage);
      compactRows(stage, M2, Cp, M, yi);
    }
    biasAct(yi, M2 * M, bias, period, act);
  }
}

/** dx[img] = groupedConv's input gradient of dy[img] for nImg images; buf: groupedBackInputFloats. */
export function groupedBackInput(g: usize, dy: usize, w: usize, dx: usize, nImg: i32, buf: usize): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), M = gi(g, 5), G = gi(g, 14);
  const Cg = C / G, Mg = M / G, Cp = cpOf(M), T = gi(g, 6) * gi(g, 7);
  const Hz = inH + (gi(g, 6) - 1) * gi(g, 10);
  const Wz = inW + (gi(g, 7) - 1) * gi(g, 11);
  const zp = align64(buf);
  const wr = align64(zp + (<usize>(Hz * Wz * Cp) << 2));
  const stage = align64(wr + (<usize>(T * Cg * Cp) << 2));
  packGrouped(w, T, Cg, M, Cp, true, wr);
  const direct = Cg == 1 && Cp == M && M == C;
  const P = inH * inW;
  const inImg = <usize>(P * C) << 2;
  const outImg = <usize>(gi(g, 3) * gi(g, 4) * M) << 2;
  for (let i = 0; i < nImg; i++) {
    const dxi = dx + <usize>i * inImg;
    dilateImage(g, dy + <usize>i * outImg, Hz, Wz, Cp, zp);
    if (direct) {
      backInputTaps(g, zp, Wz, Cp, wr, dxi);
      continue;
    }
    backInputTaps(g, zp, Wz, Cp, wr, stage);
    // dx[p, b*Cg + c] = sum over the group's Mg lanes of stage[p, c, b*Mg ..]
    if (Cg == 1 && Mg == 1) {
      compactRows(stage, P, Cp, M, dxi);
      continue;
    }
    for (let p = 0; p < P; p++) {
      const sp = stage + (<usize>(p * Cg * Cp) << 2);
      const dp = dxi + (<usize>(p * C) << 2);
      for (let b = 0; b < G; b++) {
        for (let c = 0; c < Cg; c++) {
          const s0 = sp + (<usize>(c * Cp + b * Mg) << 2);
          let acc: f32 = 0;
          for (let m = 0; m < Mg; m++) acc += load<f32>(s0 + (<usize>m << 2));
          store<f32>(dp + (<usize>(b * Cg + c) << 2), acc);
        }
      }
    }
  }
}

/**
 * part[KH*KW*Cg, Cp] += groupedConv's filter gradient over nImg images (the caller zeroes part
 * and drops its padding lanes); buf: groupedBackFilterFloats.
 */
export function groupedBackFilter(g: usize, x: usize, dy: usize, nImg: i32, part: usize, buf: usize): void {
  const C = gi(g, 2), M = gi(g, 5), G = gi(g, 14);
  const Cg = C / G, Cp = cpOf(M);
  const M2 = gi(g, 3) * gi(g, 4);
  const Hp = paddedExtent(gi(g, 3), gi(g, 6), gi(g, 8), gi(g, 10));
  const Wp = paddedExtent(gi(g, 4), gi(g, 7), gi(g, 9), gi(g, 11));
  const xp = align64(buf);
  const dyp = align64(xp + (<usize>(Hp * Wp * Cg * Cp) << 2));
  const inImg = <usize>(gi(g, 0) * gi(g, 1) * C) << 2;
  const outImg = <usize>(M2 * M) << 2;
  for (let i = 0; i < nImg; i++) {
    expandImage(g, x + <usize>i * inImg, Hp, Wp, Cp, xp);
    let d = dy + <usize>i * outImg;
    if (Cp != M) {
      for (let r = 0; r < M2; r++) {
        const q = dyp + (<usize>(r * Cp) << 2);
        copyRun(q, d + (<usize>(r * M) << 2), M);
        for (let o = M; o < Cp; o++) store<f32>(q + (<usize>o << 2), 0);
      }
      d = dyp;
    }
    filterTaps(g, xp, Wp, Cp, d, part);
  }
}

// ---- elementwise ------------------------------------------------------------------------------
// Same semantics as the js reference, lane by lane (bitselect keeps its NaN behaviour).

@inline function binop(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case BINARY_ADD: return f32x4.add(a, b);
    case BINARY_SUB: return f32x4.sub(a, b);
    case BINARY_MUL: return f32x4.mul(a, b);
    case BINARY_DIV: return f32x4.div(a, b);
    case BINARY_MAXIMUM: return v128.bitselect(a, b, f32x4.ge(a, b)); // maximum: a >= b ? a : b
    case BINARY_MINIMUM: return v128.bitselect(a, b, f32x4.le(a, b)); // minimum: a <= b ? a : b
    case BINARY_GT: return v128.and(f32x4.gt(a, b), one);
    case BINARY_GE: return v128.and(f32x4.ge(a, b), one);
    case BINARY_LT: return v128.and(f32x4.lt(a, b), one);
    case BINARY_LE: return v128.and(f32x4.le(a, b), one);
    case BINARY_MASK_POSITIVE: return f32x4.mul(a, v128.and(f32x4.gt(b, f32x4.splat(0)), one));
    default: return v128.and(f32x4.eq(a, b), one); // BINARY_EQ
  }
}

@inline function binopScalar(op: i32, a: f32, b: f32): f32 {
  return f32x4.extract_lane(binop(op, f32x4.splat(a), f32x4.splat(b)), 0);
}

// out[i] = a[i] op b[i] over n floats, with a, b advancing by aStep, bStep (0 or 1) floats per element.
function binaryRun(op: i32, a: usize, aStep: i32, b: usize, bStep: i32, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  if (aStep == 1 && bStep == 1) {
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binop(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (aStep == 1) {
    const bv = v128.load32_splat(b);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binop(op, v128.load(a + o), bv));
    }
  } else if (bStep == 1) {
    const av = v128.load32_splat(a);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binop(op, av, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), binopScalar(op, load<f32>(a + (<usize>(i * aStep) << 2)),
      load<f32>(b + (<usize>(i * bStep) << 2))));
  }
}

/**
 * out[rows*inner] = a op b where each operand is full (mode 1), one value (mode 0) or one row of
 * `inner` repeated over the rows (mode 2, e.g. a bias).
 */
export function binary(op: i32, a: usize, aMode: i32, b: usize, bMode: i32, out: usize, rows: i32, inner: i32): void {
  if (aMode != 2 && bMode != 2) {
    binaryRun(op, a, aMode, b, bMode, out, rows * inner);
    return;
  }
  const rb = <usize>inner << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * rb;
    const ar = aMode == 2 ? a : aMode == 1 ? a + o : a;
    const br = bMode == 2 ? b : bMode == 1 ? b + o : b;
    binaryRun(op, ar, aMode == 0 ? 0 : 1, br, bMode == 0 ? 0 : 1, out + o, inner);
  }
}

// exp(x) to ~2 ulp: x = n ln2 + r with |r| <= ln2/2, Cephes' degree-7 polynomial for e^r, and
// 2^n applied in two halves so results down to the smallest denormal (and 0, and inf) come out right.
@inline function expv(x0: v128): v128 {
  const x = f32x4.max(f32x4.min(x0, f32x4.splat(89)), f32x4.splat(-104)); // NaN stays NaN
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

@inline function unop(op: i32, v: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case UNARY_NEG: return f32x4.neg(v);
    case UNARY_ABS: return f32x4.abs(v);
    case UNARY_SQRT: return f32x4.sqrt(v);
    case UNARY_SQUARE: return f32x4.mul(v, v);
    case UNARY_RELU: return v128.bitselect(v, zero, f32x4.gt(v, zero)); // relu: v > 0 ? v : 0
    case UNARY_STEP: return v128.and(f32x4.ge(v, zero), one); // step
    case UNARY_SIGN: return v128.or(v128.and(f32x4.gt(v, zero), one), v128.and(f32x4.lt(v, zero), f32x4.splat(-1))); // sign
    case UNARY_RECIPROCAL: return f32x4.div(one, v); // reciprocal
    case UNARY_EXP: return expv(v);
    default: {
      // UNARY_SIGMOID, without overflow: e = exp(-|v|); v >= 0 ? 1/(1+e) : e/(1+e)
      const e = expv(f32x4.neg(f32x4.abs(v)));
      const d = f32x4.add(one, e);
      return v128.bitselect(f32x4.div(one, d), f32x4.div(e, d), f32x4.ge(v, zero));
    }
  }
}

export function unary(op: i32, x: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unop(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(unop(op, v128.load32_splat(x + o)), 0));
  }
}

/**
 * The epilogue of conv and matmul, in place over n floats: y = act(y + bias) with act an
 * ACT_ code: linear, relu or sigmoid, through the unary kernels' code so results match the
 * unfused ops bit for bit (any other code, tanh included, adds the bias only: the caller applies it).
 * bias (0 for none) holds `period` floats: the per-channel bias tiled to a multiple of the row
 * length, so short rows (6 channels) still run as long vectors; n is a multiple of the row.
 * Each (bias, activation) pair gets its own loop: a branch per vector cost more than the add.
 */
export function biasAct(y: usize, n: i32, bias: usize, period: i32, act: i32): void {
  if (bias == 0) {
    if (act == ACT_RELU) biasActRun(y, n, 0, false, UNARY_RELU);
    else if (act == ACT_SIGMOID) biasActRun(y, n, 0, false, UNARY_SIGMOID);
    return;
  }
  for (let o = 0; o < n; o += period) {
    const len = min(period, n - o);
    const base = y + (<usize>o << 2);
    if (act == ACT_RELU) biasActRun(base, len, bias, true, UNARY_RELU);
    else if (act == ACT_SIGMOID) biasActRun(base, len, bias, true, UNARY_SIGMOID);
    else biasActRun(base, len, bias, true, -1);
  }
}

// op: a unary kernel code, or -1 for none.
@inline function biasActRun(base: usize, len: i32, bias: usize, hasBias: bool, op: i32): void {
  const l4 = len & ~3;
  let j = 0;
  for (; j < l4; j += 4) {
    const q = base + (<usize>j << 2);
    let v = v128.load(q);
    if (hasBias) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
    if (op >= 0) v = unop(op, v);
    v128.store(q, v);
  }
  for (; j < len; j++) {
    const q = base + (<usize>j << 2);
    let v = v128.load32_splat(q);
    if (hasBias) v = f32x4.add(v, v128.load32_splat(bias + (<usize>j << 2)));
    if (op >= 0) v = unop(op, v);
    store<f32>(q, f32x4.extract_lane(v, 0));
  }
}

// dz = dy * act'(y) from the activation's output, in the unfused ops' order of operations.
@inline function actGrad(act: i32, d: v128, u: v128): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return f32x4.mul(d, v128.and(f32x4.gt(u, f32x4.splat(0)), one));
  if (act == ACT_SIGMOID) return f32x4.mul(d, f32x4.mul(u, f32x4.sub(one, u)));
  if (act == ACT_TANH) return f32x4.mul(d, f32x4.sub(one, f32x4.mul(u, u)));
  return d;
}

@inline function actBackwardRun(dy: usize, y: usize, dz: usize, n: i32, act: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, actGrad(act, v128.load(dy + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, f32x4.extract_lane(actGrad(act, v128.load32_splat(dy + o), v128.load32_splat(y + o)), 0));
  }
}

/** dz[i] = dy[i] * act'(y[i]) over n floats; act an ACT_ code (anything else: linear). */
export function actBackward(dy: usize, y: usize, dz: usize, n: i32, act: i32): void {
  if (act == ACT_RELU) actBackwardRun(dy, y, dz, n, ACT_RELU);
  else if (act == ACT_SIGMOID) actBackwardRun(dy, y, dz, n, ACT_SIGMOID);
  else if (act == ACT_TANH) actBackwardRun(dy, y, dz, n, ACT_TANH);
  else actBackwardRun(dy, y, dz, n, 0);
}

// ---- pooling (NHWC; geometry block: inH inW C outH outW kH kW strideH strideW padTop padLeft) ---

// Windows are clipped to the image once per output pixel, and the channels (contiguous in NHWC)
// go four at a time through branch-free compares: a data-dependent branch per cell mispredicted
// half the time and made the scalar version no faster than the js reference.

/**
 * Max pooling of nImg images; argmax gets flat indices into x plus indexBase. Ties keep the
 * first cell in (kh, kw) order and NaN never replaces the running max, as in the reference.
 * The running arg-max is the winning cell's pixel offset in the window (one splat per cell);
 * the flat index is formed once per output vector.
 */
export function maxPool(g: usize, x: usize, out: usize, argmax: usize, nImg: i32, indexBase: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), outH = gi(g, 3), outW = gi(g, 4);
  const kH = gi(g, 5), kW = gi(g, 6), sH = gi(g, 7), sW = gi(g, 8), pT = gi(g, 9), pL = gi(g, 10);
  const lanes = i32x4(0, 1, 2, 3);
  const vC = i32x4.splat(C);
  const pixB = <usize>C << 2;
  const rowB = <usize>inW * pixB;
  let o: usize = 0;
  for (let nb = 0; nb < nImg; nb++) {
    const base = nb * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - pT;
      const kh0 = max(0, -ih0), kh1 = min(kH, inH - ih0);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - pL;
        const kw0 = max(0, -iw0), kw1 = min(kW, inW - iw0);
        // pixel index of the window's (unclipped) top-left cell; cells are offsets kh*inW + kw from it
        const p0 = base + ih0 * inW + iw0;
        const r0 = kh0 * inW + kw0;
        let c = 0;
        // C >= 4: a last vector overlapping the previous one recomputes the same values
        const cEnd = C >= 4 ? C : 0;
        for (; c < cEnd; c += 4) {
          if (c > C - 4) c = C - 4;
          const cB = <usize>c << 2;
          let best = v128.load(x + <usize>(p0 + r0) * pixB + cB);
          let br = i32x4.splat(r0);
          let row = x + <usize>(p0 + kh0 * inW) * pixB + cB;
          for (let kh = kh0; kh < kh1; kh++) {
            const rOff = kh * inW;
            for (let kw = kw0; kw < kw1; kw++) {
              const v = v128.load(row + (<usize>(kw * C) << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              br = v128.bitselect(i32x4.splat(rOff + kw), br, gt);
            }
            row += rowB;
          }
          v128.store(out + ((o + <usize>c) << 2), best);
          const idx = i32x4.add(i32x4.add(i32x4.mul(i32x4.add(i32x4.splat(p0), br), vC), lanes), i32x4.splat(c + indexBase));
          v128.store(argmax + ((o + <usize>c) << 2), idx);
        }
        for (; c < C; c++) {
          const first = (p0 + r0) * C + c;
          let best = load<f32>(x + (<usize>first << 2));
          let bi = first;
          for (let kh = kh0; kh < kh1; kh++) {
            for (let kw = kw0; kw < kw1; kw++) {
              const idx = (p0 + kh * inW + kw) * C + c;
              const v = load<f32>(x + (<usize>idx << 2));
              const gt = v > best;
              best = select<f32>(v, best, gt);
              bi = select<i32>(idx, bi, gt);
            }
          }
          store<f32>(out + ((o + <usize>c) << 2), best);
          store<i32>(argmax + ((o + <usize>c) << 2), bi + indexBase);
        }
        o += <usize>C;
      }
    }
  }
}

/**
 * Max pooling's backward over whole images: dx[0..nx) = 0, then dx[argmax[i] - indexBase] +=
 * dy[i] for i < n (the arg-max indices of these images point into their own nx floats).
 */
export function maxPoolBackward(dy: usize, argmax: usize, n: i32, dx: usize, nx: i32, indexBase: i32): void {
  memory.fill(dx, 0, <usize>nx << 2);
  for (let i = 0; i < n; i++) {
    const q = dx + (<usize>(load<i32>(argmax + (<usize>i << 2)) - indexBase) << 2);
    store<f32>(q, load<f32>(q) + load<f32>(dy + (<usize>i << 2)));
  }
}

export function avgPool(g: usize, x: usize, out: usize, nImg: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), outH = gi(g, 3), outW = gi(g, 4);
  const kH = gi(g, 5), kW = gi(g, 6), sH = gi(g, 7), sW = gi(g, 8), pT = gi(g, 9), pL = gi(g, 10);
  let o: usize = 0;
  for (let nb = 0; nb < nImg; nb++) {
    const base = nb * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - pT;
      const kh0 = max(0, -ih0), kh1 = min(kH, inH - ih0);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - pL;
        const kw0 = max(0, -iw0), kw1 = min(kW, inW - iw0);
        const count = <f32>((kh1 - kh0) * (kw1 - kw0));
        let c = 0;
        const cEnd = C >= 4 ? C : 0;
        for (; c < cEnd; c += 4) {
          if (c > C - 4) c = C - 4;
          let sum = f32x4.splat(0);
          for (let kh = kh0; kh < kh1; kh++) {
            for (let kw = kw0; kw < kw1; kw++) {
              sum = f32x4.add(sum, v128.load(x + (<usize>((base + (ih0 + kh) * inW + iw0 + kw) * C + c) << 2)));
            }
          }
          v128.store(out + ((o + <usize>c) << 2), f32x4.div(sum, f32x4.splat(count)));
        }
        for (; c < C; c++) {
          let sum: f32 = 0;
          for (let kh = kh0; kh < kh1; kh++) {
            for (let kw = kw0; kw < kw1; kw++) sum += load<f32>(x + (<usize>((base + (ih0 + kh) * inW + iw0 + kw) * C + c) << 2));
          }
          store<f32>(out + ((o + <usize>c) << 2), sum / count);
        }
        o += <usize>C;
      }
    }
  }
}

export function avgPoolBackward(g: usize, dy: usize, dx: usize, nImg: i32): void {
  const inH = gi(g, 0), inW = gi(g, 1), C = gi(g, 2), outH = gi(g, 3), outW = gi(g, 4);
  const kH = gi(g, 5), kW = gi(g, 6), sH = gi(g, 7), sW = gi(g, 8), pT = gi(g, 9), pL = gi(g, 10);
  memory.fill(dx, 0, <usize>(nImg * inH * inW * C) << 2);
  const c4 = C & ~3;
  let o: usize = 0;
  for (let nb = 0; nb < nImg; nb++) {
    const base = nb * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sH - pT;
      const kh0 = max(0, -ih0), kh1 = min(kH, inH - ih0);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sW - pL;
        const kw0 = max(0, -iw0), kw1 = min(kW, inW - iw0);
        const count = <f32>((kh1 - kh0) * (kw1 - kw0));
        let c = 0;
        for (; c < c4; c += 4) {
          const v = f32x4.div(v128.load(dy + ((o + <usize>c) << 2)), f32x4.splat(count));
          for (let kh = kh0; kh < kh1; kh++) {
            for (let kw = kw0; kw < kw1; kw++) {
              const q = dx + (<usize>((base + (ih0 + kh) * inW + iw0 + kw) * C + c) << 2);
              v128.store(q, f32x4.add(v128.load(q), v));
            }
          }
        }
        for (; c < C; c++) {
          const v = load<f32>(dy + ((o + <usize>c) << 2)) / count;
          for (let kh = kh0; kh < kh1; kh++) {
            for (let kw = kw0; kw < kw1; kw++) {
              const q = dx + (<usize>((base + (ih0 + kh) * inW + iw0 + kw) * C + c) << 2);
              store<f32>(q, load<f32>(q) + v);
            }
          }
        }
        o += <usize>C;
      }
    }
  }
}

// ---- reductions over the middle axis of [outer, axis, inner] ---------------------------------

@inline function redop(op: i32, acc: v128, v: v128): v128 {
  if (op == REDUCE_SUM) return f32x4.add(acc, v);
  // the reference's rule: take v when it beats acc or is NaN (so NaN sticks, and ties keep acc)
  const take = v128.or(op == REDUCE_MAX ? f32x4.gt(v, acc) : f32x4.lt(v, acc), f32x4.ne(v, v));
  return v128.bitselect(v, acc, take);
}

/** op: a REDUCE_ code. inner >= 4 runs four columns at a time; inner == 1 runs along rows. */
export function reduce(op: i32, x: usize, outer: i32, axis: i32, inner: i32, out: usize): void {
  const rowB = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * <usize>axis * rowB;
    const oo = out + <usize>o * rowB;
    if (inner == 1) {
      // along a contiguous row: four partial results, combined at the end
      let acc: v128;
      let a = 0;
      if (axis >= 4) {
        acc = v128.load(xo);
        a = 4;
        for (; a + 4 <= axis; a += 4) acc = redop(op, acc, v128.load(xo + (<usize>a << 2)));
      } else {
        acc = f32x4.splat(0);
      }
      let r: f32;
      if (axis >= 4) {
        // fold lanes in order 0..3, then the tail, with the same rule
        r = f32x4.extract_lane(acc, 0);
        for (let l = 1; l < 4; l++) {
          const v = l == 1 ? f32x4.extract_lane(acc, 1) : l == 2 ? f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 3);
          r = f32x4.extract_lane(redop(op, f32x4.splat(r), f32x4.splat(v)), 0);
        }
      } else {
        r = op == REDUCE_SUM ? 0 : load<f32>(xo);
        a = op == REDUCE_SUM ? 0 : 1;
      }
      for (; a < axis; a++) r = f32x4.extract_lane(redop(op, f32x4.splat(r), v128.load32_splat(xo + (<usize>a << 2))), 0);
      store<f32>(oo, r);
      continue;
    }
    let i = 0;
    const i4 = inner & ~3;
    for (; i < i4; i += 4) {
      const ib = <usize>i << 2;
      let acc = op == REDUCE_SUM ? f32x4.splat(0) : v128.load(xo + ib);
      for (let a = op == REDUCE_SUM ? 0 : 1; a < axis; a++) acc = redop(op, acc, v128.load(xo + <usize>a * rowB + ib));
      v128.store(oo + ib, acc);
    }
    for (; i < inner; i++) {
      const ib = <usize>i << 2;
      let acc = op == REDUCE_SUM ? f32x4.splat(0) : v128.load32_splat(xo + ib);
      for (let a = op == REDUCE_SUM ? 0 : 1; a < axis; a++) acc = redop(op, acc, v128.load32_splat(xo + <usize>a * rowB + ib));
      store<f32>(oo + ib, f32x4.extract_lane(acc, 0));
    }
  }
}

/**
 * dst[i] = ((src[i] + src[stride + i]) + src[2 * stride + i]) + ... over count partials spaced
 * stride floats apart, for i < n: the filter gradients' per-job partials folded in job order, so
 * the bits never depend on how the columns were split (dst may be the first partial). Sixteen
 * columns at a time, each partial read once: a pairwise fold reads partial 0 again per partial.
 */
export function sumPartials(src: usize, stride: i32, count: i32, n: i32, dst: usize): void {
  const sB = <usize>stride << 2;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    let p = src + o;
    let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = v128.load(p, 48);
    for (let j = 1; j < count; j++) {
      p += sB;
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
    }
    const d = dst + o;
    v128.store(d, a0); v128.store(d, a1, 16); v128.store(d, a2, 32); v128.store(d, a3, 48);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let p = src + o;
    let acc = load<f32>(p);
    for (let j = 1; j < count; j++) {
      p += sB;
      acc += load<f32>(p);
    }
    store<f32>(dst + o, acc);
  }
}

// ---- optimizer ---------------------------------------------------------------------------------

/**
 * Adam in place over n floats: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * w -= alpha m / (sqrt(v) + eps). Vector sqrt and divide are what the scalar loop waits on.
 */
export function adamUpdate(w: usize, g: usize, m: usize, v: usize, n: i32, alpha64: f64, b164: f64, b264: f64, eps64: f64): void {
  // The hyperparameters arrive in f64: 1 - b2 formed from an f32 b2 (0.999 -> 0.99900001) was
  // 1.3e-5 off, and so was every v (found by runConformance).
  const alpha = <f32>alpha64, b1 = <f32>b164, b2 = <f32>b264, eps = <f32>eps64;
  const c1 = <f32>(1 - b164), c2 = <f32>(1 - b264);
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
  const va = f32x4.splat(alpha), ve = f32x4.splat(eps);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(vc2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(va, mi), f32x4.add(f32x4.sqrt(vi), ve))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - (alpha * mi) / (Mathf.sqrt(vi) + eps));
  }
}
