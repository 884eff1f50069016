import type {
  Backend, BinaryKernel, Conv2dGeometry, Conv2dGrads, Epilogue, FloatArray, FusedActivation, FusedOutput,
  Pool2dGeometry, ReduceKernel, UnaryKernel,
} from '../backend.js';
import { applyEpilogue, jsBackend } from '../js/index.js';
import {
  groupedConv2dBackpropFilterBySlices, groupedConv2dBackpropInputBySlices, groupedConv2dBySlices,
} from '../grouped.js';
import { registerBackend, requestedBackend, requestedThreads, setBackend } from '../index.js';
import { ValueError } from '../../core/errors.js';
import { env } from '../../core/env.js';
import { compileKernels, instantiate, newMemory, type SimdLevel, type WasmKernels } from './module.js';
import { MAX_JOBS, singleThread, workerPool, type Pool, type PoolKernel } from './pool.js';

/**
 * The WebAssembly SIMD backend. Tensor data stays in ordinary (garbage-collected) typed arrays;
 * each call copies its operands into a reusable scratch region of wasm memory, runs the kernel
 * there and copies the result back (~48 GB/s each way, PERF-NOTES.md). The region grows to the
 * largest call seen and never past the cap: larger problems are cut into pieces (row/column
 * blocks of a GEMM, image chunks of a convolution) that fit. float64 data and the kernels that
 * would not beat their copies run on the js reference.
 */
export interface WasmBackend extends Backend {
  readonly name: 'wasm';
  /** What was loaded and how much scratch memory the calls so far have used. */
  info(): WasmBackendInfo;
  /** Stops the pool's worker threads (idle ones never keep the process alive anyway). */
  close(): void;
}

export interface WasmBackendInfo {
  simd: SimdLevel;
  threads: number;
  sharedMemory: boolean;
  /** Largest scratch region any call has used, in bytes (the wasm memory never shrinks). */
  scratchPeakBytes: number;
  scratchCapBytes: number;
  wasmMemoryBytes: number;
  /**
   * float32 convolution calls (dense and grouped, any pass) that ran on the js reference
   * because their shape did not fit the scratch cap: a slow path, so it should stay 0.
   */
  convReferenceCalls: number;
}

export interface WasmBackendOptions {
  /** 'relaxed' (FMA) when the engine validates it, else 'simd'. Default: the best available. */
  simd?: SimdLevel;
  /** Threads for GEMM and convolution, the caller included. Default: GRADLAB_THREADS or min(2, cores). */
  threads?: number;
  /** Cap on the scratch region in MiB. Default: GRADLAB_WASM_SCRATCH_MB or 96. */
  scratchMiB?: number;
  /**
   * A grouped conv with Cg > 1 input channels per group and M outputs runs as one GEMM conv per
   * group (on channel slices) when Cg * M is at least this, else on the lane kernels, as depthwise
   * convs (Cg = 1) always do. Infinity: always the lanes. Default 1024 (bench/grouped.ts).
   */
  groupedSlicesMinCgM?: number;
  /**
   * Target size in MiB of one thread's im2col panel: a convolution whose per-image panel is
   * larger runs a band of output rows at a time (smaller still when the scratch cap asks).
   * Default: GRADLAB_WASM_PANEL_MB or 8 (bench/conv.ts).
   */
  convPanelMiB?: number;
}

const ALIGN = 64;
// Below these sizes the copies and the call cost more than the reference loop.
const MIN_ELEMENTWISE = 1024;
// Sums over rows shorter than this run on rows of about this many floats.
const MIN_REDUCE_ROW = 32;
// Repeated rows shorter than this are tiled to about this length before a binary kernel.
const MIN_ROW = 256;
const MIN_MATMUL_MNK = 4096;
// Below this GEMM volume one thread finishes before a hand-off would pay.
const MIN_PARALLEL_MNK = 64 * 64 * 64;
// Floats read by a fold of filter-gradient partials below which one thread does it.
const MIN_PARALLEL_FOLD = 1 << 16;
// Grouped convs with Cg > 1 input channels per group and Cg * M >= this run per group on the
// GEMM convs; the others (depthwise included) on the lane kernels (see groupedBySlices).
const SLICES_MIN_CGM = 1024;
// Row-range jobs per image and thread when a chunk has fewer images than threads (see rowJobs).
const ROW_JOBS_PER_IMAGE = 2;
// Scratch bytes per thread of one chunk of images for the grouped lane kernels.
const GROUPED_CHUNK_BYTES = 2 * 1024 * 1024;

const UNARY_OPS: Partial<Record<UnaryKernel, number>> = {
  neg: 0, abs: 1, sqrt: 2, square: 3, relu: 4, step: 5, sign: 6, reciprocal: 7, exp: 8, sigmoid: 9,
};
// The epilogue activations the wasm kernels apply (tanh runs on the reference after the copy out).
const EPILOGUE_ACT: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 0 };
const ACT_BACKWARD: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

const BINARY_OPS: Partial<Record<BinaryKernel, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, gt: 6, ge: 7, lt: 8, le: 9, eq: 10, maskPositive: 11,
};

function isF32(...arrays: FloatArray[]): boolean {
  for (const a of arrays) if (!(a instanceof Float32Array)) return false;
  return true;
}

/** A bump allocator over the wasm memory, reset at the start of every call. */
class Scratch {
  private top: number;
  peak = 0;
  constructor(private readonly memory: WebAssembly.Memory, private readonly base: number, readonly cap: number) {
    this.top = base;
  }
  reset(): void {
    this.top = this.base;
  }
  /** Floats allocated since the last reset. */
  used(): number {
    return (this.top - this.base) / 4;
  }
  alloc(floats: number): number {
    const p = this.top;
    this.top += Math.ceil((floats * 4) / ALIGN) * ALIGN;
    return p;
  }
  /** Grows the memory over every allocation so far. Views made earlier are stale afterwards. */
  commit(): void {
    const need = this.top;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    this.peak = Math.max(this.peak, need - this.base);
  }
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
}

