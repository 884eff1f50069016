// epsilon-SVR and one-class SVM on the SMO solver of solver.ts, in libsvm's formulations
// (solve_epsilon_svr: 2l variables a, a* with linear term eps -/+ y; solve_one_class: the nu-
// constrained dual started from nu*l spread over the first samples). Read from libsvm's svm.cpp.
import { FormatError, ShapeError, ValueError } from '../core/errors.js';
import {
  checkOptions, isNonNegativeInt, nonNegativeNumber, optionKeys,
  positiveNumber,
} from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  FORMAT, checkDir, checkFields, f64, fromFile, numberList, onlyTensors, saved2D, savedArray, writeSaved, type SavedHeader, type SavedModel,
} from './format.js';
import { toMatrix, toVector, type Matrix, type MatrixLike, type VectorLike } from './input.js';
import { KernelRows } from './cache.js';
import { checkKernelSvmOptions, kernelFromDot, rowNorms, type KernelFunction, type KernelName, type KernelSpec } from './kernels.js';
import { solveCSVC, type QRows } from './solver.js';

/** Options shared by SVR and OneClassSVM (the kernel and the solver). */
export interface KernelSVMOptions {
  /** 'rbf' (default), 'linear', 'poly', 'sigmoid', or k(a, b) of two feature vectors. */
  kernel?: KernelName | KernelFunction;
  /** rbf/poly/sigmoid scale: 'scale' = 1 / (features * var(x)) (default), 'auto' = 1 / features, or a number > 0. */
  gamma?: 'scale' | 'auto' | number;
  /** poly degree (default 3). */
  degree?: number;
  /** poly/sigmoid constant (default 0). */
  coef0?: number;
  /** Stopping tolerance on the maximal KKT violation (default 1e-3). */
  tol?: number;
  /** libsvm's shrinking heuristic (default true). */
  shrinking?: boolean;
  /** Kernel row cache in MB (default 200). */
  cacheSize?: number;
  /** SMO iterations; -1 (default) means no limit beyond libsvm's max(1e7, 100 l). */
  maxIter?: number;
}

export interface SVROptions extends KernelSVMOptions {
  /** Penalty on errors beyond the tube, > 0 (default 1). */
  C?: number;
  /** Half-width of the insensitive tube, >= 0 (default 0.1). */
  epsilon?: number;
}

export interface OneClassSVMOptions extends KernelSVMOptions {
  /** Upper bound on the fraction of outliers and lower bound on the fraction of support vectors, in (0, 1] (default 0.5). */
  nu?: number;
}

/** The fitted state of an SVR or OneClassSVM (what save writes). */
export interface KernelModelState {
  kernel: KernelName;
  gamma: number;
  degree: number;
  coef0: number;
  tol: number;
  /** SVR: C and epsilon; OneClassSVM: nu. */
  C: number;
  epsilon: number;
  nu: number;
  supportIndices: number[];
  /** One coefficient per support vector: a - a* (SVR) or a (one-class). */
  dualCoef: Float64Array;
  rho: number;
  supportVectors: Matrix;
}

const COMMON = {
  kernel: true, gamma: true, degree: true, coef0: true, tol: true, shrinking: true, cacheSize: true, maxIter: true,
} as const;
const SVR_KEYS = optionKeys<SVROptions>({ ...COMMON, C: true, epsilon: true });
const OC_KEYS = optionKeys<OneClassSVMOptions>({ ...COMMON, nu: true });


function checkSVROptions(options: SVROptions | undefined): SVROptions {
  const o = checkOptions('SVR', options, SVR_KEYS);
  checkKernelSvmOptions('SVR', o);
  if (o.C !== undefined) positiveNumber('SVR', 'C', o.C);
  if (o.epsilon !== undefined) nonNegativeNumber('SVR', 'epsilon', o.epsilon);
  return o;
}

function checkOCOptions(options: OneClassSVMOptions | undefined): OneClassSVMOptions {
  const o = checkOptions('OneClassSVM', options, OC_KEYS);
  checkKernelSvmOptions('OneClassSVM', o);
  if (o.nu !== undefined && (typeof o.nu !== 'number' || !Number.isFinite(o.nu) || o.nu <= 0 || o.nu > 1)) {
    throw new ValueError(`OneClassSVM: nu must be a number in (0, 1], got ${String(o.nu)}`);
  }
  return o;
}

