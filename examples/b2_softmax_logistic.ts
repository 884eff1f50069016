// COURSE B2: softmax with cross-entropy has dLoss/dz = p - y; the logistic loss
// J = sum_i ln(1 + e^{z_i}) - y_i z_i with z = Xw + b has dJ/dz = sigmoid(z) - y,
// dJ/dw_j = sum_i (sigmoid(z_i) - y_i) x_ij and dJ/db = sum_i (sigmoid(z_i) - y_i).
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const z = gl.tensor([1.5, -0.3, 0.2, 2.1], { dtype: 'float64', requiresGrad: true });
const y = gl.tensor([0, 0, 0, 1], { dtype: 'float64' });
const loss = gl.neg(gl.sum(gl.mul(y, gl.logSoftmax(z))));
loss.backward();
const p = gl.softmax(z.detach());
const pMinusY = gl.sub(p, y);
assert.ok(gl.max(gl.abs(gl.sub(z.grad!, pMinusY))).item() < 1e-15);
console.log('softmax CE: dLoss/dz =', z.grad!.toString());

const X = gl.randn([8, 3], { dtype: 'float64', seed: 1 });
const labels = gl.tensor([1, 0, 0, 1, 1, 0, 1, 0], { dtype: 'float64' });
const w = gl.randn([3], { dtype: 'float64', seed: 2, requiresGrad: true });
const b = gl.tensor(0.1, { dtype: 'float64', requiresGrad: true });
const zz = gl.add(gl.matmul(X, w), b);
// The course's J, written out; it equals 8 x Keras' binary cross-entropy from logits (a mean).
const J = gl.sum(gl.sub(gl.log(gl.add(1, gl.exp(zz))), gl.mul(labels, zz)));
const keras = gl.losses.binaryCrossentropy(labels, zz, { fromLogits: true });
assert.ok(Math.abs(J.item() - 8 * keras.item()) < 1e-12);
J.backward();
const r = gl.sub(gl.sigmoid(zz.detach()), labels);
assert.ok(gl.max(gl.abs(gl.sub(w.grad!, gl.matmul(gl.transpose(X), r)))).item() < 1e-12, 'dJ/dw = X^T (sigmoid(z) - y)');
assert.ok(Math.abs(b.grad!.item() - gl.sum(r).item()) < 1e-12, 'dJ/db = sum(sigmoid(z) - y)');
console.log(`logistic loss J = ${J.item().toFixed(6)}, dJ/db = ${b.grad!.item().toFixed(6)}`);
console.log('B2 ok');
