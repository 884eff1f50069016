// Checks against scikit-learn's SVC and LinearSVC on small fixed problems. The reference values
// come from test/svm/fixtures/gen_golden.py (scikit-learn through /usr/bin/python3), committed
// as svm_golden.json; the tests only read the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SVC, LinearSVC } from '../../src/svm/index.js';
import type { SVCOptions } from '../../src/svm/index.js';

interface Golden {
  binary: { x: number[][]; y: number[]; xt: number[][]; cases: BinCase[] };
  multi: { x: number[][]; y: number[]; xt: number[][]; cases: MultiCase[] };
  linear: { binary: LinCase[]; multi: LinCase[] };
}
interface Params { kernel: 'rbf' | 'linear' | 'poly' | 'sigmoid'; C: number; gamma?: number | 'scale'; degree?: number; coef0?: number; class_weight?: Record<string, number> }
interface BinCase { params: Params; gamma: number; decision: number[]; predict: number[]; support: number[]; n_support: number[]; dual_coef: number[][]; intercept: number[] }
interface MultiCase { params: Params; predict: number[]; ovo: number[][]; ovr: number[][]; support: number[]; n_support: number[]; dual_coef: number[][]; intercept: number[] }
interface LinCase { loss: 'hinge' | 'squared_hinge'; C: number; coef: number[][]; intercept: number[]; decision: number[] | number[][]; predict: number[] }

const golden = JSON.parse(readFileSync(new URL('../../../test/svm/fixtures/svm_golden.json', import.meta.url), 'utf8')) as Golden;

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (err ${err})`);
  }
}

function options(p: Params): SVCOptions {
  const cw = p.class_weight ? Object.fromEntries(Object.entries(p.class_weight).map(([k, v]) => [Number(k), v])) : undefined;
  return { kernel: p.kernel, C: p.C, gamma: p.gamma, degree: p.degree, coef0: p.coef0, classWeight: cw, tol: 1e-10 };
}

for (const c of golden.binary.cases) {
  test(`SVC binary ${JSON.stringify(c.params)} matches scikit-learn`, () => {
    const { x, y, xt } = golden.binary;
    const m = new SVC(options(c.params)).fit(x, y);
    assert.ok(Math.abs(m.gamma - c.gamma) <= 1e-12 * c.gamma || c.params.kernel === 'linear');
    close(m.decisionFunction(xt).data, c.decision, 2e-4, 'decision');
    assert.deepEqual(Array.from(m.predict(xt).data), c.predict);
    assert.deepEqual(Array.from(m.supportIndices), c.support);
    assert.deepEqual(m.nSupport, c.n_support);
    close(m.dualCoef.data, c.dual_coef.flat(), 2e-4, 'dualCoef');
    close(m.intercept.data, c.intercept, 2e-4, 'intercept');
    assert.deepEqual(m.classes, [-3, 7]);
  });
}

for (const c of golden.multi.cases) {
  test(`SVC multiclass ${JSON.stringify(c.params)} matches scikit-learn`, () => {
    const { x, y, xt } = golden.multi;
    const m = new SVC(options(c.params)).fit(x, y);
    assert.deepEqual(Array.from(m.predict(xt).data), c.predict);
    assert.deepEqual(m.decisionFunction(xt, { shape: 'ovo' }).shape, [xt.length, 6]);
    close(m.decisionFunction(xt, { shape: 'ovo' }).data, c.ovo.flat(), 2e-4, 'ovo');
    close(m.decisionFunction(xt).data, c.ovr.flat(), 2e-4, 'ovr');
    assert.deepEqual(Array.from(m.supportIndices), c.support);
    assert.deepEqual(m.nSupport, c.n_support);
    close(m.dualCoef.data, c.dual_coef.flat(), 2e-4, 'dualCoef');
    close(m.intercept.data, c.intercept, 2e-4, 'intercept');
  });
}

for (const [kind, cases] of [['binary', golden.linear.binary], ['multi', golden.linear.multi]] as const) {
  const data = kind === 'binary' ? golden.binary : golden.multi;
  for (const c of cases) {
    test(`LinearSVC ${kind} loss=${c.loss} matches scikit-learn`, () => {
      const m = new LinearSVC({ C: c.C, loss: c.loss, tol: 1e-10, maxIter: 200000 }).fit(data.x, data.y);
      close(m.coef.data, c.coef.flat(), 1e-5, 'coef');
      close(m.intercept.data, c.intercept, 1e-5, 'intercept');
      close(m.decisionFunction(data.xt).data, (c.decision as (number | number[])[]).flat(), 1e-5, 'decision');
      assert.deepEqual(Array.from(m.predict(data.xt).data), c.predict);
    });
  }
}

test('a tiny kernel cache (LRU blocks, 4 row slots) gives the same model as a large one', () => {
  const { x, y, xt } = golden.multi;
  const c = golden.multi.cases[0];
  const small = new SVC({ ...options(c.params), cacheSize: 0.002 }).fit(x, y);
  close(small.decisionFunction(xt, { shape: 'ovo' }).data, c.ovo.flat(), 2e-4, 'ovo');
  assert.deepEqual(Array.from(small.supportIndices), c.support);
  assert.ok(small.cacheStats.computed > 0 && small.cacheStats.kernelValues > 0);
  const b = golden.binary;
  const cb = b.cases[0];
  const tiny = new SVC({ ...options(cb.params), cacheSize: 0.0005 }).fit(b.x, b.y);
  close(tiny.decisionFunction(b.xt).data, cb.decision, 2e-4, 'decision');
});

test('a large constant offset on the features leaves an RBF model unchanged (float32 copies stay accurate)', () => {
  const { x, y, xt } = golden.binary;
  const c = golden.binary.cases[0];
  const shift = (rows: number[][]) => rows.map((r) => r.map((v, k) => v + (k === 0 ? 1e6 : -3e5)));
  const m = new SVC(options(c.params)).fit(shift(x), y);
  close(m.decisionFunction(shift(xt)).data, c.decision, 2e-4, 'decision');
});
