// gl.metrics against scikit-learn's golden values (test/metrics/fixtures/make_golden.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { metrics, tensor, ValueError, ShapeError } from '../../src/index.js';

interface Case { name: string; kind: string; [k: string]: unknown }
const golden = JSON.parse(readFileSync(new URL('../../../test/metrics/fixtures/golden.json', import.meta.url), 'utf8')) as { cases: Case[] };
const byKind = (k: string) => golden.cases.filter((c) => c.kind === k);

function close(actual: unknown, expected: unknown, what: string, tol = 1e-12): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array, got ${String(actual)}`);
    assert.equal(actual.length, expected.length, `${what}: length`);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, `${what}[${i}]`, tol));
  } else if (expected === null) {
    assert.equal(actual, null, what);
  } else if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${what}: ${String(actual)} is not a number`);
    if (!Number.isFinite(expected)) assert.equal(actual, expected, what);
    else assert.ok(Math.abs((actual as number) - expected) <= tol, `${what}: ${String(actual)} vs scikit-learn ${expected}`);
  } else if (typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected as object)) close((actual as Record<string, unknown>)[k], v, `${what}.${k}`, tol);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected as object).sort(), `${what}: keys`);
  } else assert.equal(actual, expected, what);
}

const quiet = <T>(f: () => T): T => {
  const warn = console.warn;
  console.warn = () => {};
  try { return f(); } finally { console.warn = warn; }
};

test('classification metrics equal scikit-learn on every case and average', () => {
  const cases = byKind('clf');
  assert.ok(cases.length >= 5);
  for (const c of cases) {
    const yt = c.yTrue as number[], yp = c.yPred as number[];
    const labels = c.labels as number[] | undefined;
    const zeroDivision = c.zeroDivision as 'warn' | 0 | 1;
    const lab = labels ? { labels } : {};
    close(metrics.accuracyScore(yt, yp), c.accuracy, `${c.name} accuracy`);
    close(metrics.accuracyScore(Float64Array.from(yt), tensor(yp), { normalize: false }), c.accuracyCount, `${c.name} accuracy count`);
    close(metrics.confusionMatrix(yt, yp, lab), c.confusion, `${c.name} confusion`);
    for (const n of ['true', 'pred', 'all'] as const) close(metrics.confusionMatrix(yt, yp, { ...lab, normalize: n }), c[`confusion_${n}`], `${c.name} confusion ${n}`);
    for (const [key, exp] of Object.entries(c.prf as Record<string, Record<string, unknown>>)) {
      const average = key === 'None' ? null : (key as metrics.Average);
      const o = { ...lab, average, zeroDivision };
      quiet(() => {
        const r = metrics.precisionRecallFscoreSupport(yt, yp, o);
        close(r.precision, exp.precision, `${c.name} ${key} precision`);
        close(r.recall, exp.recall, `${c.name} ${key} recall`);
        close(r.fscore, exp.fscore, `${c.name} ${key} fscore`);
        close(r.support, exp.support, `${c.name} ${key} support`);
        close(metrics.fbetaScore(yt, yp, { ...o, beta: 2 }), exp.f2, `${c.name} ${key} f2`);
        close(metrics.precisionScore(yt, yp, o), exp.precisionScore, `${c.name} ${key} precisionScore`);
        close(metrics.recallScore(yt, yp, o), exp.recallScore, `${c.name} ${key} recallScore`);
        close(metrics.f1Score(yt, yp, o), exp.f1Score, `${c.name} ${key} f1Score`);
      });
    }
  }
});

