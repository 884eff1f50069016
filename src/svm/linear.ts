import { FormatError, ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, finiteNumber, oneOf, optionKeys, positiveInt, positiveNumber } from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { FORMAT, checkDir, checkFields, classList, f64, fromFile, onlyTensors, saved2D, savedArray, writeSaved, type SavedHeader, type SavedModel } from './format.js';
import { toMatrix, type Matrix, type MatrixLike, type VectorLike } from './input.js';
import { accuracy, checkXY, encodeLabels } from './labels.js';

/** Options of `new svm.LinearSVC(options)` (scikit-learn's LinearSVC). */
export interface LinearSVCOptions {
  /** Penalty on the loss, > 0 (default 1). */
  C?: number;
  /** 'squared_hinge' (default, as scikit-learn) or 'hinge'. */
  loss?: 'hinge' | 'squared_hinge';
  /** Stop when the projected-gradient spread falls below tol (default 1e-4). */
  tol?: number;
  /** Passes over the data (default 1000). */
  maxIter?: number;
  /** Seed of the coordinate order shuffle (default 0). */
  seed?: number;
}

/** What a LinearSVC's `save` writes and `load` reads back: its options, classes and fitted coefficients. */
export interface LinearSVCState {
  C: number;
  loss: 'hinge' | 'squared_hinge';
  tol: number;
  classes: number[];
  /** Shape [models, features]: one row for two classes, one per class otherwise. */
  coef: Matrix;
  intercept: Float64Array;
}

const LINEAR_KEYS = optionKeys<LinearSVCOptions>({ C: true, loss: true, tol: true, maxIter: true, seed: true });

/** model.json of a LinearSVC: its state less the arrays, which go to weights.safetensors. */
type LinearJson = SavedHeader & { kind: 'LinearSVC' } & Omit<LinearSVCState, 'coef' | 'intercept'>;

const LINEAR_JSON_KEYS = optionKeys<LinearJson>({ format: true, kind: true, C: true, loss: true, tol: true, classes: true });

/**
 * Dual coordinate descent for one binary L2-regularised SVM (Hsieh et al. 2008, the liblinear
 * method), with liblinear's bias handling: a constant feature 1 appended to x, so the intercept is
 * regularised like scikit-learn's LinearSVC (intercept_scaling = 1).
 * Returns w (d + 1 entries, the last the intercept) and the passes used.
 */
function dualCD(x: Matrix, y: Int8Array, C: number, loss: 'hinge' | 'squared_hinge', tol: number, maxIter: number,
  rng: Random): { w: Float64Array; iterations: number } {
  const { data, rows: l, cols: d } = x;
  const U = loss === 'hinge' ? C : Infinity;
  const Dii = loss === 'hinge' ? 0 : 1 / (2 * C);
  const w = new Float64Array(d + 1);
  const alpha = new Float64Array(l);
  const QD = new Float64Array(l);
  for (let i = 0; i < l; i++) {
    let s = 1; // the bias feature
    for (let k = 0; k < d; k++) { const v = data[i * d + k]; s += v * v; }
    QD[i] = s + Dii;
  }
  const index = new Int32Array(l);
  for (let i = 0; i < l; i++) index[i] = i;
  let active = l;
  let pgMaxOld = Infinity, pgMinOld = -Infinity;
  let iter = 0;
  while (iter < maxIter) {
    let pgMax = -Infinity, pgMin = Infinity;
    for (let s = 0; s < active; s++) {
      const t = rng.int(s, active);
      const tmp = index[s]; index[s] = index[t]; index[t] = tmp;
    }
    for (let s = 0; s < active; s++) {
      const i = index[s];
      const yi = y[i];
      const o = i * d;
      let wx = w[d];
      for (let k = 0; k < d; k++) wx += w[k] * data[o + k];
      const G = yi * wx - 1 + Dii * alpha[i];
      let PG = 0;
      if (alpha[i] === 0) {
        if (G > pgMaxOld) { active--; index[s] = index[active]; index[active] = i; s--; continue; }
        if (G < 0) PG = G;
      } else if (alpha[i] === U) {
        if (G < pgMinOld) { active--; index[s] = index[active]; index[active] = i; s--; continue; }
        if (G > 0) PG = G;
      } else PG = G;
      if (PG > pgMax) pgMax = PG;
      if (PG < pgMin) pgMin = PG;
      if (Math.abs(PG) > 1e-12) {
        const old = alpha[i];
        alpha[i] = Math.min(Math.max(old - G / QD[i], 0), U);
        const step = (alpha[i] - old) * yi;
        for (let k = 0; k < d; k++) w[k] += step * data[o + k];
        w[d] += step;
      }
    }
    iter++;
    if (pgMax - pgMin <= tol) {
      if (active === l) break;
      // Converged on the shrunk set: check once more on everything.
      active = l;
      pgMaxOld = Infinity; pgMinOld = -Infinity;
      continue;
    }
    pgMaxOld = pgMax <= 0 ? Infinity : pgMax;
    pgMinOld = pgMin >= 0 ? -Infinity : pgMin;
  }
  return { w, iterations: iter };
}