/** gamma as scikit-learn resolves it: 'scale' = 1 / (d var(x)) over all entries, 'auto' = 1 / d. */
export function resolveGamma(gamma: 'scale' | 'auto' | number | undefined, m: Matrix): number {
  if (typeof gamma === 'number') return gamma;
  if (gamma === 'auto') return 1 / m.cols;
  let s = 0, s2 = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i];
  const mean = s / m.data.length;
  for (let i = 0; i < m.data.length; i++) { const t = m.data[i] - mean; s2 += t * t; }
  const v = s2 / m.data.length;
  return v > 0 ? 1 / (m.cols * v) : 1;
}

/**
 * Rows of K over the n training samples, cached (most recently computed kept, up to the budget);
 * `signed(i)` returns row i of a Q with 2n (SVR) or n variables, in one of two rotating buffers.
 */
class KernelQ implements QRows {
  private readonly cache = new Map<number, Float32Array>();
  private readonly maxRows: number;
  private readonly bufs: Float32Array[];
  private turn = 0;
  private readonly qd: Float64Array;
  private readonly norms: Float64Array;
  /** The fast float32 rows of cache.ts, for large problems only (see the constructor). */
  private readonly fast: KernelRows | null;
  private readonly all: Int32Array;
  // Kernel values in double precision from the original rows, stored as float32 as libsvm's Qfloat:
  // they agree with libsvm's fits to ~1e-9 where float32 inputs give ~1e-6. Past a few million
  // entries the shifted float32 (and sparse) rows of KernelRows are used instead, for speed.
  constructor(private readonly n: number, private readonly twin: boolean, budgetBytes: number,
    private readonly spec: KernelSpec, private readonly x: Matrix) {
    this.fast = n * x.cols > 4_000_000 ? new KernelRows(x.data, n, x.cols, spec) : null;
    this.all = Int32Array.from({ length: this.fast ? n : 0 }, (_, i) => i);
    this.maxRows = Math.max(2, Math.floor(budgetBytes / (4 * n)));
    const l = twin ? 2 * n : n;
    this.bufs = [new Float32Array(l), new Float32Array(l)];
    const norms = rowNorms(x);
    this.norms = norms;
    this.qd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (spec.kind === 'custom') {
        const xi = x.data.subarray(i * x.cols, (i + 1) * x.cols);
        this.qd[i] = (spec.fn as KernelFunction)(xi, xi);
      } else this.qd[i] = kernelFromDot(spec, norms[i], norms[i], norms[i]);
    }
  }
  private kRow(i: number): Float32Array {
    let r = this.cache.get(i);
    if (r !== undefined) { this.cache.delete(i); this.cache.set(i, r); return r; }
    r = new Float32Array(this.n);
    if (this.cache.size >= this.maxRows) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(i, r);
    if (this.fast) { this.fast.kernelValues(i, this.all, this.n, r, 0); return r; }
    const { data, cols: d } = this.x;
    const spec = this.spec;
    const xi = data.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < this.n; j++) {
      const xj = data.subarray(j * d, (j + 1) * d);
      if (spec.kind === 'custom') { r[j] = (spec.fn as KernelFunction)(xi, xj); continue; }
      let dot = 0;
      for (let t = 0; t < d; t++) dot += xi[t] * xj[t];
      r[j] = kernelFromDot(spec, dot, this.norms[i], this.norms[j]);
    }
    return r;
  }
  row(i: number): Float32Array {
    const n = this.n;
    if (!this.twin) return this.kRow(i);
    const k = this.kRow(i % n);
    const out = this.bufs[this.turn];
    this.turn ^= 1;
    if (i < n) { out.set(k, 0); for (let j = 0; j < n; j++) out[n + j] = -k[j]; }
    else { for (let j = 0; j < n; j++) out[j] = -k[j]; out.set(k, n); }
    return out;
  }
  diag(i: number): number { return this.qd[i % this.n]; }
}

