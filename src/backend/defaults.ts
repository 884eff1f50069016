// The default kernels: every kernel of Backend that is not in the required core, written with
// the core (and with each other) through the backend they are installed on, so a backend's own
// faster kernels are used wherever it has them. Convolution gradients are GEMMs on im2col panels
// (the filter gradient is panel^T . dy, the input gradient dy . w^T scattered back: a transposed
// convolution), activation gradients are binary kernels, grouped convolutions run per group on
// channel slices. Scatters (pooling backward), the fused Adam step and batch normalisation's
// per-channel sums have no core kernel to build on: their defaults are the reference's scalar loops.
import {
  CORE_KERNELS, KERNEL_NAMES, type Backend, type BackendParts, type Conv2dGeometry, type Conv2dGrads, type DefaultKernel,
  type Epilogue, type FloatArray, type FusedActivation, type FusedOutput,
} from './backend.js';
import {
  groupedConv2dBackpropFilterBySlices, groupedConv2dBackpropInputBySlices, groupedConv2dBySlices,
} from './grouped.js';
import { jsBackend } from './js/index.js';
import { ValueError } from '../core/errors.js';

// Floats of one im2col panel: the defaults' scratch stays bounded whatever the shape.
const PANEL_FLOATS = 1 << 20;

function like(a: FloatArray, n: number): FloatArray {
  return a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/** One value as an operand broadcast by the binary kernels (shape [1] against [n]). */
function scalar(a: FloatArray, v: number): FloatArray {
  const s = like(a, 1);
  s[0] = v;
  return s;
}

/** y = activation(y + bias) in place with be's binary and unary kernels (the bias repeats over rows). */
export function epilogueWith(be: Backend, y: FloatArray, e: Epilogue): void {
  const n = y.length;
  if (e.bias && n > 0) {
    const inner = e.bias.length;
    be.binary('add', y, [n / inner, inner], e.bias, [1, inner], y, [n / inner, inner]);
  }
  if (e.activation !== 'linear') be.unary(e.activation, y, y);
}

/**
 * dz = dy * activation'(y) from the activation's output, in the unfused ops' order (so the
 * values are the reference's bit for bit), and dbias = dz's sums over rows of `inner`.
 */
function activationBackward(be: Backend, dy: FloatArray, y: FloatArray, activation: FusedActivation, dz: FloatArray,
  dbias: FloatArray | null, inner: number): void {
  const n = dy.length;
  const s = [n];
  if (activation === 'linear') dz.set(dy);
  else if (activation === 'relu') {
    const t = like(dz, n);
    be.binary('maskPositive', dy, s, y, s, t, s);
    dz.set(t);
  } else {
    const t = like(dz, n);
    const one = scalar(dz, 1);
    if (activation === 'sigmoid') {
      be.binary('sub', one, [1], y, s, t, s); // 1 - y
      be.binary('mul', y, s, t, s, t, s); // y (1 - y)
    } else {
      be.binary('mul', y, s, y, s, t, s); // y^2
      be.binary('sub', one, [1], t, s, t, s); // 1 - y^2
    }
    be.binary('mul', dy, s, t, s, t, s);
    dz.set(t);
  }
  if (dbias) be.reduce('sum', dz, 1, inner > 0 ? n / inner : 0, inner, dbias);
}

/** Output pixels per panel: at least one, and a panel of at most PANEL_FLOATS otherwise. */
function panelRows(g: Conv2dGeometry): number {
  return Math.max(1, Math.floor(PANEL_FLOATS / Math.max(1, g.kH * g.kW * g.inC)));
}

/**
 * Calls visit(xo, co) for every tap of output pixels [p0, p0 + rows) (flat over batch and rows)
 * that lands inside the image: xo its input pixel's offset in x, co its place in the im2col matrix.
 */
function forEachTap(g: Conv2dGeometry, p0: number, rows: number, visit: (xo: number, co: number) => void): void {
  const { inH, inW, inC, outH, outW, kH, kW } = g;
  const K = kH * kW * inC;
  for (let r = 0; r < rows; r++) {
    const p = p0 + r;
    const nb = Math.floor(p / (outH * outW));
    const oh = Math.floor(p / outW) % outH;
    const ow = p % outW;
    for (let kh = 0; kh < kH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
      if (ih < 0 || ih >= inH) continue;
      for (let kw = 0; kw < kW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
        if (iw < 0 || iw >= inW) continue;
        visit(((nb * inH + ih) * inW + iw) * inC, r * K + (kh * kW + kw) * inC);
      }
    }
  }
}

/** col[r, K] = the receptive fields of output pixels [p0, p0 + rows), zeros for padding. */
function im2col(x: FloatArray, g: Conv2dGeometry, p0: number, rows: number, col: FloatArray): void {
  const inC = g.inC;
  col.fill(0, 0, rows * g.kH * g.kW * inC);
  forEachTap(g, p0, rows, (xo, co) => col.set(x.subarray(xo, xo + inC), co));
}

/** acc += col2im(col) for output pixels [p0, p0 + rows): the adjoint of im2col. */
function col2imAdd(col: FloatArray, g: Conv2dGeometry, p0: number, rows: number, acc: Float64Array): void {
  const inC = g.inC;
  forEachTap(g, p0, rows, (xo, co) => {
    for (let c = 0; c < inC; c++) acc[xo + c] += col[co + c];
  });
}

/** dx = the transposed convolution of dy: per panel of output pixels, dcol = dy . w^T (a GEMM), scattered back. */
function conv2dBackpropInput(be: Backend, dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry,
  epilogue?: Epilogue): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.outC;
  const P = g.batch * g.outH * g.outW;
  const R = Math.min(P, panelRows(g));
  const col = like(dx, R * K);
  const acc = new Float64Array(dx.length);
  if (K > 0 && M > 0) {
    for (let p0 = 0; p0 < P; p0 += R) {
      const rows = Math.min(R, P - p0);
      // dy's rows are contiguous: a view, no copy; w [K, M] read transposed
      be.matmul(dy.subarray(p0 * M, (p0 + rows) * M), w, col, 1, rows, M, K, false, true, 0, 0);
      col2imAdd(col, g, p0, rows, acc);
    }
  }
  for (let i = 0; i < dx.length; i++) dx[i] = acc[i];
  if (epilogue) epilogueWith(be, dx, epilogue);
}

