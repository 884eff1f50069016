// COURSE A7: 4x4 images as column-major vectors; a template's inner product with shifted images.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

/** vec(): stack the columns (column-major), as in the course. */
const vec = (img: gl.Tensor): gl.Tensor => gl.transpose(img).reshape([-1]);
const X = gl.zeros([4, 4]);
for (const r of [1, 2, 3]) X.data[r * 4 + 2] = 1;
const W = gl.zeros([4, 4]);
for (const [r, c] of [[1, 1], [1, 2], [2, 1], [2, 2]]) W.data[r * 4 + c] = 1;
const shift = (img: gl.Tensor, dc: number): gl.Tensor => {
  const padded = dc > 0 ? gl.pad(img, [[0, 0], [dc, 0]]) : gl.pad(img, [[0, 0], [0, -dc]]);
  return dc > 0 ? gl.slice(padded, [0, 0], [4, 4]) : gl.slice(padded, [0, -dc], [4, 4]);
};
const dotW = (img: gl.Tensor) => gl.dot(vec(W), vec(img)).item();
console.log(`w.x = ${dotW(X)}, shifted right: ${dotW(shift(X, 1))}, shifted left: ${dotW(shift(X, -1))}`);
assert.equal(dotW(X), 2);
assert.equal(dotW(shift(X, 1)), 0);
assert.equal(dotW(shift(X, -1)), 2);
console.log('A7 ok');
