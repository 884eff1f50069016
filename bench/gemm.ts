// GEMM C = A.B, square n, float32: gradlab's wasm backend (its builds and thread counts), the js
// reference, TensorFlow.js (cpu and wasm) and PyTorch, all on the same seeded matrices.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsBackend } from '../src/backend/js/index.js';
import type { Backend } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { loadNativeBackend, nativeUnavailableReason } from '../src/backend/native/index.js';
import { SLOW, emit, loadTfjs, randomF32, runPython, timeMs, tmpDir, torchMissing, type BenchRow } from './common.js';

const SIZES = [256, 512, 1024, 2048];
// The plain-JS peers take ~1 GFLOP/s: 2048 would be ~17 s a call.
const SLOW_MAX_N = 1024;

const workload = (n: number): string => `GEMM ${n}x${n} (f32)`;
const gflops = (n: number, ms: number): number => (2 * n * n * n) / (ms * 1e6);

function data(n: number): { a: Float32Array; b: Float32Array } {
  return { a: randomF32(1000 + n, n * n), b: randomF32(2000 + n, n * n) };
}

async function gradlab(be: Backend, impl: string, slow: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of SIZES) {
    if (slow && n > SLOW_MAX_N) {
      rows.push({ workload: workload(n), impl, value: NaN, unit: 'GFLOP/s', note: 'skipped: > 10 s a call' });
      continue;
    }
    const { a, b } = data(n);
    const c = new Float32Array(n * n);
    const ms = await timeMs(() => be.matmul(a, b, c, 1, n, n, n, false, false, 0, 0), slow ? SLOW : {});
    rows.push({ workload: workload(n), impl, value: gflops(n, ms), unit: 'GFLOP/s' });
  }
  return rows;
}

async function tfjs(backend: 'cpu' | 'wasm'): Promise<BenchRow[]> {
  const impl = `tfjs ${backend}`;
  const t = await loadTfjs(backend);
  if ('error' in t) return SIZES.map((n) => ({ workload: workload(n), impl, value: NaN, unit: 'GFLOP/s', note: t.error }));
  const { tf, note } = t;
  const rows: BenchRow[] = [];
  for (const n of SIZES) {
    if (backend === 'cpu' && n > SLOW_MAX_N) {
      rows.push({ workload: workload(n), impl, value: NaN, unit: 'GFLOP/s', note: 'skipped: > 10 s a call' });
      continue;
    }
    const { a, b } = data(n);
    const A = tf.tensor2d(a, [n, n]);
    const B = tf.tensor2d(b, [n, n]);
    const ms = await timeMs(() => {
      const C = tf.matMul(A, B);
      C.dataSync();
      C.dispose();
    }, backend === 'cpu' && n >= 1024 ? SLOW : {});
    A.dispose();
    B.dispose();
    rows.push({ workload: workload(n), impl, value: gflops(n, ms), unit: 'GFLOP/s', ...(note ? { note } : {}) });
  }
  return rows;
}

function torch(): BenchRow[] {
  const impl = 'pytorch (2 threads)';
  const missing = torchMissing();
  if (missing) return SIZES.map((n) => ({ workload: workload(n), impl, value: NaN, unit: 'GFLOP/s', note: missing }));
  const dir = tmpDir();
  const gemm = SIZES.map((n) => {
    const { a, b } = data(n);
    const pa = join(dir, `gemm-a-${n}.f32`);
    const pb = join(dir, `gemm-b-${n}.f32`);
    writeFileSync(pa, a);
    writeFileSync(pb, b);
    return { workload: workload(n), n, a: pa, b: pb };
  });
  const r = runPython('torch_kernels.py', { threads: 2, impl, gemm, conv: [] });
  if (typeof r === 'string') return SIZES.map((n) => ({ workload: workload(n), impl, value: NaN, unit: 'GFLOP/s', note: r }));
  return r;
}

/** The native backend on its default thread count and on 1 (ISA and threads in the name). */
export async function nativeRows(measure: (be: Backend, impl: string) => Promise<BenchRow[]>, unavailable: (why: string) => BenchRow[]): Promise<BenchRow[]> {
  const be = loadNativeBackend();
  if (!be) return emit(unavailable(`native backend not built: ${nativeUnavailableReason() ?? 'unknown'}`));
  const rows: BenchRow[] = [];
  const threads = be.info().threads;
  for (const t of threads > 1 ? [threads, 1] : [1]) {
    be.setThreads(t);
    const info = be.info();
    rows.push(...emit(await measure(be, `gradlab native${t === 1 && threads > 1 ? ', 1 thread' : ''} (${info.isa}, ${info.threads}t)`)));
  }
  be.setThreads(threads);
  return rows;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(...await nativeRows((be, impl) => gradlab(be, impl, false),
    (why) => SIZES.map((n) => ({ workload: workload(n), impl: 'gradlab native', value: NaN, unit: 'GFLOP/s', note: why }))));
  const variants: [string, () => WasmBackend][] = [
    ['gradlab wasm', () => createWasmBackend()],
    ['gradlab wasm, 1 thread', () => createWasmBackend({ threads: 1 })],
    ['gradlab wasm, plain SIMD', () => createWasmBackend({ simd: 'simd' })],
  ];
  for (const [name, make] of variants) {
    const be = make();
    const info = be.info();
    const impl = `${name} (${info.simd}, ${info.threads}t)`;
    rows.push(...emit(await gradlab(be, impl, false)));
    rows.push(...emit([{ workload: 'wasm scratch peak, GEMM up to 2048', impl, value: be.info().scratchPeakBytes / 2 ** 20,
      unit: 'MiB', note: `cap ${info.scratchCapBytes / 2 ** 20} MiB` }]));
    be.close();
  }
  rows.push(...emit(await gradlab(jsBackend, 'gradlab js', true)));
  rows.push(...emit(await tfjs('cpu')));
  rows.push(...emit(await tfjs('wasm')));
  rows.push(...emit(torch()));
  return rows;
}
