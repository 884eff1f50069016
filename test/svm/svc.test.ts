import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SVC, LinearSVC, load, kernels } from '../../src/svm/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';

test('separable set: SVC finds the maximum-margin hyperplane', () => {
  // Two columns of points at x1 = 0 (class -1) and x1 = 2 (class +1), plus points farther out.
  // The widest gap is the line x1 = 1: w = (1, 0), b = -1, margin 1/||w|| = 1, and only the
  // four points on x1 = 0 and x1 = 2 can be support vectors.
  const x = [[0, 0], [0, 1], [-1, 0.5], [-2, 3], [2, 0], [2, 1], [3, 0.5], [4, -2]];
  const y = [-1, -1, -1, -1, 1, 1, 1, 1];
  const m = new SVC({ kernel: 'linear', C: 1e6, tol: 1e-8 }).fit(x, y);
  const sv = m.supportVectors.toArray() as number[][];
  const coef = m.dualCoef.data;
  const w = [0, 0];
  sv.forEach((v, i) => { w[0] += coef[i] * v[0]; w[1] += coef[i] * v[1]; });
  assert.ok(Math.abs(w[0] - 1) < 1e-6 && Math.abs(w[1]) < 1e-6, `w = ${w}`);
  assert.ok(Math.abs(m.intercept.data[0] + 1) < 1e-6, `b = ${m.intercept.data[0]}`);
  for (const i of m.supportIndices) assert.ok([0, 1, 4, 5].includes(i), `support index ${i}`);
  // Decision values are the signed distance in margin units: f = x1 - 1.
  const f = m.decisionFunction([[1, 7], [3, -1], [-1, 0]]).data;
  [0, 2, -2].forEach((e, i) => assert.ok(Math.abs(f[i] - e) < 1e-6, `f[${i}] = ${f[i]}`));
});

test('dual coefficients satisfy sum y_i alpha_i = 0 and the box 0 <= alpha <= C', () => {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 30; i++) { const t = i / 30 * 6; x.push([Math.cos(t) * (1 + (i % 3) * 0.3), Math.sin(t)]); y.push(i % 2 ? 1 : 0); }
  const C = 0.8;
  const m = new SVC({ C, gamma: 2 }).fit(x, y);
  const c = m.dualCoef.data;
  let s = 0;
  for (const v of c) { s += v; assert.ok(Math.abs(v) <= C + 1e-9); }
  assert.ok(Math.abs(s) < 1e-9, `sum = ${s}`);
});

test('inputs: Tensor, number[][], Int32Array labels all give one model', () => {
  const rows = [[0, 0], [1, 0.3], [1, 0.7], [2, 1], [0.2, 0.1], [1.8, 0.9]];
  const ys = [3, 3, 9, 9, 3, 9];
  // Tight tol: float32 inputs differ by rounding only, so the optima agree to about 1e-7.
  const a = new SVC({ kernel: 'rbf', gamma: 1, tol: 1e-9 }).fit(rows, ys);
  const b = new SVC({ kernel: 'rbf', gamma: 1, tol: 1e-9 }).fit(tensor(rows, { dtype: 'float32' }), Int32Array.from(ys));
  const c = new SVC({ kernel: 'rbf', gamma: 1, tol: 1e-9 }).fit(tensor(rows, { dtype: 'float64' }), tensor(ys));
  const q = [[0.5, 0.5], [1.5, 0.8]];
  const da = a.decisionFunction(q).data;
  for (const m of [b, c]) {
    const d = m.decisionFunction(q).data;
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - da[i]) < 1e-5, `${d[i]} vs ${da[i]}`);
  }
  assert.deepEqual(Array.from(a.predict(rows).data), ys);
  assert.equal(a.score(rows, ys), 1);
});

test('gamma: scale is 1/(features var(x)), auto is 1/features', () => {
  const x = [[0, 2], [1, 0], [3, 1], [2, 2]];
  const y = [0, 0, 1, 1];
  const mean = 11 / 8;
  const v = x.flat().reduce((s, t) => s + (t - mean) ** 2, 0) / 8;
  assert.ok(Math.abs(new SVC().fit(x, y).gamma - 1 / (2 * v)) < 1e-12);
  assert.equal(new SVC({ gamma: 'auto' }).fit(x, y).gamma, 0.5);
});

test('a custom kernel function equals the built-in one', () => {
  const x = [[0, 0], [1, 0.3], [1, 0.7], [2, 1], [0.5, 0.9], [1.5, 0.2]];
  const y = [0, 0, 1, 1, 1, 0];
  const q = [[0.3, 0.4], [1.7, 0.8]];
  const ref = new SVC({ kernel: 'rbf', gamma: 0.9, tol: 1e-8 }).fit(x, y).decisionFunction(q).data;
  const own = new SVC({ kernel: (a, b) => kernels.rbf(a, b, { gamma: 0.9 }), tol: 1e-8 }).fit(x, y).decisionFunction(q).data;
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - own[i]) < 1e-5);
});

