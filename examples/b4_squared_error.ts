// COURSE B4: L = ||y - (Wx + b)||^2: dL/dz = 2(z - y), dL/dW = 2(z - y) x^T, dL/db = 2(z - y), dL/dx = W^T 2(z - y).
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const W = gl.randn([3, 4], { dtype: 'float64', seed: 1, requiresGrad: true });
const b = gl.randn([3], { dtype: 'float64', seed: 2, requiresGrad: true });
const x = gl.randn([4], { dtype: 'float64', seed: 3, requiresGrad: true });
const y = gl.randn([3], { dtype: 'float64', seed: 4 });
const z = gl.add(gl.matmul(W, x), b);
const L = gl.sum(gl.square(gl.sub(y, z)));
L.backward();
const e2 = gl.mul(gl.sub(z.detach(), y), 2);
const err = (a: gl.Tensor, c: gl.Tensor) => gl.max(gl.abs(gl.sub(a, c))).item();
assert.ok(err(W.grad!, gl.outer(e2, x.detach())) < 1e-12, 'dL/dW = 2(z - y) x^T');
assert.ok(err(b.grad!, e2) < 1e-12, 'dL/db = 2(z - y)');
assert.ok(err(x.grad!, gl.matmul(gl.transpose(W.detach()), e2)) < 1e-12, 'dL/dx = W^T 2(z - y)');
console.log(`L = ${L.item().toFixed(6)}; all four closed forms match autograd`);
console.log('B4 ok');
