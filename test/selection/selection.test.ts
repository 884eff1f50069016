// gl.modelSelection against scikit-learn 1.2 (golden.json from fixtures/make_golden.py): the folds
// of KFold and StratifiedKFold (with and without a seeded shuffle), cross_val_score and GridSearchCV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gl from '../../src/index.js';
import { ValueError } from '../../src/core/errors.js';

const { KFold, StratifiedKFold, crossValScore, GridSearchCV, parameterGrid, registerScorer } = gl.modelSelection;

interface Golden {
  x: number[][]; y: number[]; yu: number[];
  splits: { kind: string; nSplits: number; shuffle: boolean; seed: number | null; labels: 'y' | 'yu'; folds: { train: number[]; test: number[] }[] }[];
  searches: {
    cv: string; params: Record<string, number>[]; mean_test_score: number[]; std_test_score: number[]; rank_test_score: number[];
    split_test_score: number[][]; best_params: Record<string, number>; best_score: number; best_index: number; best_n_support: number[];
  }[];
  cross_val_score: { C: number; gamma: number; cv: number; scores: number[]; named: Record<string, number[]> };
}
const g = JSON.parse(readFileSync(new URL('../../../test/selection/fixtures/golden.json', import.meta.url), 'utf8')) as Golden;
const grid = { gamma: [1.5, 0.3, 0.05], C: [10, 2.8, 0.5] };

test('KFold and StratifiedKFold give scikit-learn\'s folds, shuffled ones included', () => {
  for (const s of g.splits) {
    const opts = s.shuffle ? { nSplits: s.nSplits, shuffle: true, seed: s.seed ?? 0 } : { nSplits: s.nSplits };
    const cv = s.kind === 'KFold' ? new KFold(opts) : new StratifiedKFold(opts);
    const folds = cv.split(g.x, s.labels === 'y' ? g.y : g.yu);
    const got = folds.map((f) => ({ train: Array.from(f.train), test: Array.from(f.test) }));
    assert.deepEqual(got, s.folds, `${s.kind}(${s.nSplits}, shuffle=${s.shuffle}, seed=${s.seed}) on ${s.labels}`);
    // Repeatable: a fresh generator per split() call, as scikit-learn with an int random_state.
    assert.deepEqual(cv.split(g.x.length, s.labels === 'y' ? g.y : g.yu).map((f) => Array.from(f.test)), s.folds.map((f) => f.test));
  }
});

test('crossValScore of an SVC equals cross_val_score', async () => {
  const c = g.cross_val_score;
  const scores = await crossValScore(new gl.svm.SVC({ C: c.C, gamma: c.gamma }), g.x, g.y, { cv: c.cv });
  assert.equal(scores.length, c.scores.length);
  scores.forEach((s, i) => assert.ok(Math.abs(s - c.scores[i]) < 1e-12, `fold ${i}: ${s} vs ${c.scores[i]}`));
});

test('GridSearchCV over C and gamma equals scikit-learn\'s cv_results_, best_params_ and best_estimator_', async () => {
  for (const s of g.searches) {
    const cv = s.cv === 'cv3' ? 3 : new KFold({ nSplits: 4, shuffle: true, seed: 1 });
    const gs = await new GridSearchCV({ estimator: new gl.svm.SVC(), paramGrid: grid, cv }).fit(g.x, g.y);
    const r = gs.cvResults;
    assert.deepEqual(r.params, s.params, s.cv);
    r.mean_test_score.forEach((m, i) => assert.ok(Math.abs(m - s.mean_test_score[i]) < 1e-12, `${s.cv} mean ${i}: ${m} vs ${s.mean_test_score[i]}`));
    r.std_test_score.forEach((m, i) => assert.ok(Math.abs(m - s.std_test_score[i]) < 1e-12, `${s.cv} std ${i}`));
    s.split_test_score.forEach((col, f) => assert.deepEqual(r[`split${f}_test_score`].map((v) => +v.toFixed(12)), col.map((v) => +v.toFixed(12))));
    assert.deepEqual(r.rank_test_score, s.rank_test_score, s.cv);
    assert.deepEqual(gs.bestParams, s.best_params, s.cv);
    assert.equal(gs.bestIndex, s.best_index);
    assert.ok(Math.abs(gs.bestScore - s.best_score) < 1e-12);
    const best = gs.bestEstimator;
    assert.ok(best instanceof gl.svm.SVC);
    assert.deepEqual(best.nSupport, s.best_n_support);
    const table = gs.resultsTable();
    assert.equal(table.split('\n').length, 1 + s.params.length);
    assert.match(table.split('\n')[0], /rank\s+C\s+gamma\s+mean\s+std\s+fold 0/);
  }
});

test('parameterGrid orders as scikit-learn\'s ParameterGrid; a list of grids is their union', () => {
  assert.deepEqual(parameterGrid({ b: [1, 2], a: ['x', 'y'] }), [{ a: 'x', b: 1 }, { a: 'x', b: 2 }, { a: 'y', b: 1 }, { a: 'y', b: 2 }]);
  assert.deepEqual(parameterGrid([{ C: [1] }, { kernel: ['linear'], C: [2, 3] }]), [{ C: 1 }, { C: 2, kernel: 'linear' }, { C: 3, kernel: 'linear' }]);
});

