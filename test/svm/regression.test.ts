// SVR (epsilon) and OneClassSVM against scikit-learn 1.2 on seeded data (no randomness in these
// fits, so they agree to 1e-6), and coef of linear-kernel SVCs. Golden values from
// test/svm/fixtures/make_svm_golden.py (svm_plus_golden.json); the tests never run Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OneClassSVM, SVC, SVR, load, save } from '../../src/svm/index.js';
import type { OneClassSVMOptions, SVROptions } from '../../src/svm/index.js';

type Kern = 'rbf' | 'linear' | 'poly' | 'sigmoid';
interface Golden {
  data: Record<string, { x: number[][]; y: number[]; xt: number[][] }>;
  coef: { data: string; C: number; coef: number[][]; intercept: number[] }[];
  svr: { x: number[][]; y: number[]; xt: number[][]; yt: number[]; cases: { params: SVROptions & { kernel: Kern }; predict: number[]; support: number[]; dual_coef: number[][]; intercept: number[]; score: number }[] };
  oneclass: { x: number[][]; xt: number[][]; cases: { params: OneClassSVMOptions & { kernel: Kern }; decision: number[]; score_samples: number[]; predict: number[]; support: number[]; dual_coef: number[][]; intercept: number[] }[] };
}
const golden = JSON.parse(readFileSync(new URL('../../../test/svm/fixtures/svm_plus_golden.json', import.meta.url), 'utf8')) as Golden;

/** |a - e| <= tol * max(1, |e|) for each entry; returns the largest relative error seen. */
function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, err);
    assert.ok(err <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (rel err ${err})`);
  }
  return worst;
}

for (const c of golden.svr.cases) {
  test(`SVR ${JSON.stringify(c.params)} matches scikit-learn to 1e-6`, async () => {
    const { x, y, xt, yt } = golden.svr;
    const m = new SVR({ ...c.params, tol: 1e-10 }).fit(x, y);
    assert.deepEqual(Array.from(m.supportIndices), c.support);
    const worst = Math.max(
      close(m.predict(xt).data, c.predict, 1e-6, 'predict'),
      close(m.dualCoef.data, c.dual_coef[0], 1e-6, 'dualCoef'),
      close(m.intercept.data, c.intercept, 1e-6, 'intercept'));
    assert.deepEqual(m.dualCoef.shape, [1, c.support.length]);
    assert.ok(Math.abs(m.score(xt, yt) - c.score) <= 1e-6, `score ${m.score(xt, yt)} vs ${c.score}`);
    console.log(`SVR ${c.params.kernel}: ${c.support.length} SVs, worst relative error ${worst.toExponential(2)}`);
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-svr-'));
    try {
      await save(m, dir);
      const back = await load(dir);
      assert.ok(back instanceof SVR);
      assert.deepEqual(Array.from(back.predict(xt).data), Array.from(m.predict(xt).data));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
}

for (const c of golden.oneclass.cases) {
  test(`OneClassSVM ${JSON.stringify(c.params)} matches scikit-learn to 1e-6`, async () => {
    const { x, xt } = golden.oneclass;
    const m = new OneClassSVM({ ...c.params, tol: 1e-10 }).fit(x);
    assert.deepEqual(Array.from(m.supportIndices), c.support);
    const worst = Math.max(
      close(m.decisionFunction(xt).data, c.decision, 1e-6, 'decision'),
      close(m.scoreSamples(xt).data, c.score_samples, 1e-6, 'scoreSamples'),
      close(m.dualCoef.data, c.dual_coef[0], 1e-6, 'dualCoef'),
      close(m.intercept.data, c.intercept, 1e-6, 'intercept'));
    assert.deepEqual(Array.from(m.predict(xt).data), c.predict);
    console.log(`OneClassSVM ${c.params.kernel} nu=${c.params.nu}: ${c.support.length} SVs, worst relative error ${worst.toExponential(2)}`);
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-ocsvm-'));
    try {
      await save(m, dir);
      const back = await load(dir);
      assert.ok(back instanceof OneClassSVM);
      assert.deepEqual(Array.from(back.decisionFunction(xt).data), Array.from(m.decisionFunction(xt).data));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
}

test('SVR fits a sine within its tube; a one-class SVM flags far points', () => {
  const x = Array.from({ length: 40 }, (_, i) => [i / 6]);
  const y = x.map(([v]) => Math.sin(v));
  const m = new SVR({ C: 10, epsilon: 0.05, gamma: 1 }).fit(x, y);
  const f = m.predict(x).data;
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(f[i] - y[i]) < 0.05 + 1e-3, `sample ${i}: ${f[i]} vs ${y[i]}`);
  assert.ok(m.score(x, y) > 0.99);
  const oc = new OneClassSVM({ nu: 0.1, gamma: 0.5 }).fit(Array.from({ length: 30 }, (_, i) => [Math.cos(i), Math.sin(i)]));
  assert.deepEqual(Array.from(oc.predict([[0, 0.5], [6, 6], [-5, 4]]).data), [1, -1, -1]);
});

for (const c of golden.coef) {
  test(`SVC coef (linear kernel, ${c.data}) matches scikit-learn's coef_`, () => {
    const { x, y, xt } = golden.data[c.data];
    const m = new SVC({ kernel: 'linear', C: c.C, tol: 1e-10 }).fit(x, y);
    const coef = m.coef;
    assert.deepEqual(coef.shape, [c.coef.length, x[0].length]);
    close(coef.data, c.coef.flat(), 1e-6, 'coef');
    // x . coef + intercept is the decision function
    const dec = m.decisionFunction(xt, { shape: 'ovo' }).data;
    const rows = c.coef.length, d = x[0].length, icpt = m.intercept.data;
    for (let r = 0; r < xt.length; r++) {
      for (let p = 0; p < rows; p++) {
        let v = icpt[p];
        for (let j = 0; j < d; j++) v += xt[r][j] * coef.data[p * d + j];
        assert.ok(Math.abs(v - dec[r * rows + p]) < 1e-5 * (1 + Math.abs(v)), `row ${r} pair ${p}: ${v} vs ${dec[r * rows + p]}`); // SVC predicts from float32 copies
      }
    }
  });
}

test('SVC coef is refused for non-linear kernels', () => {
  const m = new SVC({ kernel: 'rbf' }).fit([[0], [1], [2], [3]], [0, 0, 1, 1]);
  assert.throws(() => m.coef, /SVC\.coef: coef is defined for the linear kernel only; this model's kernel is 'rbf'/);
});

test('SVR and OneClassSVM take a kernel function (as the built-in one gives) and refuse to save it', async () => {
  const { x, y, xt } = golden.svr;
  const dot = (a: Float64Array, b: Float64Array): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
  const ref = new SVR({ kernel: 'linear', C: 0.5, tol: 1e-10 }).fit(x, y).predict(xt).data;
  const custom = new SVR({ kernel: dot, C: 0.5, tol: 1e-10 }).fit(x, y);
  close(custom.predict(xt).data, Array.from(ref), 1e-9, 'custom-kernel predict');
  const rbf = (a: Float64Array, b: Float64Array): number => { let s = 0; for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2; return Math.exp(-0.5 * s); };
  const oc = golden.oneclass.cases[1];
  const m = new OneClassSVM({ kernel: rbf, nu: 0.1, tol: 1e-10 }).fit(golden.oneclass.x);
  close(m.decisionFunction(golden.oneclass.xt).data, oc.decision, 1e-6, 'custom-kernel decision');
  await assert.rejects(save(custom, join(tmpdir(), 'gradlab-never')), /svm\.save: an SVR with a custom kernel function cannot be saved/);
});