/** dw [K, M] = sum over panels of im2col(x)^T . dy (one GEMM each, summed in panel order). */
function conv2dBackpropFilter(be: Backend, x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.outC;
  const P = g.batch * g.outH * g.outW;
  const R = Math.min(P, panelRows(g));
  if (P <= R || K * M === 0) {
    // one panel: the GEMM writes dw itself
    const col = like(x, Math.max(0, P) * K);
    im2col(x, g, 0, P, col);
    if (P === 0) dw.fill(0);
    else be.matmul(col, dy, dw, 1, K, P, M, true, false, 0, 0);
    return;
  }
  const col = like(x, R * K);
  const part = like(dw, dw.length);
  const acc = new Float64Array(dw.length);
  for (let p0 = 0; p0 < P; p0 += R) {
    const rows = Math.min(R, P - p0);
    im2col(x, g, p0, rows, col);
    be.matmul(col.subarray(0, rows * K), dy.subarray(p0 * M, (p0 + rows) * M), part, 1, K, rows, M, true, false, 0, 0);
    for (let i = 0; i < part.length; i++) acc[i] += part[i];
  }
  for (let i = 0; i < dw.length; i++) dw[i] = acc[i];
}

function conv2dBackward(be: Backend, x: FloatArray, w: FloatArray, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
  fused?: FusedOutput): void {
  let dz = dy;
  if (fused && fused.activation !== 'linear') {
    dz = like(dy, dy.length);
    be.activationBackward(dy, fused.y, fused.activation, dz, grads.dbias, g.outC);
  } else if (grads.dbias) {
    be.reduce('sum', dz, 1, g.outC > 0 ? dz.length / g.outC : 0, g.outC, grads.dbias);
  }
  if (grads.dx) be.conv2dBackpropInput(dz, w, grads.dx, g);
  if (grads.dw) be.conv2dBackpropFilter(x, dz, grads.dw, g);
}

/** The default kernels of `be`, each calling be's kernels (its own where it has them, defaults elsewhere). */
export function defaultKernels(be: Backend): Pick<Backend, DefaultKernel> {
  return {
    activationBackward: (dy, y, activation, dz, dbias, inner) => activationBackward(be, dy, y, activation, dz, dbias, inner),
    conv2dBackpropInput: (dy, w, dx, g, epilogue) => conv2dBackpropInput(be, dy, w, dx, g, epilogue),
    conv2dBackpropFilter: (x, dy, dw, g) => conv2dBackpropFilter(be, x, dy, dw, g),
    conv2dBackward: (x, w, dy, g, grads, fused) => conv2dBackward(be, x, w, dy, g, grads, fused),
    groupedConv2d: (x, w, y, g, groups, epilogue) =>
      groups === 1 ? be.conv2d(x, w, y, g, epilogue) : groupedConv2dBySlices(be, x, w, y, g, groups, epilogue),
    groupedConv2dBackpropInput: (dy, w, dx, g, groups) =>
      groups === 1 ? be.conv2dBackpropInput(dy, w, dx, g) : groupedConv2dBackpropInputBySlices(be, dy, w, dx, g, groups),
    groupedConv2dBackpropFilter: (x, dy, dw, g, groups) =>
      groups === 1 ? be.conv2dBackpropFilter(x, dy, dw, g) : groupedConv2dBackpropFilterBySlices(be, x, dy, dw, g, groups),
    // scatters and a fused update with no core kernel beneath: the reference's scalar loops
    maxPool2dBackward: jsBackend.maxPool2dBackward,
    avgPool2dBackward: jsBackend.avgPool2dBackward,
    adamUpdate: jsBackend.adamUpdate,
    allFinite: jsBackend.allFinite,
    channelMoments: jsBackend.channelMoments,
    channelAffine: jsBackend.channelAffine,
    batchNormBackward: jsBackend.batchNormBackward,
  };
}

/** Throws a ValueError naming `fn` and every kernel of `names` that `b` lacks (for JavaScript callers). */
export function checkKernels(fn: string, b: unknown, names: readonly string[]): void {
  const o = (typeof b === 'object' && b !== null ? b : {}) as Record<string, unknown>;
  const missing = names.filter((k) => typeof o[k] !== 'function');
  if (typeof o.name !== 'string' || o.name === '') {
    throw new ValueError(`${fn}: a backend needs a non-empty string name, got ${typeof o.name === 'string' ? "''" : typeof o.name}`);
  }
  if (missing.length > 0) {
    throw new ValueError(`${fn}: backend '${o.name}' lacks the kernel${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
}

/**
 * A complete backend from its required core and any overrides: every kernel not given is the
 * default built on the result (so a default calls the backend's own faster kernels). Extra
 * members (info(), close()) are kept.
 */
export function withDefaults<P extends BackendParts>(parts: P): P & Backend {
  checkKernels('withDefaults', parts, CORE_KERNELS);
  const be = {} as P & Backend;
  Object.assign(be, defaultKernels(be), parts);
  checkKernels('withDefaults', be, KERNEL_NAMES);
  return be;
}