/**
 * Linear support vector classifier trained in the dual by coordinate descent (liblinear, as
 * scikit-learn's LinearSVC): two classes give one model, more give one per class (one-vs-rest).
 */
export class LinearSVC {
  readonly options: Readonly<LinearSVCOptions>;
  private state: LinearSVCState | null = null;
  /** Passes used by each binary model of the last fit. */
  iterations: number[] = [];

  constructor(options: LinearSVCOptions = {}) {
    const fn = 'LinearSVC';
    const o = checkOptions(fn, options, LINEAR_KEYS);
    if (o.C !== undefined) positiveNumber(fn, 'C', o.C);
    if (o.tol !== undefined) positiveNumber(fn, 'tol', o.tol);
    if (o.loss !== undefined) oneOf(fn, 'loss', o.loss, ['hinge', 'squared_hinge'] as const);
    if (o.maxIter !== undefined) positiveInt(fn, 'maxIter', o.maxIter);
    if (o.seed !== undefined) finiteNumber(fn, 'seed', o.seed);
    this.options = { ...options };
  }

  /** The hyperparameters with their defaults filled in, as scikit-learn's get_params. */
  getParams(): LinearSVCOptions {
    const o = this.options;
    return { C: o.C ?? 1, loss: o.loss ?? 'squared_hinge', tol: o.tol ?? 1e-4, maxIter: o.maxIter ?? 1000, seed: o.seed ?? 0 };
  }

  /** An unfitted LinearSVC with the same options, `params` overriding some. */
  clone(params: LinearSVCOptions = {}): LinearSVC {
    return new LinearSVC({ ...this.options, ...params });
  }

  static fromState(state: LinearSVCState): LinearSVC {
    const m = new LinearSVC({ C: state.C, loss: state.loss, tol: state.tol });
    m.state = state;
    return m;
  }

  private fitted(fn: string): LinearSVCState {
    if (this.state === null) throw new ValueError(`LinearSVC.${fn}: the model is not fitted; call fit(x, y) first`);
    return this.state;
  }

  fit(x: MatrixLike, y: VectorLike): this {
    const { m, yy } = checkXY('LinearSVC.fit', x, y);
    const { classes, index } = encodeLabels('LinearSVC.fit', yy);
    const C = this.options.C ?? 1;
    const loss = this.options.loss ?? 'squared_hinge';
    const tol = this.options.tol ?? 1e-4;
    const maxIter = this.options.maxIter ?? 1000;
    const rng = new Random(this.options.seed ?? 0);
    const k = classes.length;
    const models = k === 2 ? 1 : k;
    const d = m.cols;
    const coef = new Float64Array(models * d);
    const intercept = new Float64Array(models);
    this.iterations = [];
    for (let c = 0; c < models; c++) {
      const pos = k === 2 ? 1 : c; // two classes: positive means the larger label, as scikit-learn
      const ys = new Int8Array(m.rows);
      for (let i = 0; i < m.rows; i++) ys[i] = index[i] === pos ? 1 : -1;
      const { w, iterations } = dualCD(m, ys, C, loss, tol, maxIter, rng);
      coef.set(w.subarray(0, d), c * d);
      intercept[c] = w[d];
      this.iterations.push(iterations);
    }
    this.state = { C, loss, tol, classes, coef: { data: coef, rows: models, cols: d }, intercept };
    return this;
  }

