import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, finiteNumber, nonNegativeNumber, oneOf, optionKeys } from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { toVector, type VectorLike } from './input.js';

// The course's tools for a linear classifier z = w.x + b with labels y in {-1, +1}.

function labelsAndScores(fn: string, y: VectorLike, z: VectorLike): [Float64Array, Float64Array] {
  const yy = toVector(y, fn, 'y');
  const zz = toVector(z, fn, 'z');
  if (yy.length !== zz.length) throw new ShapeError(`${fn}: y has ${yy.length} labels but z has ${zz.length} values`);
  if (yy.length === 0) throw new ShapeError(`${fn}: y and z are empty`);
  for (let i = 0; i < yy.length; i++) {
    if (yy[i] !== 1 && yy[i] !== -1) throw new ValueError(`${fn}: y must hold -1 or +1, got y[${i}] = ${yy[i]}`);
  }
  return [yy, zz];
}

/** Slack of each sample, max(0, 1 - y_i z_i): 0 outside the margin, above 1 when misclassified. */
export function slack(y: VectorLike, z: VectorLike): Tensor {
  const [yy, zz] = labelsAndScores('slack', y, z);
  const out = new Float64Array(yy.length);
  for (let i = 0; i < yy.length; i++) out[i] = Math.max(0, 1 - yy[i] * zz[i]);
  return tensor(out, { dtype: 'float64' });
}

/** How `hingeLoss` combines the samples' losses. */
export type HingeReduction = 'sum' | 'mean' | 'none';

/**
 * Hinge loss max(0, 1 - y z): summed (default, the course's J), averaged, or per sample
 * ('none', a Tensor).
 */
export function hingeLoss(y: VectorLike, z: VectorLike): number;
export function hingeLoss(y: VectorLike, z: VectorLike, reduction: 'sum' | 'mean'): number;
export function hingeLoss(y: VectorLike, z: VectorLike, reduction: 'none'): Tensor;
export function hingeLoss(y: VectorLike, z: VectorLike, reduction: HingeReduction = 'sum'): number | Tensor {
  oneOf('hingeLoss', 'reduction', reduction, ['sum', 'mean', 'none'] as const);
  const [yy, zz] = labelsAndScores('hingeLoss', y, z);
  const per = new Float64Array(yy.length);
  let s = 0;
  for (let i = 0; i < yy.length; i++) { per[i] = Math.max(0, 1 - yy[i] * zz[i]); s += per[i]; }
  if (reduction === 'none') return tensor(per, { dtype: 'float64' });
  return reduction === 'sum' ? s : s / yy.length;
}

/** The largest gamma with y_i z_i >= gamma for every i (negative when some sample is misclassified). */
export function functionalMargin(y: VectorLike, z: VectorLike): number {
  const [yy, zz] = labelsAndScores('functionalMargin', y, z);
  let g = Infinity;
  for (let i = 0; i < yy.length; i++) g = Math.min(g, yy[i] * zz[i]);
  return g;
}

/** The functional margin over ||w||: the distance from the hyperplane to the closest sample. */
export function geometricMargin(y: VectorLike, z: VectorLike, w: VectorLike): number {
  const ww = toVector(w, 'geometricMargin', 'w');
  let n2 = 0;
  for (let i = 0; i < ww.length; i++) n2 += ww[i] * ww[i];
  if (n2 === 0) throw new ValueError('geometricMargin: w is the zero vector, so the margin is undefined');
  return functionalMargin(y, z) / Math.sqrt(n2);
}

/** Options of `svm.onMargin`. */
export interface OnMarginOptions {
  /** The margin to test against (default: the functional margin of y and z; use 1 for a canonical SVM). */
  margin?: number;
  /** Absolute tolerance on y_i z_i - margin (default 1e-9). */
  tol?: number;
}

const ON_MARGIN_KEYS = optionKeys<OnMarginOptions>({ margin: true, tol: true });

/** Indices of the samples with y_i z_i equal to the margin (within tol): the points that lie on it. */
export function onMargin(y: VectorLike, z: VectorLike, options: OnMarginOptions = {}): number[] {
  const fn = 'onMargin';
  const o = checkOptions(fn, options, ON_MARGIN_KEYS);
  const tol = nonNegativeNumber(fn, 'tol', o.tol ?? 1e-9);
  if (o.margin !== undefined) finiteNumber(fn, 'margin', o.margin);
  const [yy, zz] = labelsAndScores(fn, y, z);
  const g = o.margin ?? functionalMargin(yy, zz);
  const out: number[] = [];
  for (let i = 0; i < yy.length; i++) if (Math.abs(yy[i] * zz[i] - g) <= tol) out.push(i);
  return out;
}