type Kind = 'SVR' | 'OneClassSVM';
/** model.json of an SVR (with C and epsilon) or a OneClassSVM (with nu): the state less the arrays. */
type KernelJson = SavedHeader & { kind: Kind } & Omit<KernelModelState, 'dualCoef' | 'rho' | 'supportVectors' | 'C' | 'epsilon' | 'nu'>
  & { C?: number; epsilon?: number; nu?: number };
const BASE_JSON = { format: true, kind: true, kernel: true, gamma: true, degree: true, coef0: true, tol: true, supportIndices: true } as const;
const JSON_KEYS: Record<Kind, readonly string[]> = {
  SVR: [...Object.keys(BASE_JSON), 'C', 'epsilon'],
  OneClassSVM: [...Object.keys(BASE_JSON), 'nu'],
};

/** What SVR and OneClassSVM share: the fitted kernel expansion f(x) = sum_i c_i K(sv_i, x) - rho. */
abstract class KernelModel {
  protected state: KernelModelState | null = null;
  protected customKernel: KernelFunction | undefined;
  private svNorms: Float64Array | null = null;
  /** Iterations and objective of the last fit. */
  fitInfo: { iterations: number; objective: number; hitMaxIter: boolean } | null = null;
  protected abstract readonly kind: Kind;
  abstract readonly options: Readonly<KernelSVMOptions>;

  protected fitted(fn: string): KernelModelState {
    if (this.state === null) throw new ValueError(`${this.kind}.${fn}: the model is not fitted; call fit first`);
    return this.state;
  }

  /** Solves the dual for x with labels y, bounds c, linear term p and start alpha0 (twin: the SVR's 2n variables). */
  protected solve(m: Matrix, y: Int8Array, c: Float64Array, p: Float64Array, alpha0: Float64Array | undefined, twin: boolean,
    extra: { C: number; epsilon: number; nu: number }): void {
    const o = this.options;
    const kernelName: KernelName = typeof o.kernel === 'function' ? 'rbf' : o.kernel ?? 'rbf';
    const gamma = resolveGamma(o.gamma, m);
    const spec: KernelSpec = { kind: this.customKernel ? 'custom' : kernelName, gamma, degree: o.degree ?? 3, coef0: o.coef0 ?? 0, fn: this.customKernel };
    const n = m.rows;
    const l = twin ? 2 * n : n;
    const q = new KernelQ(n, twin, (o.cacheSize ?? 200) * 1024 * 1024, spec, m);
    const tol = o.tol ?? 1e-3;
    const res = solveCSVC(l, y, c, q, {
      tol, shrinking: o.shrinking ?? true, p, alpha0,
      maxIter: o.maxIter === undefined || o.maxIter === -1 ? Math.max(10_000_000, l > 100_000 ? Number.MAX_SAFE_INTEGER : 100 * l) : o.maxIter,
    });
    this.fitInfo = { iterations: res.iterations, objective: res.objective, hitMaxIter: res.hitMaxIter };
    const coef = new Float64Array(n);
    for (let i = 0; i < n; i++) coef[i] = twin ? res.alpha[i] - res.alpha[n + i] : res.alpha[i];
    const sv: number[] = [];
    for (let i = 0; i < n; i++) if (coef[i] !== 0) sv.push(i);
    const d = m.cols;
    const svData = new Float64Array(sv.length * d);
    sv.forEach((r, t) => svData.set(m.data.subarray(r * d, (r + 1) * d), t * d));
    this.svNorms = null;
    this.state = {
      kernel: kernelName, gamma, degree: spec.degree, coef0: spec.coef0, tol, ...extra,
      supportIndices: sv, dualCoef: Float64Array.from(sv, (i) => coef[i]), rho: res.rho,
      supportVectors: { data: svData, rows: sv.length, cols: d },
    };
  }

