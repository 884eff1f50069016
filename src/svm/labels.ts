// What SVC and LinearSVC share about labels: the checked (x, y) pair, the sorted classes with each
// sample's class index, and the accuracy of predicted labels. Both classifiers import this module;
// neither imports the other.
import { ShapeError, ValueError } from '../core/errors.js';
import { toMatrix, toVector, type Matrix, type MatrixLike, type VectorLike } from './input.js';

/** x as a matrix and y as a vector of one label per row of x. */
export function checkXY(fn: string, x: MatrixLike, y: VectorLike): { m: Matrix; yy: Float64Array } {
  const m = toMatrix(x, fn, 'x');
  const yy = toVector(y, fn, 'y');
  if (yy.length !== m.rows) throw new ShapeError(`${fn}: x has ${m.rows} samples but y has ${yy.length} labels`);
  return { m, yy };
}

/** Sorted distinct labels and each sample's class index; a classifier needs two classes at least. */
export function encodeLabels(fn: string, y: Float64Array): { classes: number[]; index: Int32Array } {
  const classes = [...new Set(y)].sort((a, b) => a - b);
  if (classes.length < 2) throw new ValueError(`${fn}: y has one class only (${classes[0]}); a classifier needs at least two`);
  const pos = new Map<number, number>();
  classes.forEach((c, i) => pos.set(c, i));
  const index = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) index[i] = pos.get(y[i]) as number;
  return { classes, index };
}

/** The fraction of `predicted` equal to y (y checked first, named as `fn`'s argument). */
export function accuracy(fn: string, y: VectorLike, predict: () => ArrayLike<number>): number {
  const yy = toVector(y, fn, 'y');
  const pred = predict();
  if (pred.length !== yy.length) throw new ShapeError(`${fn}: x has ${pred.length} samples but y has ${yy.length} labels`);
  let ok = 0;
  for (let i = 0; i < yy.length; i++) if (pred[i] === yy[i]) ok++;
  return ok / yy.length;
}
