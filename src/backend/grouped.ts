// Grouped convolution as one plain convolution per group on channel slices: the default a
// backend can build from its conv2d kernels. It pays when each group is a big convolution of its
// own (few groups, many channels each), where the GEMM kernels run at full speed; with many small
// groups the calls and their copies dominate, and a backend wants a dedicated kernel there.
import type { Backend, Conv2dGeometry, Epilogue, FloatArray } from './backend.js';

function like(a: FloatArray, n: number): FloatArray {
  return a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/** dst[rows, n] = columns [c0, c0 + n) of src[rows, cols]. */
function gatherCols(src: FloatArray, rows: number, cols: number, c0: number, n: number, dst: FloatArray): void {
  if (n >= 32) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols + c0, r * cols + c0 + n), r * n);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = r * cols + c0;
    const d = r * n;
    for (let j = 0; j < n; j++) dst[d + j] = src[s + j];
  }
}

/** Columns [c0, c0 + n) of dst[rows, cols] = src[rows, n]. */
function scatterCols(src: FloatArray, rows: number, n: number, dst: FloatArray, cols: number, c0: number): void {
  if (n >= 32) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * n, r * n + n), r * cols + c0);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = r * n;
    const d = r * cols + c0;
    for (let j = 0; j < n; j++) dst[d + j] = src[s + j];
  }
}

interface Slices { Cg: number; Mg: number; sub: Conv2dGeometry; P: number; Q: number; R: number }

function slices(g: Conv2dGeometry, groups: number): Slices {
  const Cg = g.inC / groups;
  const Mg = g.outC / groups;
  return {
    Cg, Mg, sub: { ...g, inC: Cg, outC: Mg },
    P: g.batch * g.inH * g.inW, Q: g.batch * g.outH * g.outW, R: g.kH * g.kW * Cg,
  };
}

/** be.groupedConv2d as `groups` calls of be.conv2d (the bias sliced per group). */
export function groupedConv2dBySlices(be: Backend, x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry,
  groups: number, epilogue?: Epilogue): void {
  const { Cg, Mg, sub, P, Q, R } = slices(g, groups);
  const xs = like(x, P * Cg);
  const ws = like(w, R * Mg);
  const ys = like(y, Q * Mg);
  for (let b = 0; b < groups; b++) {
    gatherCols(x, P, g.inC, b * Cg, Cg, xs);
    gatherCols(w, R, g.outC, b * Mg, Mg, ws);
    const e = epilogue ? { bias: epilogue.bias ? epilogue.bias.subarray(b * Mg, (b + 1) * Mg) : null, activation: epilogue.activation } : undefined;
    be.conv2d(xs, ws, ys, sub, e);
    scatterCols(ys, Q, Mg, y, g.outC, b * Mg);
  }
}

/** be.groupedConv2dBackpropInput as `groups` calls of be.conv2dBackpropInput. */
export function groupedConv2dBackpropInputBySlices(be: Backend, dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry,
  groups: number): void {
  const { Cg, Mg, sub, P, Q, R } = slices(g, groups);
  const dys = like(dy, Q * Mg);
  const ws = like(w, R * Mg);
  const dxs = like(dx, P * Cg);
  for (let b = 0; b < groups; b++) {
    gatherCols(dy, Q, g.outC, b * Mg, Mg, dys);
    gatherCols(w, R, g.outC, b * Mg, Mg, ws);
    be.conv2dBackpropInput(dys, ws, dxs, sub);
    scatterCols(dxs, P, Cg, dx, g.inC, b * Cg);
  }
}

/** be.groupedConv2dBackpropFilter as `groups` calls of be.conv2dBackpropFilter. */
export function groupedConv2dBackpropFilterBySlices(be: Backend, x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry,
  groups: number): void {
  const { Cg, Mg, sub, P, Q, R } = slices(g, groups);
  const xs = like(x, P * Cg);
  const dys = like(dy, Q * Mg);
  const dws = like(dw, R * Mg);
  for (let b = 0; b < groups; b++) {
    gatherCols(x, P, g.inC, b * Cg, Cg, xs);
    gatherCols(dy, Q, g.outC, b * Mg, Mg, dys);
    be.conv2dBackpropFilter(xs, dys, dws, sub);
    scatterCols(dws, R, Mg, dw, g.outC, b * Mg);
  }
}