  /** f(x) = sum_i c_i K(sv_i, x) - rho for each row of x. */
  protected values(x: MatrixLike, fn: string): Float64Array {
    const s = this.fitted(fn);
    const m = toMatrix(x, `${this.kind}.${fn}`, 'x');
    const sv = s.supportVectors;
    if (m.cols !== sv.cols) throw new ShapeError(`${this.kind}.${fn}: x has ${m.cols} features but the model was fitted on ${sv.cols}`);
    const out = new Float64Array(m.rows);
    if (sv.rows === 0) { out.fill(-s.rho); return out; }
    // In double precision (as libsvm's svm_predict_values): float32 kernel values would cost ~1e-6.
    const spec: KernelSpec = { kind: this.customKernel ? 'custom' : s.kernel, gamma: s.gamma, degree: s.degree, coef0: s.coef0, fn: this.customKernel };
    const d = sv.cols;
    if (this.svNorms === null) this.svNorms = rowNorms(sv);
    const svn = this.svNorms;
    for (let r = 0; r < m.rows; r++) {
      const xr = m.data.subarray(r * d, (r + 1) * d);
      let sq = 0;
      for (let j = 0; j < d; j++) sq += xr[j] * xr[j];
      let sum = 0;
      for (let t = 0; t < sv.rows; t++) {
        const st = sv.data.subarray(t * d, (t + 1) * d);
        let kv: number;
        if (spec.kind === 'custom') kv = (spec.fn as KernelFunction)(xr, st);
        else {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += xr[j] * st[j];
          kv = kernelFromDot(spec, dot, sq, svn[t]);
        }
        sum += s.dualCoef[t] * kv;
      }
      out[r] = sum - s.rho;
    }
    return out;
  }

  /** Support vectors [nSV, features], in training order. */
  get supportVectors(): Tensor {
    const s = this.fitted('supportVectors').supportVectors;
    return tensor(s.data.slice(), { shape: [s.rows, s.cols], dtype: 'float64' });
  }
  /** Index in the training set of each support vector (ascending). */
  get supportIndices(): Int32Array { return Int32Array.from(this.fitted('supportIndices').supportIndices); }
  /** Shape [1, nSV]: a - a* (SVR) or a (one-class) of each support vector, as scikit-learn's dual_coef_. */
  get dualCoef(): Tensor {
    const s = this.fitted('dualCoef');
    return tensor(s.dualCoef.slice(), { shape: [1, s.dualCoef.length], dtype: 'float64' });
  }
  /** Shape [1]: -rho, as scikit-learn's intercept_. */
  get intercept(): Tensor { return tensor(new Float64Array([-this.fitted('intercept').rho]), { dtype: 'float64' }); }
  /** The gamma used (after resolving 'scale' or 'auto'). */
  get gamma(): number { return this.fitted('gamma').gamma; }
  /** A copy of the fitted state. */
  getState(): KernelModelState { return this.fitted('getState'); }

  /** Writes the fitted model to the folder dir: model.json and weights.safetensors. */
  async save(dir: string): Promise<void> {
    checkDir('svm.save', dir);
    if (this.customKernel) throw new ValueError(`svm.save: an ${this.kind} with a custom kernel function cannot be saved (the function is code, not data)`);
    const s = this.getState();
    const json: KernelJson = {
      format: FORMAT, kind: this.kind, kernel: s.kernel, gamma: s.gamma, degree: s.degree, coef0: s.coef0, tol: s.tol,
      ...(this.kind === 'SVR' ? { C: s.C, epsilon: s.epsilon } : { nu: s.nu }), supportIndices: s.supportIndices,
    };
    await writeSaved(dir, json, {
      support_vectors: f64(s.supportVectors.data, [s.supportVectors.rows, s.supportVectors.cols]),
      dual_coef: f64(s.dualCoef, [1, s.dualCoef.length]),
      rho: f64(new Float64Array([s.rho]), [1]),
    });
  }
}

