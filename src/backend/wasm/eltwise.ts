// Elementwise kernels, reductions, activation gradients and the Adam step of the wasm backend.
import type { BinaryKernel, FloatArray, FusedActivation, ReduceKernel, UnaryKernel } from '../backend.js';
import {
  ALIGN, MIN_ELEMENTWISE, MIN_REDUCE_ROW, MIN_ROW, isF32, reference, wasmBinaryCode, wasmUnaryCode, type WasmContext,
} from './context.js';
import { ACTIVATION_CODES, REDUCE_CODES } from '../codes.js';

interface SumRows { R: number; out: number }

export function eltwiseKernels(c: WasmContext) {
  const { k, s, capF } = c;

  function activationBackward(dy: FloatArray, y: FloatArray, activation: FusedActivation, dz: FloatArray,
    dbias: FloatArray | null, inner: number): void {
    const n = dy.length;
    if (n < MIN_ELEMENTWISE || 3 * n + MIN_REDUCE_ROW * inner + 4 * ALIGN > capF || !isF32(dy, y, dz) ||
      (dbias && !(dbias instanceof Float32Array))) {
      reference.activationBackward(dy, y, activation, dz, dbias, inner);
      return;
    }
    s.reset();
    const pdy = s.alloc(n);
    const py = s.alloc(n);
    const pdz = s.alloc(n);
    const sums = dbias ? sumRowsPlan(n / inner, inner) : null;
    s.commit();
    s.f32(pdy, n).set(dy);
    s.f32(py, n).set(y);
    k.actBackward(pdy, py, pdz, n, ACTIVATION_CODES[activation]);
    dz.set(s.f32(pdz, n));
    if (dbias && sums) sumRowsRun(sums, pdz, n / inner, inner, dz, dbias);
  }

  function unary(op: UnaryKernel, x: FloatArray, out: FloatArray): void {
    const code = wasmUnaryCode(op);
    const n = x.length;
    if (code === undefined || n < MIN_ELEMENTWISE || 2 * n > capF || !isF32(x, out)) {
      reference.unary(op, x, out);
      return;
    }
    s.reset();
    const px = s.alloc(n);
    s.commit();
    s.f32(px, n).set(x);
    k.unary(code, px, px, n);
    out.set(s.f32(px, n));
  }

  /**
   * How an operand of the (already rank-padded) shape broadcasts over outShape: 1 full, 0 one
   * value, 2 one trailing row repeated (a bias), with the row length; null for other patterns.
   */
  function operandMode(shape: readonly number[], len: number, outShape: readonly number[], n: number): [number, number] | null {
    if (len === n) return [1, n];
    if (len === 1) return [0, 1];
    let d = shape.length;
    while (d > 0 && shape[d - 1] === outShape[d - 1]) d--;
    for (let i = 0; i < d; i++) if (shape[i] !== 1) return null;
    return [2, len];
  }

  function binary(op: BinaryKernel, a: FloatArray, aShape: readonly number[], b: FloatArray,
    bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
    const code = wasmBinaryCode(op);
    const n = out.length;
    const am = code === undefined ? null : operandMode(aShape, a.length, outShape, n);
    const bm = am === null ? null : operandMode(bShape, b.length, outShape, n);
    let inner = n;
    if (am && am[0] === 2) inner = am[1];
    if (bm && bm[0] === 2) inner = inner !== n && inner !== bm[1] ? -1 : bm[1];
    if (code === undefined || !am || !bm || inner <= 0 || n < MIN_ELEMENTWISE || a.length + b.length + n + 2 * MIN_ROW > capF ||
      !isF32(a, b, out)) {
      reference.binary(op, a, aShape, b, bShape, out, outShape);
      return;
    }
    const rows = n / inner;
    // A short repeated row (a conv bias: one value per channel) is laid out R times, so the
    // kernel runs rows of R*inner floats instead of a loop per few-float row.
    const R = inner < MIN_ROW && rows > 1 && (am[0] === 2 || bm[0] === 2) ? Math.min(rows, Math.ceil(MIN_ROW / inner)) : 1;
    const lenOf = (mode: number, len: number) => (mode === 2 ? R * inner : len);
    s.reset();
    const pa = s.alloc(lenOf(am[0], a.length));
    const pb = s.alloc(lenOf(bm[0], b.length));
    const po = s.alloc(n);
    s.commit();
    const load = (p: number, src: Float32Array, mode: number) => {
      const v = s.f32(p, lenOf(mode, src.length));
      v.set(src);
      if (mode === 2) for (let r = 1; r < R; r++) v.copyWithin(r * inner, 0, inner);
    };
    load(pa, a as Float32Array, am[0]);
    load(pb, b as Float32Array, bm[0]);
    const big = Math.floor(rows / R);
    k.binary(code, pa, am[0], pb, bm[0], po, big, inner * R);
    const rest = rows - big * R;
    if (rest > 0) {
      const off = big * R * inner * 4;
      k.binary(code, am[0] === 1 ? pa + off : pa, am[0], bm[0] === 1 ? pb + off : pb, bm[0], po + off, rest, inner);
    }
    out.set(s.f32(po, n));
  }


  /**
   * Plans the column sums of an [axis, inner] matrix already in scratch: a sum over many short
   * rows (a conv bias gradient: [N*H*W, C]) runs as rows of R*inner floats, independent vector
   * chains instead of one chain per channel, and the R partials are folded afterwards.
   */
  function sumRowsPlan(axis: number, inner: number): SumRows {
    const R = inner < MIN_REDUCE_ROW && axis >= 4 * MIN_REDUCE_ROW ? Math.ceil(MIN_REDUCE_ROW / inner) : 1;
    return { R, out: s.alloc(R * inner) };
  }

  /** Runs a SumRows plan on px (the same values as x, which finishes the rows past a multiple of R). */
  function sumRowsRun(p: SumRows, px: number, axis: number, inner: number, x: FloatArray, out: FloatArray): void {
    const { R } = p;
    if (R === 1) {
      k.reduce(REDUCE_CODES.sum, px, 1, axis, inner, p.out);
      out.set(s.f32(p.out, inner));
      return;
    }
    const q = Math.floor(axis / R);
    k.reduce(REDUCE_CODES.sum, px, 1, q, R * inner, p.out);
    const part = s.f32(p.out, R * inner);
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let r = 0; r < R; r++) acc += part[r * inner + i];
      for (let a = q * R; a < axis; a++) acc += x[a * inner + i];
      out[i] = acc;
    }
  }

  function reduce(op: ReduceKernel, x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void {
    const n = x.length;
    if (n < MIN_ELEMENTWISE || axis < 1 || n + out.length + MIN_REDUCE_ROW * inner > capF || !isF32(x, out)) {
      reference.reduce(op, x, outer, axis, inner, out);
      return;
    }
    s.reset();
    const px = s.alloc(n);
    const sums = op === 'sum' && outer === 1 ? sumRowsPlan(axis, inner) : null;
    const po = sums ? 0 : s.alloc(out.length);
    s.commit();
    s.f32(px, n).set(x);
    if (sums) {
      sumRowsRun(sums, px, axis, inner, x, out);
      return;
    }
    k.reduce(REDUCE_CODES[op], px, outer, axis, inner, po);
    out.set(s.f32(po, out.length));
  }

  function adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, alpha: number, beta1: number,
    beta2: number, epsilon: number, mOut: FloatArray = m, vOut: FloatArray = v): void {
    const n = w.length;
    if (n < MIN_ELEMENTWISE || !isF32(w, g, m, v) || !isF32(mOut, vOut)) {
      reference.adamUpdate(w, g, m, v, alpha, beta1, beta2, epsilon, mOut, vOut);
      return;
    }
    // four operands in, three back: chunks of at most a quarter of the cap each
    const chunk = Math.min(n, Math.floor((capF - 4 * ALIGN) / 4 / 16) * 16);
    s.reset();
    const pw = s.alloc(chunk);
    const pg = s.alloc(chunk);
    const pm = s.alloc(chunk);
    const pv = s.alloc(chunk);
    s.commit();
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const c = Math.min(chunk, n - i0);
      const vw = s.f32(pw, c);
      const vm = s.f32(pm, c);
      const vv = s.f32(pv, c);
      vw.set(w.subarray(i0, i0 + c));
      s.f32(pg, c).set(g.subarray(i0, i0 + c));
      vm.set(m.subarray(i0, i0 + c));
      vv.set(v.subarray(i0, i0 + c));
      k.adamUpdate(pw, pg, pm, pv, c, alpha, beta1, beta2, epsilon);
      w.set(vw, i0);
      mOut.set(vm, i0);
      vOut.set(vv, i0);
    }
  }

  return { activationBackward, unary, operandMode, binary, sumRowsPlan, sumRowsRun, reduce, adamUpdate };
}

export type EltwiseKernels = ReturnType<typeof eltwiseKernels>;