test('kernel functions and Gram matrices follow their formulas', () => {
  const a = [1, 2], b = [0, -1];
  assert.equal(kernels.linear(a, b), -2);
  assert.ok(Math.abs(kernels.rbf(a, b, { gamma: 0.5 }) - Math.exp(-0.5 * 10)) < 1e-15);
  assert.equal(kernels.poly(a, b, { gamma: 2, coef0: 1, degree: 2 }), 9);
  assert.ok(Math.abs(kernels.sigmoid(a, b, { gamma: 0.1, coef0: 0.3 }) - Math.tanh(0.1)) < 1e-15);
  const X = [[0, 1], [2, 3], [4, 5], [1, 1], [0, 0]];
  const G = kernels.rbf.gram(X, undefined, { gamma: 0.3 });
  assert.deepEqual(G.shape, [5, 5]);
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
    assert.ok(Math.abs(G.data[i * 5 + j] - kernels.rbf(X[i], X[j], { gamma: 0.3 })) < 1e-14);
  }
  const L = kernels.linear.gram([1, 2, 3], [4, 5]); // 1-D: one feature per sample
  assert.deepEqual(Array.from(L.data), [4, 5, 8, 10, 12, 15]);
});

test('bad input throws clear errors before any work', () => {
  const x = [[0, 0], [1, 1], [2, 2]];
  assert.throws(() => new SVC({ C: 0 }), (e: Error) => e instanceof ValueError && /SVC: C must be a positive/.test(e.message));
  assert.throws(() => new SVC({ C: -1 }), ValueError);
  assert.throws(() => new SVC({ gamma: 0 }), (e: Error) => e instanceof ValueError && /gamma/.test(e.message));
  assert.throws(() => new SVC({ gamma: -2 }), ValueError);
  assert.throws(() => new SVC().fit(x, [1, 1, 1]), (e: Error) => e instanceof ValueError && /one class only/.test(e.message));
  assert.throws(() => new SVC().fit([[0, 0], [1, NaN], [2, 2]], [0, 1, 1]),
    (e: Error) => e instanceof ValueError && /non-finite value NaN at row 1, column 1/.test(e.message));
  assert.throws(() => new SVC().fit(x, [0, 1]), (e: Error) => e instanceof ShapeError && /3 samples but y has 2 labels/.test(e.message));
  assert.throws(() => new SVC().fit(tensor([1, 2, 3]), [0, 1, 1]), ShapeError);
  assert.throws(() => new SVC().predict(x), /not fitted/);
  const m = new SVC().fit(x, [0, 1, 1]);
  assert.throws(() => m.predict([[1, 2, 3]]), (e: Error) => e instanceof ShapeError && /3 features/.test(e.message));
  assert.throws(() => new LinearSVC({ C: 0 }), ValueError);
  assert.throws(() => new LinearSVC().fit(x, [2, 2, 2]), /one class only/);
  assert.throws(() => new LinearSVC().fit(x, [0, 1]), ShapeError);
  assert.throws(() => new SVC({ classWeight: { 4: 2 } }).fit(x, [0, 1, 1]), /label 4/);
});

test('save and load round-trip an SVC and a LinearSVC', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-'));
  try {
    const x = [[0, 0], [1, 0.3], [1, 0.7], [2, 1], [0.3, 2], [2, 2.5], [1, 3], [0, 3]];
    const y = [0, 0, 1, 1, 2, 2, 2, 0];
    const q = [[0.5, 0.5], [1.5, 2], [0.2, 2.8]];
    const m = new SVC({ kernel: 'poly', degree: 2, gamma: 0.5, coef0: 1, C: 3 }).fit(x, y);
    await m.save(join(dir, 'svc'));
    assert.deepEqual(readdirSync(join(dir, 'svc')).sort(), ['model.json', 'weights.safetensors']);
    const back = await load(join(dir, 'svc'));
    assert.ok(back instanceof SVC);
    assert.deepEqual(Array.from(back.decisionFunction(q, { shape: 'ovo' }).data), Array.from(m.decisionFunction(q, { shape: 'ovo' }).data));
    assert.deepEqual(back.nSupport, m.nSupport);
    const l = new LinearSVC({ C: 2 }).fit(x, y);
    await l.save(join(dir, 'lin'));
    const lb = await load(join(dir, 'lin'));
    assert.ok(lb instanceof LinearSVC);
    assert.deepEqual(Array.from(lb.decisionFunction(q).data), Array.from(l.decisionFunction(q).data));
    await assert.rejects(load(join(dir, 'missing')), /cannot read/);
    assert.ok(!existsSync(join(dir, 'svc', 'model.json.tmp')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