/** Reads the state of an SVR or OneClassSVM folder, checked as strictly as an SVC's. */
function stateFromSaved(saved: SavedModel, kind: Kind): KernelModelState {
  const { json, tensors, jsonPath, weightsPath } = saved;
  checkFields(jsonPath, json, JSON_KEYS[kind]);
  const supportIndices = numberList(jsonPath, json, 'supportIndices', (v) => isNonNegativeInt(v) && v <= Number.MAX_SAFE_INTEGER, 'non-negative integers');
  for (let i = 1; i < supportIndices.length; i++) {
    if (!(supportIndices[i] > supportIndices[i - 1])) throw new FormatError(`svm.load: ${jsonPath}: field 'supportIndices' must be increasing, as fit writes it; ${supportIndices[i]} follows ${supportIndices[i - 1]}`);
  }
  for (const key of ['gamma', 'degree', 'coef0', 'tol', ...(kind === 'SVR' ? ['C', 'epsilon'] as const : ['nu'] as const)]) {
    if (typeof json[key] !== 'number' || !Number.isFinite(json[key])) throw new FormatError(`svm.load: ${jsonPath}: field '${key}' must be a finite number, got ${JSON.stringify(json[key])}`);
  }
  if (typeof json.kernel !== 'string') throw new FormatError(`svm.load: ${jsonPath}: field 'kernel' must be a kernel name, got ${JSON.stringify(json.kernel)}`);
  onlyTensors(tensors, weightsPath, ['support_vectors', 'dual_coef', 'rho']);
  const nSV = supportIndices.length;
  const d = saved2D(tensors, 'support_vectors', weightsPath).cols;
  const dualCoef = savedArray(tensors, 'dual_coef', weightsPath, [1, nSV]);
  for (let t = 0; t < nSV; t++) if (dualCoef[t] === 0) throw new FormatError(`svm.load: ${weightsPath} tensor 'dual_coef' [0,${t}] is 0; a support vector has a nonzero coefficient`);
  // The dual's box and equality constraints: a sign flip or a scaled value breaks them where shapes agree.
  const C = kind === 'SVR' ? json.C as number : 1;
  let sum = 0, size = 0;
  for (let t = 0; t < nSV; t++) {
    const v = dualCoef[t];
    if (kind === 'OneClassSVM' ? !(v > 0 && v <= 1 + 1e-12) : !(Math.abs(v) <= C * (1 + 1e-12))) {
      throw new FormatError(`svm.load: ${weightsPath} tensor 'dual_coef' [0,${t}] is ${v}, outside the dual's bounds ${kind === 'SVR' ? `[-C, C] with C = ${C}` : '(0, 1]'}`);
    }
    sum += v; size += Math.abs(v);
  }
  if (kind === 'SVR' && Math.abs(sum) > 1e-9 * size + 1e-12) throw new FormatError(`svm.load: ${weightsPath} tensor 'dual_coef' sums to ${sum}, not 0 (the SVR dual's equality constraint)`);
  return {
    kernel: json.kernel as KernelName, gamma: json.gamma as number, degree: json.degree as number, coef0: json.coef0 as number,
    tol: json.tol as number, C, epsilon: kind === 'SVR' ? json.epsilon as number : 0, nu: kind === 'SVR' ? 0 : json.nu as number, supportIndices,
    dualCoef, rho: savedArray(tensors, 'rho', weightsPath, [1])[0],
    supportVectors: { data: savedArray(tensors, 'support_vectors', weightsPath, [nSV, d]), rows: nSV, cols: d },
  };
}

/**
 * epsilon-support vector regression, as libsvm's EPSILON_SVR and scikit-learn's SVR: errors
 * within epsilon cost nothing, beyond it C per unit; `predict` gives f(x) = sum (a - a*) K - rho.
 */
export class SVR extends KernelModel {
  readonly options: Readonly<SVROptions>;
  protected readonly kind = 'SVR';
  constructor(options: SVROptions = {}) {
    super();
    checkSVROptions(options);
    this.options = { ...options };
    this.customKernel = typeof options.kernel === 'function' ? options.kernel : undefined;
  }

