// COURSE A1: a 2x2 kernel over a 6x5 image, valid cross-correlation (no kernel reversal).
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const image = gl.tensor([
  [0, 0, 0, 0, 0],
  [0, 3, 3, 3, 0],
  [0, 3, 3, 3, 0],
  [0, 3, 2, 3, 0],
  [0, 3, 2, 3, 0],
  [0, 0, 0, 0, 0],
]);
const W = gl.tensor([[1, -1], [1, -1]]);

// NHWC input [1,6,5,1] and kernel [kh,kw,in,out] = [2,2,1,1].
const Z = gl.conv2d(image.reshape([1, 6, 5, 1]), W.reshape([2, 2, 1, 1])).reshape([5, 4]);
console.log('Z =', Z.toString());

assert.deepEqual(Z.toArray(), [
  [-3, 0, 0, 3],
  [-6, 0, 0, 6],
  [-6, 1, -1, 6],
  [-6, 2, -2, 6],
  [-3, 1, -1, 3],
]);

const positions = (pred: (v: number) => boolean): string[] =>
  (Z.toArray() as number[][]).flatMap((row, i) => row.flatMap((v, j) => (pred(v) ? [`(${i},${j})`] : [])));
const zmax = gl.max(Z).item();
const zmin = gl.min(Z).item();
console.log(`largest ${zmax} at ${positions((v) => v === zmax).join(' ')}; smallest ${zmin} at ${positions((v) => v === zmin).join(' ')}`);
assert.equal(zmax, 6);
assert.deepEqual(positions((v) => v === 6), ['(1,3)', '(2,3)', '(3,3)']);
assert.deepEqual(positions((v) => v === -6), ['(1,0)', '(2,0)', '(3,0)']);
assert.deepEqual(positions((v) => v === 0), ['(0,1)', '(0,2)', '(1,1)', '(1,2)']);
console.log('A1 ok');
