import type { FloatArray } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { sizeOf, stridesOf, shapesEqual } from './shape.js';

export type DType = 'float32' | 'float64';
export type { FloatArray };

/** A scalar or (nested) array of numbers, as `tensor()` takes and `toArray()` returns. */
export type NestedArray = number | readonly NestedArray[];

/** How a tensor was made: the op, its inputs, and the vector-Jacobian product back to them. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: (grad: Tensor) => readonly (Tensor | null | undefined)[];
}

/** Options of `tensor.backward(grad, options)`. */
export interface BackwardOptions {
  /** Record the backward pass itself so that gradients can be differentiated again. Default: false. */
  createGraph?: boolean;
}

export function allocate(dtype: DType, size: number): FloatArray {
  try {
    return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  } catch (e) {
    // Out of memory or past the typed-array limit: a size the caller asked for, not a bug here.
    if (e instanceof RangeError) throw new ValueError(`cannot allocate a ${dtype} tensor of ${size} values: ${e.message}`);
    throw e;
  }
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

let gradEnabled = true;

/** Whether ops currently record the graph for autograd. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with recording set as given. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** A tensor or a plain number (which takes the other operand's dtype). */
export type TensorLike = Tensor | number;
/** An axis option: one axis, several, or all when omitted. */
export type Axis = number | readonly number[];

/** Options of `variance` and `std`. */
export interface VarianceOptions {
  /** Keep the reduced axes as size 1. Default: false. */
  keepDims?: boolean;
  /** Delta degrees of freedom: divide by n - ddof (default 0, as NumPy; 1 for the unbiased estimate). */
  ddof?: number;
}

/** Options of `relu` (Keras' relu arguments). */
export interface ReluOptions {
  /** The largest output (Keras' max_value). Default: none (no cap). */
  maxValue?: number | null;
  /** The slope below the threshold (Keras' negative_slope, default 0). */
  negativeSlope?: number;
  /** Where the identity part starts (default 0). */
  threshold?: number;
}

/**
 * The ops behind Tensor's methods (x.mul(y).sum()) and gradient accumulation. ops/ implements
 * them and installs them when it loads, so this layer needs nothing from the layers above.
 */
export interface TensorOps {
  add(a: TensorLike, b: TensorLike): Tensor;
  sub(a: TensorLike, b: TensorLike): Tensor;
  mul(a: TensorLike, b: TensorLike): Tensor;
  div(a: TensorLike, b: TensorLike): Tensor;
  pow(a: TensorLike, b: TensorLike): Tensor;
  maximum(a: TensorLike, b: TensorLike): Tensor;
  minimum(a: TensorLike, b: TensorLike): Tensor;
  gt(a: TensorLike, b: TensorLike): Tensor;
  ge(a: TensorLike, b: TensorLike): Tensor;
  lt(a: TensorLike, b: TensorLike): Tensor;
  le(a: TensorLike, b: TensorLike): Tensor;
  eq(a: TensorLike, b: TensorLike): Tensor;
  neg(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  abs(x: Tensor): Tensor;
  square(x: Tensor): Tensor;
  clip(x: Tensor, min: number, max: number): Tensor;
  sum(x: Tensor, axis?: Axis, keepDims?: boolean): Tensor;
  mean(x: Tensor, axis?: Axis, keepDims?: boolean): Tensor;
  max(x: Tensor, axis?: Axis, keepDims?: boolean): Tensor;
  min(x: Tensor, axis?: Axis, keepDims?: boolean): Tensor;
  argmax(x: Tensor, axis?: number, keepDims?: boolean): Tensor;
  argmin(x: Tensor, axis?: number, keepDims?: boolean): Tensor;
  logSumExp(x: Tensor, axis?: Axis, keepDims?: boolean): Tensor;
  variance(x: Tensor, axis?: Axis, options?: VarianceOptions): Tensor;
  std(x: Tensor, axis?: Axis, options?: VarianceOptions): Tensor;
  matmul(a: Tensor, b: Tensor): Tensor;
  dot(a: Tensor, b: Tensor): Tensor;
  reshape(x: Tensor, shape: readonly number[]): Tensor;
  flatten(x: Tensor, startAxis?: number): Tensor;
  transpose(x: Tensor, perm?: readonly number[]): Tensor;
  permute(x: Tensor, perm: readonly number[]): Tensor;
  squeeze(x: Tensor, axis?: number | readonly number[]): Tensor;
  expandDims(x: Tensor, axis?: number): Tensor;
  broadcastTo(x: Tensor, shape: readonly number[]): Tensor;
  slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor;
  gather(x: Tensor, indices: Tensor | readonly number[], axis?: number): Tensor;
  pad(x: Tensor, paddings: readonly (readonly [number, number])[], value?: number): Tensor;
  flip(x: Tensor, axis?: number | readonly number[]): Tensor;
  relu(x: Tensor, options?: ReluOptions): Tensor;
  sigmoid(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  softmax(x: Tensor, axis?: number): Tensor;
  logSoftmax(x: Tensor, axis?: number): Tensor;
}

let installed: TensorOps | null = null;

/** Called once by ops/ as it loads. */
export function installTensorOps(ops: TensorOps): void {
  installed = ops;
}

function ops(): TensorOps {
  if (installed === null) throw new Error('gradlab: the ops are not loaded (import gradlab, not its tensor module alone)');
  return installed;
}

/**
 * An n-dimensional array of float32 or float64 numbers in contiguous row-major storage,
 * with the autograd graph that made it. Tensors are immutable values: ops return new ones.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The contiguous row-major storage. Writing into it bypasses autograd. */
  readonly data: FloatArray;
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** The accumulated gradient after `backward()`, for tensors that require it and were not made by an op. */
  grad: Tensor | null = null;
  /** The op that made this tensor, when it was recorded. */
  gradFn: GradNode | null = null;

  constructor(data: FloatArray, shape: readonly number[], requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`Tensor: ${data.length} values do not fill shape ${fmtShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Whether this tensor was made by the user rather than by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    if (this.rank === 0) return this.data[0];
    const strides = stridesOf(this.shape);
    const build = (dim: number, offset: number): NestedArray => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === this.rank - 1 ? this.data[offset + i] : build(dim + 1, offset + i * strides[dim]);
      }
      return out;
    };
    return build(0, 0);
  }

  /** The values as a flat array of numbers. */
  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} values, not 1`);
    }
    return this.data[0];
  }

  /** A tensor sharing no graph with this one (same values, no gradient). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy of the data in a new tensor without graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Back-propagates from this tensor: each leaf that requires grad gets d(this)/d(leaf)
   * (contracted with `grad`) added to its `.grad`. A scalar needs no `grad`.
   */
  backward(grad?: Tensor | NestedArray, options: BackwardOptions = {}): void {
    let seed: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new ShapeError(`backward: tensor has shape ${fmtShape(this.shape)}, not a scalar; pass a gradient of that shape, e.g. t.backward(onesLike(t))`);
      }
      seed = new Tensor(allocate(this.dtype, 1).fill(1), this.shape);
    } else {
      seed = grad instanceof Tensor ? grad : fromNested(grad, this.dtype, 'backward');
      if (!shapesEqual(seed.shape, this.shape)) {
        throw new ShapeError(`backward: gradient has shape ${fmtShape(seed.shape)} but the tensor has shape ${fmtShape(this.shape)}`);
      }
      if (seed.dtype !== this.dtype) {
        throw new DTypeError(`backward: gradient is ${seed.dtype} but the tensor is ${this.dtype}`);
      }
    }
    if (!this.requiresGrad) {
      throw new ValueError('backward: this tensor does not require grad (no input had requiresGrad: true, or it was made under noGrad)');
    }
    const order = topoOrder(this);
    const grads = new Map<Tensor, Tensor>([[this, seed]]);
    withGradMode(options.createGraph === true, () => {
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        if (t.gradFn === null) {
          const acc = t.grad === null ? g : ops().add(t.grad, g);
          t.grad = options.createGraph ? acc : acc.detachIfRecorded();
          continue;
        }
        const inputGrads = t.gradFn.backward(g);
        t.gradFn.inputs.forEach((input, k) => {
          const ig = inputGrads[k];
          if (!ig || !input.requiresGrad) return;
          if (!shapesEqual(ig.shape, input.shape)) {
            throw new Error(`gradlab internal: ${t.gradFn!.op} backward gave ${fmtShape(ig.shape)} for input ${fmtShape(input.shape)}`);
          }
          const prev = grads.get(input);
          grads.set(input, prev ? ops().add(prev, ig) : ig);
        });
      }
    });
  }

  private detachIfRecorded(): Tensor {
    return this.gradFn === null && !this.requiresGrad ? this : this.detach();
  }

  toString(): string {
    return formatTensor(this);
  }

  // PyTorch-style methods: each is the op of the same name with this tensor first.
  add(other: TensorLike): Tensor { return ops().add(this, other); }
  sub(other: TensorLike): Tensor { return ops().sub(this, other); }
  mul(other: TensorLike): Tensor { return ops().mul(this, other); }
  div(other: TensorLike): Tensor { return ops().div(this, other); }
  pow(exponent: TensorLike): Tensor { return ops().pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return ops().maximum(this, other); }
  minimum(other: TensorLike): Tensor { return ops().minimum(this, other); }
  gt(other: TensorLike): Tensor { return ops().gt(this, other); }
  ge(other: TensorLike): Tensor { return ops().ge(this, other); }
  lt(other: TensorLike): Tensor { return ops().lt(this, other); }
  le(other: TensorLike): Tensor { return ops().le(this, other); }
  eq(other: TensorLike): Tensor { return ops().eq(this, other); }
  neg(): Tensor { return ops().neg(this); }
  exp(): Tensor { return ops().exp(this); }
  log(): Tensor { return ops().log(this); }
  sqrt(): Tensor { return ops().sqrt(this); }
  abs(): Tensor { return ops().abs(this); }
  square(): Tensor { return ops().square(this); }
  clip(min: number, max: number): Tensor { return ops().clip(this, min, max); }
  sum(axis?: Axis, keepDims?: boolean): Tensor { return ops().sum(this, axis, keepDims); }
  mean(axis?: Axis, keepDims?: boolean): Tensor { return ops().mean(this, axis, keepDims); }
  max(axis?: Axis, keepDims?: boolean): Tensor { return ops().max(this, axis, keepDims); }
  min(axis?: Axis, keepDims?: boolean): Tensor { return ops().min(this, axis, keepDims); }
  argmax(axis?: number, keepDims?: boolean): Tensor { return ops().argmax(this, axis, keepDims); }
  argmin(axis?: number, keepDims?: boolean): Tensor { return ops().argmin(this, axis, keepDims); }
  logSumExp(axis?: Axis, keepDims?: boolean): Tensor { return ops().logSumExp(this, axis, keepDims); }
  variance(axis?: Axis, options?: VarianceOptions): Tensor { return ops().variance(this, axis, options); }
  std(axis?: Axis, options?: VarianceOptions): Tensor { return ops().std(this, axis, options); }
  matmul(other: Tensor): Tensor { return ops().matmul(this, other); }
  dot(other: Tensor): Tensor { return ops().dot(this, other); }
  reshape(shape: readonly number[]): Tensor { return ops().reshape(this, shape); }
  flatten(startAxis?: number): Tensor { return ops().flatten(this, startAxis); }
  transpose(perm?: readonly number[]): Tensor { return ops().transpose(this, perm); }
  permute(perm: readonly number[]): Tensor { return ops().permute(this, perm); }
  squeeze(axis?: number | readonly number[]): Tensor { return ops().squeeze(this, axis); }
  expandDims(axis?: number): Tensor { return ops().expandDims(this, axis); }
  broadcastTo(shape: readonly number[]): Tensor { return ops().broadcastTo(this, shape); }
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return ops().slice(this, begin, size); }
  gather(indices: Tensor | readonly number[], axis?: number): Tensor { return ops().gather(this, indices, axis); }
  pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor { return ops().pad(this, paddings, value); }
  flip(axis?: number | readonly number[]): Tensor { return ops().flip(this, axis); }
  relu(options?: ReluOptions): Tensor { return ops().relu(this, options); }
  sigmoid(): Tensor { return ops().sigmoid(this); }
  tanh(): Tensor { return ops().tanh(this); }
  softmax(axis?: number): Tensor { return ops().softmax(this, axis); }
  logSoftmax(axis?: number): Tensor { return ops().logSoftmax(this, axis); }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, k] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (k < inputs.length) {
      top[1]++;
      const child = inputs[k];
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order; // children before parents
}

