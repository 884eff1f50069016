// COURSE A6: 1-D 'same' convolution of length 50 with 9 taps and a bias;
// dE/dx_j = sum_k dE/dz_k w_{j-k+4}: the 'same' correlation of dE/dz with the reversed kernel.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const x = gl.randn([1, 50, 1], { dtype: 'float64', seed: 11, requiresGrad: true });
const w = gl.randn([9, 1, 1], { dtype: 'float64', seed: 12 });
const b = gl.tensor([0.3], { dtype: 'float64' });
const z = gl.add(gl.conv1d(x, w, { padding: 'same' }), b);
const xs = x.data, ws = w.data;
for (let j = 0; j < 50; j++) {
  let s = 0.3;
  for (let i = 0; i <= 8; i++) { const t = j - 4 + i; if (t >= 0 && t < 50) s += ws[i] * xs[t]; }
  assert.ok(Math.abs(z.data[j] - s) < 1e-12, `z_${j}`);
}
const target = gl.randn([1, 50, 1], { dtype: 'float64', seed: 13 });
const E = gl.mul(gl.sum(gl.square(gl.sub(z, target))), 0.5);
E.backward();
const dEdz = gl.sub(z, target).detach();
const viaReversed = gl.conv1d(dEdz, gl.flip(w, 0), { padding: 'same' });
let maxErr = 0;
for (let j = 0; j < 50; j++) {
  let s = 0;
  for (let k = 0; k < 50; k++) { const t = j - k + 4; if (t >= 0 && t <= 8) s += dEdz.data[k] * ws[t]; }
  maxErr = Math.max(maxErr, Math.abs(s - x.grad!.data[j]), Math.abs(viaReversed.data[j] - x.grad!.data[j]));
}
console.log(`max |formula - autograd| = ${maxErr.toExponential(1)}`);
assert.ok(maxErr < 1e-12);
console.log('A6 ok');
