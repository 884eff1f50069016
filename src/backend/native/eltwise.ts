// The native backend's elementwise, reduction, pooling, optimizer, grouped-convolution and
// batch-normalisation kernels (native/src/eltwise.c, pool.c, optim.c, grouped.c, norm.c). They
// work in place on the tensors' Float32Arrays; float64 data, and calls too small to repay the
// trip into C, run on the js reference. native/index.ts spreads the result into the native Backend.
import type {
  Backend, Conv2dGeometry, Epilogue, FloatArray, Pool2dGeometry,
} from '../backend.js';
import { ACTIVATION_CODES, BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../codes.js';
import { jsBackend } from '../js/index.js';

/** The names of the op codes the addon was compiled with, in code order (codes.h via eltwise.c). */
export interface NativeEltwiseCodes {
  unary: string[];
  binary: string[];
  reduce: string[];
  activation: string[];
}

/** The addon functions these kernels call (native/src/eltwise.c, pool.c, optim.c, grouped.c). */
export interface NativeEltwiseAddon {
  eltwiseCodes: NativeEltwiseCodes;
  eltwiseUnary(op: number, x: Float32Array, out: Float32Array): void;
  /** dims: [rank, aShape..., bShape..., outShape...]. */
  eltwiseBinary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  eltwiseReduce(op: number, x: Float32Array, outer: number, axis: number, inner: number, out: Float32Array): void;
  eltwiseArgReduce(isMax: number, x: Float32Array, outer: number, axis: number, inner: number, out: Float32Array): void;
  eltwiseActivationBackward(act: number, dy: Float32Array, y: Float32Array, dz: Float32Array, dbias: Float32Array | null,
    inner: number): void;
  /** geometry: [batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft]. */
  poolMax2d(x: Float32Array, out: Float32Array, argmax: Int32Array, geometry: Int32Array): void;
  poolMax2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, geometry: Int32Array): void;
  poolAvg2d(x: Float32Array, out: Float32Array, geometry: Int32Array): void;
  poolAvg2dBackward(dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  optimAdam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, alpha: number, beta1: number, beta2: number,
    epsilon: number, mOut: Float32Array | null, vOut: Float32Array | null): void;
  allFinite(x: Float32Array): boolean;
  /**
   * geometry: [batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH,
   * dilationW, padTop, padLeft, groups]; act a code of eltwiseCodes.activation.
   */
  groupedConv2d(x: Float32Array, w: Float32Array, y: Float32Array, geometry: Int32Array, bias: Float32Array | null, act: number): void;
  groupedConv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  groupedConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  normMoments(rows: number, channels: number, x: Float32Array, mean: Float32Array, variance: Float32Array): void;
  normAffine(rows: number, channels: number, x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array): void;
  normBackward(rows: number, channels: number, dy: Float32Array, x: Float32Array, mean: Float32Array, invStd: Float32Array,
    scale: Float32Array, dx: Float32Array | null, dgamma: Float32Array, dbeta: Float32Array): void;
}

// Below these lengths the js loop finishes before the N-API call and its argument checks
// (~0.2-0.4 us) would; measured with bench/native-eltwise.ts on this machine.
const MIN_CHEAP = 64; // neg, abs, relu, add, mul, ...: ~1-2 ns an element in js
const MIN_TRANSCENDENTAL = 16; // exp, log, tanh, sigmoid, pow: ~10-30 ns an element in js
const MIN_REDUCE = 64;
const MIN_POOL = 64;
const MIN_ADAM = 64;
const MIN_FINITE = 256;

const TRANSCENDENTAL = new Set<string>(['exp', 'log', 'tanh', 'sigmoid', 'softplus', 'pow']);

/**
 * The shared code table (codes.ts), checked against the names this build of the addon compiled
 * (eltwiseCodes): an addon built from another table is refused rather than run with wrong ops.
 */
function codeTable<K extends string>(names: readonly string[] | undefined, want: Readonly<Record<K, number>>, what: string): Readonly<Record<K, number>> {
  for (const [k, code] of Object.entries(want) as [K, number][]) {
    if (!names || names[code] !== k) {
      throw new Error(`gradlab native: the addon's ${what} code ${code} is '${names?.[code] ?? 'missing'}', not '${k}' (rebuild with npm run build:native)`);
    }
  }
  return want;
}


function isF32(a: FloatArray): a is Float32Array {
  return a instanceof Float32Array;
}

function has<K extends keyof NativeEltwiseAddon>(addon: object, key: K): addon is Pick<NativeEltwiseAddon, K> {
  return typeof (addon as Record<string, unknown>)[key] === (key === 'eltwiseCodes' ? 'object' : 'function');
}

/**
 * The kernels this addon provides, each falling back to the js reference for float64 arrays
 * and for calls too small to pay for the trip into C. Kernels whose functions the addon lacks
 * (an older build) are left out, so the Backend keeps its other implementation of them.
 */
