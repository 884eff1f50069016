// COURSE A5: a 3x3 input and 2x2 kernel: z11 = x11 w11 + x12 w12 + x21 w21 + x22 w22, dz/dw = x;
// with one ring of zeros ('full') the output is 4x4.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const x = gl.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { dtype: 'float64' });
const w = gl.tensor([[0.5, -1], [2, 0.25]], { dtype: 'float64', requiresGrad: true });
const z = gl.conv2d(x.reshape([1, 3, 3, 1]), w.reshape([2, 2, 1, 1])).reshape([2, 2]);
const zz = z.toArray() as number[][];
const X = x.toArray() as number[][];
const Wv = w.toArray() as number[][];
for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
  const expected = X[i][j] * Wv[0][0] + X[i][j + 1] * Wv[0][1] + X[i + 1][j] * Wv[1][0] + X[i + 1][j + 1] * Wv[1][1];
  assert.equal(zz[i][j], expected);
}
// dz11/dw_ij is the matching x: x11, x12, x21, x22
gl.slice(z, [0, 0], [1, 1]).sum().backward();
assert.deepEqual(w.grad!.toArray(), [[1, 2], [4, 5]]);
const full = gl.conv2d(x.reshape([1, 3, 3, 1]), w.detach().reshape([2, 2, 1, 1]), { padding: 'full' });
assert.deepEqual(full.shape, [1, 4, 4, 1]);
assert.deepEqual(gl.conv2d(x.reshape([1, 3, 3, 1]), w.detach().reshape([2, 2, 1, 1]), { padding: 1 }).shape, [1, 4, 4, 1]);
console.log('z =', z.toString(), '\nfull output shape', full.shape);
console.log('A5 ok');