test('classificationReport gives scikit-learn\'s text exactly and its dictionary', () => {
  for (const c of byKind('clf')) {
    const o = { ...(c.labels ? { labels: c.labels as number[] } : {}), ...(c.targetNames ? { targetNames: c.targetNames as string[] } : {}), zeroDivision: c.zeroDivision as 'warn' | 0 | 1 };
    quiet(() => {
      assert.equal(metrics.classificationReport(c.yTrue as number[], c.yPred as number[], o), c.report, `${c.name} report`);
      assert.equal(metrics.classificationReport(c.yTrue as number[], c.yPred as number[], { ...o, digits: 4 }), c.report4, `${c.name} report digits 4`);
      close(metrics.classificationReport(c.yTrue as number[], c.yPred as number[], { ...o, outputDict: true }), c.reportDict, `${c.name} report dict`);
    });
  }
});

test('zero division: warns once with the default, gives the chosen value otherwise', () => {
  const lines: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => { lines.push(m); };
  try {
    assert.equal(metrics.precisionScore([0, 1, 1], [0, 0, 0]), 0);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /metrics\.precisionScore: Precision is ill-defined/);
    assert.equal(metrics.precisionScore([0, 1, 1], [0, 0, 0], { zeroDivision: 1 }), 1);
    assert.equal(metrics.precisionScore([0, 1, 1], [0, 0, 0], { zeroDivision: 0 }), 0);
    assert.equal(lines.length, 1);
  } finally { console.warn = warn; }
});

test('roc curves (drop_intermediate on and off), AUC, log loss and top-1 on binary scores', () => {
  for (const c of byKind('binary-score')) {
    const yt = c.yTrue as number[], s = c.scores as number[];
    const pos = c.posLabel as number | undefined;
    const o = pos === undefined ? {} : { posLabel: pos };
    close(metrics.rocCurve(yt, s, o), c.roc, `${c.name} roc`);
    close(metrics.rocCurve(tensor(yt), Float32Array.from(s).map((_, i) => s[i]) && Float64Array.from(s), { ...o, dropIntermediate: false }), c.rocAll, `${c.name} roc all`);
    if (c.auc !== undefined) close(metrics.rocAucScore(yt, s), c.auc, `${c.name} auc`);
    if (c.logLoss !== undefined) {
      close(metrics.logLoss(yt, c.probs as number[]), c.logLoss, `${c.name} logLoss`);
      close(metrics.logLoss(yt, c.probs as number[], { normalize: false }), c.logLossSum, `${c.name} logLoss sum`, 1e-10);
      close(metrics.topKAccuracyScore(yt, c.probs as number[], { k: 1 }), c.top1, `${c.name} top1`);
    }
  }
});

test('multi-class ROC AUC (ovr and ovo, every average), log loss and top-k with ties', () => {
  for (const c of byKind('multi-score')) {
    const yt = c.yTrue as number[], p = c.scores as number[][];
    for (const mc of ['ovr', 'ovo'] as const) {
      for (const a of (mc === 'ovr' ? ['macro', 'weighted', 'micro', null] : ['macro', 'weighted']) as (('macro' | 'weighted' | 'micro' | null))[]) {
        close(metrics.rocAucScore(yt, p, { multiClass: mc, average: a }), c[`auc_${mc}_${a === null ? 'None' : a}`], `${c.name} auc ${mc} ${a}`);
      }
    }
    close(metrics.rocAucScore(yt, tensor(p), { multiClass: 'ovr' }), c.auc_ovr_macro, `${c.name} auc from a Tensor`);
    close(metrics.logLoss(yt, p), c.logLoss, `${c.name} logLoss`);
    quiet(() => { for (const k of [1, 2, 3]) close(metrics.topKAccuracyScore(yt, p, { k }), c[`top${k}`], `${c.name} top${k}`); });
  }
});

