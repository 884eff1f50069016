// Cross-validated scores and an exhaustive grid search over hyperparameters, as scikit-learn's
// cross_val_score and GridSearchCV, for SVC, LinearSVC and Keras-style model factories.
import { ShapeError, ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, hasOwn, nearestName, optionKeys } from '../core/validate.js';
import type { FitArgs, Model } from '../nn/model.js';
import { LinearSVC, SVC, type LinearSVCOptions, type SVCOptions } from '../svm/index.js';
import { allocate, Tensor } from '../tensor/tensor.js';
import { KFold, StratifiedKFold, labelArray, type Fold, type Labels, type Splitter } from './split.js';
import { accuracyScore, f1Score, precisionScore, recallScore } from '../metrics/classification.js';

/** A hyperparameter value in a grid. */
export type ParamValue = number | string | boolean | null;
/** One point of a grid: parameter name -> value. */
export type Params = Readonly<Record<string, ParamValue>>;
/** Each parameter's candidate values; a list of grids searches their union (scikit-learn's list of dicts). */
export type ParamGrid = Readonly<Record<string, readonly ParamValue[]>>;

/**
 * A Keras-style model for cross-validation: `build(params)` returns a fresh compiled Model (the grid's
 * parameters are passed to it), trained with `model.fit(x, y, fit)`. Predictions are classes: the
 * argmax of the outputs, or output > 0.5 for a single output unit.
 */
export interface ModelFactory {
  /** Required: a fresh compiled Model for one grid point (called once per fold and candidate). */
  build: (params: Params) => Model;
  /** fit's arguments, or a function of the grid point giving them (default { verbose: 0 }). */
  fit?: FitArgs | ((params: Params) => FitArgs);
  /** The parameter names build accepts; when given, grid names are checked against it. Default: none (any name goes). */
  params?: readonly string[];
}

/** What `crossValScore` and `GridSearchCV` fit: an SVC, a LinearSVC or a Keras-style model factory. */
export type Estimator = SVC | LinearSVC | ModelFactory;

/** A score of predicted against true labels; larger is better. */
export type ScoreFunction = (yTrue: Float64Array, yPred: Float64Array) => number;

// Named scorers as scikit-learn's `scoring` strings, from gl.metrics; more plug in with registerScorer.
// Zero divisions score 0 quietly: a fold that never predicts a class is a bad fold, not a warning per fold.
const quiet = { zeroDivision: 0 } as const;
const SCORERS = new Map<string, ScoreFunction>([
  ['accuracy', (t, p) => accuracyScore(t, p)],
  ['f1', (t, p) => f1Score(t, p, quiet)],
  ['precision', (t, p) => precisionScore(t, p, quiet)],
  ['recall', (t, p) => recallScore(t, p, quiet)],
  ...(['macro', 'micro', 'weighted'] as const).flatMap((average): [string, ScoreFunction][] => [
    [`f1_${average}`, (t, p) => f1Score(t, p, { ...quiet, average })],
    [`precision_${average}`, (t, p) => precisionScore(t, p, { ...quiet, average })],
    [`recall_${average}`, (t, p) => recallScore(t, p, { ...quiet, average })],
  ]),
]);

/** Makes `name` usable as `scoring: name` (e.g. 'f1_macro'); names are kept lower-case as scikit-learn's. */
export function registerScorer(name: string, score: ScoreFunction): void {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) throw new ValueError(`registerScorer: name must be lower-case letters, digits and '_', got ${describeValue(name)}`);
  if (typeof score !== 'function') throw new ValueError(`registerScorer: score must be a function (yTrue, yPred) => number, got ${describeValue(score)}`);
  SCORERS.set(name, score);
}

/** The names `scoring` accepts. */
export function scorerNames(): string[] {
  return [...SCORERS.keys()].sort();
}

/** A score by registered name ('accuracy', 'f1_macro', ...) or as (yTrue, yPred) => number, larger is better. */
export type Scoring = string | ScoreFunction;

