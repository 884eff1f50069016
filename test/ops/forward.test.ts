// Forward values against naive implementations written here straight from the formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-9, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Math.abs(actual[i] - e) > tol * (1 + Math.abs(e))) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${e}`);
  }
}

const r64 = (shape: number[], seed: number) => gl.randn(shape, { dtype: 'float64', seed });

/** 'same' as TensorFlow: out = ceil(in / s), the odd extra zero after. */
function pads(mode: string | number, inSize: number, k: number, s: number, d: number): [number, number] {
  const ek = (k - 1) * d + 1;
  if (mode === 'valid') return [0, 0];
  if (mode === 'full') return [ek - 1, ek - 1];
  if (mode === 'same') {
    const out = Math.ceil(inSize / s);
    const total = Math.max(0, (out - 1) * s + ek - inSize);
    return [Math.floor(total / 2), Math.ceil(total / 2)];
  }
  return [mode as number, mode as number];
}

function naiveConv2d(x: Tensor, w: Tensor, s: [number, number], d: [number, number], mode: string | number, flip: boolean): { data: number[]; shape: number[] } {
  const [N, H, W, C] = x.shape;
  const [KH, KW, , M] = w.shape;
  const [pt, pb] = pads(mode, H, KH, s[0], d[0]);
  const [pl, pr] = pads(mode, W, KW, s[1], d[1]);
  const OH = Math.floor((H + pt + pb - (KH - 1) * d[0] - 1) / s[0]) + 1;
  const OW = Math.floor((W + pl + pr - (KW - 1) * d[1] - 1) / s[1]) + 1;
  const X = (n: number, i: number, j: number, c: number) => (i < 0 || j < 0 || i >= H || j >= W ? 0 : x.data[((n * H + i) * W + j) * C + c]);
  const Wt = (a: number, b: number, c: number, m: number) =>
    w.data[(((flip ? KH - 1 - a : a) * KW + (flip ? KW - 1 - b : b)) * C + c) * M + m];
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) for (let m = 0; m < M; m++) {
    let z = 0;
    for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) for (let c = 0; c < C; c++) {
      z += Wt(a, b, c, m) * X(n, i * s[0] + a * d[0] - pt, j * s[1] + b * d[1] - pl, c);
    }
    out.push(z);
  }
  return { data: out, shape: [N, OH, OW, M] };
}

test('conv2d matches the formula over padding, stride, dilation and flip', () => {
  let seed = 1;
  for (const mode of ['valid', 'same', 'full', 2] as const) {
    for (const s of [[1, 1], [2, 2], [2, 1]] as [number, number][]) {
      for (const d of [[1, 1], [2, 2], [1, 2]] as [number, number][]) {
        for (const flip of [false, true]) {
          const x = r64([2, 7, 6, 3], seed++);
          const w = r64([3, 2, 3, 4], seed++);
          const y = gl.conv2d(x, w, { padding: mode, stride: s, dilation: d, flip });
          const ref = naiveConv2d(x, w, s, d, mode, flip);
          assert.deepEqual(y.shape, ref.shape, `shape for ${mode} ${s} ${d}`);
          close(y.data, ref.data, 1e-12, `conv2d ${mode} s=${s} d=${d} flip=${flip}`);
        }
      }
    }
  }
});

test('conv2d same padding gives ceil(input/stride) with the odd zero at the end (TensorFlow)', () => {
  const x = gl.arange(1, 26, 1, { dtype: 'float64' }).reshape([1, 5, 5, 1]);
  const w = gl.ones([2, 2, 1, 1], { dtype: 'float64' });
  const y = gl.conv2d(x, w, { padding: 'same', stride: 2 });
  assert.deepEqual(y.shape, [1, 3, 3, 1]);
  // total pad 1 per axis: 0 before, 1 after; first window is x[0:2,0:2] = 1+2+6+7.
  assert.equal(y.data[0], 16);
  assert.equal(y.data[8], 25); // last window holds only x[4,4]
});

test('conv1d matches the formula, including COURSE A6 (same, 9 taps)', () => {
  const x = r64([2, 50, 1], 5);
  const w = r64([9, 1, 1], 6);
  const y = gl.conv1d(x, w, { padding: 'same' });
  assert.deepEqual(y.shape, [2, 50, 1]);
  const ref: number[] = [];
  for (let n = 0; n < 2; n++) for (let j = 0; j < 50; j++) {
    let z = 0;
    for (let i = 0; i < 9; i++) { const t = j - 4 + i; if (t >= 0 && t < 50) z += w.data[i] * x.data[n * 50 + t]; }
    ref.push(z);
  }
  close(y.data, ref, 1e-12, 'conv1d same');
  const y2 = gl.conv1d(r64([1, 10, 2], 7), r64([3, 2, 2], 8), { stride: 2, dilation: 2, padding: 'full' });
  assert.deepEqual(y2.shape, [1, 7, 2]);
});

