// COURSE A3: a conv layer with ReLU on X (48,64,10), W (3,3,10,20), valid: shapes and counts.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const X = gl.randn([1, 48, 64, 10], { seed: 1 });
const W = gl.randn([3, 3, 10, 20], { seed: 2 });
const b = gl.randn([20], { seed: 3 });
const Z = gl.add(gl.conv2d(X, W), b);
const U = gl.relu(Z);
console.log('Z', Z.shape, 'U', U.shape);
assert.deepEqual(Z.shape, [1, 46, 62, 20]);
assert.deepEqual(U.shape, [1, 46, 62, 20]);
const [, OH, OW, M] = Z.shape;
const [KH, KW, C] = W.shape;
const multiplications = OH * OW * M * KH * KW * C;
const parameters = W.size + b.size;
console.log(`multiplications ${multiplications.toLocaleString('en-US')}, trainable parameters ${parameters.toLocaleString('en-US')}`);
assert.equal(multiplications, 5_133_600);
assert.equal(parameters, 1_820);
assert.ok(Array.from(U.data).every((v) => v >= 0));
console.log('A3 ok');