function scorerOf(fn: string, scoring: unknown): ScoreFunction {
  if (typeof scoring === 'function') return scoring as ScoreFunction;
  if (typeof scoring === 'string') {
    const s = SCORERS.get(scoring);
    if (s) return s;
    const near = nearestName(scoring, scorerNames());
    throw new ValueError(`${fn}: scoring '${scoring}' is not known; known: ${scorerNames().join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  throw new ValueError(`${fn}: scoring must be a scorer name or a function (yTrue, yPred) => number, got ${describeValue(scoring)}`);
}

/** The folds: a count (StratifiedKFold for classifiers, as scikit-learn), a splitter, or explicit folds. */
/** A fold given by hand: sample indices to train on and to test on. */
export interface FoldLike { train: ArrayLike<number>; test: ArrayLike<number> }

/** The folds: a count (StratifiedKFold), a splitter such as KFold, or explicit [train, test] index lists. */
export type CV = number | Splitter | readonly FoldLike[];

function foldsOf(fn: string, cv: unknown, n: number, y: Float64Array): Fold[] {
  if (typeof cv === 'number') {
    if (!Number.isInteger(cv) || cv < 2) throw new ValueError(`${fn}: cv must be an integer >= 2, a splitter or a list of folds, got ${cv}`);
    return new StratifiedKFold({ nSplits: cv }).split(n, y);
  }
  if (cv instanceof KFold || cv instanceof StratifiedKFold || (cv !== null && typeof cv === 'object' && typeof (cv as Splitter).split === 'function')) {
    return checkFolds(fn, (cv as Splitter).split(n, y), n);
  }
  if (Array.isArray(cv)) return checkFolds(fn, cv as readonly FoldLike[], n);
  throw new ValueError(`${fn}: cv must be an integer >= 2, a splitter (KFold, StratifiedKFold) or a list of { train, test } folds, got ${describeValue(cv)}`);
}

function checkFolds(fn: string, folds: readonly FoldLike[], n: number): Fold[] {
  if (folds.length === 0) throw new ValueError(`${fn}: cv gave no folds`);
  return folds.map((f, i) => {
    if (f === null || typeof f !== 'object') throw new ValueError(`${fn}: fold ${i} must be { train, test }, got ${describeValue(f)}`);
    if (!isIndexList(f.train) || !isIndexList(f.test)) throw new ValueError(`${fn}: fold ${i}'s train and test must be arrays of sample indices`);
    for (const [name, idx] of [['train', f.train], ['test', f.test]] as const) {
      for (let j = 0; j < idx.length; j++) {
        if (!Number.isInteger(idx[j]) || idx[j] < 0 || idx[j] >= n) throw new ValueError(`${fn}: fold ${i}'s ${name}[${j}] = ${idx[j]} is not a sample index of 0..${n - 1}`);
      }
    }
    const train = Int32Array.from(f.train), test = Int32Array.from(f.test);
    if (train.length === 0 || test.length === 0) throw new ValueError(`${fn}: fold ${i} has an empty train or test set`);
    return { train, test };
  });
}

function isIndexList(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || v instanceof Int32Array || v instanceof Uint32Array || v instanceof Float64Array;
}

/** Samples as taken by the estimators: a tensor [n, ...] or rows of numbers. */
export type Samples = Tensor | readonly (readonly number[])[];

function toTensor(fn: string, x: Samples, float32: boolean): Tensor {
  if (x instanceof Tensor) {
    if (x.rank < 1) throw new ShapeError(`${fn}: x must have a samples axis, got a scalar`);
    return x;
  }
  if (!Array.isArray(x) || x.length === 0) throw new ValueError(`${fn}: x must be a Tensor or a non-empty number[][]`);
  const d = Array.isArray(x[0]) ? x[0].length : -1;
  // SVMs work in float64 (as libsvm); networks take float32 unless given a float64 tensor.
  const data = float32 ? new Float32Array(x.length * Math.max(d, 0)) : new Float64Array(x.length * Math.max(d, 0));
  for (let i = 0; i < x.length; i++) {
    const r = x[i];
    if (!Array.isArray(r) || r.length !== d) throw new ShapeError(`${fn}: x must be rows of equal length; row ${i} ${Array.isArray(r) ? `has ${r.length} values, row 0 has ${d}` : 'is not an array'}`);
    for (let j = 0; j < d; j++) data[i * d + j] = r[j];
  }
  return new Tensor(data, [x.length, d]);
}