// Copies a rows x cols block of a row-major matrix with leading dimension ld into a dense view.
function copyIn(dst: Float32Array, src: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (cols === ld) {
    dst.set(src.subarray(off, off + rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), r * cols);
}

function copyOut(src: Float32Array, dst: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (cols === ld) {
    dst.set(src.subarray(0, rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, r * cols + cols), off + r * ld);
}

function envPanelMiB(): number {
  const v = env().variable('GRADLAB_WASM_PANEL_MB');
  if (v === undefined || v === '') return 8;
  const t = Number(v);
  if (!Number.isFinite(t) || t <= 0) {
    throw new ValueError(`GRADLAB_WASM_PANEL_MB: expected a positive number of MiB, got '${v}'`);
  }
  return t;
}

function envScratchMiB(): number {
  const v = env().variable('GRADLAB_WASM_SCRATCH_MB');
  if (v === undefined || v === '') return 96;
  const t = Number(v);
  if (!Number.isFinite(t) || t < 4) {
    throw new ValueError(`GRADLAB_WASM_SCRATCH_MB: expected a number of MiB >= 4, got '${v}'`);
  }
  return t;
}

/** Builds a wasm backend instance (not registered). Throws if the modules are missing or invalid. */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const threads = options.threads ?? requestedThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValueError(`createWasmBackend: threads must be a positive integer, got ${threads}`);
  }
  const slicesMinCgM = options.groupedSlicesMinCgM ?? SLICES_MIN_CGM;
  if (!(slicesMinCgM >= 1)) {
    throw new ValueError(`createWasmBackend: groupedSlicesMinCgM must be at least 1, got ${slicesMinCgM}`);
  }
  const panelMiB = options.convPanelMiB ?? envPanelMiB();
  if (!(panelMiB > 0) || !Number.isFinite(panelMiB)) {
    throw new ValueError(`createWasmBackend: convPanelMiB must be a positive number, got ${panelMiB}`);
  }
  const panelF = Math.max(1, Math.floor((panelMiB * 1024 * 1024) / 4));
  // float32 conv calls sent to the reference for lack of scratch (WasmBackendInfo.convReferenceCalls)
  let convReferenceCalls = 0;
  const scratchMiB = options.scratchMiB ?? envScratchMiB();
  if (!(scratchMiB >= 4)) {
    throw new ValueError(`createWasmBackend: scratchMiB must be at least 4, got ${scratchMiB}`);
  }
  // Shared memory costs ~2x on the JS<->wasm copies, so one thread keeps a private memory.
  const shared = threads > 1;
  const loaded = compileKernels({ shared, level: options.simd });
  const memory = newMemory(shared);
  const k: WasmKernels = instantiate(loaded.module, memory);
  const pool: Pool = shared ? workerPool(k, loaded.module, memory, threads) : singleThread(k);
  const T = pool.size;
  const MR = k.mr();
  const packA = k.packASize();
  const base = Math.ceil(k.heapBase() / ALIGN) * ALIGN;
  const s = new Scratch(memory, base, Math.floor(scratchMiB * 1024 * 1024));
  const capF = s.cap / 4;

  const pbSize = (n: number, kk: number): number => k.packBSize(n, kk);
  // pool runs whose kernels take no per-thread buffers
  const noSuffix: number[][] = Array.from({ length: T }, () => []);

  /** One A-packing buffer per thread. */
  function packABuffers(): number[] {
    const pa: number[] = [];
    for (let t = 0; t < T; t++) pa.push(s.alloc(packA));
    return pa;
  }

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

  /**
   * How an image-wise kernel's n images are cut into jobs ([first image, count] each): one job
   * when the whole call is too small for a hand-off to pay, else guided: each job takes a share
   * of what is left, so the last ones are single images and neither thread waits long for the
   * other's last job. The cut depends only on n, the work and T, never on timing, so a kernel
   * that reduces over images into one partial per job (the filter gradients) adds in the same
   * order on every call. At most maxJobs jobs (and the pool queue's MAX_JOBS): past it, that
   * many equal contiguous groups.
   */
  function imageJobs(n: number, workPerImage: number, maxJobs: number = MAX_JOBS): [number, number][] {
    if (T === 1 || n * workPerImage < MIN_PARALLEL_MNK) return [[0, n]];
    const jobs: [number, number][] = [];
    for (let i0 = 0; i0 < n;) {
      const cnt = Math.max(1, Math.ceil((n - i0) / (3 * T)));
      jobs.push([i0, cnt]);
      i0 += cnt;
    }
    if (jobs.length <= maxJobs && jobs.length <= MAX_JOBS) return jobs;
    const J = Math.max(1, Math.min(MAX_JOBS, Math.floor(maxJobs)));
    const equal: [number, number][] = [];
    for (let j = 0; j < J; j++) {
      const a = Math.floor((j * n) / J);
      equal.push([a, Math.floor(((j + 1) * n) / J) - a]);
    }
    return equal;
  }

  /** Runs an image-wise kernel over n images as the jobs of imageJobs, pulled by the threads. */
  function runImages(kernel: PoolKernel, n: number, workPerImage: number, job: (i0: number, count: number) => number[],
    suffix: number[][]): void {
    pool.run(kernel, imageJobs(n, workPerImage).map(([i0, cnt]) => job(i0, cnt)), suffix);
  }

  /**
   * How many filter-gradient partials (one per job, see imageJobs) a reduction over `batch`
   * images may use: folding them costs one add per weight per partial against `pixels` multiply-adds
   * per weight per image, so at most batch * pixels / 256 of them (an add that streams partials
   * costs up to ~15 multiply-adds), and at most a quarter of the scratch cap; never fewer than T.
   */
  function maxPartials(batch: number, pixels: number, partF: number): number {
    return Math.max(T, Math.min(Math.floor((batch * pixels) / 256), Math.floor(capF / 4 / partialStride(partF))));
  }

  /**
   * `count` partials of `floats` floats, one block, each 64-byte aligned at a fixed stride (as
   * sumPartials reads them). Returns the pointers.
   */
  function allocPartials(count: number, floats: number): number[] {
    const stride = partialStride(floats);
    const base = count > 0 ? s.alloc(count * stride) : 0;
    return Array.from({ length: count }, (_, j) => base + j * stride * 4);
  }

  function partialStride(floats: number): number {
    return Math.ceil(floats / 16) * 16;
  }

  /**
   * Partial 0 = the sum of partials 0..count-1 (allocPartials) in index order, each element
   * on its own, so the split of the columns over the threads does not change the bits.
   */
  function foldPartials(part: number[], count: number, floats: number): void {
    if (count <= 1) return;
    const stride = partialStride(floats);
    const jobs: number[][] = [];
    if (T > 1 && count * floats >= MIN_PARALLEL_FOLD) {
      const blk = Math.ceil(floats / (2 * T) / 16) * 16;
      for (let c0 = 0; c0 < floats; c0 += blk) {
        jobs.push([part[0] + c0 * 4, stride, count, Math.min(blk, floats - c0), part[0] + c0 * 4]);
      }
    } else {
      jobs.push([part[0], stride, count, floats, part[0]]);
    }
    pool.run('sumPartials', jobs, noSuffix);
  }

  function matmul(a: FloatArray, b: FloatArray, c: FloatArray, batch: number, m: number, kk: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, epilogue?: Epilogue): void {
    if (!isF32(a, b, c) || !epilogueOk(epilogue) || m * n * kk < MIN_MATMUL_MNK) {
      jsBackend.matmul(a, b, c, batch, m, kk, n, transA, transB, aBatchStride, bBatchStride, epilogue);
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
        jsBackend.matmul(a, b, c, batch, m, kk, n, transA, transB, aBatchStride, bBatchStride, epilogue);
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
    const act = epilogue && whole ? EPILOGUE_ACT[epilogue.activation] : 0;
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
    else if (epilogue?.activation === 'tanh') jsBackend.unary('tanh', c, c);
  }

  /** Writes the conv geometry block read by the wasm conv kernels, with the plan's band of output rows. */
  function convGeometry(p: number, g: Conv2dGeometry, band: number): void {
    s.i32(p, 15).set([g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
      g.dilationH, g.dilationW, g.padTop, g.padLeft, band]);
  }

  function isPointwise(g: Conv2dGeometry): boolean {
    return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
      g.inH === g.outH && g.inW === g.outW;
  }

  interface ConvPlan {
    chunk: number;
    geo: number;
    w: number;
    /** Per thread: [im2col buffer, A packing, B packing]. */
    bufs: number[][];
    inImg: number;
    outImg: number;
    K: number;
    x: number;
    y: number;
    /** A second output-sized buffer (the activation's output in the backward), or 0. */
    y2: number;
    /** Filter-gradient partials, one per job of a chunk (see imageJobs), when asked for. */
    part: number[];
    /** Multiply-adds per image (M*K*N). */
    macs: number;
    /** Output rows per im2col panel (the kernels loop over the bands of each image). */
    band: number;
    /** Geometry blocks (16 floats each, ROW_JOBS_PER_IMAGE * T of them) for row-range jobs. */
    rowGeo: number;
  }

  /**
   * Lays out a conv call: geometry, the kernel (plus `partials` dW partials for the filter
   * gradient), per-thread im2col and packing buffers, then as many images of input and output
   * per chunk as the cap allows. The im2col panel holds a band of output rows: the whole image
   * when its panel is at most panelF floats, else as many rows as fit in panelF, fewer when
   * even one image of input and output does not fit beside T such panels (a 224x224x64 image's
   * whole panel is 115 MB: before bands, such convs fell to the reference, 100x slower).
   * Returns null when not even one image and one row fit.
   */
  function planConv(g: Conv2dGeometry, partials: number, extraOut = false): ConvPlan | null {
    const K = g.kH * g.kW * g.inC;
    const M = g.outH * g.outW;
    const N = g.outC;
    const inImg = g.inH * g.inW * g.inC;
    const outImg = M * N;
    const pointwise = isPointwise(g);
    const rowF = pointwise ? 0 : g.outW * K;
    const wF = K * N;
    const imgF = inImg + outImg * (extraOut ? 2 : 1);
    // (the last terms: the forward's tiled bias or the backward's bias-gradient partials, and alignment)
    const fixed0 = 16 * (1 + ROW_JOBS_PER_IMAGE * T) + wF + partials * partialStride(wF) + Math.max(MIN_ROW, MIN_REDUCE_ROW) + Math.max(N, g.inC) + 4 * ALIGN;
    // the largest B among forward (K x N), backward input (N x K) and filter (band pixels x N)
    const perThread = (band: number) =>
      rowF * band + packA + Math.max(pbSize(N, K), pbSize(K, N), pbSize(N, band * g.outW)) + 4 * ALIGN;
    let band = g.outH;
    if (M * K > panelF || (pointwise && M * N > panelF)) band = Math.max(1, Math.floor(panelF / Math.max(rowF, N * g.outW)));
    while (band > 1 && fixed0 + T * perThread(band) + imgF > capF) band = Math.max(1, Math.floor(band / 2));
    const fixed = fixed0 + T * perThread(band);
    const chunk = Math.min(g.batch, Math.floor((capF - fixed) / imgF));
    if (chunk < 1) return null;
    s.reset();
    const geo = s.alloc(16);
    const rowGeo = s.alloc(16 * ROW_JOBS_PER_IMAGE * T);
    const w = s.alloc(wF);
    const bufs: number[][] = [];
    for (let t = 0; t < T; t++) {
      bufs.push([s.alloc(rowF * band), s.alloc(packA), s.alloc(Math.max(pbSize(N, K), pbSize(K, N), pbSize(N, band * g.outW)))]);
    }
    const x = s.alloc(chunk * inImg);
    const y = s.alloc(chunk * outImg);
    const y2 = extraOut ? s.alloc(chunk * outImg) : 0;
    const part = allocPartials(partials, wF);
    return { chunk, geo, w, bufs, inImg, outImg, K, x, y, y2, part, macs: M * K * N, band, rowGeo };
  }

  /**
   * Scratch for an epilogue's bias, tiled to a multiple of its length of at least MIN_ROW floats
   * (a 6-channel bias would otherwise be a loop per pixel). Returns [pointer, period], [0, 0] for none.
   */
  function tiledBias(bias: Float32Array | null): [number, number] {
    if (!bias) return [0, 0];
    const inner = bias.length;
    const period = inner * Math.max(1, Math.ceil(MIN_ROW / inner));
    return [s.alloc(period), period];
  }

  function fillTiledBias(p: number, period: number, bias: Float32Array): void {
    const v = s.f32(p, period);
    for (let o = 0; o < period; o += bias.length) v.set(bias, o);
  }

  function epilogueOk(e: Epilogue | undefined): boolean {
    return !e || !e.bias || e.bias instanceof Float32Array;
  }

  // ---- images too big for the cap: blocks of output rows, each a conv on the input rows it reads ----

  interface RowBlock { img: number; r0: number; r1: number; a0: number; g: Conv2dGeometry }

  /**
   * Cuts each image's output rows into blocks whose convs `fits` (one image, the block's rows,
   * on the window of input rows they read), or null when not even one row fits. For an image
   * whose input and output alone pass the cap (224x224x256 is 205 MB), where the im2col bands
   * cannot help; the cut depends only on the shapes, so the sums run in the same order every call.
   */
  function rowBlocks(g: Conv2dGeometry, fits: (sub: Conv2dGeometry) => boolean): RowBlock[] | null {
    const span = (rows: number) => Math.min(g.inH, (rows - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1);
    // sized on an interior block, whose window is the widest
    let R = g.outH;
    while (!fits({ ...g, batch: 1, outH: R, inH: span(R), padTop: 0 })) {
      if (R === 1) return null;
      R = Math.ceil(R / 2);
    }
    const blocks: RowBlock[] = [];
    for (let img = 0; img < g.batch; img++) {
      for (let r0 = 0; r0 < g.outH; r0 += R) {
        const r1 = Math.min(g.outH, r0 + R);
        // (at least one row, even for a block that reads only padding)
        const a0 = Math.min(g.inH - 1, Math.max(0, r0 * g.strideH - g.padTop));
        const a1 = Math.max(a0 + 1, Math.min(g.inH, (r1 - 1) * g.strideH - g.padTop + (g.kH - 1) * g.dilationH + 1));
        blocks.push({ img, r0, r1, a0, g: { ...g, batch: 1, inH: a1 - a0, outH: r1 - r0, padTop: g.padTop - r0 * g.strideH + a0 } });
      }
    }
    return blocks;
  }

  /** The block's input window and output rows within x and y (NHWC views, no copies). */
  function blockViews(g: Conv2dGeometry, b: RowBlock, x: FloatArray, y: FloatArray): [FloatArray, FloatArray] {
    const inRow = g.inW * g.inC, outRow = g.outW * g.outC;
    const xi = b.img * g.inH * inRow + b.a0 * inRow, yi = b.img * g.outH * outRow;
    return [x.subarray(xi, xi + b.g.inH * inRow), y.subarray(yi + b.r0 * outRow, yi + b.r1 * outRow)];
  }

  /** dx = the sum of each block's input gradient over its window (windows overlap at their edges). */
  function inputGradInBlocks(g: Conv2dGeometry, blocks: RowBlock[], dy: FloatArray, dx: FloatArray,
    run: (b: RowBlock, dyb: FloatArray, dxb: Float32Array) => void): void {
    dx.fill(0);
    const inRow = g.inW * g.inC;
    const tmp = new Float32Array(Math.max(...blocks.map((b) => b.g.inH)) * inRow);
    for (const b of blocks) {
      const [dxw, dyb] = blockViews(g, b, dx, dy);
      const t = tmp.subarray(0, dxw.length);
      run(b, dyb, t);
      for (let i = 0; i < t.length; i++) dxw[i] += t[i];
    }
  }

  /** dw = the sum over blocks, in block order, of each block's filter gradient. */
  function filterGradInBlocks(blocks: RowBlock[], dw: FloatArray, run: (b: RowBlock, dwb: Float32Array) => void): void {
    const acc = new Float64Array(dw.length);
    const tmp = new Float32Array(dw.length);
    for (const b of blocks) {
      run(b, tmp);
      for (let i = 0; i < tmp.length; i++) acc[i] += tmp[i];
    }
    for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
  }

  /**
   * Jobs over ranges of output rows of the n (< T) images of a chunk, so a batch of one still
   * keeps every thread busy: a range is a conv with fewer output rows and its top padding moved
   * up by the rows before it (padTop - r0 * strideH, negative inside the image), on the same
   * input, each with its own geometry block.
   */
  function rowJobs(g: Conv2dGeometry, p: ConvPlan, n: number, job: (geo: number, img: number, r0: number) => number[]): number[][] {
    const jobs: number[][] = [];
    const per = Math.max(1, Math.floor((ROW_JOBS_PER_IMAGE * T) / n));
    let q = 0;
    for (let j = 0; j < n; j++) {
      for (let part = 0; part < per; part++) {
        const r0 = Math.floor((part * g.outH) / per), r1 = Math.floor(((part + 1) * g.outH) / per);
        if (r1 <= r0) continue;
        const geo = p.rowGeo + q++ * 64;
        s.i32(geo, 15).set([g.inH, g.inW, g.inC, r1 - r0, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
          g.dilationH, g.dilationW, g.padTop - r0 * g.strideH, g.padLeft, p.band]);
        jobs.push(job(geo, j, r0));
      }
    }
    return jobs;
  }

  function conv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
    const ok = isF32(x, w, y) && epilogueOk(epilogue) && g.batch > 0 && y.length > 0;
    const p = ok ? planConv(g, 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, 0) !== null) : null;
    if (blocks) {
      for (const b of blocks) {
        const [xb, yb] = blockViews(g, b, x, y);
        conv2d(xb, w, yb, b.g, epilogue);
      }
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.conv2d(x, w, y, g, epilogue);
      return;
    }
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? EPILOGUE_ACT[epilogue.activation] : 0;
    s.commit();
    convGeometry(p.geo, g, p.band);
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      if (T > 1 && n < T && g.inC > 1 && !isPointwise(g) && g.outH >= ROW_JOBS_PER_IMAGE && n * p.macs >= MIN_PARALLEL_MNK) {
        pool.run('convForward', rowJobs(g, p, n, (geo, j, r0) => [geo, p.x + j * p.inImg * 4, p.w,
          p.y + (j * p.outImg + r0 * g.outW * g.outC) * 4, 1, pBias, period, act]), p.bufs);
      } else {
        runImages('convForward', n, p.macs,
          (j0, cnt) => [p.geo, p.x + j0 * p.inImg * 4, p.w, p.y + j0 * p.outImg * 4, cnt, pBias, period, act], p.bufs);
      }
      y.set(s.f32(p.y, n * p.outImg), i0 * p.outImg);
    }
    if (epilogue?.activation === 'tanh') jsBackend.unary('tanh', y, y);
  }

  function activationBackward(dy: FloatArray, y: FloatArray, activation: FusedActivation, dz: FloatArray,
    dbias: FloatArray | null, inner: number): void {
    const n = dy.length;
    if (n < MIN_ELEMENTWISE || 3 * n + MIN_REDUCE_ROW * inner + 4 * ALIGN > capF || !isF32(dy, y, dz) ||
      (dbias && !(dbias instanceof Float32Array))) {
      jsBackend.activationBackward(dy, y, activation, dz, dbias, inner);
      return;
    }
    s.reset();
    const pdy = s.alloc(n);
    const py = s.alloc(n);
    const pdz = s.alloc(n);
    const sums = dbias ? sumRowsPlan(n / inner, inner) : null;
    s.commit();
    s.f32(pdy, n).set(dy);
    s.f32(py, n).set(y);
    k.actBackward(pdy, py, pdz, n, ACT_BACKWARD[activation]);
    dz.set(s.f32(pdz, n));
    if (dbias && sums) sumRowsRun(sums, pdz, n / inner, inner, dz, dbias);
  }

  function conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
    const ok = isF32(dy, w, dx) && epilogueOk(epilogue) && g.batch > 0 && dx.length > 0 && dy.length > 0;
    const p = ok ? planConv(g, 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, 0) !== null) : null;
    if (blocks) {
      // the epilogue runs once the windows' overlapping edges are summed
      inputGradInBlocks(g, blocks, dy, dx, (b, dyb, dxb) => conv2dBackpropInput(dyb, w, dxb, b.g));
      if (epilogue) applyEpilogue(dx, epilogue);
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.conv2dBackpropInput(dy, w, dx, g, epilogue);
      return;
    }
    // a transposed convolution's bias is per input channel of this geometry
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? EPILOGUE_ACT[epilogue.activation] : 0;
    s.commit();
    convGeometry(p.geo, g, p.band);
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      runImages('convBackInput', n, p.macs, (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.bufs);
      if (epilogue) k.biasAct(p.x, n * p.inImg, pBias, period, act);
      dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
    }
    if (epilogue?.activation === 'tanh') jsBackend.unary('tanh', dx, dx);
  }

  function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void {
    conv2dBackward(x, null, dy, g, { dx: null, dw, dbias: null });
  }

  /**
   * conv2d's gradients from one copy of dy: dz = dy, or dy * activation'(y) for a fused
   * activation, computed in place in scratch; then the bias gradient, the filter gradient and
   * the input gradient, per chunk. The filter gradient is a sum over images: each job of a chunk
   * (imageJobs, the same cut on every call) sums its images into its own partial, job j of every
   * chunk into partial j, and the partials are folded in index order at the end, so which thread
   * ran which job never changes the order of the additions (per-thread partials did: the same
   * seeds gave different weights from run to run).
   */
  function conv2dBackward(x: FloatArray, w: FloatArray | null, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
    fused?: FusedOutput): void {
    const { dx, dw, dbias } = grads;
    const act = fused ? ACT_BACKWARD[fused.activation] : 0;
    const arrays = [x, dy, ...(w ? [w] : []), ...(act ? [fused!.y] : []), ...[dx, dw, dbias].filter((a): a is FloatArray => a !== null)];
    const N = g.outC;
    const wF = g.kH * g.kW * g.inC * N;
    const macs = g.outH * g.outW * wF;
    const maxParts = maxPartials(g.batch, g.outH * g.outW, wF);
    // the most jobs any chunk can have (the cut's job count never falls as the images grow)
    const imageParts = dw ? imageJobs(g.batch, macs, maxParts).length : 0;
    // fewer images than threads: the filter gradient's jobs are ranges of output rows (rowJobs),
    // one partial each, when those partials take at most a quarter of the cap
    let rowParts = dw && T > 1 && g.batch < T && g.inC > 1 && !isPointwise(g) && g.outH >= ROW_JOBS_PER_IMAGE &&
      g.batch * macs >= MIN_PARALLEL_MNK ? g.batch * Math.floor((ROW_JOBS_PER_IMAGE * T) / g.batch) : 0;
    if (rowParts * partialStride(wF) > capF / 4) rowParts = 0;
    const ok = isF32(...arrays) && (w !== null || dx === null) && g.batch > 0 && dy.length > 0 && x.length > 0;
    let p = ok ? planConv(g, Math.max(rowParts, imageParts), act !== 0) : null;
    if (ok && !p && rowParts) {
      rowParts = 0;
      p = planConv(g, imageParts, act !== 0);
    }
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, dw ? 1 : 0, act !== 0) !== null) : null;
    if (blocks) {
      conv2dBackwardInBlocks(x, w, dy, g, grads, blocks, fused);
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.conv2dBackward(x, w ?? new Float32Array(0), dy, g, grads, fused);
      return;
    }
    const sums = dbias ? sumRowsPlan(p.chunk * p.outImg / N, N) : null;
    s.commit();
    convGeometry(p.geo, g, p.band);
    if (dx && w) s.f32(p.w, wF).set(w);
    // partials written so far: a job's first chunk overwrites its partial, later ones add
    let written = 0;
    const biasAcc = dbias && g.batch > p.chunk ? new Float64Array(N) : null;
    const biasPart = biasAcc ? new Float32Array(N) : null;
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      const outN = n * p.outImg;
      s.f32(p.y, outN).set(dy.subarray(i0 * p.outImg, i0 * p.outImg + outN));
      if (act) {
        s.f32(p.y2, outN).set(fused!.y.subarray(i0 * p.outImg, i0 * p.outImg + outN));
        k.actBackward(p.y, p.y2, p.y, outN, act);
      }
      if (dbias && sums) {
        sumRowsRun(sums, p.y, outN / N, N, s.f32(p.y, outN), biasPart ?? dbias);
        if (biasAcc && biasPart) for (let j = 0; j < N; j++) biasAcc[j] += biasPart[j];
      }
      if (dw) {
        s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
        // (with rowParts the batch is one chunk: its jobs write their partials once)
        const jobs = rowParts
          ? rowJobs(g, p, n, (geo, j, r0) => [geo, p.x + j * p.inImg * 4, p.y + (j * p.outImg + r0 * g.outW * N) * 4, 1])
          : imageJobs(n, p.macs, maxParts).map(([j0, cnt]) => [p.geo, p.x + j0 * p.inImg * 4, p.y + j0 * p.outImg * 4, cnt]);
        if (jobs.length > p.part.length) throw new Error(`wasm conv2dBackward: ${jobs.length} jobs for ${p.part.length} partials`);
        pool.run('convBackFilter', jobs.map((a, j) => [...a, j < written ? 1 : 0, p.part[j]]), p.bufs);
        written = Math.max(written, jobs.length);
      }
      if (dx) {
        // the chunk's x is no longer needed: its buffer takes dx
        runImages('convBackInput', n, p.macs, (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.bufs);
        dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
      }
    }
    if (dbias && biasAcc) for (let j = 0; j < N; j++) dbias[j] = biasAcc[j];
    if (dw) {
      foldPartials(p.part, written, wF);
      dw.set(s.f32(p.part[0], wF));
    }
  }

  /** conv2dBackward block by block (see rowBlocks): dx over overlapping windows, dw and dbias summed in block order. */
  function conv2dBackwardInBlocks(x: FloatArray, w: FloatArray | null, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
    blocks: RowBlock[], fused?: FusedOutput): void {
    const { dx, dw, dbias } = grads;
    const inRow = g.inW * g.inC;
    const tdx = dx ? new Float32Array(Math.max(...blocks.map((b) => b.g.inH)) * inRow) : null;
    const tdw = dw ? new Float32Array(dw.length) : null;
    const tdb = dbias ? new Float32Array(dbias.length) : null;
    const accW = dw ? new Float64Array(dw.length) : null;
    const accB = dbias ? new Float64Array(dbias.length) : null;
    if (dx) dx.fill(0);
    for (const b of blocks) {
      const [xb, dyb] = blockViews(g, b, x, dy);
      const dxw = dx ? blockViews(g, b, dx, dy)[0] : null;
      const t = tdx && dxw ? tdx.subarray(0, dxw.length) : null;
      const yb = fused ? blockViews(g, b, x, fused.y)[1] : null;
      conv2dBackward(xb, w, dyb, b.g, { dx: t, dw: tdw, dbias: tdb }, fused && yb ? { y: yb, activation: fused.activation } : undefined);
      if (t && dxw) for (let i = 0; i < t.length; i++) dxw[i] += t[i];
      if (accW && tdw) for (let i = 0; i < tdw.length; i++) accW[i] += tdw[i];
      if (accB && tdb) for (let i = 0; i < tdb.length; i++) accB[i] += tdb[i];
    }
    if (dw && accW) for (let i = 0; i < accW.length; i++) dw[i] = accW[i];
    if (dbias && accB) for (let i = 0; i < accB.length; i++) dbias[i] = accB[i];
  }

  // ---- grouped and depthwise convolution ----

  /**
   * Whether a grouped conv runs as one GEMM conv per group on channel slices rather than on the
   * lane kernels. The lanes' expanded image holds Cg * M floats a pixel, and past ~1024 they fall
   * out of cache and lose to the GEMMs (ResNeXt's 8+ channels per group); with fewer, or one
   * channel per group (depthwise: groups of a 9 x 1 product), the per-group calls lose (measured
   * on 3x3 convs, bench/grouped.ts: Cg 4 M 128 lanes 1.3x faster, Cg 8 M 512 GEMMs 3x faster,
   * depthwise C 1024 lanes 6x faster).
   */
  function groupedBySlices(g: Conv2dGeometry, groups: number): boolean {
    const cg = g.inC / groups;
    return cg > 1 && cg * g.outC >= slicesMinCgM;
  }

  interface GroupedPlan {
    geo: number;
    w: number;
    /** Per thread: its scratch. */
    suffix: number[][];
    /** Filter-gradient partials, one per job of a chunk (see imageJobs); maxParts caps the cut. */
    part: number[];
    maxParts: number;
    x: number;
    y: number;
    chunk: number;
    inImg: number;
    outImg: number;
    macs: number;
  }

  /**
   * Scratch for a grouped kernel: the geometry, the kernel, the per-thread buffers whose size
   * the module reports, the filter-gradient partials, then as many images as fit. Null when
   * not even one image fits under the cap.
   */
  function planGrouped(g: Conv2dGeometry, groups: number, kind: 'forward' | 'input' | 'filter', biasLen: number): GroupedPlan | null {
    const Cg = g.inC / groups;
    const Cp = Math.ceil(g.outC / 4) * 4;
    const wF = g.kH * g.kW * Cg * g.outC;
    const partF = kind === 'filter' ? g.kH * g.kW * Cg * Cp : 0;
    const macs = g.outH * g.outW * g.outC * g.kH * g.kW * Cg;
    s.reset();
    const geo = s.alloc(16);
    s.commit();
    s.i32(geo, 15).set([g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
      g.dilationH, g.dilationW, g.padTop, g.padLeft, groups]);
    const per = kind === 'forward' ? k.groupedForwardFloats(geo) : kind === 'input' ? k.groupedBackInputFloats(geo) : k.groupedBackFilterFloats(geo);
    const inImg = g.inH * g.inW * g.inC;
    const outImg = g.outH * g.outW * g.outC;
    // These kernels do a few multiply-adds per float moved, so chunks are sized to stay in cache
    // between the copy in, the kernel and the copy out (~2 MiB per thread; the whole batch at
    // once ran 1.2-1.4x slower on 32x56x56x64, whose 51 MB of input and output pass L3).
    const cacheChunk = Math.min(g.batch, Math.max(T, Math.floor((T * GROUPED_CHUNK_BYTES) / 4 / (inImg + outImg))));
    // every chunk's cut has at most as many jobs as the first's
    const maxParts = partF ? maxPartials(g.batch, g.outH * g.outW, partF) : 0;
    const parts = partF ? imageJobs(cacheChunk, macs, maxParts).length : 0;
    const fixed = s.used() + wF + T * (per + ALIGN) + parts * partialStride(partF) + (biasLen ? biasLen + MIN_ROW : 0) + 4 * ALIGN;
    const fit = Math.floor((capF - fixed) / (inImg + outImg));
    if (fit < 1) return null;
    const chunk = Math.min(cacheChunk, fit);
    const w = kind === 'filter' ? 0 : s.alloc(wF);
    const part = allocPartials(parts, partF);
    const suffix: number[][] = [];
    for (let t = 0; t < T; t++) suffix.push([s.alloc(per)]);
    const x = s.alloc(chunk * inImg);
    const y = s.alloc(chunk * outImg);
    return { geo, w, suffix, part, maxParts, x, y, chunk, inImg, outImg, macs };
  }

  function groupedConv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, groups: number, epilogue?: Epilogue): void {
    if (groups === 1) {
      conv2d(x, w, y, g, epilogue);
      return;
    }
    const ok = isF32(x, w, y) && epilogueOk(epilogue) && g.batch > 0 && y.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBySlices(backend, x, w, y, g, groups, epilogue);
      return;
    }
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const p = ok ? planGrouped(g, groups, 'forward', bias ? bias.length : 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'forward', bias ? bias.length : 0) !== null) : null;
    if (blocks) {
      for (const b of blocks) {
        const [xb, yb] = blockViews(g, b, x, y);
        groupedConv2d(xb, w, yb, b.g, groups, epilogue);
      }
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.groupedConv2d(x, w, y, g, groups, epilogue);
      return;
    }
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? EPILOGUE_ACT[epilogue.activation] : 0;
    s.commit();
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      runImages('groupedForward', n, p.macs,
        (j0, cnt) => [p.geo, p.x + j0 * p.inImg * 4, p.w, p.y + j0 * p.outImg * 4, cnt, pBias, period, act], p.suffix);
      y.set(s.f32(p.y, n * p.outImg), i0 * p.outImg);
    }
    if (epilogue?.activation === 'tanh') jsBackend.unary('tanh', y, y);
  }

  function groupedConv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, groups: number): void {
    if (groups === 1) {
      conv2dBackpropInput(dy, w, dx, g);
      return;
    }
    const ok = isF32(dy, w, dx) && g.batch > 0 && dx.length > 0 && dy.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBackpropInputBySlices(backend, dy, w, dx, g, groups);
      return;
    }
    const p = ok ? planGrouped(g, groups, 'input', 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'input', 0) !== null) : null;
    if (blocks) {
      inputGradInBlocks(g, blocks, dy, dx, (b, dyb, dxb) => groupedConv2dBackpropInput(dyb, w, dxb, b.g, groups));
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.groupedConv2dBackpropInput(dy, w, dx, g, groups);
      return;
    }
    s.commit();
    s.f32(p.w, w.length).set(w);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      runImages('groupedBackInput', n, p.macs,
        (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.suffix);
      dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
    }
  }

  function groupedConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry, groups: number): void {
    if (groups === 1) {
      conv2dBackpropFilter(x, dy, dw, g);
      return;
    }
    const ok = isF32(x, dy, dw) && g.batch > 0 && dy.length > 0 && x.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBackpropFilterBySlices(backend, x, dy, dw, g, groups);
      return;
    }
    const p = ok ? planGrouped(g, groups, 'filter', 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'filter', 0) !== null) : null;
    if (blocks) {
      filterGradInBlocks(blocks, dw, (b, dwb) => {
        const [xb, dyb] = blockViews(g, b, x, dy);
        groupedConv2dBackpropFilter(xb, dyb, dwb, b.g, groups);
      });
      return;
    }
    if (!p) {
      if (ok) convReferenceCalls++;
      jsBackend.groupedConv2dBackpropFilter(x, dy, dw, g, groups);
      return;
    }
    const M = g.outC;
    const Cp = Math.ceil(M / 4) * 4;
    const rows = g.kH * g.kW * (g.inC / groups);
    s.commit();
    // job j of every chunk adds into partial j, folded in index order: the same additions in
    // the same order whichever thread ran which job (see conv2dBackward)
    for (const q of p.part) s.f32(q, rows * Cp).fill(0);
    let used = 0;
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      const cut = imageJobs(n, p.macs, p.maxParts);
      if (cut.length > p.part.length) throw new Error(`wasm groupedConv2dBackpropFilter: ${cut.length} jobs for ${p.part.length} partials`);
      pool.run('groupedBackFilter', cut.map(([j0, cnt], j) =>
        [p.geo, p.x + j0 * p.inImg * 4, p.y + j0 * p.outImg * 4, cnt, p.part[j]]), p.suffix);
      used = Math.max(used, cut.length);
    }
    foldPartials(p.part, used, rows * Cp);
    const part = s.f32(p.part[0], rows * Cp);
    if (Cp === M) dw.set(part);
    else for (let r = 0; r < rows; r++) dw.set(part.subarray(r * Cp, r * Cp + M), r * M);
  }

  function unary(op: UnaryKernel, x: FloatArray, out: FloatArray): void {
    const code = UNARY_OPS[op];
    const n = x.length;
    if (code === undefined || n < MIN_ELEMENTWISE || 2 * n > capF || !isF32(x, out)) {
      jsBackend.unary(op, x, out);
      return;
    }
    s.reset();
    const px = s.alloc(n);
    s.commit();
    s.f32(px, n).set(x);
    k.unary(code, px, px, n);
    out.set(s.f32(px, n));
  }

  /**
   * How an operand of the (already rank-padded) shape broadcasts over outShape: 1 full, 0 one
   * value, 2 one trailing row repeated (a bias), with the row length; null for other patterns.
   */
  function operandMode(shape: readonly number[], len: number, outShape: readonly number[], n: number): [number, number] | null {
    if (len === n) return [1, n];
    if (len === 1) return [0, 1];
    let d = shape.length;
    while (d > 0 && shape[d - 1] === outShape[d - 1]) d--;
    for (let i = 0; i < d; i++) if (shape[i] !== 1) return null;
    return [2, len];
  }

  function binary(op: BinaryKernel, a: FloatArray, aShape: readonly number[], b: FloatArray,
    bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
    const code = BINARY_OPS[op];
    const n = out.length;
    const am = code === undefined ? null : operandMode(aShape, a.length, outShape, n);
    const bm = am === null ? null : operandMode(bShape, b.length, outShape, n);
    let inner = n;
    if (am && am[0] === 2) inner = am[1];
    if (bm && bm[0] === 2) inner = inner !== n && inner !== bm[1] ? -1 : bm[1];
    if (code === undefined || !am || !bm || inner <= 0 || n < MIN_ELEMENTWISE || a.length + b.length + n + 2 * MIN_ROW > capF ||
      !isF32(a, b, out)) {
      jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
      return;
    }
    const rows = n / inner;
    // A short repeated row (a conv bias: one value per channel) is laid out R times, so the
    // kernel runs rows of R*inner floats instead of a loop per few-float row.
    const R = inner < MIN_ROW && rows > 1 && (am[0] === 2 || bm[0] === 2) ? Math.min(rows, Math.ceil(MIN_ROW / inner)) : 1;
    const lenOf = (mode: number, len: number) => (mode === 2 ? R * inner : len);
    s.reset();
    const pa = s.alloc(lenOf(am[0], a.length));
    const pb = s.alloc(lenOf(bm[0], b.length));
    const po = s.alloc(n);
    s.commit();
    const load = (p: number, src: Float32Array, mode: number) => {
      const v = s.f32(p, lenOf(mode, src.length));
      v.set(src);
      if (mode === 2) for (let r = 1; r < R; r++) v.copyWithin(r * inner, 0, inner);
    };
    load(pa, a as Float32Array, am[0]);
    load(pb, b as Float32Array, bm[0]);
    const big = Math.floor(rows / R);
    k.binary(code, pa, am[0], pb, bm[0], po, big, inner * R);
    const rest = rows - big * R;
    if (rest > 0) {
      const off = big * R * inner * 4;
      k.binary(code, am[0] === 1 ? pa + off : pa, am[0], bm[0] === 1 ? pb + off : pb, bm[0], po + off, rest, inner);
    }
    out.set(s.f32(po, n));
  }

  interface SumRows { R: number; out: number }

  /**
   * Plans the column sums of an [axis, inner] matrix already in scratch: a sum over many short
   * rows (a conv bias gradient: [N*H*W, C]) runs as rows of R*inner floats, independent vector
   * chains instead of one chain per channel, and the R partials are folded afterwards.
   */
  function sumRowsPlan(axis: number, inner: number): SumRows {
    const R = inner < MIN_REDUCE_ROW && axis >= 4 * MIN_REDUCE_ROW ? Math.ceil(MIN_REDUCE_ROW / inner) : 1;
    return { R, out: s.alloc(R * inner) };
  }

  /** Runs a SumRows plan on px (the same values as x, which finishes the rows past a multiple of R). */
  function sumRowsRun(p: SumRows, px: number, axis: number, inner: number, x: FloatArray, out: FloatArray): void {
    const { R } = p;
    if (R === 1) {
      k.reduce(0, px, 1, axis, inner, p.out);
      out.set(s.f32(p.out, inner));
      return;
    }
    const q = Math.floor(axis / R);
    k.reduce(0, px, 1, q, R * inner, p.out);
    const part = s.f32(p.out, R * inner);
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let r = 0; r < R; r++) acc += part[r * inner + i];
      for (let a = q * R; a < axis; a++) acc += x[a * inner + i];
      out[i] = acc;
    }
  }

  function reduce(op: ReduceKernel, x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void {
    const n = x.length;
    if (n < MIN_ELEMENTWISE || axis < 1 || n + out.length + MIN_REDUCE_ROW * inner > capF || !isF32(x, out)) {
      jsBackend.reduce(op, x, outer, axis, inner, out);
      return;
    }
    s.reset();
    const px = s.alloc(n);
    const sums = op === 'sum' && outer === 1 ? sumRowsPlan(axis, inner) : null;
    const po = sums ? 0 : s.alloc(out.length);
    s.commit();
    s.f32(px, n).set(x);
    if (sums) {
      sumRowsRun(sums, px, axis, inner, x, out);
      return;
    }
    k.reduce(op === 'sum' ? 0 : op === 'max' ? 1 : 2, px, outer, axis, inner, po);
    out.set(s.f32(po, out.length));
  }

  function poolGeometry(p: number, g: Pool2dGeometry): void {
    s.i32(p, 11).set([g.inH, g.inW, g.channels, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft]);
  }

  /** Images per chunk for pooling, or 0 when pooling stays on the reference. */
  function poolChunk(g: Pool2dGeometry, extraPerOut: number): number {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    if (g.batch === 0 || outImg === 0 || g.batch * (inImg + outImg) < MIN_ELEMENTWISE) return 0;
    return Math.max(0, Math.min(g.batch, Math.floor((capF - 64) / (inImg + outImg * (1 + extraPerOut)))));
  }

  /**
   * Runs `step` over the batch in chunks of `chunk` images, with scratch for one chunk's inputs,
   * its outputs and (for max pooling) its arg-max indices; the geometry is written once.
   */
  function poolInChunks(g: Pool2dGeometry, chunk: number, withIndex: boolean,
    step: (geo: number, pIn: number, pOut: number, pIdx: number, i0: number, n: number, inImg: number, outImg: number) => void): void {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    s.reset();
    const geo = s.alloc(16);
    const pIn = s.alloc(chunk * inImg);
    const pOut = s.alloc(chunk * outImg);
    const pIdx = withIndex ? s.alloc(chunk * outImg) : 0;
    s.commit();
    poolGeometry(geo, g);
    for (let i0 = 0; i0 < g.batch; i0 += chunk) step(geo, pIn, pOut, pIdx, i0, Math.min(chunk, g.batch - i0), inImg, outImg);
  }

  function maxPool2d(x: FloatArray, out: FloatArray, argmax: Int32Array, g: Pool2dGeometry): void {
    const chunk = isF32(x, out) ? poolChunk(g, 1) : 0;
    if (chunk < 1) {
      jsBackend.maxPool2d(x, out, argmax, g);
      return;
    }
    const work = g.outH * g.outW * g.channels * g.kH * g.kW;
    poolInChunks(g, chunk, true, (geo, px, po, pi, i0, n, inImg, outImg) => {
      s.f32(px, n * inImg).set(x.subarray(i0 * inImg, (i0 + n) * inImg));
      // image groups on the pool threads: the kernel is ~4x the copies here
      runImages('maxPool', n, work, (j0, cnt) => [geo, px + j0 * inImg * 4, po + j0 * outImg * 4, pi + j0 * outImg * 4, cnt,
        (i0 + j0) * inImg], noSuffix);
      out.set(s.f32(po, n * outImg), i0 * outImg);
      argmax.set(s.i32(pi, n * outImg), i0 * outImg);
    });
  }

  function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, g: Pool2dGeometry): void {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    const chunk = isF32(dy, dx) && dx.length >= MIN_ELEMENTWISE ? poolChunk(g, 1) : 0;
    if (chunk < 1) {
      jsBackend.maxPool2dBackward(dy, argmax, dx, g);
      return;
    }
    poolInChunks(g, chunk, true, (_geo, pdx, pdy, pi, i0, n) => {
      s.f32(pdy, n * outImg).set(dy.subarray(i0 * outImg, (i0 + n) * outImg));
      s.i32(pi, n * outImg).set(argmax.subarray(i0 * outImg, (i0 + n) * outImg));
      runImages('maxPoolBackward', n, inImg, (j0, cnt) => [pdy + j0 * outImg * 4, pi + j0 * outImg * 4, cnt * outImg,
        pdx + j0 * inImg * 4, cnt * inImg, (i0 + j0) * inImg], noSuffix);
      dx.set(s.f32(pdx, n * inImg), i0 * inImg);
    });
  }

  function avgPool2d(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
    const chunk = isF32(x, out) ? poolChunk(g, 0) : 0;
    if (chunk < 1) {
      jsBackend.avgPool2d(x, out, g);
      return;
    }
    poolInChunks(g, chunk, false, (geo, px, po, _pi, i0, n, inImg, outImg) => {
      s.f32(px, n * inImg).set(x.subarray(i0 * inImg, (i0 + n) * inImg));
      k.avgPool(geo, px, po, n);
      out.set(s.f32(po, n * outImg), i0 * outImg);
    });
  }

  function avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: Pool2dGeometry): void {
    const chunk = isF32(dy, dx) ? poolChunk(g, 0) : 0;
    if (chunk < 1) {
      jsBackend.avgPool2dBackward(dy, dx, g);
      return;
    }
    poolInChunks(g, chunk, false, (geo, pdx, pdy, _pi, i0, n, inImg, outImg) => {
      s.f32(pdy, n * outImg).set(dy.subarray(i0 * outImg, (i0 + n) * outImg));
      k.avgPoolBackward(geo, pdy, pdx, n);
      dx.set(s.f32(pdx, n * inImg), i0 * inImg);
    });
  }


  function adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, alpha: number, beta1: number,
    beta2: number, epsilon: number): void {
    const n = w.length;
    if (n < MIN_ELEMENTWISE || !isF32(w, g, m, v)) {
      jsBackend.adamUpdate(w, g, m, v, alpha, beta1, beta2, epsilon);
      return;
    }
    // four operands in, three back: chunks of at most a quarter of the cap each
    const chunk = Math.min(n, Math.floor((capF - 4 * ALIGN) / 4 / 16) * 16);
    s.reset();
    const pw = s.alloc(chunk);
    const pg = s.alloc(chunk);
    const pm = s.alloc(chunk);
    const pv = s.alloc(chunk);
    s.commit();
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const c = Math.min(chunk, n - i0);
      const vw = s.f32(pw, c);
      const vm = s.f32(pm, c);
      const vv = s.f32(pv, c);
      vw.set(w.subarray(i0, i0 + c));
      s.f32(pg, c).set(g.subarray(i0, i0 + c));
      vm.set(m.subarray(i0, i0 + c));
      vv.set(v.subarray(i0, i0 + c));
      k.adamUpdate(pw, pg, pm, pv, c, alpha, beta1, beta2, epsilon);
      w.set(vw, i0);
      m.set(vm, i0);
      v.set(vv, i0);
    }
  }

  const backend: WasmBackend = {
    name: 'wasm',
    unary,
    binary,
    reduce,
    argReduce: jsBackend.argReduce,
    matmul,
    conv2d,
    conv2dBackpropInput,
    conv2dBackpropFilter,
    conv2dBackward,
    groupedConv2d,
    groupedConv2dBackpropInput,
    groupedConv2dBackpropFilter,
    activationBackward,
    maxPool2d,
    maxPool2dBackward,
    avgPool2d,
    avgPool2dBackward,
    adamUpdate,
    info: () => ({
      simd: loaded.level,
      threads: T,
      sharedMemory: shared,
      scratchPeakBytes: s.peak,
      scratchCapBytes: s.cap,
      wasmMemoryBytes: memory.buffer.byteLength,
      convReferenceCalls,
    }),
    close: () => pool.close(),
  };
  return backend;
}