  get classes(): number[] { return [...this.fitted('classes').classes]; }
  /** Weights [1, features] for two classes, [classes, features] otherwise. */
  get coef(): Tensor {
    const c = this.fitted('coef').coef;
    return tensor(c.data.slice(), { shape: [c.rows, c.cols], dtype: 'float64' });
  }
  get intercept(): Tensor { return tensor(this.fitted('intercept').intercept.slice(), { dtype: 'float64' }); }
  /** Writes the fitted model to the folder dir: model.json and weights.safetensors, each atomically. */
  async save(dir: string): Promise<void> {
    checkDir('svm.save', dir);
    const s = this.getState();
    const json: LinearJson = { format: FORMAT, kind: 'LinearSVC', C: s.C, loss: s.loss, tol: s.tol, classes: s.classes };
    await writeSaved(dir, json, { coef: f64(s.coef.data, [s.coef.rows, s.coef.cols]), intercept: f64(s.intercept, [s.intercept.length]) });
  }

  /** The LinearSVC of a folder read by `svm.load`, model.json checked as strictly as options are. */
  static fromSaved(saved: SavedModel): LinearSVC {
    const { json, tensors, jsonPath, weightsPath } = saved;
    checkFields(jsonPath, json, LINEAR_JSON_KEYS);
    const classes = classList(jsonPath, json);
    for (const key of ['C', 'tol'] as const) {
      if (typeof json[key] !== 'number') throw new FormatError(`svm.load: ${jsonPath}: field '${key}' must be a number, got ${JSON.stringify(json[key])}`);
    }
    onlyTensors(tensors, weightsPath, ['coef', 'intercept']);
    const { rows, cols } = saved2D(tensors, 'coef', weightsPath);
    const models = classes.length === 2 ? 1 : classes.length;
    if (rows !== models) throw new FormatError(`svm.load: ${weightsPath} tensor 'coef' has ${rows} rows for ${classes.length} classes, expected ${models}`);
    const state: LinearSVCState = {
      C: json.C as number, loss: json.loss as LinearSVCState['loss'], tol: json.tol as number, classes,
      coef: { data: savedArray(tensors, 'coef', weightsPath, [rows, cols]), rows, cols },
      intercept: savedArray(tensors, 'intercept', weightsPath, [rows]),
    };
    // The constructor's checks of C, loss and tol apply to the file's values too.
    return fromFile(jsonPath, () => LinearSVC.fromState(state));
  }

  getState(): LinearSVCState { return this.fitted('getState'); }

  private scores(x: MatrixLike, fn: string): { z: Float64Array; n: number; models: number } {
    const s = this.fitted(fn);
    const m = toMatrix(x, `LinearSVC.${fn}`, 'x');
    const d = s.coef.cols;
    if (m.cols !== d) throw new ShapeError(`LinearSVC.${fn}: x has ${m.cols} features but the model was fitted on ${d}`);
    const models = s.coef.rows;
    const z = new Float64Array(m.rows * models);
    for (let i = 0; i < m.rows; i++) {
      for (let c = 0; c < models; c++) {
        let v = s.intercept[c];
        for (let k = 0; k < d; k++) v += s.coef.data[c * d + k] * m.data[i * d + k];
        z[i * models + c] = v;
      }
    }
    return { z, n: m.rows, models };
  }

  /** w.x + b: [n] for two classes (positive for the larger label), [n, classes] otherwise. */
  decisionFunction(x: MatrixLike): Tensor {
    const { z, n, models } = this.scores(x, 'decisionFunction');
    return models === 1 ? tensor(z, { dtype: 'float64' }) : tensor(z, { shape: [n, models], dtype: 'float64' });
  }

  predict(x: MatrixLike): Tensor {
    const { z, n, models } = this.scores(x, 'predict');
    const classes = this.fitted('predict').classes;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (models === 1) { out[i] = classes[z[i] > 0 ? 1 : 0]; continue; }
      let best = 0;
      for (let c = 1; c < models; c++) if (z[i * models + c] > z[i * models + best]) best = c;
      out[i] = classes[best];
    }
    return tensor(out, { dtype: 'float64' });
  }

  score(x: MatrixLike, y: VectorLike): number {
    return accuracy('LinearSVC.score', y, () => this.predict(x).data);
  }
}