export function nativeEltwiseKernels(addon: object): Partial<Backend> {
  const out: Partial<Backend> = {};
  if (!has(addon, 'eltwiseCodes')) return out;
  const codes = addon.eltwiseCodes;
  const ACT = codeTable(codes.activation, ACTIVATION_CODES, 'activation');

  if (has(addon, 'eltwiseUnary')) {
    const U = codeTable(codes.unary, UNARY_CODES, 'unary');
    const f = addon.eltwiseUnary;
    out.unary = (op, x, o) => {
      if (isF32(x) && isF32(o) && x.length >= (TRANSCENDENTAL.has(op) ? MIN_TRANSCENDENTAL : MIN_CHEAP)) f(U[op], x, o);
      else jsBackend.unary(op, x, o);
    };
  }

  if (has(addon, 'eltwiseBinary')) {
    const B = codeTable(codes.binary, BINARY_CODES, 'binary');
    const f = addon.eltwiseBinary;
    let dims = new Int32Array(1 + 3 * 8);
    out.binary = (op, a, aShape, b, bShape, o, outShape) => {
      const rank = outShape.length;
      if (!isF32(a) || !isF32(b) || !isF32(o) || o.length < (TRANSCENDENTAL.has(op) ? MIN_TRANSCENDENTAL : MIN_CHEAP) ||
        aShape.length !== rank || bShape.length !== rank) {
        jsBackend.binary(op, a, aShape, b, bShape, o, outShape);
        return;
      }
      if (dims.length < 1 + 3 * rank) dims = new Int32Array(1 + 3 * rank);
      dims[0] = rank;
      for (let d = 0; d < rank; d++) {
        dims[1 + d] = aShape[d];
        dims[1 + rank + d] = bShape[d];
        dims[1 + 2 * rank + d] = outShape[d];
      }
      f(B[op], a, b, o, dims);
    };
  }

  if (has(addon, 'eltwiseReduce')) {
    const R = codeTable(codes.reduce, REDUCE_CODES, 'reduce');
    const f = addon.eltwiseReduce;
    out.reduce = (op, x, outer, axis, inner, o) => {
      if (isF32(x) && isF32(o) && x.length >= MIN_REDUCE && axis >= 1) f(R[op], x, outer, axis, inner, o);
      else jsBackend.reduce(op, x, outer, axis, inner, o);
    };
  }

  if (has(addon, 'eltwiseArgReduce')) {
    const f = addon.eltwiseArgReduce;
    out.argReduce = (op, x, outer, axis, inner, o) => {
      if (isF32(x) && isF32(o) && x.length >= MIN_REDUCE && axis >= 1) f(op === 'max' ? 1 : 0, x, outer, axis, inner, o);
      else jsBackend.argReduce(op, x, outer, axis, inner, o);
    };
  }

  if (has(addon, 'eltwiseActivationBackward')) {
    const f = addon.eltwiseActivationBackward;
    out.activationBackward = (dy, y, activation, dz, dbias, inner) => {
      if (isF32(dy) && isF32(y) && isF32(dz) && (dbias === null || isF32(dbias)) && dy.length >= MIN_CHEAP) {
        f(ACT[activation], dy, y, dz, dbias, inner);
      } else {
        jsBackend.activationBackward(dy, y, activation, dz, dbias, inner);
      }
    };
  }

  const geo = new Int32Array(12);
  const poolGeo = (g: Pool2dGeometry): Int32Array => {
    geo[0] = g.batch; geo[1] = g.inH; geo[2] = g.inW; geo[3] = g.channels; geo[4] = g.outH; geo[5] = g.outW;
    geo[6] = g.kH; geo[7] = g.kW; geo[8] = g.strideH; geo[9] = g.strideW; geo[10] = g.padTop; geo[11] = g.padLeft;
    return geo;
  };
  if (has(addon, 'poolMax2d')) {
    const f = addon.poolMax2d;
    out.maxPool2d = (x, o, argmax, g) => {
      if (isF32(x) && isF32(o) && x.length >= MIN_POOL) f(x, o, argmax, poolGeo(g));
      else jsBackend.maxPool2d(x, o, argmax, g);
    };
  }
  if (has(addon, 'poolMax2dBackward')) {
    const f = addon.poolMax2dBackward;
    out.maxPool2dBackward = (dy, argmax, dx, g) => {
      if (isF32(dy) && isF32(dx) && dx.length >= MIN_POOL) f(dy, argmax, dx, poolGeo(g));
      else jsBackend.maxPool2dBackward(dy, argmax, dx, g);
    };
  }
  if (has(addon, 'poolAvg2d')) {
    const f = addon.poolAvg2d;
    out.avgPool2d = (x, o, g) => {
      if (isF32(x) && isF32(o) && x.length >= MIN_POOL) f(x, o, poolGeo(g));
      else jsBackend.avgPool2d(x, o, g);
    };
  }
  if (has(addon, 'poolAvg2dBackward')) {
    const f = addon.poolAvg2dBackward;
    out.avgPool2dBackward = (dy, dx, g) => {
      if (isF32(dy) && isF32(dx) && dx.length >= MIN_POOL) f(dy, dx, poolGeo(g));
      else jsBackend.avgPool2dBackward(dy, dx, g);
    };
  }

  if (has(addon, 'optimAdam')) {
    const f = addon.optimAdam;
    out.adamUpdate = (w, g, m, v, alpha, beta1, beta2, epsilon, mOut = m, vOut = v) => {
      if (isF32(w) && isF32(g) && isF32(m) && isF32(v) && isF32(mOut) && isF32(vOut) && w.length >= MIN_ADAM) {
        f(w, g, m, v, alpha, beta1, beta2, epsilon, mOut, vOut);
      } else {
        jsBackend.adamUpdate(w, g, m, v, alpha, beta1, beta2, epsilon, mOut, vOut);
      }
    };
  }

  if (has(addon, 'allFinite')) {
    const f = addon.allFinite;
    out.allFinite = (x) => (isF32(x) && x.length >= MIN_FINITE ? f(x) : jsBackend.allFinite(x));
  }

  const cgeo = new Int32Array(16);
  const convGeo = (g: Conv2dGeometry, groups: number): Int32Array => {
    cgeo[0] = g.batch; cgeo[1] = g.inH; cgeo[2] = g.inW; cgeo[3] = g.inC; cgeo[4] = g.outH; cgeo[5] = g.outW; cgeo[6] = g.outC;
    cgeo[7] = g.kH; cgeo[8] = g.kW; cgeo[9] = g.strideH; cgeo[10] = g.strideW; cgeo[11] = g.dilationH; cgeo[12] = g.dilationW;
    cgeo[13] = g.padTop; cgeo[14] = g.padLeft; cgeo[15] = groups;
    return cgeo;
  };
  const epilogueF32 = (e: Epilogue | undefined): boolean => !e || e.bias === null || isF32(e.bias);
  if (has(addon, 'groupedConv2d')) {
    const f = addon.groupedConv2d;
    out.groupedConv2d = (x, w, y, g, groups, epilogue) => {
      if (isF32(x) && isF32(w) && isF32(y) && epilogueF32(epilogue)) {
        f(x, w, y, convGeo(g, groups), (epilogue?.bias ?? null) as Float32Array | null, ACT[epilogue?.activation ?? 'linear']);
      } else {
        jsBackend.groupedConv2d(x, w, y, g, groups, epilogue);
      }
    };
  }
  if (has(addon, 'groupedConv2dBackpropInput')) {
    const f = addon.groupedConv2dBackpropInput;
    out.groupedConv2dBackpropInput = (dy, w, dx, g, groups) => {
      if (isF32(dy) && isF32(w) && isF32(dx)) f(dy, w, dx, convGeo(g, groups));
      else jsBackend.groupedConv2dBackpropInput(dy, w, dx, g, groups);
    };
  }
  if (has(addon, 'groupedConv2dBackpropFilter')) {
    const f = addon.groupedConv2dBackpropFilter;
    out.groupedConv2dBackpropFilter = (x, dy, dw, g, groups) => {
      if (isF32(x) && isF32(dy) && isF32(dw)) f(x, dy, dw, convGeo(g, groups));
      else jsBackend.groupedConv2dBackpropFilter(x, dy, dw, g, groups);
    };
  }
  if (has(addon, 'normMoments')) {
    const f = addon.normMoments;
    out.channelMoments = (x, rows, channels, mean, variance) => {
      if (isF32(x) && isF32(mean) && isF32(variance) && x.length >= MIN_CHEAP) f(rows, channels, x, mean, variance);
      else jsBackend.channelMoments(x, rows, channels, mean, variance);
    };
  }
  if (has(addon, 'normAffine')) {
    const f = addon.normAffine;
    out.channelAffine = (x, rows, channels, scale, shift, y) => {
      if (isF32(x) && isF32(scale) && isF32(shift) && isF32(y) && x.length >= MIN_CHEAP) f(rows, channels, x, scale, shift, y);
      else jsBackend.channelAffine(x, rows, channels, scale, shift, y);
    };
  }
  if (has(addon, 'normBackward')) {
    const f = addon.normBackward;
    out.batchNormBackward = (dy, x, rows, channels, mean, invStd, scale, dx, dgamma, dbeta) => {
      if (isF32(dy) && isF32(x) && isF32(mean) && isF32(invStd) && isF32(scale) && (dx === null || isF32(dx)) && isF32(dgamma) &&
        isF32(dbeta) && x.length >= MIN_CHEAP) {
        f(rows, channels, dy, x, mean, invStd, scale, dx, dgamma, dbeta);
      } else {
        jsBackend.batchNormBackward(dy, x, rows, channels, mean, invStd, scale, dx, dgamma, dbeta);
      }
    };
  }
  return out;
}