test('regression errors, weighted and with several outputs', () => {
  const [c] = byKind('regression');
  const yt = c.yTrue as number[], yp = c.yPred as number[], w = c.weights as number[];
  close(metrics.meanSquaredError(yt, yp), c.mse, 'mse');
  close(metrics.meanAbsoluteError(yt, yp), c.mae, 'mae');
  close(metrics.r2Score(yt, yp), c.r2, 'r2');
  close(metrics.meanSquaredError(yt, yp, { sampleWeight: w }), c.mseW, 'mse weighted');
  close(metrics.meanAbsoluteError(yt, yp, { sampleWeight: w }), c.maeW, 'mae weighted');
  close(metrics.r2Score(yt, yp, { sampleWeight: w }), c.r2W, 'r2 weighted');
  const m = c.multi as { yTrue: number[][]; yPred: number[][]; mse: number; mae: number; r2: number };
  const T = tensor(m.yTrue, { dtype: 'float64' }), P = tensor(m.yPred, { dtype: 'float64' });
  close(metrics.meanSquaredError(T, P), m.mse, 'mse multi');
  close(metrics.meanAbsoluteError(T, P), m.mae, 'mae multi');
  close(metrics.r2Score(T, P), m.r2, 'r2 multi');
});

test('bad input: typed errors that name the function and the argument', () => {
  assert.throws(() => metrics.accuracyScore([1, 2], [1]), (e: Error) => e instanceof ValueError && /metrics\.accuracyScore: yTrue has 2 samples but yPred has 1/.test(e.message));
  assert.throws(() => metrics.f1Score([0, 1, NaN], [0, 1, 1]), (e: Error) => e instanceof ValueError && /f1Score: yTrue\[2\] is NaN/.test(e.message));
  assert.throws(() => metrics.f1Score([0, 1, 2], [0, 1, 1]), (e: Error) => e instanceof ValueError && /multiclass.*average is 'binary'/.test(e.message));
  assert.throws(() => metrics.f1Score([0, 1], [0, 1], { posLabel: 3 }), (e: Error) => e instanceof ValueError && /posLabel=3/.test(e.message));
  assert.throws(() => metrics.f1Score([0, 1], [0, 1], { average: 'samples' as never }), ValueError);
  assert.throws(() => metrics.precisionScore([0, 1], [0, 1], { zeroDivision: 2 as never }), (e: Error) => /zeroDivision/.test(e.message));
  assert.throws(() => metrics.rocAucScore([1, 1, 1], [0.1, 0.2, 0.3]), (e: Error) => e instanceof ValueError && /only one class/.test(e.message));
  assert.throws(() => metrics.rocAucScore([0, 1, 2], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), (e: Error) => e instanceof ValueError && /multiClass/.test(e.message));
  assert.throws(() => metrics.rocAucScore([0, 1, 2], [[0.5, 0, 0], [0, 1, 0], [0, 0, 1]], { multiClass: 'ovr' }), (e: Error) => /sums to 0.5/.test(e.message));
  assert.throws(() => metrics.rocCurve([0, 2], [0.1, 0.2]), (e: Error) => e instanceof ValueError && /posLabel/.test(e.message));
  assert.throws(() => metrics.logLoss([1, 1], [0.5, 0.5]), (e: Error) => /only one label/.test(e.message));
  assert.throws(() => metrics.topKAccuracyScore([0, 1, 2], [[1, 0], [0, 1], [1, 0]]), (e: Error) => /3 classes.*2 columns/.test(e.message));
  assert.throws(() => metrics.meanSquaredError(tensor([[1, 2]]), [1, 2]), ShapeError);
  assert.throws(() => metrics.confusionMatrix([0, 1], [0, 1], { labels: [5] }), (e: Error) => /none of the labels/.test(e.message));
  assert.throws(() => metrics.classificationReport([0, 1], [0, 1], { targetNames: ['a'] }), (e: Error) => /2 classes but 1 targetNames/.test(e.message));
  assert.throws(() => metrics.accuracyScore('01' as never, [0, 1]), (e: Error) => e instanceof ValueError && /yTrue must be a Tensor/.test(e.message));
  assert.throws(() => metrics.accuracyScore([0, 1], [0, 1], { normalise: true } as never), ValueError);
});
