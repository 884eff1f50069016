import type { Backend } from '../backend.js';
import { withDefaults } from '../defaults.js';
import { registerBackend, requestedBackend, requestedThreads, setBackend } from '../index.js';
import { ValueError } from '../../core/errors.js';
import { env } from '../../core/env.js';
import { ALIGN, SLICES_MIN_CGM, Scratch, createContext, reference } from './context.js';
import { convKernels } from './conv.js';
import { eltwiseKernels } from './eltwise.js';
import { gemmKernels } from './gemm.js';
import { groupedKernels } from './grouped.js';
import { compileKernels, instantiate, newMemory, type SimdLevel, type WasmKernels } from './module.js';
import { poolingKernels } from './pooling.js';
import { singleThread, workerPool, type Pool } from './pool.js';


/**
 * The WebAssembly SIMD backend. Tensor data stays in ordinary (garbage-collected) typed arrays;
 * each call copies its operands into a reusable scratch region of wasm memory, runs the kernel
 * there and copies the result back (~48 GB/s each way, PERF-NOTES.md). The region grows to the
 * largest call seen and never past the cap: larger problems are cut into pieces (row/column
 * blocks of a GEMM, image chunks of a convolution) that fit. float64 data and the kernels that
 * would not beat their copies run on the js reference (context.ts: `reference`).
 *
 * This file reads the options and assembles the backend; the kernels live by family in
 * eltwise.ts, gemm.ts, conv.ts, grouped.ts and pooling.ts, over the shared context.ts and
 * scratch.ts, with their op codes from the one table in ../codes.ts.
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
  const stats = { convReferenceCalls: 0 };
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
  const c = createContext({ k, s, pool, T, MR, packA, capF, panelF, slicesMinCgM, stats });
  const e = eltwiseKernels(c);
  const cv = convKernels(c, e);
  const gp = groupedKernels(c, cv, () => backend);
  const pl = poolingKernels(c);

  // Every kernel is wasm's own (each sends what it cannot run to the reference); withDefaults
  // checks that and would supply any kernel a future edit dropped from this list.
  const backend: WasmBackend = withDefaults({
    name: 'wasm' as const,
    unary: e.unary,
    binary: e.binary,
    reduce: e.reduce,
    // no wasm kernel: one read of x, never a training step's bottleneck
    argReduce: reference.argReduce,
    matmul: gemmKernels(c).matmul,
    conv2d: cv.conv2d,
    conv2dBackpropInput: cv.conv2dBackpropInput,
    conv2dBackpropFilter: cv.conv2dBackpropFilter,
    conv2dBackward: cv.conv2dBackward,
    groupedConv2d: gp.groupedConv2d,
    groupedConv2dBackpropInput: gp.groupedConv2dBackpropInput,
    groupedConv2dBackpropFilter: gp.groupedConv2dBackpropFilter,
    activationBackward: e.activationBackward,
    maxPool2d: pl.maxPool2d,
    maxPool2dBackward: pl.maxPool2dBackward,
    avgPool2d: pl.avgPool2d,
    avgPool2dBackward: pl.avgPool2dBackward,
    adamUpdate: e.adamUpdate,
    // no wasm kernels: batch normalisation's per-channel passes run the reference's loops
    channelMoments: reference.channelMoments,
    channelAffine: reference.channelAffine,
    batchNormBackward: reference.batchNormBackward,
    info: () => ({
      simd: loaded.level,
      threads: T,
      sharedMemory: shared,
      scratchPeakBytes: s.peak,
      scratchCapBytes: s.cap,
      wasmMemoryBytes: memory.buffer.byteLength,
      convReferenceCalls: stats.convReferenceCalls,
    }),
    close: () => pool.close(),
  });
  return backend;
}

let loadedBackend: WasmBackend | undefined;
let loadError: unknown;

/**
 * Loads the wasm backend once (synchronously), registers it as 'wasm' and makes it the default
 * unless GRADLAB_BACKEND names another backend (applyRequestedBackend selects that one once
 * every loader has run). Returns undefined, leaving the js backend in place, when the modules
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