function naivePool(x: Tensor, k: [number, number], s: [number, number], same: boolean, kind: 'max' | 'avg'): number[] {
  const [N, H, W, C] = x.shape;
  const OH = same ? Math.ceil(H / s[0]) : Math.floor((H - k[0]) / s[0]) + 1;
  const OW = same ? Math.ceil(W / s[1]) : Math.floor((W - k[1]) / s[1]) + 1;
  const pt = same ? Math.floor(Math.max(0, (OH - 1) * s[0] + k[0] - H) / 2) : 0;
  const pl = same ? Math.floor(Math.max(0, (OW - 1) * s[1] + k[1] - W) / 2) : 0;
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const r = i * s[0] + a - pt;
      const q = j * s[1] + b - pl;
      if (r >= 0 && q >= 0 && r < H && q < W) vals.push(x.data[((n * H + r) * W + q) * C + c]);
    }
    out.push(kind === 'max' ? Math.max(...vals) : vals.reduce((p, v) => p + v, 0) / vals.length);
  }
  return out;
}

test('max and average pooling match the formula; same padding ignores padded cells', () => {
  let seed = 30;
  for (const same of [false, true]) {
    for (const [k, s] of [[[2, 2], [2, 2]], [[3, 3], [2, 2]], [[3, 2], [1, 2]]] as [number, number][][]) {
      const x = r64([2, 7, 5, 3], seed++);
      const opts = { size: k as [number, number], stride: s as [number, number], padding: same ? 'same' as const : 'valid' as const };
      close(gl.maxPool2d(x, opts).data, naivePool(x, k as [number, number], s as [number, number], same, 'max'), 1e-12, `max ${k} ${s} ${same}`);
      close(gl.avgPool2d(x, opts).data, naivePool(x, k as [number, number], s as [number, number], same, 'avg'), 1e-12, `avg ${k} ${s} ${same}`);
    }
  }
  const x = r64([2, 3, 4, 5], 40);
  close(gl.globalAvgPool2d(x).data, gl.mean(x, [1, 2]).data, 1e-12, 'gap');
  assert.deepEqual(gl.globalMaxPool2d(x).shape, [2, 5]);
  const x1 = gl.tensor([[[1], [5], [2], [4], [3]]]);
  assert.deepEqual(gl.maxPool1d(x1, { size: 2 }).toArray(), [[[5], [4]]]);
  assert.deepEqual(gl.avgPool1d(x1, { size: 2, padding: 'same' }).toArray(), [[[3], [3], [3]]]);
});

test('pooling gradients: max routes to the arg-max, average splits 1/d (COURSE B1)', () => {
  const x = gl.tensor([[1, 5, 2, 0], [3, 4, 7, 1], [0, 0, 1, 1], [2, 9, 1, 3]], { dtype: 'float64', requiresGrad: true });
  gl.sum(gl.maxPool2d(x.reshape([1, 4, 4, 1]))).backward();
  assert.deepEqual(x.grad!.toArray(), [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 1]]);
  const y = gl.ones([1, 4, 4, 1], { dtype: 'float64', requiresGrad: true });
  gl.sum(gl.avgPool2d(y)).backward();
  assert.ok(Array.from(y.grad!.data).every((v) => v === 0.25));
});

test('matmul matches the triple loop, batched and broadcast', () => {
  const a = r64([2, 1, 3, 4], 50);
  const b = r64([3, 4, 5], 51);
  const c = gl.matmul(a, b);
  assert.deepEqual(c.shape, [2, 3, 3, 5]);
  const ref: number[] = [];
  for (let p = 0; p < 2; p++) for (let q = 0; q < 3; q++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a.data[p * 12 + i * 4 + k] * b.data[q * 20 + k * 5 + j];
    ref.push(s);
  }
  close(c.data, ref, 1e-12, 'matmul');
  assert.deepEqual(gl.matmul(gl.tensor([1, 2]), gl.tensor([[1, 2, 3], [4, 5, 6]])).toArray(), [9, 12, 15]);
  assert.equal(gl.dot(gl.tensor([1, 2, 3]), gl.tensor([4, 5, 6])).item(), 32);
  assert.deepEqual(gl.outer(gl.tensor([1, 2]), gl.tensor([3, 4, 5])).toArray(), [[3, 4, 5], [6, 8, 10]]);
  assert.deepEqual(gl.dense(gl.tensor([[1, 2]]), gl.tensor([[1, 0, 1], [0, 1, 1]]), gl.tensor([0.5, 0, -1])).toArray(), [[1.5, 2, 2]]);
});

