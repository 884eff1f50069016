// The web lab's Convolution and Draw arithmetic (pure page modules) without a browser: the
// course's A1 answers, gl.conv2d as the independent reference, and the MNIST-style framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { A1_IMAGE, A1_KERNEL, convolve, explain, outputSize } from '../../src/web/page/conv.js';
import { SIDE, toMnist } from '../../src/web/page/digit.js';

// COURSE.md, problem A1: the valid cross-correlation of the 6x5 image with W = [[1,-1],[1,-1]].
const A1_Z = [
  [-3, 0, 0, 3],
  [-6, 0, 0, 6],
  [-6, 1, -1, 6],
  [-6, 2, -2, 6],
  [-3, 1, -1, 3],
];

test('the Convolution panel starts on A1 and computes its answer: Z, the extremes and the zeros', () => {
  const { z } = convolve(A1_IMAGE, A1_KERNEL, { mode: 'correlation', padding: 0, stride: 1 });
  assert.deepEqual(z, A1_Z);
  const where = (pred: (v: number) => boolean) => z.flatMap((r, i) => r.flatMap((v, j) => (pred(v) ? [[i, j]] : [])));
  assert.deepEqual(where((v) => v === 6), [[1, 3], [2, 3], [3, 3]]);
  assert.deepEqual(where((v) => v === -6), [[1, 0], [2, 0], [3, 0]]);
  assert.deepEqual(where((v) => v === 0).filter(([i]) => i <= 1), [[0, 1], [0, 2], [1, 1], [1, 2]]);
});

test("an output cell's sum is written out term by term with the image and kernel indices", () => {
  const r = convolve(A1_IMAGE, A1_KERNEL, { mode: 'correlation', padding: 0, stride: 1 });
  assert.equal(explain(r, 1, 3), 'z[1,3] = X[1,3]·K[0,0] + X[1,4]·K[0,1] + X[2,3]·K[1,0] + X[2,4]·K[1,1] = 3·1 + 0·(-1) + 3·1 + 0·(-1) = 6');
  const padded = convolve(A1_IMAGE, A1_KERNEL, { mode: 'convolution', padding: 1, stride: 1 });
  // True convolution reads the kernel turned around; padding cells are zeros.
  assert.equal(explain(padded, 0, 0), 'z[0,0] = 0·K[1,1] + 0·K[1,0] + 0·K[0,1] + X[0,0]·K[0,0] = 0·(-1) + 0·1 + 0·(-1) + 0·1 = 0');
});

test('every mode, padding and stride agrees with gl.conv2d (flip for true convolution)', () => {
  const rnd = new gl.Random(7);
  for (let trial = 0; trial < 40; trial++) {
    const h = 2 + Math.floor(rnd.random() * 6), w = 2 + Math.floor(rnd.random() * 6);
    const kh = 1 + Math.floor(rnd.random() * 3), kw = 1 + Math.floor(rnd.random() * 3);
    const padding = Math.floor(rnd.random() * 3), stride = 1 + Math.floor(rnd.random() * 3);
    const mode = rnd.random() < 0.5 ? 'correlation' : 'convolution';
    if (outputSize(h, kh, padding, stride) === 0 || outputSize(w, kw, padding, stride) === 0) continue;
    const img = Array.from({ length: h }, () => Array.from({ length: w }, () => Math.round(rnd.random() * 8 - 4)));
    const ker = Array.from({ length: kh }, () => Array.from({ length: kw }, () => Math.round(rnd.random() * 4 - 2)));
    const { z } = convolve(img, ker, { mode, padding, stride });
    const ref = gl.conv2d(gl.tensor(img).reshape([1, h, w, 1]), gl.tensor(ker).reshape([kh, kw, 1, 1]),
      { padding, stride, flip: mode === 'convolution' });
    const [, oh, ow] = ref.shape;
    assert.deepEqual([z.length, z[0].length], [oh, ow], `trial ${trial}: output shape`);
    assert.deepEqual(z.flat(), Array.from(ref.data), `trial ${trial}: ${mode} padding ${padding} stride ${stride}`);
  }
});

test('bad grids and settings are refused with the argument named', () => {
  assert.throws(() => convolve([[1, 2], [3]], A1_KERNEL, { mode: 'correlation', padding: 0, stride: 1 }), /image row 1 has 1 cells/);
  assert.throws(() => convolve(A1_IMAGE, [[NaN]], { mode: 'correlation', padding: 0, stride: 1 }), /kernel\[0\]\[0\] is NaN/);
  assert.throws(() => convolve(A1_IMAGE, A1_KERNEL, { mode: 'correlation', padding: -1, stride: 1 }), /padding must be a non-negative integer/);
  assert.throws(() => convolve(A1_IMAGE, A1_KERNEL, { mode: 'correlation', padding: 0, stride: 0 }), /stride must be a positive integer/);
  assert.deepEqual(convolve([[1]], A1_KERNEL, { mode: 'correlation', padding: 0, stride: 1 }).z, []);
});

test('a drawing is framed as MNIST digits are: ink scaled into 20x20, centre of mass at the centre', () => {
  const w = 200, h = 100;
  const ink = new Float32Array(w * h);
  // A bar in the top-left corner, 100 wide and 20 tall.
  for (let y = 5; y < 25; y++) for (let x = 10; x < 110; x++) ink[y * w + x] = 1;
  const x = toMnist(ink, w, h);
  let m = 0, my = 0, mx = 0, top = SIDE, bottom = -1, left = SIDE, right = -1;
  for (let r = 0; r < SIDE; r++) for (let c = 0; c < SIDE; c++) {
    const v = x[r * SIDE + c];
    if (v > 0) { top = Math.min(top, r); bottom = Math.max(bottom, r); left = Math.min(left, c); right = Math.max(right, c); }
    m += v; my += v * (r + 0.5); mx += v * (c + 0.5);
  }
  assert.equal(right - left + 1, 20, 'the long side fills 20 pixels');
  assert.equal(bottom - top + 1, 4, 'the aspect ratio is kept');
  assert.ok(Math.abs(my / m - 14) <= 0.5 && Math.abs(mx / m - 14) <= 0.5, `centre of mass at (${my / m}, ${mx / m})`);
  assert.ok(x.every((v) => v >= 0 && v <= 1));
  assert.ok(toMnist(new Float32Array(16), 4, 4).every((v) => v === 0), 'no ink: an empty image');
  assert.throws(() => toMnist(new Float32Array(10), 4, 4), /ink has 10 values/);
});
