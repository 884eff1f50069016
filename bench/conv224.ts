// 3x3 'same' convolutions at ImageNet sizes (VGG16's shapes), forward and both backward passes,
// gradlab wasm against PyTorch on the same data. One image's im2col panel at 224x224x64 is 115 MB,
// past the wasm scratch cap: these rows show that the time grows with the work (the banded
// panels), where such a conv used to fall to the js reference (6.3 s against 50 ms at 112x112).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Conv2dGeometry } from '../src/backend/backend.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { emit, randomF32, runPython, timeMs, tmpDir, torchMissing, type BenchRow, type TimeOptions } from './common.js';

const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1 };
const SHAPES: [number, number, number, number][] = [[2, 224, 64, 64], [2, 112, 64, 128], [2, 56, 128, 256], [8, 224, 3, 64]];
const CASES = SHAPES.map(([b, h, c, m]) => ({
  label: `conv ${b}x${h}x${h}x${c} -> ${m}x3x3 same`,
  g: { ...base, batch: b, inH: h, inW: h, inC: c, outH: h, outW: h, outC: m } as Conv2dGeometry,
}));
const PASSES = ['forward', 'backward input', 'backward filter'] as const;
const name = (label: string, pass: string): string => `${label}, ${pass}`;
// calls take 50-500 ms: one warm-up, then at least 3
const OPTS: TimeOptions = { warmCalls: 1, warmMs: 0, minReps: 3, minMs: 500, maxReps: 7 };

function data(g: Conv2dGeometry, k: number): { x: Float32Array; w: Float32Array; dy: Float32Array } {
  return {
    x: randomF32(51 + k, g.batch * g.inH * g.inW * g.inC), w: randomF32(61 + k, 9 * g.inC * g.outC),
    dy: randomF32(71 + k, g.batch * g.outH * g.outW * g.outC),
  };
}

async function gradlab(): Promise<BenchRow[]> {
  const be = createWasmBackend();
  const info = be.info();
  const impl = `gradlab wasm (${info.simd}, ${info.threads}t)`;
  const rows: BenchRow[] = [];
  for (const [k, c] of CASES.entries()) {
    const { x, w, dy } = data(c.g, k);
    const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
    const fns = [() => be.conv2d(x, w, y, c.g), () => be.conv2dBackpropInput(dy, w, dx, c.g), () => be.conv2dBackpropFilter(x, dy, dw, c.g)];
    for (let p = 0; p < 3; p++) {
      rows.push(...emit([{ workload: name(c.label, PASSES[p]), impl, value: await timeMs(fns[p], OPTS), unit: 'ms' }]));
    }
  }
  const after = be.info();
  rows.push(...emit([{ workload: 'wasm scratch peak, conv at 224x224 / 112 / 56', impl, value: after.scratchPeakBytes / 2 ** 20, unit: 'MiB',
    note: `cap ${after.scratchCapBytes / 2 ** 20} MiB; ${after.convReferenceCalls} calls on the js reference` }]));
  be.close();
  return rows;
}

function torch(): BenchRow[] {
  const impl = 'pytorch (2 threads)';
  const missing = torchMissing();
  const none = (note: string) => CASES.flatMap((c) => PASSES.map((p) => ({ workload: name(c.label, p), impl, value: NaN, unit: 'ms', note })));
  if (missing) return none(missing);
  const dir = tmpDir();
  const conv = CASES.map((c, k) => {
    const g = c.g;
    const d = data(g, k);
    const files = { x: join(dir, `conv224-${k}-x.f32`), w: join(dir, `conv224-${k}-w.f32`), dy: join(dir, `conv224-${k}-dy.f32`) };
    writeFileSync(files.x, d.x);
    writeFileSync(files.w, d.w);
    writeFileSync(files.dy, d.dy);
    return {
      ...files, x_shape: [g.batch, g.inH, g.inW, g.inC], w_shape: [3, 3, g.inC, g.outC], dy_shape: [g.batch, g.outH, g.outW, g.outC],
      stride: [1, 1], padding: [1, 1], dilation: [1, 1],
      fwd: name(c.label, PASSES[0]), bwd_input: name(c.label, PASSES[1]), bwd_filter: name(c.label, PASSES[2]),
    };
  });
  const r = runPython('torch_kernels.py', { threads: 2, impl, gemm: [], conv }, 600_000);
  return typeof r === 'string' ? none(r) : r;
}

export async function run(): Promise<BenchRow[]> {
  return [...await gradlab(), ...emit(torch())];
}