  fit(x: MatrixLike, y: VectorLike): this {
    const m = toMatrix(x, 'SVR.fit', 'x');
    const yy = toVector(y, 'SVR.fit', 'y');
    if (yy.length !== m.rows) throw new ShapeError(`SVR.fit: x has ${m.rows} samples but y has ${yy.length} targets`);
    const n = m.rows;
    const C = this.options.C ?? 1, eps = this.options.epsilon ?? 0.1;
    const ys = new Int8Array(2 * n), c = new Float64Array(2 * n).fill(C), p = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      ys[i] = 1; ys[n + i] = -1;
      p[i] = eps - yy[i]; p[n + i] = eps + yy[i];
    }
    this.solve(m, ys, c, p, undefined, true, { C, epsilon: eps, nu: 0 });
    return this;
  }

  /** f(x) for each row of x, [n]. */
  predict(x: MatrixLike): Tensor { return tensor(this.values(x, 'predict'), { dtype: 'float64' }); }
  /** The same values as predict (scikit-learn has no decision_function for SVR; here for symmetry). */
  decisionFunction(x: MatrixLike): Tensor { return tensor(this.values(x, 'decisionFunction'), { dtype: 'float64' }); }
  /** The coefficient of determination R^2 of predict(x) against y. */
  score(x: MatrixLike, y: VectorLike): number {
    const yy = toVector(y, 'SVR.score', 'y');
    const f = this.values(x, 'score');
    if (f.length !== yy.length) throw new ShapeError(`SVR.score: x has ${f.length} samples but y has ${yy.length} targets`);
    let mean = 0;
    for (const v of yy) mean += v;
    mean /= yy.length;
    let ssr = 0, sst = 0;
    for (let i = 0; i < yy.length; i++) { ssr += (yy[i] - f[i]) ** 2; sst += (yy[i] - mean) ** 2; }
    return sst === 0 ? (ssr === 0 ? 1 : 0) : 1 - ssr / sst;
  }

  static fromSaved(saved: SavedModel): SVR {
    const s = stateFromSaved(saved, 'SVR');
    const m = fromFile(saved.jsonPath, () => new SVR({ kernel: s.kernel, gamma: s.gamma, degree: s.degree, coef0: s.coef0, tol: s.tol, C: s.C, epsilon: s.epsilon }));
    m.state = s;
    return m;
  }
}

/**
 * Unsupervised outlier detection, as libsvm's ONE_CLASS and scikit-learn's OneClassSVM:
 * `decisionFunction` > 0 inside the learned region; `predict` gives +1 (inlier) or -1 (outlier).
 */
export class OneClassSVM extends KernelModel {
  readonly options: Readonly<OneClassSVMOptions>;
  protected readonly kind = 'OneClassSVM';
  constructor(options: OneClassSVMOptions = {}) {
    super();
    checkOCOptions(options);
    this.options = { ...options };
    this.customKernel = typeof options.kernel === 'function' ? options.kernel : undefined;
  }

  /** Fits the support of x; y, if given, is ignored (as scikit-learn's), so model-selection code can pass it. */
  fit(x: MatrixLike, _y?: VectorLike): this {
    const m = toMatrix(x, 'OneClassSVM.fit', 'x');
    const n = m.rows;
    const nu = this.options.nu ?? 0.5;
    // libsvm's start: the first floor(nu l) alphas at 1, the next one the remainder (sum = nu l).
    const alpha0 = new Float64Array(n);
    const full = Math.floor(nu * n);
    for (let i = 0; i < full; i++) alpha0[i] = 1;
    if (full < n) alpha0[full] = nu * n - full;
    this.solve(m, new Int8Array(n).fill(1), new Float64Array(n).fill(1), new Float64Array(n), alpha0, false, { C: 1, epsilon: 0, nu });
    return this;
  }

  /** f(x) = sum a K - rho, [n]: positive inside. */
  decisionFunction(x: MatrixLike): Tensor { return tensor(this.values(x, 'decisionFunction'), { dtype: 'float64' }); }
  /** +1 where f(x) > 0, else -1 (libsvm's sign). */
  predict(x: MatrixLike): Tensor { return tensor(this.values(x, 'predict').map((v) => (v > 0 ? 1 : -1)), { dtype: 'float64' }); }
  /** sum a K(sv, x), [n]: scikit-learn's score_samples (decisionFunction + rho). */
  scoreSamples(x: MatrixLike): Tensor {
    const rho = this.fitted('scoreSamples').rho;
    return tensor(this.values(x, 'scoreSamples').map((v) => v + rho), { dtype: 'float64' });
  }
  /** The mean of scoreSamples(x) (scikit-learn's OneClassSVM has no score; this one is for model selection). */
  score(x: MatrixLike): number {
    const f = this.scoreSamples(x).data;
    let s = 0;
    for (const v of f) s += v;
    return f.length > 0 ? s / f.length : 0;
  }

  static fromSaved(saved: SavedModel): OneClassSVM {
    const s = stateFromSaved(saved, 'OneClassSVM');
    const m = fromFile(saved.jsonPath, () => new OneClassSVM({ kernel: s.kernel, gamma: s.gamma, degree: s.degree, coef0: s.coef0, tol: s.tol, nu: s.nu }));
    m.state = s;
    return m;
  }
}

