// Grouped conv2d, depthwiseConv2d and conv2dTranspose: forward values and gradients against
// PyTorch (fixtures/conv_golden.json, made by fixtures/gen_conv_golden.py, which converts the
// layouts and the TF/Keras padding explicitly), and against compositions of other ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gl from '../../src/index.js';
import type { Conv2dOptions, Conv2dTransposeOptions, DepthwiseConv2dOptions, FusedActivation, Tensor } from '../../src/index.js';

interface Flat { shape: number[]; data: number[] }
interface GoldenCase {
  op: 'conv2d' | 'depthwiseConv2d' | 'conv2dTranspose';
  options: Record<string, unknown> & { activation?: FusedActivation };
  bias: boolean;
  x: Flat; w: Flat; b: Flat | null; gy: Flat;
  y: Flat; dx: Flat; dw: Flat; db: Flat | null;
}
const golden = JSON.parse(readFileSync(new URL('../../../test/ops/fixtures/conv_golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (!(Math.abs(actual[i] - e) <= tol * (1 + Math.abs(e)))) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${e}`);
  }
}

function run(c: GoldenCase, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const o = { ...c.options, bias: b };
  switch (c.op) {
    case 'conv2d': return gl.conv2d(x, w, o as Conv2dOptions);
    case 'depthwiseConv2d': return gl.depthwiseConv2d(x, w, o as DepthwiseConv2dOptions);
    case 'conv2dTranspose': return gl.conv2dTranspose(x, w, o as Conv2dTransposeOptions);
  }
}

function checkGolden(dtype: 'float32' | 'float64', tol: number, backend: string): void {
  const saved = gl.getBackend();
  gl.setBackend(backend);
  try {
    for (const c of golden.cases) {
      const what = `${backend} ${dtype} ${c.op} x${JSON.stringify(c.x.shape)} w${JSON.stringify(c.w.shape)} ${JSON.stringify(c.options)}${c.bias ? ' + bias' : ''}`;
      const mk = (f: Flat) => { const t = gl.tensor(f.data, { shape: f.shape, dtype }); t.requiresGrad = true; return t; };
      const x = mk(c.x);
      const w = mk(c.w);
      const b = c.b ? mk(c.b) : null;
      const y = run(c, x, w, b);
      assert.deepEqual(y.shape, c.y.shape, `${what}: output shape`);
      close(y.data, c.y.data, tol, `${what}: y`);
      gl.sum(gl.mul(y, gl.tensor(c.gy.data, { shape: c.gy.shape, dtype }))).backward();
      close(x.grad!.data, c.dx.data, tol, `${what}: dx`);
      close(w.grad!.data, c.dw.data, tol, `${what}: dw`);
      if (b) close(b.grad!.data, c.db!.data, tol, `${what}: dbias`);
    }
  } finally {
    gl.setBackend(saved);
  }
}

test('golden: grouped conv2d, depthwiseConv2d and conv2dTranspose match PyTorch (float64)', () => {
  assert.ok(golden.cases.length >= 15);
  for (const op of ['conv2d', 'depthwiseConv2d', 'conv2dTranspose']) assert.ok(golden.cases.some((c) => c.op === op));
  checkGolden('float64', 1e-12, 'js');
});

test('golden: the same cases in float32 on each backend (the wasm kernels included)', () => {
  for (const be of gl.listBackends()) checkGolden('float32', 2e-5, be);
});

const r64 = (shape: number[], seed: number) => gl.randn(shape, { dtype: 'float64', seed });
const sliceC = (t: Tensor, c0: number, n: number) => gl.slice(t, [0, 0, 0, c0], [t.shape[0], t.shape[1], t.shape[2], n]);

test('grouped conv2d is the concatenation of plain conv2d on channel slices', () => {
  const cases: [number[], number[], Conv2dOptions][] = [
    [[2, 6, 7, 6], [3, 3, 2, 9], { groups: 3, padding: 'same', stride: 2 }],
    [[1, 5, 5, 4], [2, 3, 1, 8], { groups: 4, dilation: [2, 1], padding: 1, flip: true }],
    [[1, 6, 6, 8], [3, 3, 4, 4], { groups: 2, padding: 'full' }],
  ];
  for (const [xs, ws, o] of cases) {
    const x = r64(xs, 1);
    const w = r64(ws, 2);
    const G = o.groups!;
    const Mg = ws[3] / G;
    const parts = [];
    for (let g = 0; g < G; g++) {
      const wg = gl.slice(w, [0, 0, 0, g * Mg], [ws[0], ws[1], ws[2], Mg]);
      parts.push(gl.conv2d(sliceC(x, g * ws[2], ws[2]), wg, { ...o, groups: 1 }));
    }
    const want = gl.concat(parts, 3);
    const got = gl.conv2d(x, w, o);
    assert.deepEqual(got.shape, want.shape);
    close(got.data, want.data, 1e-12, `grouped ${JSON.stringify(o)}`);
    // and with a fused bias and activation: the composition of add and the activation
    const bias = r64([ws[3]], 3);
    const fused = gl.conv2d(x, w, { ...o, bias, activation: 'sigmoid' });
    close(fused.data, gl.sigmoid(gl.add(want, bias)).data, 1e-12, `grouped + bias + sigmoid ${JSON.stringify(o)}`);
  }
});

test('depthwiseConv2d: per-channel conv2d, and conv2d with groups = C', () => {
  const x = r64([2, 7, 6, 3], 4);
  const w = r64([3, 2, 3, 2], 5);
  const o: DepthwiseConv2dOptions = { padding: 'same', stride: [2, 1], dilation: [1, 2] };
  const y = gl.depthwiseConv2d(x, w, o);
  assert.deepEqual(y.shape, [2, 4, 6, 6]);
  // channel c with multiplier m is output c*2 + m, from input channel c alone
  for (let c = 0; c < 3; c++) {
    const wc = gl.slice(w, [0, 0, c, 0], [3, 2, 1, 2]);
    const want = gl.conv2d(sliceC(x, c, 1), wc, o);
    close(sliceC(y, 2 * c, 2).data, want.data, 1e-12, `depthwise channel ${c}`);
  }
  const viaGroups = gl.conv2d(x, gl.reshape(w, [3, 2, 1, 6]), { ...o, groups: 3 });
  assert.deepEqual(Array.from(y.data), Array.from(viaGroups.data));
});

test('conv2dTranspose is the gradient of conv2d with respect to its input', () => {
  const cases: [number[], number[], Conv2dTransposeOptions][] = [
    [[2, 3, 4, 3], [3, 3, 2, 3], { stride: 2, padding: 'same' }],
    [[1, 4, 3, 2], [4, 4, 3, 2], { stride: 2, padding: 'same' }],
    [[1, 3, 3, 2], [3, 2, 4, 2], { stride: [1, 2], padding: 'valid', dilation: [2, 1] }],
    [[1, 2, 3, 1], [1, 1, 2, 1], { stride: 3 }],
  ];
  for (const [xs, ws, o] of cases) {
    const dy = r64(xs, 6);
    const w = r64(ws, 7);
    const y = gl.conv2dTranspose(dy, w, o);
    const x = gl.zeros(y.shape, { dtype: 'float64' });
    x.requiresGrad = true;
    const fwd = gl.conv2d(x, w, { stride: o.stride, padding: o.padding, dilation: o.dilation });
    assert.deepEqual(fwd.shape, dy.shape, `conv2d from the transposed output gives the input back ${JSON.stringify(o)}`);
    gl.sum(gl.mul(fwd, dy)).backward();
    close(y.data, x.grad!.data, 1e-12, `conv2dTranspose ${JSON.stringify(o)}`);
  }
});

test('conv2dTranspose output sizes follow Keras (deconv_output_length)', () => {
  const size = (h: number, k: number, o: Conv2dTransposeOptions) => gl.conv2dTranspose(gl.zeros([1, h, h, 1]), gl.zeros([k, k, 1, 1]), o).shape[1];
  assert.equal(size(5, 3, { stride: 2, padding: 'same' }), 10);
  assert.equal(size(5, 3, { stride: 2 }), 11);
  assert.equal(size(5, 1, { stride: 2 }), 10); // max(k - s, 0): the kernel is smaller than the stride
  assert.equal(size(5, 3, { stride: 2, padding: 'same', outputPadding: 0 }), 9);
  assert.equal(size(5, 3, { stride: 2, padding: 'same', outputPadding: 1 }), 10);
  assert.equal(size(5, 4, { stride: 2, padding: 'same', outputPadding: 1 }), 9); // (5-1)*2 + 4 - 2*2 + 1
  assert.equal(size(5, 3, { stride: 3, outputPadding: 2 }), 17);
  assert.equal(size(5, 3, { dilation: 2, padding: 'same' }), 5);
  assert.equal(size(5, 3, { dilation: 2 }), 9);
});
