import type { BinaryKernel, UnaryKernel } from '../backend/backend.js';
import { ValueError } from '../core/errors.js';
import { describeValue } from '../core/validate.js';
import type { Random } from '../tensor/random.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import { isFloatDType } from '../tensor/dtype.js';
import { Tensor, recordOp, type NestedValues } from '../tensor/tensor.js';
import { astype, pairOf } from './cast.js';
import { expandedData, intBinary, intUnary, type IntBinaryOp, type IntUnaryOp } from './intmath.js';
import { broadcastTo, sumTo } from './primitives.js';
import { registerOp, type OpSample } from './registry.js';
import {
  empty, expectTensor, fd, kernelOutput, kernels, sampleAwayFromZero, sampleUniform, toTensor, type TensorLike,
} from './util.js';

function padShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** Runs a broadcasting binary kernel on two float tensors of one dtype (no autograd). */
export function binaryKernel(op: BinaryKernel, a: Tensor, b: Tensor, fn: string): Tensor {
  const shape = shapesEqual(a.shape, b.shape) ? [...a.shape] : broadcastShapes(fn, a.shape, b.shape);
  const out = kernelOutput(a.dtype, shape);
  kernels().binary(op, fd(a, fn), padShape(a.shape, shape.length), fd(b, fn), padShape(b.shape, shape.length), fd(out, fn), shape);
  return out;
}

/** Runs a unary kernel on a float tensor (no autograd). */
export function unaryKernel(op: UnaryKernel, x: Tensor): Tensor {
  const out = kernelOutput(x.dtype, x.shape);
  kernels().unary(op, fd(x, op), fd(out, op));
  return out;
}

/**
 * A binary op on operands promoted to one dtype (NumPy's rules; see cast.ts). Float operands run
 * the kernel and record the backward; int32 and bool ones run the integer loops.
 */
function binaryOp(name: string, op: BinaryKernel, a: TensorLike, b: TensorLike,
  backward: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  const [ta, tb] = pairOf(a, b, name);
  if (!isFloatDType(ta.dtype)) return intBinary(op as IntBinaryOp, ta, tb, name); // div promotes ints to float first
  const out = binaryKernel(op, ta, tb, name);
  return recordOp(out, name, [ta, tb], (g) => {
    const [ga, gb] = backward(g, ta, tb, out);
    return [ga && ta.requiresGrad ? sumTo(ga, ta.shape) : null, gb && tb.requiresGrad ? sumTo(gb, tb.shape) : null];
  });
}

/** x as float32 when it is int32 or bool: the math functions (exp, log, ...) compute in floating point, as PyTorch's do. */
function asFloat(x: Tensor): Tensor {
  return isFloatDType(x.dtype) ? x : astype(x, 'float32');
}