test('reductions over axes with keepDims', () => {
  const x = gl.tensor([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]);
  assert.deepEqual(gl.sum(x, 1).toArray(), [[5, 7, 9], [17, 19, 21]]);
  assert.deepEqual(gl.sum(x, [0, 2], true).toArray(), [[[30], [48]]]);
  assert.equal(gl.mean(x).item(), 6.5);
  assert.deepEqual(gl.max(x, -1).toArray(), [[3, 6], [9, 12]]);
  assert.deepEqual(gl.min(x, 0).toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(gl.argmax(gl.tensor([[1, 9, 3], [7, 2, 8]]), 1).toArray(), [1, 2]);
  assert.equal(gl.argmin(gl.tensor([[1, 9, 3], [7, 0, 8]])).item(), 4);
  const v = gl.tensor([1, 2, 3, 4], { dtype: 'float64' });
  assert.equal(gl.variance(v).item(), 1.25);
  assert.ok(Math.abs(gl.std(v, undefined, { ddof: 1 }).item() - Math.sqrt(5 / 3)) < 1e-15);
  const big = gl.tensor([1000, 1000, 1000], { dtype: 'float64' });
  assert.ok(Math.abs(gl.logSumExp(big).item() - (1000 + Math.log(3))) < 1e-12);
  const neg = gl.tensor([-Infinity, -Infinity]);
  assert.equal(gl.logSumExp(neg).item(), -Infinity);
});

test('softmax and logSoftmax are stable and normalised', () => {
  const z = gl.tensor([[1000, 1001, 1002], [-5, 0, 5]], { dtype: 'float64' });
  const p = gl.softmax(z);
  for (const row of p.toArray() as number[][]) assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-15);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0] + e[1] + e[2];
  close(p.data.subarray(0, 3), e.map((v) => v / s), 1e-15, 'softmax');
  close(gl.logSoftmax(z).data, Array.from(p.data).map(Math.log), 1e-12, 'logSoftmax');
});

test('activations and their derivatives (COURSE B1)', () => {
  const z = gl.tensor([-2, -0.5, 0, 0.5, 2], { dtype: 'float64', requiresGrad: true });
  assert.deepEqual(gl.step(z).toArray(), [0, 0, 1, 1, 1]);
  gl.sum(gl.step(z)).backward();
  assert.deepEqual(z.grad!.toArray(), [0, 0, 0, 0, 0]);
  z.zeroGrad();
  const u = gl.sigmoid(z);
  gl.sum(u).backward();
  close(z.grad!.data, Array.from(u.data).map((v) => v * (1 - v)), 1e-15, "sigmoid'");
  z.zeroGrad();
  const t = gl.tanh(z);
  gl.sum(t).backward();
  close(z.grad!.data, Array.from(t.data).map((v) => 1 - v * v), 1e-15, "tanh'");
  z.zeroGrad();
  gl.sum(gl.relu(z)).backward();
  assert.deepEqual(z.grad!.toArray(), [0, 0, 0, 1, 1]);
  close(gl.leakyRelu(gl.tensor([-1, 2], { dtype: 'float64' }), 0.1).data, [-0.1, 2], 1e-15, 'leakyRelu');
  close(gl.elu(gl.tensor([-1, 2], { dtype: 'float64' })).data, [Math.exp(-1) - 1, 2], 1e-15, 'elu');
  close(gl.softplus(gl.tensor([-800, 0, 800], { dtype: 'float64' })).data, [0, Math.log(2), 800], 1e-15, 'softplus');
});

