// COURSE D1: points (0,0), (1,0.3), (1,0.7), (2,1) with y = -1, -1, 1, 1 and the classifier
// b = -0.5, w = (0, 1): z = -0.5, -0.2, 0.2, 0.5; the functional margin (largest gamma with
// y_i z_i >= gamma) is 0.2; the geometric margin gamma/||w|| is 0.2; samples 1 and 2 lie on the margin.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const X = gl.tensor([[0, 0], [1, 0.3], [1, 0.7], [2, 1]], { dtype: 'float64' });
const y = [-1, -1, 1, 1];
const w = gl.tensor([0, 1], { dtype: 'float64' });
const b = -0.5;
const z = gl.add(gl.matmul(X, w), b);

const zs = Array.from(z.data);
[-0.5, -0.2, 0.2, 0.5].forEach((v, i) => assert.ok(Math.abs(zs[i] - v) < 1e-12, `z[${i}] = ${zs[i]}`));
const gamma = gl.svm.functionalMargin(y, z);
assert.ok(Math.abs(gamma - 0.2) < 1e-12, `functional margin ${gamma}`);
const geo = gl.svm.geometricMargin(y, z, w);
assert.ok(Math.abs(geo - 0.2) < 1e-12, `geometric margin ${geo}`);
assert.deepEqual(gl.svm.onMargin(y, z), [1, 2]);
// Every sample is on the right side: zero hinge loss would need a margin of 1, so the slacks are 1 - y z.
assert.equal(gl.svm.hingeLoss(y, z), 0.5 + 0.8 + 0.8 + 0.5);

console.log(`z = [${zs.map((v) => v.toFixed(1)).join(', ')}]`);
console.log(`functional margin = ${gamma.toFixed(3)}, geometric margin = ${geo.toFixed(3)}, on the margin: ${gl.svm.onMargin(y, z).join(', ')}`);
console.log('D1 ok');
