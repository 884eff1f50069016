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
    close(metrics.rocCurve(tensor(yt), Float64Array.from(s), { ...o, dropIntermediate: false }), c.rocAll, `${c.name} roc all`);
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

test('sample weights in accuracy, confusion matrix, precision/recall/F, ROC, AUC, log loss and top-k', () => {
  const [c] = byKind('weighted');
  const yt = c.yTrue as number[], yp = c.yPred as number[], sampleWeight = c.weights as number[], pr = c.probs as number[][];
  close(metrics.accuracyScore(yt, yp, { sampleWeight }), c.accuracy, 'accuracy');
  close(metrics.accuracyScore(yt, yp, { sampleWeight, normalize: false }), c.accuracyCount, 'accuracy count', 1e-11);
  close(metrics.confusionMatrix(yt, yp, { sampleWeight }), c.confusion, 'confusion', 1e-11);
  for (const [key, exp] of Object.entries(c.prf as Record<string, Record<string, unknown>>)) {
    const r = metrics.precisionRecallFscoreSupport(yt, yp, { average: key === 'None' ? null : (key as metrics.Average), sampleWeight });
    close({ ...r }, exp, `prf ${key}`, 1e-11);
  }
  close(metrics.rocCurve(c.yBinary as number[], c.sBinary as number[], { sampleWeight }), c.roc, 'roc');
  close(metrics.rocAucScore(c.yBinary as number[], c.sBinary as number[], { sampleWeight }), c.auc, 'auc');
  close(metrics.rocAucScore(yt, pr, { multiClass: 'ovr', sampleWeight }), c.aucOvr, 'auc ovr');
  close(metrics.rocAucScore(yt, pr, { multiClass: 'ovr', average: 'weighted', sampleWeight }), c.aucOvrWeighted, 'auc ovr weighted');
  close(metrics.logLoss(yt, pr, { sampleWeight }), c.logLoss, 'log loss');
  close(metrics.topKAccuracyScore(yt, pr, { k: 2, sampleWeight }), c.top2, 'top 2');
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

import * as gl from '../../src/index.js';

function seededData(n: number, d: number, seed: number): { x: gl.Tensor; w: number[] } {
  gl.manualSeed(seed);
  const x = gl.randn([n, d]);
  return { x, w: Array.from({ length: d }, (_, i) => Math.sin(i + seed)) };
}

test("compile metrics 'precision', 'recall', 'auc' accumulate over the epoch and equal gl.metrics on its predictions", async () => {
  const n = 300, d = 5;
  const { x } = seededData(n, d, 7);
  const noisy = gl.randn([n]);
  const y = Float32Array.from({ length: n }, (_, i) => (x.data[i * d] + 0.5 * x.data[i * d + 1] + 0.8 * noisy.data[i] > 0.2 ? 1 : 0));
  // Frozen weights: the epoch's predictions are exactly predict()'s, so the logs can be checked against them.
  const m = gl.sequential([gl.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [d], trainable: false })]);
  m.setWeights([[[1.5], [0.7], [0.1], [0], [-0.2]], [-0.1]]);
  m.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['precision', 'recall', 'auc', 'accuracy'] });
  const yt = gl.tensor(Array.from(y), { shape: [n, 1] });
  const h = await m.fit(x, yt, { epochs: 1, batchSize: 32, verbose: 0, validationData: [x, yt] });
  const p = Array.from(m.predict(x).data);
  const hard = p.map((v) => (v > 0.5 ? 1 : 0));
  const yl = Array.from(y);
  const want = { precision: metrics.precisionScore(yl, hard) as number, recall: metrics.recallScore(yl, hard) as number, auc: metrics.rocAucScore(yl, p) as number };
  const logs = h.history as Record<string, number[]>;
  close(logs.precision[0], want.precision, 'fit precision');
  close(logs.recall[0], want.recall, 'fit recall');
  close(logs.val_precision[0], want.precision, 'val precision');
  close(logs.val_recall[0], want.recall, 'val recall');
  close(logs.accuracy[0], metrics.accuracyScore(yl, hard), 'fit accuracy (a mean of batches, unchanged)', 1e-6);
  console.log(`fit: precision ${logs.precision[0]}, recall ${logs.recall[0]}, auc (200 thresholds) ${logs.auc[0]} vs rocAucScore ${want.auc}`);
  assert.ok(Math.abs(logs.auc[0] - want.auc) < 1e-2, `Keras-style AUC ${logs.auc[0]} vs rocAucScore ${want.auc}`);
  assert.ok(Math.abs(logs.val_auc[0] - want.auc) < 1e-2);
  // Small batches: totals, not means of per-batch ratios (those would differ).
  const e = m.evaluate(x, yt, { batchSize: 7 });
  close(e.precision, want.precision, 'evaluate precision');
  close(e.recall, want.recall, 'evaluate recall');
  let meanOfBatches = 0;
  for (let s = 0; s < n; s += 7) {
    const hs = hard.slice(s, s + 7), ys = yl.slice(s, s + 7);
    meanOfBatches += (hs.length / n) * (quiet(() => metrics.precisionScore(ys, hs, { zeroDivision: 0 })) as number);
  }
  assert.ok(Math.abs(meanOfBatches - want.precision) > 1e-6, 'the check would not tell totals from batch means');
});

test("'top_k_categorical_accuracy' and 'sparse_top_k_categorical_accuracy' equal topKAccuracyScore with k = 5", async () => {
  const n = 120, d = 6, k = 8;
  const { x } = seededData(n, d, 11);
  const labels = Array.from({ length: n }, (_, i) => (i * 5 + Math.floor(Math.abs(x.data[i * d]) * 3)) % k);
  const sparse = gl.sequential([gl.layers.dense({ units: k, activation: 'softmax', inputShape: [d] })]);
  sparse.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['sparse_top_k_categorical_accuracy', 'precision'] });
  const ys = gl.tensor(labels);
  const p = sparse.predict(x);
  const rows = Array.from({ length: n }, (_, i) => Array.from(p.data.subarray(i * k, (i + 1) * k)));
  const want = metrics.topKAccuracyScore(labels, rows, { k: 5, labels: [0, 1, 2, 3, 4, 5, 6, 7] });
  const e = sparse.evaluate(x, ys, { batchSize: 16 });
  close(e.sparse_top_k_categorical_accuracy, want, 'sparse top-5', 1e-12);
  assert.ok(e.precision >= 0 && e.precision <= 1);
  const onehot = gl.tensor(labels.flatMap((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0))), { shape: [n, k] });
  const cat = gl.sequential([gl.layers.dense({ units: k, activation: 'softmax', inputShape: [d] })]);
  cat.setWeights(sparse.getWeights());
  cat.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', metrics: ['top_k_categorical_accuracy'] });
  close(cat.evaluate(x, onehot, { batchSize: 16 }).top_k_categorical_accuracy, want, 'top-5', 1e-12);
  assert.throws(() => cat.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['presicion'] }), /unknown metric "presicion"/);
});