test('losses match closed forms (Keras conventions, mean over the batch)', () => {
  const y = gl.tensor([[1], [0], [1]], { dtype: 'float64' });
  const zl = gl.tensor([[2], [-1], [-3]], { dtype: 'float64' });
  const bceLogits = [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-1)), Math.log1p(Math.exp(3))];
  close([gl.losses.binaryCrossentropy(y, zl, { fromLogits: true }).item()], [bceLogits.reduce((a, b) => a + b) / 3], 1e-14, 'bce logits');
  const p = gl.sigmoid(zl);
  close([gl.losses.binaryCrossentropy(y, p).item()], [bceLogits.reduce((a, b) => a + b) / 3], 1e-6, 'bce probs');
  // no log(0): probabilities of exactly 0 and 1 give a large finite loss
  assert.ok(Number.isFinite(gl.losses.binaryCrossentropy(gl.tensor([1, 0]), gl.tensor([0, 1])).item()));
  assert.ok(Number.isFinite(gl.losses.binaryCrossentropy(gl.tensor([1]), gl.tensor([-1e4]), { fromLogits: true }).item()));
  const logits = gl.tensor([[1, 2, 3], [1, 1, 1]], { dtype: 'float64' });
  const expected = [-(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))), Math.log(3)];
  const cce = (expected[0] + expected[1]) / 2;
  close([gl.losses.categoricalCrossentropy(gl.oneHot([2, 0], 3, 'float64'), logits, { fromLogits: true }).item()], [cce], 1e-14, 'cce');
  close([gl.losses.sparseCategoricalCrossentropy([2, 0], logits, { fromLogits: true }).item()], [cce], 1e-14, 'scce');
  close([gl.losses.sparseCategoricalCrossentropy(gl.tensor([[2], [0]]), gl.softmax(logits)).item()], [cce], 1e-7, 'scce probs');
  close([gl.losses.meanSquaredError(gl.tensor([[1, 2]]), gl.tensor([[2, 4]])).item()], [2.5], 0, 'mse');
  close([gl.losses.meanAbsoluteError(gl.tensor([[1, 2]]), gl.tensor([[2, 4]])).item()], [1.5], 0, 'mae');
  const h = gl.losses.hinge(gl.tensor([1, -1, 1]), gl.tensor([0.3, 0.5, 2]));
  close([h.item()], [(0.7 + 1.5 + 0) / 3], 1e-6, 'hinge');
  close([gl.losses.hinge(gl.tensor([1, 0, 1]), gl.tensor([0.3, 0.5, 2])).item()], [h.item()], 0, 'hinge 0/1 labels');
});

test('softmax + cross-entropy gradient is p - y (COURSE B2)', () => {
  const z = gl.tensor([[0.2, -1, 3]], { dtype: 'float64', requiresGrad: true });
  gl.losses.categoricalCrossentropy(gl.tensor([[0, 1, 0]], { dtype: 'float64' }), z, { fromLogits: true }).backward();
  const p = gl.softmax(z.detach());
  close(z.grad!.data, [p.data[0], p.data[1] - 1, p.data[2]], 1e-14, 'p - y');
});

test('shape ops', () => {
  const x = gl.arange(6).reshape([2, 3]);
  assert.deepEqual(gl.transpose(x).toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(gl.slice(x, [0, 1], [2, 2]).toArray(), [[1, 2], [4, 5]]);
  assert.deepEqual(gl.pad(gl.tensor([1, 2]), [[1, 2]]).toArray(), [0, 1, 2, 0, 0]);
  assert.deepEqual(gl.flip(x, 1).toArray(), [[2, 1, 0], [5, 4, 3]]);
  assert.deepEqual(gl.concat([x, x], 1).toArray(), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
  assert.deepEqual(gl.stack([gl.tensor([1, 2]), gl.tensor([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(gl.gather(x, [2, 0, -1], 1).toArray(), [[2, 0, 2], [5, 3, 5]]);
  assert.deepEqual(gl.squeeze(gl.zeros([1, 3, 1])).shape, [3]);
  assert.deepEqual(gl.expandDims(gl.zeros([3]), -1).shape, [3, 1]);
  assert.deepEqual(gl.flatten(gl.zeros([2, 3, 4]), 1).shape, [2, 12]);
  assert.deepEqual(gl.permute(gl.zeros([2, 3, 4]), [2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(gl.broadcastTo(gl.tensor([1, 2]), [2, 2]).toArray(), [[1, 2], [1, 2]]);
  assert.deepEqual(gl.where(gl.tensor([1, 0, 1]), gl.tensor([1, 2, 3]), 0).toArray(), [1, 0, 3]);
  assert.deepEqual(gl.add(gl.tensor([[1], [2]]), gl.tensor([10, 20])).toArray(), [[11, 21], [12, 22]]);
  assert.deepEqual(gl.clip(gl.tensor([-2, 0.5, 3]), 0, 1).toArray(), [0, 0.5, 1]);
  assert.deepEqual(gl.oneHot([1, 0], 3).toArray(), [[0, 1, 0], [1, 0, 0]]);
});