function unaryOp(name: string, op: UnaryKernel, x: Tensor, backward: (g: Tensor, x: Tensor, out: Tensor) => Tensor | null): Tensor {
  expectTensor(x, name, 'x');
  if (!isFloatDType(x.dtype) && (op === 'neg' || op === 'abs' || op === 'square' || op === 'sign')) return intUnary(op as IntUnaryOp, x, name);
  const xf = asFloat(x);
  const out = unaryKernel(op, xf);
  return recordOp(out, name, [xf], (g) => [backward(g, xf, out)]);
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('add', 'add', a, b, (g) => [g, g]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('sub', 'sub', a, b, (g, _x, y) => [g, y.requiresGrad ? neg(g) : null]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('mul', 'mul', a, b, (g, x, y) => [x.requiresGrad ? mul(g, y) : null, y.requiresGrad ? mul(g, x) : null]);
}

/** True division: int32 and bool operands give float32 (NumPy gives float64; gradlab's default float is float32). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const intA = a instanceof Tensor ? !isFloatDType(a.dtype) : true;
  const intB = b instanceof Tensor ? !isFloatDType(b.dtype) : true;
  if (intA && intB && (a instanceof Tensor || b instanceof Tensor)) {
    a = a instanceof Tensor ? astype(a, 'float32') : a;
    b = b instanceof Tensor ? astype(b, 'float32') : b;
  }
  return binaryOp('div', 'div', a, b, (g, x, y, out) => [x.requiresGrad ? div(g, y) : null, y.requiresGrad ? neg(div(mul(g, out), y)) : null]);
}

/** a ** b elementwise. The gradient in b needs a > 0 (it uses log a). Integers to negative integer powers are a ValueError (NumPy's rule). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('pow', 'pow', a, b, (g, x, y, out) => [
    x.requiresGrad ? mul(g, mul(y, pow(x, sub(y, 1)))) : null,
    y.requiresGrad ? mul(g, mul(out, log(x))) : null,
  ]);
}

/** Elementwise larger value; at ties the gradient goes to a. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('maximum', 'maximum', a, b, (g, x, y) => {
    const m = binaryKernel('ge', x, y, 'maximum');
    return [mul(g, m), mul(g, sub(1, m))];
  });
}

/** Elementwise smaller value; at ties the gradient goes to a. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('minimum', 'minimum', a, b, (g, x, y) => {
    const m = binaryKernel('le', x, y, 'minimum');
    return [mul(g, m), mul(g, sub(1, m))];
  });
}

export function neg(x: Tensor): Tensor {
  return unaryOp('neg', 'neg', x, (g) => neg(g));
}

export function exp(x: Tensor): Tensor {
  return unaryOp('exp', 'exp', x, (g, _x, out) => mul(g, out));
}

export function log(x: Tensor): Tensor {
  return unaryOp('log', 'log', x, (g, xi) => div(g, xi));
}

export function sqrt(x: Tensor): Tensor {
  return unaryOp('sqrt', 'sqrt', x, (g, _x, out) => div(g, mul(out, 2)));
}

/** |x|; the gradient at 0 is 0. */
export function abs(x: Tensor): Tensor {
  return unaryOp('abs', 'abs', x, (g, xi) => mul(g, unaryKernel('sign', xi)));
}

export function square(x: Tensor): Tensor {
  return unaryOp('square', 'square', x, (g, xi) => mul(g, mul(xi, 2)));
}

/** -1, 0 or 1 (zero gradient). */
export function sign(x: Tensor): Tensor {
  expectTensor(x, 'sign', 'x');
  return isFloatDType(x.dtype) ? unaryKernel('sign', x) : intUnary('sign', x, 'sign');
}

/** Limits x to [min, max]; the gradient passes where x is inside. */
export function clip(x: Tensor, min: number, max: number): Tensor {
  expectTensor(x, 'clip', 'x');
  if (typeof min !== 'number' || typeof max !== 'number') throw new ValueError(`clip: min and max must be numbers, got ${describeValue(min)} and ${describeValue(max)}`);
  if (!(min <= max)) throw new ValueError(`clip: min (${min}) must not exceed max (${max})`);
  return minimum(maximum(x, min), max);
}

/**
 * cond ? a : b elementwise with broadcasting, in a and b's promoted dtype. cond is a bool tensor (as
 * comparisons give) or any tensor read as nonzero = true, and gets no gradient.
 */
export function where(condition: Tensor | NestedValues, a: TensorLike, b: TensorLike): Tensor {
  const cond = !(condition instanceof Tensor) && (Array.isArray(condition) || typeof condition === 'boolean')
    ? boolTensor(condition, 'where', 'cond') : expectTensor(condition, 'where', 'cond');
  const [ta, tb] = pairOf(a, b, 'where');
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const c = shapesEqual(cond.shape, shape) ? cond : broadcastTo(cond.detach(), shape);
  const av = shapesEqual(ta.shape, shape) ? ta : broadcastTo(ta, shape);
  const bv = shapesEqual(tb.shape, shape) ? tb : broadcastTo(tb, shape);
  const out = empty(ta.dtype, shape);
  for (let i = 0; i < out.size; i++) out.data[i] = c.data[i] !== 0 ? av.data[i] : bv.data[i];
  return recordOp(out, 'where', [av, bv], (g) => {
    const zero = toTensor(0, g.dtype, 'where', 'zero');
    return [where(c, g, zero), where(c, zero, g)];
  });
}

function boolTensor(values: NestedValues, fn: string, arg: string): Tensor {
  // Nested booleans (or numbers read as nonzero) as a bool tensor.
  const flat: number[] = [];
  const shape: number[] = [];
  let probe: NestedValues = values;
  while (Array.isArray(probe)) { shape.push(probe.length); if (probe.length === 0) break; probe = probe[0]; }
  const walk = (v: NestedValues, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'boolean' && typeof v !== 'number') throw new ValueError(`${fn}: ${arg} must hold booleans, got ${describeValue(v)}`);
      flat.push(v ? 1 : 0);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) throw new ValueError(`${fn}: ${arg} is a ragged nested array`);
    for (const u of v) walk(u, dim + 1);
  };
  walk(values, 0);
  return new Tensor(Uint8Array.from(flat), shape);
}

