// GEMM on scratch pointers and the batched matmul kernel (blocked when the operands pass the cap).
import type { Epilogue, FloatArray } from '../backend.js';
import {
  ALIGN, MIN_MATMUL_MNK, MIN_PARALLEL_MNK, copyIn, copyOut, epilogueAct, isF32, reference, type WasmContext,
} from './context.js';
import { applyEpilogue } from '../js/index.js';

export function gemmKernels(c: WasmContext) {
  const {
    k, s, pool, T, MR, packA, capF, pbSize, packABuffers, tiledBias, fillTiledBias, epilogueOk,
  } = c;

  /**
   * One GEMM on scratch pointers: B is packed once (skipped when pbAll already holds it), then
   * row blocks of C are pulled by the threads (each packs only its own rows of A).
   */
  function gemm(m: number, n: number, kk: number, A: number, lda: number, tA: boolean, B: number, ldb: number,
    tB: boolean, C: number, ldc: number, pa: number[], pbAll: number, bPacked: boolean, colSplitOk = false): void {
    const ta = tA ? 1 : 0;
    // Few rows and many columns (a dense layer's forward, m = batch): the threads take column
    // blocks and each packs its own part of B, instead of one thread packing all of B first.
    // Their packing buffers are carved from pbAll, which this call then leaves unfilled.
    if (colSplitOk && !bPacked && T > 1 && m < n && n >= 16 * T && m * n * kk >= MIN_PARALLEL_MNK) {
      const J = 2 * T;
      const nbc = Math.ceil(n / J / 8) * 8;
      const jobs: number[][] = [];
      for (let j0 = 0; j0 < n; j0 += nbc) {
        const b = tB ? B + j0 * ldb * 4 : B + j0 * 4;
        jobs.push([m, Math.min(nbc, n - j0), kk, A, lda, ta, b, ldb, tB ? 1 : 0, C + j0 * 4, ldc, 0]);
      }
      pool.run('gemm', jobs, pa.map((p, t) => [p, pbAll + t * pbSize(nbc, kk) * 4]));
      return;
    }
    if (!bPacked) k.packBAll(n, kk, B, ldb, tB ? 1 : 0, pbAll);
    if (T === 1 || m * n * kk < MIN_PARALLEL_MNK || m < 2 * MR) {
      k.gemmPacked(m, n, kk, A, lda, ta, pbAll, C, ldc, 0, pa[0]);
      return;
    }
    // Equal row blocks, a multiple of T of them (up to 4 per thread, each at least ~32 rows): for
    // m = 100 the old 32-row blocks left one thread 64 rows and the other 36.
    const jobs0 = T * Math.max(1, Math.min(4, Math.floor(m / (32 * T))));
    const rows = MR * Math.ceil(Math.ceil(m / MR) / jobs0);
    const jobs: number[][] = [];
    for (let i0 = 0; i0 < m; i0 += rows) {
      const a = tA ? A + i0 * 4 : A + i0 * lda * 4;
      jobs.push([Math.min(rows, m - i0), n, kk, a, lda, ta, pbAll, C + i0 * ldc * 4, ldc, 0]);
    }
    pool.run('gemmPacked', jobs, pa.map((p) => [p]));
  }

  function matmul(a: FloatArray, b: FloatArray, c: FloatArray, batch: number, m: number, kk: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, epilogue?: Epilogue): void {
    if (!isF32(a, b, c) || !epilogueOk(epilogue) || m * n * kk < MIN_MATMUL_MNK) {
      reference.matmul(a, b, c, batch, m, kk, n, transA, transB, aBatchStride, bBatchStride, epilogue);
      return;
    }
    const A32 = a as Float32Array;
    const B32 = b as Float32Array;
    const C32 = c as Float32Array;
    const avail = capF - T * (packA + ALIGN) - 4 * ALIGN;
    // Whole matrices when they fit (B also needs its packed copy); otherwise C is cut into row
    // and column blocks.
    let mb = m;
    let nb = n;
    if (m * kk + kk * n + m * n + pbSize(n, kk) > avail) {
      nb = 2 * kk * (n + 8) <= avail / 2 ? n : Math.floor(avail / 4 / kk / 8) * 8;
      mb = Math.floor((avail - kk * nb - pbSize(nb, kk)) / (kk + nb));
      if (mb > 96) mb = Math.floor(mb / 96) * 96;
      if (nb < 8 || mb < 1) {
        // k alone is too long for the cap: no block fits.
        reference.matmul(a, b, c, batch, m, kk, n, transA, transB, aBatchStride, bBatchStride, epilogue);
        return;
      }
    }
    s.reset();
    const pa = packABuffers();
    const pbAll = s.alloc(pbSize(nb, kk));
    const pA = s.alloc(mb * kk);
    const pB = s.alloc(kk * nb);
    const pC = s.alloc(mb * nb);
    const whole = mb === m && nb === n;
    // The epilogue runs in wasm on whole results; a blocked product gets it on the reference after.
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const [pBias, period] = whole ? tiledBias(bias) : [0, 0];
    const act = epilogue && whole ? epilogueAct(epilogue.activation) : 0;
    s.commit();
    if (bias && whole) fillTiledBias(pBias, period, bias);
    const vA = s.f32(pA, mb * kk);
    const vB = s.f32(pB, kk * nb);
    const vC = s.f32(pC, mb * nb);
    for (let bt = 0; bt < batch; bt++) {
      const ao = bt * aBatchStride;
      const bo = bt * bBatchStride;
      const co = bt * m * n;
      for (let j0 = 0; j0 < n; j0 += nb) {
        const nn = Math.min(nb, n - j0);
        // a B shared by the whole batch is copied and packed once
        const sameB = whole && bt > 0 && bBatchStride === 0;
        if (!sameB) {
          if (transB) copyIn(vB, B32, bo + j0 * kk, nn, kk, kk);
          else copyIn(vB, B32, bo + j0, kk, nn, n);
        }
        for (let i0 = 0; i0 < m; i0 += mb) {
          const mm = Math.min(mb, m - i0);
          if (!whole || bt === 0 || aBatchStride !== 0) {
            if (transA) copyIn(vA, A32, ao + i0, kk, mm, m);
            else copyIn(vA, A32, ao + i0 * kk, mm, kk, kk);
          }
          gemm(mm, nn, kk, pA, transA ? mm : kk, transA, pB, transB ? kk : nn, transB, pC, nn, pa, pbAll, sameB || i0 > 0,
            batch === 1 && mb === m);
          if (epilogue && whole) k.biasAct(pC, mm * nn, pBias, period, act);
          copyOut(vC, C32, co + i0 * n + j0, mm, nn, n);
        }
      }
    }
    if (epilogue && !whole) applyEpilogue(c, epilogue);
    else if (epilogue?.activation === 'tanh') reference.unary('tanh', c, c);
  }

  return { gemm, matmul };
}
