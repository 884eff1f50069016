import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

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

/** Where `npm run build:wasm` writes the modules, seen from dist/src/backend/wasm/. */
export function wasmPath(level: SimdLevel, shared: boolean): URL {
  return new URL(`../../../wasm/${level}${shared ? '-shared' : ''}.wasm`, import.meta.url);
}

let relaxedFlagSet = false;

/**
 * Whether this engine runs relaxed SIMD. Node 20 hides it behind a V8 flag that can be set from
 * inside the process before the first compile; the flag is process-wide, so workers inherit it.
 */
export function relaxedSimdAvailable(bytes: BufferSource): boolean {
  if (!relaxedFlagSet) {
    relaxedFlagSet = true;
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // engines without the flag either have relaxed SIMD on or lack it; validate tells which
    }
  }
  return WebAssembly.validate(bytes);
}

export interface LoadedModule {
  level: SimdLevel;
  shared: boolean;
  module: WebAssembly.Module;
}

/** Compiles the best module this engine validates, synchronously (so `import 'gradlab'` stays sync). */
export function compileKernels(opts: { shared: boolean; level?: SimdLevel }): LoadedModule {
  const { shared } = opts;
  const relaxedBytes = readFileSync(wasmPath('relaxed', shared));
  let level: SimdLevel = opts.level ?? 'relaxed';
  let bytes: BufferSource = relaxedBytes;
  if (level === 'relaxed' && !relaxedSimdAvailable(relaxedBytes)) level = 'simd';
  if (level === 'simd') bytes = readFileSync(wasmPath('simd', shared));
  return { level, shared, module: new WebAssembly.Module(bytes) };
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
