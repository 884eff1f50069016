// COURSE B1: derivatives of the activations, and how pooling routes gradients.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const z = gl.linspace(-3, 3, 13, { dtype: 'float64' });
const grad = (f: (t: gl.Tensor) => gl.Tensor): number[] => {
  const leaf = gl.tensor(z, { requiresGrad: true });
  gl.sum(f(leaf)).backward();
  return Array.from(leaf.grad!.data);
};
const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-14);
const u = Array.from(gl.sigmoid(z).data);
assert.ok(near(grad(gl.sigmoid), u.map((v) => v * (1 - v))), "sigmoid' = u(1-u)");
const t = Array.from(gl.tanh(z).data);
assert.ok(near(grad(gl.tanh), t.map((v) => 1 - v * v)), "tanh' = 1 - tanh^2");
assert.deepEqual(grad(gl.relu), Array.from(z.data).map((v) => (v > 0 ? 1 : 0)), "ReLU' = 1 for z > 0, else 0");
assert.deepEqual(grad(gl.step), Array.from(z.data).map(() => 0), 'the hard threshold has zero gradient');
assert.deepEqual(Array.from(gl.step(z).data), Array.from(z.data).map((v) => (v >= 0 ? 1 : 0)));

// Max pooling routes the gradient to the arg-max only; average pooling over d inputs gives each 1/d.
const x = gl.tensor([[1, 3], [4, 2]], { dtype: 'float64', requiresGrad: true });
gl.sum(gl.maxPool2d(x.reshape([1, 2, 2, 1]))).backward();
assert.deepEqual(x.grad!.toArray(), [[0, 0], [1, 0]]);
x.zeroGrad();
gl.sum(gl.avgPool2d(x.reshape([1, 2, 2, 1]))).backward();
assert.deepEqual(x.grad!.toArray(), [[0.25, 0.25], [0.25, 0.25]]);
console.log('B1 ok');
