// Grouped and depthwise convolution kernels (NHWC, float32), forward and both backward passes:
// (a) MobileNet's depthwise 3x3 'same' on 32x56x56x64 and (b) its stride-2 form on 16x112x112x32,
// js reference against the wasm backend on 1 and 2 threads; (c) 8x28x28x128 -> 128 3x3 'same'
// over groups 2..128 (and two wider layers) on the wasm lane kernels against one GEMM conv per
// group on channel slices (where the backend switches: groupedSlicesMinCgM); and PyTorch's CPU
// depthwise conv (NCHW, conv2d / convolution_backward with groups = C) on (a) and (b).
import type { Backend, Conv2dGeometry } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js/index.js';
import {
  groupedConv2dBackpropFilterBySlices, groupedConv2dBackpropInputBySlices, groupedConv2dBySlices,
} from '../src/backend/grouped.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLOW, emit, randomF32, runPython, timeMs, tmpDir, torchMissing, type BenchRow } from './common.js';

const base = { dilationH: 1, dilationW: 1 };
const DW_CASES: { label: string; g: Conv2dGeometry }[] = [
  { label: 'depthwise (a) 32x56x56x64 3x3 same', g: { ...base, batch: 32, inH: 56, inW: 56, inC: 64, outH: 56, outW: 56, outC: 64, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 } },
  { label: 'depthwise (b) 16x112x112x32 3x3 same stride 2', g: { ...base, batch: 16, inH: 112, inW: 112, inC: 32, outH: 56, outW: 56, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 } },
];
const PASSES = ['forward', 'backward input', 'backward filter'] as const;

function sizes(g: Conv2dGeometry, groups: number): { x: number; w: number; y: number } {
  return { x: g.batch * g.inH * g.inW * g.inC, w: g.kH * g.kW * (g.inC / groups) * g.outC, y: g.batch * g.outH * g.outW * g.outC };
}

async function passes(be: Backend, g: Conv2dGeometry, groups: number, label: string, impl: string, slow: boolean): Promise<BenchRow[]> {
  const s = sizes(g, groups);
  const x = randomF32(41, s.x), w = randomF32(42, s.w), dy = randomF32(43, s.y);
  const y = new Float32Array(s.y), dx = new Float32Array(s.x), dw = new Float32Array(s.w);
  const fns = [() => be.groupedConv2d(x, w, y, g, groups), () => be.groupedConv2dBackpropInput(dy, w, dx, g, groups),
    () => be.groupedConv2dBackpropFilter(x, dy, dw, g, groups)];
  const rows: BenchRow[] = [];
  for (let p = 0; p < 3; p++) {
    rows.push(...emit([{ workload: `${label}, ${PASSES[p]}`, impl, value: await timeMs(fns[p], slow ? SLOW : {}), unit: 'ms' }]));
  }
  return rows;
}

function torch(threads: number): BenchRow[] {
  const impl = `pytorch (${threads} thread${threads > 1 ? 's' : ''})`;
  const fail = (note: string) => DW_CASES.flatMap((c) => PASSES.map((p) => ({ workload: `${c.label}, ${p}`, impl, value: NaN, unit: 'ms', note })));
  const missing = torchMissing();
  if (missing) return fail(missing);
  const dir = tmpDir();
  const conv = DW_CASES.map((c, i) => {
    const g = c.g;
    const s = sizes(g, g.inC);
    const files = { x: join(dir, `grouped-${i}-x.f32`), w: join(dir, `grouped-${i}-w.f32`), dy: join(dir, `grouped-${i}-dy.f32`) };
    writeFileSync(files.x, randomF32(41, s.x));
    writeFileSync(files.w, randomF32(42, s.w));
    writeFileSync(files.dy, randomF32(43, s.y));
    // symmetric padding 1: the same work as TF's 'same' (which pads stride-2 inputs after only)
    return {
      ...files, x_shape: [g.batch, g.inH, g.inW, g.inC], w_shape: [g.kH, g.kW, 1, g.outC], dy_shape: [g.batch, g.outH, g.outW, g.outC],
      stride: [g.strideH, g.strideW], padding: [1, 1], dilation: [1, 1], groups: g.inC,
      fwd: `${c.label}, ${PASSES[0]}`, bwd_input: `${c.label}, ${PASSES[1]}`, bwd_filter: `${c.label}, ${PASSES[2]}`,
    };
  });
  const r = runPython('torch_kernels.py', { threads, impl, gemm: [], conv });
  return typeof r === 'string' ? fail(r) : r;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const wasm1 = createWasmBackend({ threads: 1 });
  const wasm2 = createWasmBackend({ threads: 2 });
  try {
    for (const c of DW_CASES) {
      rows.push(...await passes(jsBackend, c.g, c.g.inC, c.label, 'gradlab js', true));
      rows.push(...await passes(wasm1, c.g, c.g.inC, c.label, 'gradlab wasm 1 thread', false));
      rows.push(...await passes(wasm2, c.g, c.g.inC, c.label, 'gradlab wasm 2 threads', false));
    }
    rows.push(...emit(torch(1)), ...emit(torch(2)));
    // the crossover: the lane kernels (groupedSlicesMinCgM Infinity) against one GEMM conv per
    // group on channel slices (the backend's rule picks between them by Cg * M)
    const lanes = createWasmBackend({ threads: 1, groupedSlicesMinCgM: Infinity });
    const slices: Backend = {
      ...lanes,
      groupedConv2d: (x, w, y, g, groups, e) => groupedConv2dBySlices(lanes, x, w, y, g, groups, e),
      groupedConv2dBackpropInput: (dy, w, dx, g, groups) => groupedConv2dBackpropInputBySlices(lanes, dy, w, dx, g, groups),
      groupedConv2dBackpropFilter: (x, dy, dw, g, groups) => groupedConv2dBackpropFilterBySlices(lanes, x, dy, dw, g, groups),
    };
    const cs: [number, number, number][] = [[128, 28, 2], [128, 28, 4], [128, 28, 8], [128, 28, 16], [128, 28, 32], [128, 28, 64], [128, 28, 128],
      [512, 14, 64], [1024, 7, 1024]];
    for (const [C, H, groups] of cs) {
      const g: Conv2dGeometry = { ...base, batch: 8, inH: H, inW: H, inC: C, outH: H, outW: H, outC: C, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 };
      const label = `grouped (c) 8x${H}x${H}x${C} -> ${C} 3x3, ${groups} groups of ${C / groups}`;
      rows.push(...await passes(lanes, g, groups, label, 'gradlab wasm lanes 1 thread', false));
      rows.push(...await passes(slices, g, groups, label, 'gradlab wasm per-group gemm 1 thread', false));
    }
    lanes.close();
  } finally {
    wasm1.close();
    wasm2.close();
  }
  return rows;
}
