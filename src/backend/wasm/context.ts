// What every module of the wasm backend shares: the instance, its scratch and thread pool, the
// size thresholds, the op codes it compiles, and the helpers that cut a call into pool jobs.
import type { BinaryKernel, Epilogue, FusedActivation, UnaryKernel } from '../backend.js';
import { ACTIVATION_CODES, BINARY_CODES, UNARY_CODES } from '../codes.js';
import { jsBackend } from '../js/index.js';
import type { WasmKernels } from './module.js';
import { MAX_JOBS, type Pool, type PoolKernel } from './pool.js';
import { type Scratch } from './scratch.js';

export { ALIGN, Scratch, copyIn, copyOut, isF32 } from './scratch.js';

// Below these sizes the copies and the call cost more than the reference loop.
export const MIN_ELEMENTWISE = 1024;
// Sums over rows shorter than this run on rows of about this many floats.
export const MIN_REDUCE_ROW = 32;
// Repeated rows shorter than this are tiled to about this length before a binary kernel.
export const MIN_ROW = 256;
export const MIN_MATMUL_MNK = 4096;
// Below this GEMM volume one thread finishes before a hand-off would pay.
export const MIN_PARALLEL_MNK = 64 * 64 * 64;
// Floats read by a fold of filter-gradient partials below which one thread does it.
export const MIN_PARALLEL_FOLD = 1 << 16;
// Grouped convs with Cg > 1 input channels per group and Cg * M >= this run per group on the
// GEMM convs; the others (depthwise included) on the lane kernels (see groupedBySlices).
export const SLICES_MIN_CGM = 1024;
// Row-range jobs per image and thread when a chunk has fewer images than threads (see rowJobs).
export const ROW_JOBS_PER_IMAGE = 2;
// Scratch bytes per thread of one chunk of images for the grouped lane kernels.
export const GROUPED_CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * Where a call goes that wasm does not run: float64 data, calls too small to repay the copies,
 * ops with no wasm kernel (argReduce, log, tanh, softplus, pow) and convolutions whose shape does
 * not fit the scratch cap (counted in info().convReferenceCalls). The js backend, on purpose.
 */
export const reference = jsBackend;

// The unary and binary ops assembly/kernels.ts compiles (codes from the shared table).
const WASM_UNARY: ReadonlySet<UnaryKernel> = new Set<UnaryKernel>(['neg', 'abs', 'sqrt', 'square', 'relu', 'step', 'sign', 'reciprocal', 'exp', 'sigmoid']);
const WASM_BINARY: ReadonlySet<BinaryKernel> = new Set<BinaryKernel>(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'maskPositive']);

export function wasmUnaryCode(op: UnaryKernel): number | undefined {
  return WASM_UNARY.has(op) ? UNARY_CODES[op] : undefined;
}

export function wasmBinaryCode(op: BinaryKernel): number | undefined {
  return WASM_BINARY.has(op) ? BINARY_CODES[op] : undefined;
}

/** The activation code an epilogue kernel applies: tanh has no wasm kernel, so it runs on the reference after the copy out. */
export function epilogueAct(a: FusedActivation): number {
  return a === 'tanh' ? ACTIVATION_CODES.linear : ACTIVATION_CODES[a];
}

/** An instance's fixed parts, from which createContext adds the job helpers. */
export interface WasmInstance {
  k: WasmKernels;
  s: Scratch;
  pool: Pool;
  /** Threads, the caller included. */
  T: number;
  /** Rows of the GEMM micro-tile. */
  MR: number;
  /** Floats of one thread's A-packing buffer. */
  packA: number;
  /** The scratch cap in floats. */
  capF: number;
  /** Target floats of one thread's im2col panel. */
  panelF: number;
  slicesMinCgM: number;
  stats: { convReferenceCalls: number };
}

export type WasmContext = ReturnType<typeof createContext>;

export function createContext(inst: WasmInstance) {
  const { k, s, pool, T, packA, capF } = inst;
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

  return {
    ...inst, pbSize, noSuffix, packABuffers, imageJobs, runImages, maxPartials, allocPartials, partialStride, foldPartials,
    tiledBias, fillTiledBias, epilogueOk,
  };
}