/** Makes an op's output, recording its backward when grad mode is on and an input requires grad. */
export function recordOp(out: Tensor, op: string, inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | null | undefined)[]): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/** Parses nested arrays into a tensor, checking that they are rectangular. */
export function fromNested(values: NestedArray, dtype: DType, fn: string): Tensor {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = allocate(dtype, sizeOf(shape));
  let k = 0;
  const walk = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') {
        throw new ShapeError(`${fn}: ragged nested array: expected a number at ${path || 'top'} for shape ${fmtShape(shape)}`);
      }
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError(`${fn}: ragged nested array: ${path || 'top'} should have ${shape[dim]} elements for shape ${fmtShape(shape)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return new Tensor(data, shape);
}

// ---------- printing like NumPy ----------

function formatNumber(v: number, allInt: boolean, digits: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (allInt) return `${v}.`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e8)) return v.toExponential(digits);
  return v.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '.');
}

function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const summarize = t.size > 1000;
  const edge = 3;
  const vals = Array.from(t.data);
  const finite = vals.filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v) && Math.abs(v) < 1e16);
  const digits = 4;
  const strs = vals.map((v) => formatNumber(v, allInt, digits));
  const width = strs.reduce((m, s) => Math.max(m, s.length), 0);
  const strides = stridesOf(t.shape);
  const fmt = (dim: number, offset: number, indent: string): string => {
    if (t.rank === 0) return strs[0];
    const n = t.shape[dim];
    const idx: (number | null)[] = [];
    if (summarize && n > 2 * edge) {
      for (let i = 0; i < edge; i++) idx.push(i);
      idx.push(null);
      for (let i = n - edge; i < n; i++) idx.push(i);
    } else {
      for (let i = 0; i < n; i++) idx.push(i);
    }
    if (dim === t.rank - 1) {
      return '[' + idx.map((i) => (i === null ? '...' : strs[offset + i].padStart(width))).join(', ') + ']';
    }
    const sep = ',' + '\n'.repeat(t.rank - 1 - dim) + indent + ' ';
    return '[' + idx.map((i) => (i === null ? '...' : fmt(dim + 1, offset + i * strides[dim], indent + ' '))).join(sep) + ']';
  };
  const body = fmt(0, 0, ' '.repeat(prefix.length));
  const extra = t.dtype === 'float64' ? ', dtype=float64' : '';
  const grad = t.requiresGrad ? ', requiresGrad=true' : '';
  return `${prefix}${body}${extra}${grad})`;
}