/** Rows `idx` of t (any rank, first axis = samples). */
function takeRows(t: Tensor, idx: Int32Array): Tensor {
  const per = t.size / t.shape[0];
  const out = allocate(t.dtype, idx.length * per);
  for (let i = 0; i < idx.length; i++) out.set(t.data.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

function takeLabels(y: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = y[idx[i]];
  return out;
}

function isFactory(e: unknown): e is ModelFactory {
  return e !== null && typeof e === 'object' && !(e instanceof SVC) && !(e instanceof LinearSVC) && typeof (e as ModelFactory).build === 'function';
}

function checkEstimator(fn: string, e: unknown): Estimator {
  if (e instanceof SVC || e instanceof LinearSVC || isFactory(e)) return e;
  throw new ValueError(`${fn}: estimator must be an SVC, a LinearSVC or a model factory { build: (params) => Model, fit? }, got ${describeValue(e)}`);
}

/** The parameter names an estimator takes, or null when any name goes (a factory without `params`). */
function paramNames(e: Estimator): string[] | null {
  if (e instanceof SVC || e instanceof LinearSVC) return Object.keys(e.getParams()).filter((k) => k !== 'onProgress');
  return e.params ? [...e.params] : null;
}

/** A fitted model that predicts class labels. */
interface Fitted { predict(x: Tensor): Float64Array }

/** An unfitted copy of `e` with `params` set (checked here, before any fit). */
function prepare(e: Estimator, params: Params): (x: Tensor, y: Float64Array) => Promise<Fitted> {
  if (e instanceof SVC) {
    const m = e.clone(params as SVCOptions);
    return async (x, y) => { const c = m.clone(); c.fit(flat(x), y); return { predict: (t) => Float64Array.from(c.predict(flat(t)).data) }; };
  }
  if (e instanceof LinearSVC) {
    const m = e.clone(params as LinearSVCOptions);
    return async (x, y) => { const c = m.clone(); c.fit(flat(x), y); return { predict: (t) => Float64Array.from(c.predict(flat(t)).data) }; };
  }
  return async (x, y) => {
    const model = e.build(params);
    const fitArgs = typeof e.fit === 'function' ? e.fit(params) : e.fit ?? {};
    await model.fit(x, new Tensor(Float32Array.from(y), [y.length]), { verbose: 0, ...fitArgs });
    return { predict: (t) => classesOf(model.predict(t)) };
  };
}

/** [n, ...] -> [n, features]: SVMs take flat feature vectors. */
function flat(x: Tensor): Tensor {
  return x.rank === 2 ? x : new Tensor(x.data, [x.shape[0], x.size / x.shape[0]]);
}

/** Class labels from a network's outputs: argmax per row, or > 0.5 for one unit. */
function classesOf(out: Tensor): Float64Array {
  const n = out.shape[0];
  const k = out.size / n;
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (k === 1) { res[i] = out.data[i] > 0.5 ? 1 : 0; continue; }
    let best = 0;
    for (let j = 1; j < k; j++) if (out.data[i * k + j] > out.data[i * k + best]) best = j;
    res[i] = best;
  }
  return res;
}

/** Options of `crossValScore(estimator, x, y, options)`. */
export interface CrossValScoreOptions {
  /** Folds: a count (StratifiedKFold(cv), no shuffle, as scikit-learn for classifiers), a splitter or a list of folds (default 5). */
  cv?: CV;
  /** 'accuracy' (default), another registered name, or (yTrue, yPred) => number. */
  scoring?: Scoring;
}

const CVS_KEYS = optionKeys<CrossValScoreOptions>({ cv: true, scoring: true });

interface Checked { x: Tensor; y: Float64Array; folds: Fold[]; score: ScoreFunction }

function checkData(fn: string, e: Estimator, x: Samples, y: Labels, cv: unknown, scoring: unknown): Checked {
  const xt = toTensor(fn, x, isFactory(e));
  const yy = labelArray(fn, y);
  if (yy.length !== xt.shape[0]) throw new ShapeError(`${fn}: x has ${xt.shape[0]} samples but y has ${yy.length} labels`);
  const score = scorerOf(fn, scoring ?? 'accuracy');
  const folds = foldsOf(fn, cv ?? 5, xt.shape[0], yy);
  return { x: xt, y: yy, folds, score };
}

async function scoreFolds(make: (x: Tensor, y: Float64Array) => Promise<Fitted>, d: Checked, onFold?: (fold: number) => void): Promise<number[]> {
  const scores: number[] = [];
  for (let f = 0; f < d.folds.length; f++) {
    const { train, test } = d.folds[f];
    const model = await make(takeRows(d.x, train), takeLabels(d.y, train));
    const yTest = takeLabels(d.y, test);
    scores.push(d.score(yTest, model.predict(takeRows(d.x, test))));
    onFold?.(f);
  }
  return scores;
}

/** The score of each fold of a model fitted on the others (a fresh clone of `estimator` per fold). */
export async function crossValScore(estimator: Estimator, x: Samples, y: Labels, options: CrossValScoreOptions = {}): Promise<number[]> {
  const fn = 'crossValScore';
  const e = checkEstimator(fn, estimator);
  const o = checkOptions(fn, options, CVS_KEYS);
  const d = checkData(fn, e, x, y, o.cv, o.scoring);
  const make = prepare(e, {});
  return scoreFolds(make, d);
}

/** Options of `new GridSearchCV(options)` (scikit-learn's GridSearchCV). */
export interface GridSearchCVOptions {
  /** Required: the model whose parameters are searched; its own values are kept for the parameters not in the grid. */
  estimator: Estimator;
  /** Required: candidate values per parameter (every combination is tried), or a list of such grids. */
  paramGrid: ParamGrid | readonly ParamGrid[];
  /** Folds (default 5: StratifiedKFold(5)). */
  cv?: CV;
  /** 'accuracy' (default), a registered name, or (yTrue, yPred) => number. */
  scoring?: Scoring;
  /** Fit the best parameters on all of x after the search, as bestEstimator (default true). */
  refit?: boolean;
  /** Called after each (candidate, fold) fit. Default: none. */
  onProgress?: (p: { candidate: number; candidates: number; fold: number; folds: number; params: Params }) => void;
}

const GRID_KEYS = optionKeys<GridSearchCVOptions>({ estimator: true, paramGrid: true, cv: true, scoring: true, refit: true, onProgress: true });

/** scikit-learn's cv_results_: one entry per candidate in each column, plus split<k>_test_score columns. */
export interface CVResults {
  params: Params[];
  mean_test_score: number[];
  std_test_score: number[];
  rank_test_score: number[];
  [split: `split${number}_test_score`]: number[];
}

/** The fitted best model: an SVC, a LinearSVC or a Model from the factory. */
export type BestEstimator = SVC | LinearSVC | Model;

/** Every combination of a grid, in scikit-learn's ParameterGrid order: names sorted, the last varying fastest. */
export function parameterGrid(grid: ParamGrid | readonly ParamGrid[]): Params[] {
  const grids = Array.isArray(grid) ? (grid as readonly ParamGrid[]) : [grid as ParamGrid];
  const out: Params[] = [];
  grids.forEach((g, i) => {
    const where = grids.length > 1 ? `paramGrid[${i}]` : 'paramGrid';
    if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new ValueError(`parameterGrid: ${where} must be an object of value lists, got ${describeValue(g)}`);
    for (const [k, v] of Object.entries(g)) {
      if (!Array.isArray(v)) throw new ValueError(`parameterGrid: ${where}.${k} must be a list of values, got ${describeValue(v)}`);
    }
  });
  for (const g of grids) {
    const keys = Object.keys(g).sort();
    let acc: Record<string, ParamValue>[] = [{}];
    for (const k of keys) {
      const next: Record<string, ParamValue>[] = [];
      for (const p of acc) for (const v of g[k]) next.push({ ...p, [k]: v });
      acc = next;
    }
    out.push(...acc);
  }
  return out;
}

function checkGrid(fn: string, grid: unknown, names: string[] | null): void {
  const grids = Array.isArray(grid) ? grid : [grid];
  if (grids.length === 0) throw new ValueError(`${fn}: paramGrid is an empty list`);
  grids.forEach((g, gi) => {
    const where = Array.isArray(grid) ? `paramGrid[${gi}]` : 'paramGrid';
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new ValueError(`${fn}: ${where} must be { name: [values] }, got ${describeValue(g)}`);
    for (const k of Object.keys(g)) {
      if (names !== null && !names.includes(k)) {
        const near = nearestName(k, names);
        throw new ValueError(`${fn}: ${where} has the unknown parameter '${k}'${near ? ` (did you mean '${near}'?)` : ''}; the estimator takes ${names.join(', ')}`);
      }
      const vs: unknown = (g as Record<string, unknown>)[k];
      if (!Array.isArray(vs) || vs.length === 0) throw new ValueError(`${fn}: ${where}.${k} must be a non-empty array of values, got ${describeValue(vs)}`);
      vs.forEach((v, i) => {
        if (!(v === null || ['number', 'string', 'boolean'].includes(typeof v))) throw new ValueError(`${fn}: ${where}.${k}[${i}] must be a number, string, boolean or null, got ${describeValue(v)}`);
      });
    }
  });
}

/**
 * Exhaustive search over a parameter grid with cross-validation, as scikit-learn's GridSearchCV:
 * `fit(x, y)` scores every combination on every fold, ranks them by mean score (ties share the
 * lowest rank; the first of the best wins) and refits the best on all of x.
 */
export class GridSearchCV {
  readonly estimator: Estimator;
  readonly paramGrid: ParamGrid | readonly ParamGrid[];
  readonly cv: CV;
  readonly scoring: Scoring;
  readonly refit: boolean;
  private readonly onProgress: GridSearchCVOptions['onProgress'];
  private results: CVResults | null = null;
  private best: { index: number; estimator: BestEstimator | null } | null = null;

  constructor(options: GridSearchCVOptions) {
    const fn = 'GridSearchCV';
    if (options === undefined || options === null) throw new ValueError(`${fn}: options are required, e.g. { estimator: new svm.SVC(), paramGrid: { C: [1, 10] } }`);
    const o = checkOptions(fn, options, GRID_KEYS);
    this.estimator = checkEstimator(fn, o.estimator);
    checkGrid(fn, o.paramGrid, paramNames(this.estimator));
    this.paramGrid = o.paramGrid;
    this.cv = o.cv ?? 5;
    if (typeof this.cv === 'number' && (!Number.isInteger(this.cv) || this.cv < 2)) throw new ValueError(`${fn}: cv must be an integer >= 2, a splitter or a list of folds, got ${this.cv}`);
    this.scoring = o.scoring ?? 'accuracy';
    scorerOf(fn, this.scoring);
    this.refit = o.refit === undefined ? true : booleanOption(fn, 'refit', o.refit);
    if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new ValueError(`${fn}: onProgress must be a function`);
    this.onProgress = o.onProgress;
  }

  async fit(x: Samples, y: Labels): Promise<this> {
    const fn = 'GridSearchCV.fit';
    const d = checkData(fn, this.estimator, x, y, this.cv, this.scoring);
    const candidates = parameterGrid(this.paramGrid);
    // Every candidate's values are checked (by the estimator's constructor) before the first fit.
    const makers = candidates.map((p) => prepare(this.estimator, p));
    const k = d.folds.length;
    const split: number[][] = Array.from({ length: k }, () => []);
    const mean: number[] = [], std: number[] = [];
    for (let c = 0; c < candidates.length; c++) {
      const make = makers[c];
      const s = await scoreFolds(make, d, (fold) => this.onProgress?.({ candidate: c, candidates: candidates.length, fold, folds: k, params: candidates[c] }));
      s.forEach((v, f) => split[f].push(v));
      const m = s.reduce((a, b) => a + b, 0) / k;
      mean.push(m);
      std.push(Math.sqrt(s.reduce((a, b) => a + (b - m) * (b - m), 0) / k));
    }
    // rankdata(-mean, 'min'); means equal to 1e-12 tie, so float noise between folds does not reorder them.
    const rank = mean.map((m) => 1 + mean.filter((o) => o > m + 1e-12).length);
    const results: CVResults = { params: candidates, mean_test_score: mean, std_test_score: std, rank_test_score: rank };
    for (let f = 0; f < k; f++) results[`split${f}_test_score`] = split[f];
    let index = 0;
    for (let c = 1; c < candidates.length; c++) if (rank[c] < rank[index]) index = c;
    let estimator: BestEstimator | null = null;
    if (this.refit) estimator = await refitBest(this.estimator, candidates[index], d.x, d.y);
    this.results = results;
    this.best = { index, estimator };
    return this;
  }

  private done(fn: string): { results: CVResults; best: { index: number; estimator: BestEstimator | null } } {
    if (this.results === null || this.best === null) throw new ValueError(`GridSearchCV.${fn}: not fitted; call fit(x, y) first`);
    return { results: this.results, best: this.best };
  }

  get cvResults(): CVResults { return this.done('cvResults').results; }
  get bestIndex(): number { return this.done('bestIndex').best.index; }
  get bestParams(): Params { const { results, best } = this.done('bestParams'); return results.params[best.index]; }
  get bestScore(): number { const { results, best } = this.done('bestScore'); return results.mean_test_score[best.index]; }
  get bestEstimator(): BestEstimator {
    const { best } = this.done('bestEstimator');
    if (best.estimator === null) throw new ValueError('GridSearchCV.bestEstimator: refit was false, so there is no best estimator');
    return best.estimator;
  }

  /** The results as a text table: one row per candidate, in grid order, with its rank. */
  resultsTable(): string {
    const r = this.done('resultsTable').results;
    const names = [...new Set(r.params.flatMap((p) => Object.keys(p)))];
    const k = Object.keys(r).filter((c) => /^split\d+_test_score$/.test(c)).length;
    const header = ['rank', ...names, 'mean', 'std', ...Array.from({ length: k }, (_, f) => `fold ${f}`)];
    const rows = r.params.map((p, i) => [
      String(r.rank_test_score[i]), ...names.map((n) => (hasOwn(p, n) ? String(p[n]) : '')),
      r.mean_test_score[i].toFixed(4), r.std_test_score[i].toFixed(4),
      ...Array.from({ length: k }, (_, f) => r[`split${f}_test_score`][i].toFixed(4)),
    ]);
    const width = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
    const fmt = (row: string[]) => row.map((c, j) => c.padStart(width[j])).join('  ');
    return [fmt(header), ...rows.map(fmt)].join('\n');
  }
}

async function refitBest(e: Estimator, params: Params, x: Tensor, y: Float64Array): Promise<BestEstimator> {
  if (e instanceof SVC) return e.clone(params as SVCOptions).fit(flat(x), y);
  if (e instanceof LinearSVC) return e.clone(params as LinearSVCOptions).fit(flat(x), y);
  const model = e.build(params);
  const fitArgs = typeof e.fit === 'function' ? e.fit(params) : e.fit ?? {};
  await model.fit(x, new Tensor(Float32Array.from(y), [y.length]), { verbose: 0, ...fitArgs });
  return model;
}
