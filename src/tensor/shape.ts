import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { describeValue } from '../core/validate.js';

export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; names the function and both shapes when they do not fit. */
export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${fn}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (axis ${i - rank}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a possibly negative axis against a rank. */
export function normAxis(fn: string, axis: number, rank: number, arg = 'axis'): number {
  if (typeof axis !== 'number') throw new ValueError(`${fn}: ${arg} must be an integer, got ${describeValue(axis)}`);
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ValueError(`${fn}: ${arg} ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Sorted unique axes from an axis option (undefined: all axes). */
export function normAxes(fn: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axis !== 'number' && !Array.isArray(axis)) throw new ValueError(`${fn}: axis must be an integer or an array of integers, got ${describeValue(axis)}`);
  const list = typeof axis === 'number' ? [axis] : [...(axis as readonly number[])];
  const out = [...new Set(list.map((a) => normAxis(fn, a, rank)))];
  if (out.length !== list.length) throw new ValueError(`${fn}: repeated axis in [${list.join(',')}]`);
  return out.sort((x, y) => x - y);
}

/** The most values one tensor may hold (2^31 - 1, what a typed array of any dtype can index here). */
export const MAX_TENSOR_SIZE = 2 ** 31 - 1;

export function checkShape(fn: string, shape: readonly number[], arg = 'shape'): void {
  if (!Array.isArray(shape)) throw new ValueError(`${fn}: ${arg} must be an array of non-negative integers, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(`${fn}: ${arg} ${fmtShape(shape)} must hold non-negative integers`);
    }
  }
  const n = sizeOf(shape);
  if (n > MAX_TENSOR_SIZE) throw new ShapeError(`${fn}: ${arg} ${fmtShape(shape)} has ${n} values, more than a tensor can hold (${MAX_TENSOR_SIZE})`);
}
