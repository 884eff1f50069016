// Per-call times of the native elementwise kernels against the js reference and the wasm
// backend, from tiny to large arrays: where the N-API call starts to pay (the MIN_* cutoffs in
// src/backend/native/eltwise.ts) and what each kernel sustains. Not a workload of `npm run bench`:
// run it directly, node dist/bench/native-eltwise.js
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, BinaryKernel, UnaryKernel } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js/index.js';
import { nativeEltwiseKernels } from '../src/backend/native/eltwise.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { randomF32 } from './common.js';

const root = [join(dirname(fileURLToPath(import.meta.url)), '..', '..'), join(dirname(fileURLToPath(import.meta.url)), '..')]
  .find((r) => existsSync(join(r, 'binding.gyp'))) ?? '.';
const addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'gradlab_native.node')) as Record<string, unknown>;
// the raw kernels, without the size cutoffs, so the crossover shows
const raw = addon as unknown as {
  eltwiseUnary(op: number, x: Float32Array, o: Float32Array): void;
  eltwiseBinary(op: number, a: Float32Array, b: Float32Array, o: Float32Array, d: Int32Array): void;
  eltwiseReduce(op: number, x: Float32Array, outer: number, axis: number, inner: number, o: Float32Array): void;
  optimAdam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, a: number, b1: number, b2: number, e: number): void;
  eltwiseCodes: { unary: string[]; binary: string[] };
};
const nat: Backend = { ...jsBackend, ...nativeEltwiseKernels(addon) };
const wasm = createWasmBackend({ threads: 1 });

function ns(fn: () => void, n: number): number {
  const reps = Math.max(3, Math.min(200000, Math.floor(2e7 / Math.max(1, n))));
  for (let i = 0; i < Math.min(reps, 1000); i++) fn();
  const best: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best.push(Number(process.hrtime.bigint() - t) / reps);
  }
  best.sort((a, b) => a - b);
  return best[0];
}

const sizes = [16, 64, 256, 1024, 16384, 262144, 1 << 21];
const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} us` : `${v.toFixed(0)} ns`);
console.log(`min of 5 runs, ns per call (machine shared and loaded: compare columns, not runs)\n`);
console.log(['kernel', 'n', 'js', 'native (raw)', 'native', 'wasm'].map((s) => s.padStart(13)).join(''));
for (const op of ['relu', 'exp', 'tanh', 'sigmoid', 'log'] as UnaryKernel[]) {
  for (const n of sizes) {
    const x = randomF32(1, n);
    const o = new Float32Array(n);
    const code = raw.eltwiseCodes.unary.indexOf(op);
    console.log([op, n, fmt(ns(() => jsBackend.unary(op, x, o), n)), fmt(ns(() => raw.eltwiseUnary(code, x, o), n)),
      fmt(ns(() => nat.unary(op, x, o), n)), fmt(ns(() => wasm.unary(op, x, o), n))].map((s) => String(s).padStart(13)).join(''));
  }
}
for (const [op, bias] of [['add', false], ['mul', true]] as [BinaryKernel, boolean][]) {
  for (const n of sizes) {
    const C = 64;
    const a = randomF32(2, n);
    const b = bias ? randomF32(3, C) : randomF32(3, n);
    const as = [n / 16, 16];
    const bs = bias ? [1, C] : as;
    const os = bias ? [n / C, C] : as;
    const asB = bias ? [n / C, C] : as;
    const o = new Float32Array(n);
    const d = new Int32Array([2, ...asB, ...bs, ...os]);
    const code = raw.eltwiseCodes.binary.indexOf(op);
    if (n < C) continue;
    console.log([`${op}${bias ? ' row' : ''}`, n, fmt(ns(() => jsBackend.binary(op, a, asB, b, bs, o, os), n)),
      fmt(ns(() => raw.eltwiseBinary(code, a, b, o, d), n)), fmt(ns(() => nat.binary(op, a, asB, b, bs, o, os), n)),
      fmt(ns(() => wasm.binary(op, a, asB, b, bs, o, os), n))].map((s) => String(s).padStart(13)).join(''));
  }
}
for (const [label, inner] of [['sum row', 1], ['sum cols 6', 6], ['sum cols 64', 64]] as [string, number][]) {
  for (const n of sizes) {
    if (n < inner * 4 || n % inner !== 0) continue;
    const x = randomF32(4, n);
    const o = new Float32Array(inner);
    console.log([label, n, fmt(ns(() => jsBackend.reduce('sum', x, 1, n / inner, inner, o), n)),
      fmt(ns(() => raw.eltwiseReduce(0, x, 1, n / inner, inner, o), n)), fmt(ns(() => nat.reduce('sum', x, 1, n / inner, inner, o), n)),
      fmt(ns(() => wasm.reduce('sum', x, 1, n / inner, inner, o), n))].map((s) => String(s).padStart(13)).join(''));
  }
}
for (const n of sizes) {
  const w = randomF32(5, n), g = randomF32(6, n), m = new Float32Array(n), v = new Float32Array(n);
  console.log(['adam', n, fmt(ns(() => jsBackend.adamUpdate(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7), n)),
    fmt(ns(() => raw.optimAdam(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7), n)), fmt(ns(() => nat.adamUpdate(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7), n)),
    fmt(ns(() => wasm.adamUpdate(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7), n))].map((s) => String(s).padStart(13)).join(''));
}
for (const [C, H] of [[6, 28], [64, 112]]) {
  const g = { batch: 32, inH: H, inW: H, channels: C, outH: H / 2, outW: H / 2, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };
  const x = randomF32(7, 32 * H * H * C);
  const out = new Float32Array(x.length / 4);
  const am = new Int32Array(out.length);
  const dx = new Float32Array(x.length);
  console.log([`maxpool C${C}`, x.length, fmt(ns(() => jsBackend.maxPool2d(x, out, am, g), x.length)), '-',
    fmt(ns(() => nat.maxPool2d(x, out, am, g), x.length)), fmt(ns(() => wasm.maxPool2d(x, out, am, g), x.length))].map((s) => String(s).padStart(13)).join(''));
  console.log([`maxpool bwd`, x.length, fmt(ns(() => jsBackend.maxPool2dBackward(out, am, dx, g), x.length)), '-',
    fmt(ns(() => nat.maxPool2dBackward(out, am, dx, g), x.length)), fmt(ns(() => wasm.maxPool2dBackward(out, am, dx, g), x.length))].map((s) => String(s).padStart(13)).join(''));
}
wasm.close();
