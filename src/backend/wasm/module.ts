import { env } from '../../core/env.js';

/** The exports of assembly/kernels.ts. Pointers are byte addresses; booleans are 0/1. */
export interface WasmKernels {
  mr(): number;
  heapBase(): number;
  packASize(): number;
  packBSize(n: number, k: number): number;
  packBAll(n: number, k: number, b: number, ldb: number, transB: number, pb: number): void;
  gemmPacked(m: number, n: number, k: number, a: number, lda: number, transA: number, pb: number, c: number,
    ldc: number, accumulate: number, pa: number): void;
  gemm(m: number, n: number, k: number, a: number, lda: number, transA: number, b: number, ldb: number,
    transB: number, c: number, ldc: number, accumulate: number, pa: number, pb: number): void;
  convForward(g: number, x: number, w: number, y: number, nImg: number, bias: number, period: number, act: number,
    col: number, pa: number, pb: number): void;
  biasAct(y: number, n: number, bias: number, period: number, act: number): void;
  actBackward(dy: number, y: number, dz: number, n: number, act: number): void;
  convBackInput(g: number, dy: number, w: number, dx: number, nImg: number, dcol: number, pa: number, pb: number): void;
  convBackFilter(g: number, x: number, dy: number, nImg: number, accumulate: number, dw: number, col: number,
    pa: number, pb: number): void;
  groupedForwardFloats(g: number): number;
  groupedBackInputFloats(g: number): number;
  groupedBackFilterFloats(g: number): number;
  groupedForward(g: number, x: number, w: number, y: number, nImg: number, bias: number, period: number, act: number, buf: number): void;
  groupedBackInput(g: number, dy: number, w: number, dx: number, nImg: number, buf: number): void;
  groupedBackFilter(g: number, x: number, dy: number, nImg: number, part: number, buf: number): void;
  binary(op: number, a: number, aMode: number, b: number, bMode: number, out: number, rows: number, inner: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  reduce(op: number, x: number, outer: number, axis: number, inner: number, out: number): void;
  maxPool(g: number, x: number, out: number, argmax: number, nImg: number, indexBase: number): void;
  maxPoolBackward(dy: number, argmax: number, n: number, dx: number, nx: number, indexBase: number): void;
  avgPool(g: number, x: number, out: number, nImg: number): void;
  avgPoolBackward(g: number, dy: number, dx: number, nImg: number): void;
  sumPartials(src: number, stride: number, count: number, n: number, dst: number): void;
  adamUpdate(w: number, g: number, m: number, v: number, n: number, alpha: number, b1: number, b2: number, eps: number): void;
}

export type SimdLevel = 'relaxed' | 'simd';

/** Declared maximum of the shared build's memory, in 64 KiB pages (must match assembly/build.mjs). */
export const SHARED_MAX_PAGES = 16384;

/** The file `npm run build:wasm` writes for a variant (the environment adapter finds and compiles it). */
export function wasmFile(level: SimdLevel, shared: boolean): string {
  return `${level}${shared ? '-shared' : ''}.wasm`;
}

export interface LoadedModule {
  level: SimdLevel;
  shared: boolean;
  module: WebAssembly.Module;
}

/**
 * The best module this engine validates, synchronously (so `import 'gradlab'` stays sync in Node;
 * the page compiles the modules ahead, in gl.ready()).
 */
export function compileKernels(opts: { shared: boolean; level?: SimdLevel }): LoadedModule {
  const { shared } = opts;
  let level: SimdLevel = opts.level ?? 'relaxed';
  let module = level === 'relaxed' ? env().wasmModule(wasmFile('relaxed', shared)) : undefined;
  if (module === undefined) {
    level = 'simd';
    module = env().wasmModule(wasmFile('simd', shared));
  }
  if (module === undefined) throw new Error(`wasm backend: this engine rejects ${wasmFile('simd', shared)} (no WebAssembly SIMD?)`);
  return { level, shared, module };
}

export function newMemory(shared: boolean): WebAssembly.Memory {
  return shared
    ? new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 1 });
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmKernels {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  return inst.exports as unknown as WasmKernels;
}
