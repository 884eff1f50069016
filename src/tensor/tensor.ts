import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import {
  allocate, castInto, dtypeOf, isFloatDType, isFloatData, releaseStorage, trackAllocations, type DType, type FloatArray, type FloatDType,
  type TensorData,
} from './dtype.js';
import { sizeOf, stridesOf, shapesEqual } from './shape.js';

export { allocate, dtypeOf };
export type { DType, FloatArray, FloatDType, TensorData };

/** A scalar or (nested) array of numbers, as `tensor()` takes and `toArray()` returns. */
export type NestedArray = number | readonly NestedArray[];
/** Nested values as `tolist()` gives them: booleans for a bool tensor, numbers otherwise. */
export type NestedValues = number | boolean | readonly NestedValues[];

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

/** A tensor's storage for a float kernel; int32 and bool tensors are a DTypeError naming fn. */
export function floatData(t: Tensor, fn: string, arg = 'x'): FloatArray {
  const d = t.data;
  if (isFloatData(d)) return d;
  throw new DTypeError(`${fn}: ${arg} ${fmtShape(t.shape)} is ${t.dtype}, but ${fn} computes in floating point; convert it with ${arg}.astype('float32')`);
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

/** A tensor or a plain number (which keeps a tensor operand of its kind in its dtype: float32 + 2.5 is float32). */
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
  ne(a: TensorLike, b: TensorLike): Tensor;
  logicalAnd(a: TensorLike, b: TensorLike): Tensor;
  logicalOr(a: TensorLike, b: TensorLike): Tensor;
  logicalXor(a: TensorLike, b: TensorLike): Tensor;
  logicalNot(x: TensorLike): Tensor;
  astype(x: Tensor, dtype: DType): Tensor;
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
  sliceSpec(x: Tensor, spec: string): Tensor;
  takeAlongAxis(x: Tensor, indices: Tensor | NestedArray, axis?: number): Tensor;
  maskedSelect(x: Tensor, mask: Tensor | NestedValues): Tensor;
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
 * An n-dimensional array of float32, float64, int32 or bool values in contiguous row-major
 * storage, with the autograd graph that made it. Tensors are immutable values: ops return new ones.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /**
   * The contiguous row-major storage (Float32Array, Float64Array, Int32Array, or a Uint8Array of
   * 0/1 for bool). Writing into it bypasses autograd.
   */
  readonly data: TensorData;
  private requires = false;
  /** The accumulated gradient after `backward()`, for tensors that require it and were not made by an op. */
  grad: Tensor | null = null;
  /** The op that made this tensor, when it was recorded. */
  gradFn: GradNode | null = null;

  constructor(data: TensorData, shape: readonly number[], requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`Tensor: ${data.length} values do not fill shape ${fmtShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (requiresGrad) this.requiresGrad = true;
  }

  /** Whether gradients flow to this tensor; only float tensors can (as in PyTorch). */
  get requiresGrad(): boolean {
    return this.requires;
  }

  set requiresGrad(v: boolean) {
    if (v && !isFloatDType(this.dtype)) {
      throw new DTypeError(`requiresGrad: only float32 and float64 tensors can require gradients, this one is ${this.dtype} ${fmtShape(this.shape)}`);
    }
    this.requires = v === true;
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

  /** The values as a flat array of numbers (0/1 for bool). */
  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  /** The values as nested arrays of JS values: booleans for a bool tensor (PyTorch's tolist). */
  tolist(): NestedValues {
    const nested = this.toArray();
    if (this.dtype !== 'bool') return nested;
    const toBool = (v: NestedArray): NestedValues => (typeof v === 'number' ? v !== 0 : v.map(toBool));
    return toBool(nested);
  }

  /** tfjs' arraySync: the values as tolist() gives them (booleans for bool). */
  arraySync(): NestedValues {
    return this.tolist();
  }

  /** tfjs' array(): tolist() as a promise, for code written against tfjs. */
  array(): Promise<NestedValues> {
    return Promise.resolve(this.tolist());
  }

  /** A copy of the storage as its typed array (tfjs' dataSync): Uint8Array of 0/1 for bool. */
  dataSync(): TensorData {
    return this.data.slice();
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
    const createGraph = options.createGraph === true;
    withGradMode(createGraph, () => trackAllocations((fresh) => {
      // An intermediate gradient is dead once its node's backward has run and no pending
      // gradient or leaf .grad shares its buffer (a backward may pass its input on, or a view of
      // it); then, if this pass made it, its storage goes back to the pool. Not with createGraph:
      // there the gradients are part of a graph the caller keeps.
      const refs = new Map<ArrayBufferLike, number>();
      const pinned = new Set<ArrayBufferLike>();
      const count = (x: Tensor, d: number) => refs.set(x.data.buffer, (refs.get(x.data.buffer) ?? 0) + d);
      const dead: Tensor[] = [];
      const drop = () => {
        for (const x of dead) {
          const b = x.data.buffer;
          if (!createGraph && fresh(x.data) && !pinned.has(b) && !((refs.get(b) ?? 0) > 0)) releaseStorage(x.data);
        }
        dead.length = 0;
      };
      count(seed, 1);
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        count(g, -1);
        if (t.gradFn === null) {
          const acc = t.grad === null ? g : ops().add(t.grad, g);
          if (acc !== g) dead.push(g);
          t.grad = createGraph ? acc : acc.detachIfRecorded();
          pinned.add(t.grad.data.buffer);
          if (fresh(t.grad.data)) engineGradients.add(t.grad);
          drop();
          continue;
        }
        const inputGrads = t.gradFn.backward(g);
        dead.push(g);
        t.gradFn.inputs.forEach((input, k) => {
          const ig = inputGrads[k];
          if (!ig) return;
          if (!input.requiresGrad) {
            dead.push(ig);
            return;
          }
          if (!shapesEqual(ig.shape, input.shape)) {
            throw new Error(`gradlab internal: ${t.gradFn!.op} backward gave ${fmtShape(ig.shape)} for input ${fmtShape(input.shape)}`);
          }
          const prev = grads.get(input);
          const next = prev ? ops().add(prev, ig) : ig;
          if (prev) {
            count(prev, -1);
            dead.push(prev, ig);
          }
          grads.set(input, next);
          count(next, 1);
        });
        // only after every input's gradient is stored: one of them may share a dead buffer
        drop();
      }
    }));
  }

  private detachIfRecorded(): Tensor {
    return this.gradFn === null && !this.requiresGrad ? this : this.detach();
  }

  toString(): string {
    return formatTensor(this);
  }

  /** The axes reversed, as NumPy's `.T` (the transpose of a matrix; a vector is itself). */
  get T(): Tensor { return ops().transpose(this); }

  /** The values converted to dtype (float to int32 truncates toward zero; NaN or inf to int32 is a ValueError). */
  astype(dtype: DType): Tensor { return ops().astype(this, dtype); }
  /** Alias of astype. */
  cast(dtype: DType): Tensor { return ops().astype(this, dtype); }

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
  ne(other: TensorLike): Tensor { return ops().ne(this, other); }
  logicalAnd(other: TensorLike): Tensor { return ops().logicalAnd(this, other); }
  logicalOr(other: TensorLike): Tensor { return ops().logicalOr(this, other); }
  logicalXor(other: TensorLike): Tensor { return ops().logicalXor(this, other); }
  logicalNot(): Tensor { return ops().logicalNot(this); }
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
  /**
   * `x.slice(begin, size)` is tf.slice; `x.slice(':, 1:3')` reads like NumPy's basic indexing
   * (`start:stop:step`, negative indices, `...`, `None` for a new axis, an integer drops the axis).
   */
  slice(begin: readonly number[] | string, size?: readonly number[]): Tensor {
    return typeof begin === 'string' ? ops().sliceSpec(this, begin) : ops().slice(this, begin, size);
  }
  gather(indices: Tensor | readonly number[], axis?: number): Tensor { return ops().gather(this, indices, axis); }
  takeAlongAxis(indices: Tensor | NestedArray, axis?: number): Tensor { return ops().takeAlongAxis(this, indices, axis); }
  maskedSelect(mask: Tensor | NestedValues): Tensor { return ops().maskedSelect(this, mask); }
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

/** Leaf gradients whose storage the autograd engine allocated (releaseGradients may recycle them). */
const engineGradients = new WeakSet<Tensor>();

/**
 * Internal, for fit after the optimizer has used them: each parameter's .grad is set to null,
 * and its storage goes back to the pool when the autograd engine made it (never a gradient the
 * caller set). The caller guarantees nothing else holds those gradients.
 */
export function releaseGradients(params: readonly Tensor[]): void {
  for (const p of params) {
    const g = p.grad;
    p.grad = null;
    if (g !== null && engineGradients.delete(g)) releaseStorage(g.data);
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

/**
 * Parses nested arrays into a tensor, checking that they are rectangular. Without a dtype,
 * booleans alone give a bool tensor and anything else float32; values are converted to the dtype
 * as astype converts them (a boolean is 1 or 0).
 */
export function fromNested(values: NestedValues, dtype: DType | undefined, fn: string): Tensor {
  const shape: number[] = [];
  let probe: NestedValues = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat = new Float64Array(sizeOf(shape));
  let k = 0;
  let allBool = flat.length > 0;
  const walk = (v: NestedValues, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v === 'boolean') {
        flat[k++] = v ? 1 : 0;
        return;
      }
      if (typeof v !== 'number') {
        throw new ShapeError(`${fn}: ragged nested array: expected a number at ${path || 'top'} for shape ${fmtShape(shape)}`);
      }
      allBool = false;
      flat[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError(`${fn}: ragged nested array: ${path || 'top'} should have ${shape[dim]} elements for shape ${fmtShape(shape)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  const data = allocate(dtype ?? (allBool ? 'bool' : 'float32'), flat.length);
  castInto(flat, data, fn);
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
  let strs: string[];
  if (t.dtype === 'bool') {
    strs = vals.map((v) => (v !== 0 ? 'true' : 'false'));
  } else if (t.dtype === 'int32') {
    strs = vals.map((v) => String(v));
  } else {
    const finite = vals.filter((v) => Number.isFinite(v));
    const allInt = finite.every((v) => Number.isInteger(v) && Math.abs(v) < 1e16);
    strs = vals.map((v) => formatNumber(v, allInt, 4));
  }
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
  // As PyTorch: float32 and bool need no tag (2. and true say what they are); the others do.
  const extra = t.dtype === 'float64' || t.dtype === 'int32' ? `, dtype=${t.dtype}` : '';
  const grad = t.requiresGrad ? ', requiresGrad=true' : '';
  return `${prefix}${body}${extra}${grad})`;
}
