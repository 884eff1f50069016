// conv2d forward and both backward passes (NHWC, [kh,kw,in,out] kernels, float32) for
// (a) batch 64, 28x28x1 -> 6 filters 5x5 'valid' (LeNet's first layer) and
// (b) batch 32, 32x32x64 -> 64 filters 3x3 'same'; gradlab, TensorFlow.js and PyTorch on the same data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, Conv2dGeometry } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js/index.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { nativeRows } from './gemm.js';
import { SLOW, emit, loadTfjs, randomF32, runPython, timeMs, tmpDir, torchMissing, type BenchRow } from './common.js';

interface Case { key: string; label: string; g: Conv2dGeometry; tfPad: 'valid' | 'same'; torchPad: number }

const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
const CASES: Case[] = [
  { key: 'a', label: 'conv (a) 64x28x28x1 -> 6x5x5 valid', tfPad: 'valid', torchPad: 0,
    g: { ...base, batch: 64, inH: 28, inW: 28, inC: 1, outH: 24, outW: 24, outC: 6, kH: 5, kW: 5, padTop: 0, padLeft: 0 } },
  { key: 'b', label: 'conv (b) 32x32x32x64 -> 64x3x3 same', tfPad: 'same', torchPad: 1,
    g: { ...base, batch: 32, inH: 32, inW: 32, inC: 64, outH: 32, outW: 32, outC: 64, kH: 3, kW: 3, padTop: 1, padLeft: 1 } },
];
const PASSES = ['forward', 'backward input', 'backward filter'] as const;
const name = (c: Case, pass: string): string => `${c.label}, ${pass}`;

function sizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return { x: g.batch * g.inH * g.inW * g.inC, w: g.kH * g.kW * g.inC * g.outC, y: g.batch * g.outH * g.outW * g.outC };
}

function data(c: Case): { x: Float32Array; w: Float32Array; dy: Float32Array } {
  const s = sizes(c.g);
  return { x: randomF32(31, s.x), w: randomF32(32, s.w), dy: randomF32(33, s.y) };
}

async function gradlab(be: Backend, impl: string, slow: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    const { x, w, dy } = data(c);
    const s = sizes(c.g);
    const y = new Float32Array(s.y);
    const dx = new Float32Array(s.x);
    const dw = new Float32Array(s.w);
    const o = slow && c.key === 'b' ? SLOW : {};
    const fns = [() => be.conv2d(x, w, y, c.g), () => be.conv2dBackpropInput(dy, w, dx, c.g),
      () => be.conv2dBackpropFilter(x, dy, dw, c.g)];
    for (let p = 0; p < 3; p++) {
      rows.push({ workload: name(c, PASSES[p]), impl, value: await timeMs(fns[p], o), unit: 'ms' });
    }
  }
  return rows;
}

async function tfjs(backend: 'cpu' | 'wasm'): Promise<BenchRow[]> {
  const impl = `tfjs ${backend}`;
  const t = await loadTfjs(backend);
  if ('error' in t) {
    return CASES.flatMap((c) => PASSES.map((p) => ({ workload: name(c, p), impl, value: NaN, unit: 'ms', note: t.error })));
  }
  const { tf, note } = t;
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    const g = c.g;
    const { x, w, dy } = data(c);
    const X = tf.tensor4d(x, [g.batch, g.inH, g.inW, g.inC]);
    const Wt = tf.tensor4d(w, [g.kH, g.kW, g.inC, g.outC]);
    const DY = tf.tensor4d(dy, [g.batch, g.outH, g.outW, g.outC]);
    const o = backend === 'cpu' && c.key === 'b' ? SLOW : {};
    const fns = [
      () => tf.conv2d(X, Wt, 1, c.tfPad),
      () => tf.conv2dTranspose(DY, Wt, [g.batch, g.inH, g.inW, g.inC], 1, c.tfPad),
      // the op behind conv2d's filter gradient (not exported as a public op)
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x: X, dy: DY },
        { strides: [1, 1], pad: c.tfPad, dataFormat: 'NHWC', filterShape: [g.kH, g.kW, g.inC, g.outC] }) as import('@tensorflow/tfjs').Tensor,
    ];
    for (let p = 0; p < 3; p++) {
      if (backend === 'cpu' && c.key === 'b' && p === 2) {
        // tfjs-backend-cpu's Conv2DBackpropFilter is a plain 7-deep loop: one call took 274 s here
        rows.push({ workload: name(c, PASSES[p]), impl, value: NaN, unit: 'ms', note: 'skipped: minutes a call (274 s measured once)' });
        continue;
      }
      try {
        const ms = await timeMs(() => {
          const r = fns[p]();
          r.dataSync();
          r.dispose();
        }, o);
        rows.push({ workload: name(c, PASSES[p]), impl, value: ms, unit: 'ms', ...(note ? { note } : {}) });
      } catch (e) {
        rows.push({ workload: name(c, PASSES[p]), impl, value: NaN, unit: 'ms', note: `fails: ${String(e).slice(0, 90)}` });
      }
    }
    tf.dispose([X, Wt, DY]);
  }
  return rows;
}

function torch(): BenchRow[] {
  const impl = 'pytorch (2 threads)';
  const missing = torchMissing();
  if (missing) return CASES.flatMap((c) => PASSES.map((p) => ({ workload: name(c, p), impl, value: NaN, unit: 'ms', note: missing })));
  const dir = tmpDir();
  const conv = CASES.map((c) => {
    const g = c.g;
    const d = data(c);
    const files = { x: join(dir, `conv-${c.key}-x.f32`), w: join(dir, `conv-${c.key}-w.f32`), dy: join(dir, `conv-${c.key}-dy.f32`) };
    writeFileSync(files.x, d.x);
    writeFileSync(files.w, d.w);
    writeFileSync(files.dy, d.dy);
    return {
      ...files, x_shape: [g.batch, g.inH, g.inW, g.inC], w_shape: [g.kH, g.kW, g.inC, g.outC],
      dy_shape: [g.batch, g.outH, g.outW, g.outC], stride: [1, 1], padding: [c.torchPad, c.torchPad], dilation: [1, 1],
      fwd: name(c, PASSES[0]), bwd_input: name(c, PASSES[1]), bwd_filter: name(c, PASSES[2]),
    };
  });
  const r = runPython('torch_kernels.py', { threads: 2, impl, gemm: [], conv });
  if (typeof r === 'string') return CASES.flatMap((c) => PASSES.map((p) => ({ workload: name(c, p), impl, value: NaN, unit: 'ms', note: r })));
  return r;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(...await nativeRows((be, impl) => gradlab(be, impl, false),
    (why) => CASES.flatMap((c) => PASSES.map((p) => ({ workload: name(c, p), impl: 'gradlab native', value: NaN, unit: 'ms', note: why })))));
  for (const threads of [undefined, 1]) {
    const be = createWasmBackend(threads === undefined ? {} : { threads });
    const info = be.info();
    const impl = `gradlab wasm${threads ? ', 1 thread' : ''} (${info.simd}, ${info.threads}t)`;
    rows.push(...emit(await gradlab(be, impl, false)));
    rows.push(...emit([{ workload: 'wasm scratch peak, conv (a) and (b)', impl, value: be.info().scratchPeakBytes / 2 ** 20,
      unit: 'MiB', note: `cap ${info.scratchCapBytes / 2 ** 20} MiB` }]));
    be.close();
  }
  rows.push(...emit(await gradlab(jsBackend, 'gradlab js', true)));
  rows.push(...emit(await tfjs('cpu')));
  rows.push(...emit(await tfjs('wasm')));
  rows.push(...emit(torch()));
  return rows;
}
