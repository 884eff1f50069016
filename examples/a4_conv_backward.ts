// COURSE A4: a conv layer with a sigmoid; check the closed-form gradients against autograd.
//   dJ/dZ = dJ/dU * U(1-U)
//   dJ/dW[k1,k2,n,m] = sum_{i,j} dJ/dZ[i,j,m] X[i+k1, j+k2, n]
//   dJ/dX[i,j,n] = sum_{k1,k2,m} dJ/dZ[i-k1, j-k2, m] W[k1,k2,n,m]   (a convolution with reversal)
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const H = 7, Wd = 6, N = 3, M = 2, K = 3;
const X = gl.randn([1, H, Wd, N], { dtype: 'float64', seed: 1, requiresGrad: true });
const W = gl.randn([K, K, N, M], { dtype: 'float64', seed: 2, requiresGrad: true });
const b = gl.randn([M], { dtype: 'float64', seed: 3, requiresGrad: true });
const target = gl.randn([1, H - K + 1, Wd - K + 1, M], { dtype: 'float64', seed: 4 });

const Z = gl.add(gl.conv2d(X, W), b);
const U = gl.sigmoid(Z);
const J = gl.mul(gl.sum(gl.square(gl.sub(U, target))), 0.5);
J.backward();

// Closed forms, written out with loops.
const OH = H - K + 1, OW = Wd - K + 1;
const dU = gl.sub(U, target).detach();
const u = U.detach();
const dZ = gl.mul(dU, gl.mul(u, gl.sub(1, u)));
const dz = (i: number, j: number, m: number) => (i < 0 || j < 0 || i >= OH || j >= OW ? 0 : dZ.data[(i * OW + j) * M + m]);
const x = (i: number, j: number, n: number) => X.data[(i * Wd + j) * N + n];
const w = (k1: number, k2: number, n: number, m: number) => W.data[((k1 * K + k2) * N + n) * M + m];

let maxErrW = 0;
for (let k1 = 0; k1 < K; k1++) for (let k2 = 0; k2 < K; k2++) for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
  let s = 0;
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) s += dz(i, j, m) * x(i + k1, j + k2, n);
  maxErrW = Math.max(maxErrW, Math.abs(s - W.grad!.data[((k1 * K + k2) * N + n) * M + m]));
}
let maxErrX = 0;
for (let i = 0; i < H; i++) for (let j = 0; j < Wd; j++) for (let n = 0; n < N; n++) {
  let s = 0;
  for (let k1 = 0; k1 < K; k1++) for (let k2 = 0; k2 < K; k2++) for (let m = 0; m < M; m++) s += dz(i - k1, j - k2, m) * w(k1, k2, n, m);
  maxErrX = Math.max(maxErrX, Math.abs(s - X.grad!.data[(i * Wd + j) * N + n]));
}
const dbErr = Math.max(...[0, 1].map((m) => {
  let s = 0;
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) s += dz(i, j, m);
  return Math.abs(s - b.grad!.data[m]);
}));

// dX is also the 'full' convolution (with reversal) of dZ by W with in/out channels swapped.
const Wswap = gl.transpose(W.detach(), [0, 1, 3, 2]);
const dXfull = gl.conv2d(dZ, Wswap, { padding: 'full', flip: true });
const fullErr = gl.max(gl.abs(gl.sub(dXfull, X.grad!))).item();

console.log(`max |closed form - autograd|: dW ${maxErrW.toExponential(1)}, dX ${maxErrX.toExponential(1)}, db ${dbErr.toExponential(1)}, dX as full conv ${fullErr.toExponential(1)}`);
assert.ok(maxErrW < 1e-12 && maxErrX < 1e-12 && dbErr < 1e-12 && fullErr < 1e-12);
console.log('A4 ok');