test('bad options are typed errors naming the argument, before any fit', async () => {
  const svc = new gl.svm.SVC();
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [1], gama: [0.1] } }), (e: unknown) => e instanceof ValueError && /unknown parameter 'gama'.*did you mean 'gamma'/.test(e.message));
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [] } }), /paramGrid.C must be a non-empty array/);
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [1] }, cv: 1 }), /cv must be an integer >= 2/);
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [1] }, scoring: 'acuracy' }), /scoring 'acuracy' is not known.*did you mean 'accuracy'/);
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [1] }, refitt: true } as never), /refitt/);
  assert.throws(() => new GridSearchCV({ estimator: {} as never, paramGrid: { C: [1] } }), /estimator must be an SVC/);
  // C = -1 is rejected by SVC's own checks when the candidates are built, before the first fit.
  let fits = 0;
  const watched = new gl.svm.SVC({ onProgress: () => { fits++; } });
  await assert.rejects(new GridSearchCV({ estimator: watched, paramGrid: { C: [1, -1] } }).fit(g.x, g.y), /C must be/);
  assert.equal(fits, 0);
  assert.throws(() => new KFold({ nSplits: 1 }), /nSplits must be at least 2/);
  assert.throws(() => new KFold({ seed: 3 }), /seed is used only with shuffle/);
  assert.throws(() => new KFold({ nSplits: 5 }).split(3), /more than the 3 samples/);
  assert.throws(() => new StratifiedKFold({ nSplits: 5 }).split(4, [0, 0, 1, 1]), /more than the samples of every class/);
  await assert.rejects(crossValScore(svc, g.x, g.y.slice(1)), /47 samples but y has 46/);
  assert.throws(() => new GridSearchCV({ estimator: svc, paramGrid: { C: [1] } }).bestParams, /not fitted/);
});

test('a scoring function and a registered scorer name are used as given', async () => {
  const svc = new gl.svm.SVC({ C: 1, gamma: 0.5 });
  const errors = await crossValScore(svc, g.x, g.y, { cv: 5, scoring: (t, p) => p.filter((v, i) => v !== t[i]).length });
  g.cross_val_score.scores.forEach((s, i) => assert.ok(Math.abs(errors[i] - Math.round((1 - s) * (i < 2 ? 10 : 9))) < 1e-9, `fold ${i}: ${errors[i]} errors`));
  registerScorer('error_count_test', (t, p) => -p.filter((v, i) => v !== t[i]).length);
  const neg = await crossValScore(svc, g.x, g.y, { cv: 5, scoring: 'error_count_test' });
  assert.deepEqual(neg, errors.map((e) => -e));
});

test('LinearSVC and a Keras-style model factory are cross-validated and searched', async () => {
  const lin = await crossValScore(new gl.svm.LinearSVC(), g.x, g.y, { cv: 3 });
  assert.equal(lin.length, 3);
  assert.ok(lin.every((s) => s > 0.5), `LinearSVC fold accuracies ${lin}`);
  // A LinearSVC grid with explicit folds and no refit: the folds given are the folds used.
  const folds = new KFold({ nSplits: 3, shuffle: true, seed: 5 }).split(g.x);
  const lgs = await new GridSearchCV({ estimator: new gl.svm.LinearSVC(), paramGrid: { C: [0.01, 1] }, cv: folds, refit: false }).fit(g.x, g.y);
  const byHand = await crossValScore(new gl.svm.LinearSVC({ C: 1 }), g.x, g.y, { cv: folds });
  assert.deepEqual([0, 1, 2].map((f) => lgs.cvResults[`split${f}_test_score`][1]), byHand);
  assert.throws(() => lgs.bestEstimator, /refit was false/);
  await assert.rejects(crossValScore(new gl.svm.LinearSVC(), g.x, g.y, { cv: [{ train: [0, 1], test: [99] }] }), /test\[0\] = 99 is not a sample index/);
  // Labels as class indices for a softmax network.
  const yi = g.y.map((v) => [5, -1, 3].indexOf(v));
  let built = 0;
  const factory = {
    params: ['units'],
    build: (p: Record<string, unknown>) => {
      built++;
      gl.manualSeed(built);
      const m = gl.sequential({ layers: [gl.layers.dense({ units: Number(p.units ?? 8), activation: 'relu', inputShape: [4] }), gl.layers.dense({ units: 3, activation: 'softmax' })] });
      m.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
      return m;
    },
    fit: { epochs: 40, batchSize: 16 },
  };
  const gs = await new GridSearchCV({ estimator: factory, paramGrid: { units: [2, 16] }, cv: 3 }).fit(g.x, yi);
  assert.equal(built, 2 * 3 + 1);
  assert.equal(gs.cvResults.mean_test_score.length, 2);
  assert.ok(gs.bestScore > 0.6, `network cv accuracy ${gs.bestScore}`);
  assert.throws(() => new GridSearchCV({ estimator: factory, paramGrid: { unit: [2] } }), /unknown parameter 'unit'/);
});

test('scikit-learn scoring names (f1_macro, precision_macro, ...) score as cross_val_score does', async () => {
  const c = g.cross_val_score;
  for (const [name, want] of Object.entries(c.named)) {
    const got = await crossValScore(new gl.svm.SVC({ C: c.C, gamma: c.gamma }), g.x, g.y, { cv: c.cv, scoring: name });
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `${name} fold ${i}: ${v} vs ${want[i]}`));
  }
});