/** A comparison: a bool tensor (NumPy's and PyTorch's), computed in the operands' promoted dtype; not differentiable. */
function compare(fn: 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne', a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = pairOf(a, b, fn);
  if (shapesEqual(x.shape, y.shape) || y.size === 1 || x.size === 1) return compareLoop(fn, x, y);
  if (!isFloatDType(x.dtype)) {
    // int32 and bool values are exact in float64
    x = new Tensor(Float64Array.from(x.data), x.shape);
    y = new Tensor(Float64Array.from(y.data), y.shape);
  }
  const r = binaryKernel(fn === 'ne' ? 'eq' : fn, x.detach(), y.detach(), fn);
  const out = new Uint8Array(r.size);
  const d = r.data;
  if (fn === 'ne') for (let i = 0; i < out.length; i++) out[i] = d[i] !== 0 ? 0 : 1;
  else for (let i = 0; i < out.length; i++) out[i] = d[i] !== 0 ? 1 : 0;
  return new Tensor(out, r.shape);
}

/** One pass for the common cases (same shapes, or one side a single value); `+(a > b)` compiles without a branch (2-5x faster on random signs). */
function compareLoop(fn: 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne', x: Tensor, y: Tensor): Tensor {
  const shape = shapesEqual(x.shape, y.shape) ? [...x.shape] : broadcastShapes(fn, x.shape, y.shape);
  const xd = x.data;
  const yd = y.data;
  const n = Math.max(xd.length, yd.length);
  const out = new Uint8Array(n);
  const xs = xd.length === n ? 1 : 0;
  const ys = yd.length === n ? 1 : 0;
  switch (fn) {
    case 'gt': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] > yd[i * ys]); break;
    case 'ge': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] >= yd[i * ys]); break;
    case 'lt': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] < yd[i * ys]); break;
    case 'le': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] <= yd[i * ys]); break;
    case 'eq': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] === yd[i * ys]); break;
    case 'ne': for (let i = 0; i < n; i++) out[i] = +(xd[i * xs] !== yd[i * ys]); break;
  }
  return new Tensor(out, shape);
}

export function gt(a: TensorLike, b: TensorLike): Tensor { return compare('gt', a, b); }
export function ge(a: TensorLike, b: TensorLike): Tensor { return compare('ge', a, b); }
export function lt(a: TensorLike, b: TensorLike): Tensor { return compare('lt', a, b); }
export function le(a: TensorLike, b: TensorLike): Tensor { return compare('le', a, b); }
export function eq(a: TensorLike, b: TensorLike): Tensor { return compare('eq', a, b); }
/** a != b (true where either is NaN, as IEEE and NumPy say). */
export function ne(a: TensorLike, b: TensorLike): Tensor { return compare('ne', a, b); }

function logical(fn: string, a: TensorLike, b: TensorLike, f: (x: number, y: number) => number): Tensor {
  const ta = toBool(a, fn, 'a');
  const tb = toBool(b, fn, 'b');
  const shape = shapesEqual(ta.shape, tb.shape) ? [...ta.shape] : broadcastShapes(fn, ta.shape, tb.shape);
  const x = expandedData(ta, shape);
  const y = expandedData(tb, shape);
  const out = new Uint8Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x[i], y[i]);
  return new Tensor(out, shape);
}

/** Any tensor or number read as nonzero = true (NaN is true), as a bool tensor. */
function toBool(x: TensorLike, fn: string, arg: string): Tensor {
  const t = toTensor(x, 'bool', fn, arg);
  return t.dtype === 'bool' ? t : astype(t, 'bool');
}

/** Elementwise and of the operands read as booleans (nonzero = true); a bool tensor. */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor { return logical('logicalAnd', a, b, (x, y) => x & y); }
/** Elementwise or; a bool tensor. */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor { return logical('logicalOr', a, b, (x, y) => x | y); }
/** Elementwise exclusive or; a bool tensor. */
export function logicalXor(a: TensorLike, b: TensorLike): Tensor { return logical('logicalXor', a, b, (x, y) => x ^ y); }
/** Elementwise not of x read as booleans; a bool tensor. */
export function logicalNot(x: TensorLike): Tensor {
  const t = toBool(x, 'logicalNot', 'x');
  const out = new Uint8Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = t.data[i] ^ 1;
  return new Tensor(out, t.shape);
}