let loadedBackend: WasmBackend | undefined;
let loadError: unknown;

/**
 * Loads the wasm backend once (synchronously), registers it as 'wasm' and makes it the default
 * unless GRADLAB_BACKEND=js. Returns undefined, leaving the js backend in place, when the modules
 * cannot load (not built, or an engine without SIMD); GRADLAB_BACKEND=wasm turns that into an error.
 */
export function loadWasmBackend(): WasmBackend | undefined {
  const want = requestedBackend();
  if (loadedBackend || loadError !== undefined) {
    // loaded (or failed) before: a second call must not undo a later setBackend('js')
    return loadedBackend;
  }
  // bad GRADLAB_THREADS / GRADLAB_WASM_SCRATCH_MB values throw here rather than read as "no wasm"
  const options: WasmBackendOptions = { threads: requestedThreads(), scratchMiB: envScratchMiB() };
  try {
    loadedBackend = createWasmBackend(options);
    registerBackend(loadedBackend);
  } catch (e) {
    loadError = e;
    if (want === 'wasm') {
      throw new Error(`GRADLAB_BACKEND=wasm but the wasm backend did not load (run 'npm run build:wasm'): ${String(e)}`);
    }
    return undefined;
  }
  if (want === undefined || want === 'wasm') setBackend('wasm');
  return loadedBackend;
}

/** The loaded wasm backend, if loadWasmBackend succeeded. */
export function wasmBackend(): WasmBackend | undefined {
  return loadedBackend;
}
