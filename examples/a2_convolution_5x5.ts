// COURSE A2: the same kernel on a 5x5 image.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const X = gl.tensor([[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 2, 3, 0], [0, 3, 2, 3, 0], [0, 0, 0, 0, 0]]).reshape([1, 5, 5, 1]);
const W = gl.tensor([[1, -1], [1, -1]]).reshape([2, 2, 1, 1]);
const Z = gl.conv2d(X, W).reshape([4, 4]);
console.log('Z =', Z.toString());
assert.deepEqual(Z.shape, [4, 4]);
const z = Z.toArray() as number[][];
const at = (v: number) => z.flatMap((row, i) => row.flatMap((x, j) => (x === v ? [[i, j]] : [])));
assert.equal(gl.max(Z).item(), 6);
assert.deepEqual(at(6), [[1, 3], [2, 3]]);
assert.equal(gl.min(Z).item(), -6);
assert.deepEqual(at(-6), [[1, 0], [2, 0]]);
console.log('A2 ok');
