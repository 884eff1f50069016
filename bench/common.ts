// Shared pieces of the benchmark workloads: the row type, timing, seeded data, the peers' loaders.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../src/tensor/random.js';

/** One measured number. Every workload module exports `async function run(): Promise<BenchRow[]>`. */
export interface BenchRow { workload: string; impl: string; value: number; unit: string; note?: string }

export interface TimeOptions {
  /** Warm-up: at least this many calls and this long, so V8 has tiered up (PERF-NOTES.md). */
  warmCalls?: number;
  warmMs?: number;
  /** Then at least minReps repetitions and minMs, at most maxReps. */
  minReps?: number;
  minMs?: number;
  maxReps?: number;
}

/** Median wall time of fn in ms. */
export async function timeMs(fn: () => unknown, o: TimeOptions = {}): Promise<number> {
  const { warmCalls = 2, warmMs = 300, minReps = 5, minMs = 1000, maxReps = 40 } = o;
  let t0 = performance.now();
  for (let i = 0; i < warmCalls || performance.now() - t0 < warmMs; i++) await fn();
  const ts: number[] = [];
  t0 = performance.now();
  while (ts.length < maxReps && (ts.length < minReps || performance.now() - t0 < minMs)) {
    const s = performance.now();
    await fn();
    ts.push(performance.now() - s);
  }
  ts.sort((a, b) => a - b);
  const h = ts.length >> 1;
  return ts.length % 2 ? ts[h] : (ts[h - 1] + ts[h]) / 2;
}

/** Options for implementations that take seconds per call: one warm-up call, two timed. */
export const SLOW: TimeOptions = { warmCalls: 1, warmMs: 0, minReps: 2, minMs: 0, maxReps: 2 };

/**
 * Hands rows to the runner as soon as they are measured (a JSON line each), so a workload that
 * runs out of time still reports what it finished. Returns the rows for chaining.
 */
export function emit(rows: BenchRow[]): BenchRow[] {
  const file = process.env.GRADLAB_BENCH_PARTIAL;
  if (file) for (const r of rows) appendFileSync(file, JSON.stringify(r) + '\n');
  return rows;
}

export function randomF32(seed: number, n: number): Float32Array {
  const r = new Random(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.random() * 2 - 1;
  return a;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A file of bench/ (sources), seen from either bench/ or dist/bench/. */
export function benchFile(name: string): string {
  return [join(here, name), join(here, '..', '..', 'bench', name)].find(existsSync) ?? join(here, name);
}

/** bench/results/tmp: scratch files shared with the Python peers (git-ignored). */
export function tmpDir(): string {
  const d = join(dirname(benchFile('run.ts')), 'results', 'tmp');
  mkdirSync(d, { recursive: true });
  return d;
}

type Tf = typeof import('@tensorflow/tfjs');

/** @tensorflow/tfjs on the given backend, or the reason it is unavailable. */
export async function loadTfjs(backend: 'cpu' | 'wasm'): Promise<{ tf: Tf; note: string } | { error: string }> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch {
    return { error: '@tensorflow/tfjs not installed' };
  }
  try {
    let note = '';
    if (backend === 'wasm') {
      const w = await import('@tensorflow/tfjs-backend-wasm');
      const { createRequire } = await import('node:module');
      const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      w.setWasmPaths(dist + '/');
    }
    if (!(await tf.setBackend(backend))) return { error: `tf.setBackend('${backend}') failed` };
    await tf.ready();
    if (backend === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      note = `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : '1 thread (tfjs disables wasm threads in Node)'}`;
    }
    return { tf, note };
  } catch (e) {
    return { error: `backend unavailable: ${String(e).slice(0, 100)}` };
  }
}

export const PYTHON = '/usr/bin/python3';

/** Why PyTorch cannot run here, or null when it can. */
export function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `skipped: ${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'skipped: PyTorch missing (apt-get install -y python3-torch)';
}

/** Runs bench/<script> with a JSON spec file and returns the rows it prints as JSON, or why it failed. */
export function runPython(script: string, spec: unknown, timeoutMs = 300_000): BenchRow[] | string {
  const specFile = join(tmpDir(), `${script}.${process.pid}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const r = spawnSync(PYTHON, [benchFile(script), specFile], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) return `failed: ${(r.stderr || String(r.error)).trim().slice(-200)}`;
  return JSON.parse(r.stdout) as BenchRow[];
}

/** The machine the numbers were taken on. */
export function machine(): { cpu: string; cores: number; node: string } {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, node: process.version };
}