// ---------- registry ----------

const broadcastCases: [number[], number[]][] = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 4]], [[2, 3], []]];

function binarySamples(name: string, fn: (a: Tensor, b: Tensor) => Tensor, draw: (r: Random, s: number[], which: 0 | 1) => Tensor) {
  return (rng: Random): OpSample[] => broadcastCases.map(([sa, sb]) => ({
    label: `${name} [${sa}] x [${sb}]`,
    inputs: [draw(rng, sa, 0), draw(rng, sb, 1)],
    fn,
  }));
}

const uniform = (r: Random, s: number[]) => sampleUniform(r, s);
registerOp({ name: 'add', family: 'elementwise', samples: binarySamples('add', add, uniform) });
registerOp({ name: 'sub', family: 'elementwise', samples: binarySamples('sub', sub, uniform) });
registerOp({ name: 'mul', family: 'elementwise', samples: binarySamples('mul', mul, uniform) });
registerOp({
  name: 'div', family: 'elementwise',
  samples: binarySamples('div', div, (r, s, w) => (w === 1 ? sampleUniform(r, s, 0.5, 2) : sampleUniform(r, s))),
});
registerOp({
  name: 'pow', family: 'elementwise',
  samples: binarySamples('pow', pow, (r, s, w) => (w === 0 ? sampleUniform(r, s, 0.5, 2) : sampleUniform(r, s, -2, 2))),
});
// Separate the operands so no pair sits at the tie.
registerOp({
  name: 'maximum', family: 'elementwise',
  samples: binarySamples('maximum', maximum, (r, s, w) => (w === 0 ? sampleAwayFromZero(r, s, 0.1) : sampleUniform(r, s, -0.02, 0.02))),
});
registerOp({
  name: 'minimum', family: 'elementwise',
  samples: binarySamples('minimum', minimum, (r, s, w) => (w === 0 ? sampleAwayFromZero(r, s, 0.1) : sampleUniform(r, s, -0.02, 0.02))),
});

function unarySamples(name: string, fn: (x: Tensor) => Tensor, draw: (r: Random, s: number[]) => Tensor) {
  return (rng: Random): OpSample[] => [[5], [2, 3], [2, 3, 4]].map((s) => ({ label: `${name} [${s}]`, inputs: [draw(rng, s)], fn }));
}
registerOp({ name: 'neg', family: 'elementwise', samples: unarySamples('neg', neg, uniform) });
registerOp({ name: 'exp', family: 'elementwise', samples: unarySamples('exp', exp, uniform) });
registerOp({ name: 'log', family: 'elementwise', samples: unarySamples('log', log, (r, s) => sampleUniform(r, s, 0.3, 3)) });
registerOp({ name: 'sqrt', family: 'elementwise', samples: unarySamples('sqrt', sqrt, (r, s) => sampleUniform(r, s, 0.3, 3)) });
registerOp({ name: 'abs', family: 'elementwise', samples: unarySamples('abs', abs, (r, s) => sampleAwayFromZero(r, s)) });
registerOp({ name: 'square', family: 'elementwise', samples: unarySamples('square', square, uniform) });
registerOp({ name: 'sign', family: 'elementwise', samples: unarySamples('sign', sign, (r, s) => sampleAwayFromZero(r, s)) });
registerOp({
  name: 'clip', family: 'elementwise',
  samples: (rng) => [{ label: 'clip [-0.5, 0.5]', inputs: [sampleAwayFromZero(rng, [4, 5], 0.05, 1)], fn: (x) => clip(x, -0.52, 0.48) }],
});
registerOp({
  name: 'where', family: 'elementwise',
  samples: (rng) => [
    {
      label: 'where same shapes',
      inputs: [sampleUniform(rng, [3, 4]), sampleUniform(rng, [3, 4])],
      fn: (a, b) => where(gt(a, 0).detach(), a, b),
    },
    ((cond: Tensor): OpSample => ({
      label: 'where broadcast',
      inputs: [sampleUniform(rng, [3, 1]), sampleUniform(rng, [4])],
      fn: (a, b) => where(cond, a, b),
    }))(gt(sampleUniform(rng, [3, 4]), 0)),
  ],
});
