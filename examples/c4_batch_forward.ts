// COURSE C4: the forward pass on a batch, one sample per row of X:
//   Z_H = X W_H^T + b_H,  U_H = sigmoid(Z_H),  Z_O = U_H W_O^T + b_O,
// then sigmoid (binary output) or softmax (K classes, each row sums to 1).
// Computed three ways that must agree: with explicit ops, with a Sequential model holding the same
// weights (its kernels are W^T), and with plain float64 loops as an independent reference.
import assert from 'node:assert/strict';
import * as gl from '../src/index.js';

const n = 6;   // samples
const d = 3;   // features
const nH = 4;  // hidden units
const K = 3;   // classes

const X = gl.randn([n, d], { seed: 1 });
const WH = gl.randn([nH, d], { seed: 2 });
const bH = gl.randn([nH], { seed: 3 });

// ---- plain loops in float64: the reference ----
const rows = (t: gl.Tensor, r: number, c: number): number[][] =>
  Array.from({ length: r }, (_, i) => Array.from(t.data.subarray(i * c, (i + 1) * c)));
function affineRef(U: number[][], W: number[][], b: number[]): number[][] {
  return U.map((u) => W.map((w, k) => b[k] + w.reduce((s, wj, j) => s + wj * u[j], 0)));
}
const sigmoidRef = (z: number) => 1 / (1 + Math.exp(-z));
function softmaxRef(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
const zHRef = affineRef(rows(X, n, d), rows(WH, nH, d), Array.from(bH.data));
const uHRef = zHRef.map((r) => r.map(sigmoidRef));

function assertClose(t: gl.Tensor, ref: number[][], what: string, tol = 1e-5): void {
  assert.deepEqual(t.shape, [ref.length, ref[0].length], `${what}: shape`);
  ref.flat().forEach((v, i) => assert.ok(Math.abs(t.data[i] - v) <= tol, `${what}[${i}] = ${t.data[i]}, expected ${v}`));
}

function explicitHidden(): { zH: gl.Tensor; uH: gl.Tensor } {
  const zH = gl.add(gl.matmul(X, gl.transpose(WH)), bH);
  return { zH, uH: gl.sigmoid(zH) };
}

// ---- binary: one sigmoid output ----
{
  const WO = gl.randn([1, nH], { seed: 4 });
  const bO = gl.tensor([0.3]);
  const { zH, uH } = explicitHidden();
  const zO = gl.add(gl.matmul(uH, gl.transpose(WO)), bO);
  const yHat = gl.sigmoid(zO);

  const model = gl.sequential({
    layers: [
      gl.layers.dense({ inputShape: [d], units: nH, activation: 'sigmoid', name: 'hidden' }),
      gl.layers.dense({ units: 1, activation: 'sigmoid', name: 'output' }),
    ],
  });
  model.setWeights([gl.transpose(WH), bH, gl.transpose(WO), bO]);
  const [h, o] = model.trace(X);

  const zORef = affineRef(uHRef, rows(WO, 1, nH), [0.3]);
  const yRef = zORef.map((r) => r.map(sigmoidRef));
  for (const [name, t] of [['explicit', { zH, uH, zO, yHat }], ['sequential', { zH: h.z, uH: h.u, zO: o.z, yHat: o.u }]] as const) {
    assertClose(t.zH, zHRef, `${name} Z_H`);
    assertClose(t.uH, uHRef, `${name} U_H`);
    assertClose(t.zO, zORef, `${name} Z_O`);
    assertClose(t.yHat, yRef, `${name} y_hat`);
  }
  // The two gradlab paths run the same float32 ops: they agree to rounding.
  assert.ok(gl.max(gl.abs(gl.sub(yHat, o.u))).item() < 1e-6);
  assert.ok(Array.from(o.u.data).every((p) => p > 0 && p < 1));
  console.log('binary: Z_O =', zO.toString());
  console.log('binary: P(y = 1 | x) =', yHat.toString());
}

// ---- K classes: softmax output ----
{
  const WO = gl.randn([K, nH], { seed: 5 });
  const bO = gl.tensor([0.1, -0.2, 0.05]);
  const { uH } = explicitHidden();
  const zO = gl.add(gl.matmul(uH, gl.transpose(WO)), bO);
  const P = gl.softmax(zO);

  const model = gl.sequential({
    layers: [
      gl.layers.dense({ inputShape: [d], units: nH, activation: 'sigmoid' }),
      gl.layers.dense({ units: K, activation: 'softmax' }),
    ],
  });
  model.setWeights([gl.transpose(WH), bH, gl.transpose(WO), bO]);
  const out = model.predict(X);
  const zORef = affineRef(uHRef, rows(WO, K, nH), [0.1, -0.2, 0.05]);
  const pRef = zORef.map(softmaxRef);
  assertClose(zO, zORef, 'explicit Z_O');
  assertClose(P, pRef, 'explicit softmax');
  assertClose(out, pRef, 'sequential softmax');
  assert.ok(gl.max(gl.abs(gl.sub(P, out))).item() < 1e-6);

  const rowSums = gl.sum(out, 1);
  console.log(`softmax, K = ${K}:`, out.toString());
  console.log('row sums:', rowSums.toString());
  assert.deepEqual(rowSums.shape, [n]);
  Array.from(rowSums.data).forEach((s, i) => assert.ok(Math.abs(s - 1) < 1e-6, `row ${i} sums to ${s}`));
  assert.ok(Array.from(out.data).every((p) => p > 0 && p < 1));
  // The predicted class is the arg-max of Z_O (softmax keeps the order).
  const argmax = (t: gl.Tensor, i: number) => { const r = Array.from(t.data.subarray(i * K, (i + 1) * K)); return r.indexOf(Math.max(...r)); };
  for (let i = 0; i < n; i++) assert.equal(argmax(out, i), argmax(zO, i));
}

// ---- closed forms ----
// All-zero weights: U_H = sigmoid(0) = 1/2 everywhere, and softmax of equal logits is uniform 1/K.
{
  const model = gl.sequential({
    layers: [
      gl.layers.dense({ inputShape: [d], units: nH, activation: 'sigmoid' }),
      gl.layers.dense({ units: K, activation: 'softmax' }),
    ],
  });
  model.setWeights([gl.zeros([d, nH]), gl.zeros([nH]), gl.zeros([nH, K]), gl.zeros([K])]);
  const [h, o] = model.trace(X);
  assert.ok(Array.from(h.u.data).every((v) => v === 0.5));
  assert.ok(Array.from(o.u.data).every((v) => Math.abs(v - 1 / K) < 1e-7));
}
// Two classes: softmax([0, z])[1] = 1 / (1 + e^-z) = sigmoid(z), so a 2-unit softmax output with
// logits (0, z) is the binary sigmoid output.
{
  const z = gl.tensor([-3, -0.5, 0, 0.5, 3]);
  const pair = gl.stack([gl.zeros([5]), z], 1);
  const viaSoftmax = gl.slice(gl.softmax(pair), [0, 1], [5, 1]);
  assert.ok(gl.max(gl.abs(gl.sub(gl.reshape(viaSoftmax, [5]), gl.sigmoid(z)))).item() < 1e-6);
  console.log('softmax([0, z])[1] = sigmoid(z) for z in', z.toString());
}
console.log('C4 ok');
