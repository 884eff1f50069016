import type {
  Backend, BinaryKernel, Conv2dGeometry, Conv2dGrads, Epilogue, FloatArray, FusedActivation, FusedOutput,
  Pool2dGeometry, ReduceKernel, UnaryKernel,
} from '../backend.js';

/** The reference backend: plain loops, written to be obviously correct. */

const unaryFns: Record<UnaryKernel, (v: number) => number> = {
  neg: (v) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  square: (v) => v * v,
  sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0),
  sigmoid: (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  tanh: Math.tanh,
  relu: (v) => (v > 0 ? v : 0),
  step: (v) => (v >= 0 ? 1 : 0),
  // log(1 + e^v) without overflow
  softplus: (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))),
  reciprocal: (v) => 1 / v,
};

const binaryFns: Record<BinaryKernel, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a >= b ? a : b),
  minimum: (a, b) => (a <= b ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  maskPositive: (a, b) => a * (b > 0 ? 1 : 0),
};

function unary(op: UnaryKernel, x: FloatArray, out: FloatArray): void {
  const n = x.length;
  // The common ops get their own loops: a closure call per element costs more than the op itself.
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case 'square': for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; return;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : 0; } return;
    default: {
      const f = unaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]);
    }
  }
}

/** out[o + i] = op(a[ao + i*as], b[bo + i*bs]) for i < n, with a loop per common op. */
function binaryRun(op: BinaryKernel, a: FloatArray, ao: number, as: number, b: FloatArray, bo: number, bs: number,
  out: FloatArray, o: number, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] + b[bo + i * bs]; return;
    case 'sub': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] - b[bo + i * bs]; return;
    case 'mul': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] * b[bo + i * bs]; return;
    case 'div': for (let i = 0; i < n; i++) out[o + i] = a[ao + i * as] / b[bo + i * bs]; return;
    default: {
      const f = binaryFns[op];
      for (let i = 0; i < n; i++) out[o + i] = f(a[ao + i * as], b[bo + i * bs]);
    }
  }
}

function binary(op: BinaryKernel, a: FloatArray, aShape: readonly number[], b: FloatArray,
  bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
  const n = out.length;
  if (n === 0) return;
  if (a.length === n && b.length === n) return binaryRun(op, a, 0, 1, b, 0, 1, out, 0, n);
  if (b.length === 1) return binaryRun(op, a, 0, a.length === 1 ? 0 : 1, b, 0, 0, out, 0, n);
  if (a.length === 1) return binaryRun(op, a, 0, 0, b, 0, 1, out, 0, n);
  // Coalesce adjacent axes that both operands walk the same way, then run rows of the innermost axis.
  const aStr = broadcastStrides(aShape, outShape);
  const bStr = broadcastStrides(bShape, outShape);
  const shape: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && as[k] === aStr[d] * outShape[d] && bs[k] === bStr[d] * outShape[d]) {
      shape[k] *= outShape[d];
      as[k] = aStr[d];
      bs[k] = bStr[d];
    } else {
      shape.push(outShape[d]);
      as.push(aStr[d]);
      bs.push(bStr[d]);
    }
  }
  const rank = shape.length;
  const inner = shape[rank - 1];
  const aIn = as[rank - 1];
  const bIn = bs[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < n; o += inner) {
    binaryRun(op, a, ao, aIn, b, bo, bIn, out, o, inner);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      ao += as[d];
      bo += bs[d];
      if (idx[d] < shape[d]) break;
      ao -= as[d] * shape[d];
      bo -= bs[d] * shape[d];
      idx[d] = 0;
    }
  }
}

function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = new Array<number>(outShape.length).fill(0);
  let acc = 1;
  for (let d = outShape.length - 1; d >= 0; d--) {
    s[d] = shape[d] === 1 && outShape[d] !== 1 ? 0 : acc;
    acc *= shape[d];
  }
  return s;
}

function reduce(op: ReduceKernel, x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void {
  // Axis outside, inner inside: reads stay contiguous even when the reduced axis is long (bias gradients).
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * axis * inner;
    if (op === 'sum') {
      acc.fill(0);
      for (let a = 0; a < axis; a++) {
        const row = base + a * inner;
        for (let i = 0; i < inner; i++) acc[i] += x[row + i];
      }
    } else {
      for (let i = 0; i < inner; i++) acc[i] = x[base + i];
      for (let a = 1; a < axis; a++) {
        const row = base + a * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[row + i];
          if (op === 'max' ? v > acc[i] || Number.isNaN(v) : v < acc[i] || Number.isNaN(v)) acc[i] = v;
        }
      }
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
  }
}

function argReduce(op: 'max' | 'min', x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axis * inner + i;
      let best = x[base];
      let bi = 0;
      for (let a = 1; a < axis; a++) {
        const v = x[base + a * inner];
        if (op === 'max' ? v > best : v < best) {
          best = v;
          bi = a;
        }
      }
      out[o * inner + i] = bi;
    }
  }
}

function matmul(a: FloatArray, b: FloatArray, c: FloatArray, batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, epilogue?: Epilogue): void {
  // i-p-j order keeps the innermost loop contiguous in C (and in B when not transposed).
  const row = new Float64Array(n);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * aBatchStride;
    const bo = bt * bBatchStride;
    const co = bt * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
        if (av === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) row[j] += av * b[bo + j * k + p];
        } else {
          const bb = bo + p * n;
          for (let j = 0; j < n; j++) row[j] += av * b[bb + j];
        }
      }
      for (let j = 0; j < n; j++) c[co + i * n + j] = row[j];
    }
  }
  if (epilogue) applyEpilogue(c, epilogue);
}

/**
 * y = activation(y + bias) in place, as the separate add and activation kernels compute it (the
 * sum is stored, and so rounded, before the activation reads it).
 */
export function applyEpilogue(y: FloatArray, e: Epilogue): void {
  const b = e.bias;
  if (b) {
    const inner = b.length;
    for (let o = 0; o < y.length; o += inner) {
      for (let j = 0; j < inner; j++) y[o + j] += b[j];
    }
  }
  if (e.activation !== 'linear') unary(e.activation, y, y);
}

function activationBackward(dy: FloatArray, y: FloatArray, activation: FusedActivation, dz: FloatArray,
  dbias: FloatArray | null, inner: number): void {
  const n = dy.length;
  // float32 results are rounded after each product, as the unfused mul/sub kernels store them
  const r = dz instanceof Float32Array ? Math.fround : (v: number) => v;
  switch (activation) {
    case 'linear': for (let i = 0; i < n; i++) dz[i] = dy[i]; break;
    case 'relu': for (let i = 0; i < n; i++) dz[i] = dy[i] * (y[i] > 0 ? 1 : 0); break;
    case 'sigmoid': for (let i = 0; i < n; i++) { const u = y[i]; dz[i] = dy[i] * r(u * r(1 - u)); } break;
    case 'tanh': for (let i = 0; i < n; i++) { const u = y[i]; dz[i] = dy[i] * r(1 - r(u * u)); } break;
  }
  if (dbias) reduce('sum', dz, 1, n / inner, inner, dbias);
}

function conv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const acc = new Float64Array(outC);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        acc.fill(0);
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * inC * outC;
            for (let c = 0; c < inC; c++) {
              const xv = x[xo + c];
              if (xv === 0) continue;
              const wc = wo + c * outC;
              for (let m = 0; m < outC; m++) acc[m] += xv * w[wc + m];
            }
          }
        }
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let m = 0; m < outC; m++) y[yo + m] = acc[m];
      }
    }
  }
  if (epilogue) applyEpilogue(y, epilogue);
}

function conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const acc = new Float64Array(dx.length);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * inC * outC;
            for (let c = 0; c < inC; c++) {
              let s = 0;
              const wc = wo + c * outC;
              for (let m = 0; m < outC; m++) s += dy[yo + m] * w[wc + m];
              acc[xo + c] += s;
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < dx.length; i++) dx[i] = acc[i];
  if (epilogue) applyEpilogue(dx, epilogue);
}

function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const acc = new Float64Array(dw.length);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * inC * outC;
            for (let c = 0; c < inC; c++) {
              const xv = x[xo + c];
              if (xv === 0) continue;
              const wc = wo + c * outC;
              for (let m = 0; m < outC; m++) acc[wc + m] += xv * dy[yo + m];
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < dw.length; i++) dw[i] = acc[i];
}

function conv2dBackward(x: FloatArray, w: FloatArray, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
  fused?: FusedOutput): void {
  let dz = dy;
  if (fused && fused.activation !== 'linear') {
    dz = dy instanceof Float32Array ? new Float32Array(dy.length) : new Float64Array(dy.length);
    activationBackward(dy, fused.y, fused.activation, dz, grads.dbias, g.outC);
  } else if (grads.dbias) {
    reduce('sum', dz, 1, dz.length / g.outC, g.outC, grads.dbias);
  }
  if (grads.dx) conv2dBackpropInput(dz, w, grads.dx, g);
  if (grads.dw) conv2dBackpropFilter(x, dz, grads.dw, g);
}

// Grouped convolution: conv2d's loops with the channel sums restricted to each output channel's
// block. Input block b is channels [b*Cg, (b+1)*Cg), output block b [b*Mg, (b+1)*Mg); w is
// [KH,KW,Cg,M], so w's row for tap t and block channel c starts at (t*Cg + c)*M.

function groupedConv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, groups: number, epilogue?: Epilogue): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const Cg = inC / groups;
  const Mg = outC / groups;
  const acc = new Float64Array(outC);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        acc.fill(0);
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * Cg * outC;
            for (let b = 0; b < groups; b++) {
              for (let c = 0; c < Cg; c++) {
                const xv = x[xo + b * Cg + c];
                if (xv === 0) continue;
                const wc = wo + c * outC + b * Mg;
                for (let m = 0; m < Mg; m++) acc[b * Mg + m] += xv * w[wc + m];
              }
            }
          }
        }
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let m = 0; m < outC; m++) y[yo + m] = acc[m];
      }
    }
  }
  if (epilogue) applyEpilogue(y, epilogue);
}

function groupedConv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, groups: number): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const Cg = inC / groups;
  const Mg = outC / groups;
  const acc = new Float64Array(dx.length);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * Cg * outC;
            for (let b = 0; b < groups; b++) {
              for (let c = 0; c < Cg; c++) {
                let s = 0;
                const wc = wo + c * outC + b * Mg;
                const yb = yo + b * Mg;
                for (let m = 0; m < Mg; m++) s += dy[yb + m] * w[wc + m];
                acc[xo + b * Cg + c] += s;
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < dx.length; i++) dx[i] = acc[i];
}

function groupedConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry, groups: number): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW } = g;
  const Cg = inC / groups;
  const Mg = outC / groups;
  const acc = new Float64Array(dw.length);
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yo = ((nb * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((nb * inH + ih) * inW + iw) * inC;
            const wo = (kh * kW + kw) * Cg * outC;
            for (let b = 0; b < groups; b++) {
              for (let c = 0; c < Cg; c++) {
                const xv = x[xo + b * Cg + c];
                if (xv === 0) continue;
                const wc = wo + c * outC + b * Mg;
                const yb = yo + b * Mg;
                for (let m = 0; m < Mg; m++) acc[wc + m] += xv * dy[yb + m];
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < dw.length; i++) dw[i] = acc[i];
}

/** Calls visit(outIndex, inIndex) for every real cell of every pooling window, window by window. */
function forEachWindow(g: Pool2dGeometry, begin: (o: number) => void, visit: (o: number, i: number) => void): void {
  const { batch, inH, inW, channels: C, outH, outW } = g;
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let c = 0; c < C; c++) {
          const o = ((nb * outH + oh) * outW + ow) * C + c;
          begin(o);
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw;
              if (iw < 0 || iw >= inW) continue;
              visit(o, ((nb * inH + ih) * inW + iw) * C + c);
            }
          }
        }
      }
    }
  }
}

function maxPool2d(x: FloatArray, out: FloatArray, argmax: Int32Array, g: Pool2dGeometry): void {
  // Direct loops (this runs every training step); channels innermost so reads stay contiguous.
  const { batch, inH, inW, channels: C, outH, outW } = g;
  for (let nb = 0; nb < batch; nb++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = Math.max(0, oh * g.strideH - g.padTop);
      const h1 = Math.min(inH, oh * g.strideH - g.padTop + g.kH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = Math.max(0, ow * g.strideW - g.padLeft);
        const w1 = Math.min(inW, ow * g.strideW - g.padLeft + g.kW);
        const o = ((nb * outH + oh) * outW + ow) * C;
        const first = ((nb * inH + h0) * inW + w0) * C;
        for (let c = 0; c < C; c++) { argmax[o + c] = first + c; out[o + c] = x[first + c]; }
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const i = ((nb * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[i + c];
              if (v > out[o + c]) { out[o + c] = v; argmax[o + c] = i + c; }
            }
          }
        }
      }
    }
  }
}

function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, _g: Pool2dGeometry): void {
  dx.fill(0);
  for (let i = 0; i < dy.length; i++) dx[argmax[i]] += dy[i];
}

function windowCounts(g: Pool2dGeometry, outSize: number): Float64Array {
  const count = new Float64Array(outSize);
  forEachWindow(g, () => {}, (o) => { count[o]++; });
  return count;
}

function avgPool2d(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
  const sum = new Float64Array(out.length);
  forEachWindow(g, () => {}, (o, i) => { sum[o] += x[i]; });
  const count = windowCounts(g, out.length);
  for (let o = 0; o < out.length; o++) out[o] = sum[o] / count[o];
}

function avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: Pool2dGeometry): void {
  const count = windowCounts(g, dy.length);
  const acc = new Float64Array(dx.length);
  forEachWindow(g, () => {}, (o, i) => { acc[i] += dy[o] / count[o]; });
  for (let i = 0; i < dx.length; i++) dx[i] = acc[i];
}

function adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, alpha: number, beta1: number,
  beta2: number, epsilon: number, mOut: FloatArray = m, vOut: FloatArray = v): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    w[i] -= (alpha * mi) / (Math.sqrt(vi) + epsilon);
  }
}

/** x * 0 is 0 for finite x and NaN otherwise; four sums run 3-4x faster than a branch per value. */
function allFinite(x: FloatArray): boolean {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < x.length; i += 4) {
    s0 += x[i] * 0;
    s1 += x[i + 1] * 0;
    s2 += x[i + 2] * 0;
    s3 += x[i + 3] * 0;
  }
  for (; i < x.length; i++) s0 += x[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}

function channelMoments(x: FloatArray, rows: number, channels: number, mean: FloatArray, variance: FloatArray): void {
  if (rows === 0) {
    mean.fill(NaN, 0, channels);
    variance.fill(NaN, 0, channels);
    return;
  }
  // row by row (the memory order), each channel's sums in row order
  const s1 = new Float64Array(channels);
  const s2 = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const d = x[o + c] - x[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) {
    const m = s1[c] / rows;
    mean[c] = x[c] + m;
    variance[c] = Math.max(0, (s2[c] - s1[c] * m) / rows);
  }
}

function channelAffine(x: FloatArray, rows: number, channels: number, scale: FloatArray, shift: FloatArray, y: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) y[o + c] = x[o + c] * scale[c] + shift[c];
  }
}

function batchNormBackward(dy: FloatArray, x: FloatArray, rows: number, channels: number, mean: FloatArray, invStd: FloatArray,
  scale: FloatArray, dx: FloatArray | null, dgamma: FloatArray, dbeta: FloatArray): void {
  const db = new Float64Array(channels);
  const dg = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      db[c] += dy[o + c];
      dg[c] += dy[o + c] * (x[o + c] - mean[c]);
    }
  }
  for (let c = 0; c < channels; c++) {
    dg[c] *= invStd[c];
    dbeta[c] = db[c];
    dgamma[c] = dg[c];
  }
  if (!dx) return;
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const xhat = (x[o + c] - mean[c]) * invStd[c];
      dx[o + c] = scale[c] * (dy[o + c] - db[c] / rows - xhat * dg[c] / rows);
    }
  }
}

export const jsBackend: Backend = {
  name: 'js',
  unary,
  binary,
  reduce,
  argReduce,
  matmul,
  conv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  conv2dBackward,
  groupedConv2d,
  groupedConv2dBackpropInput,
  groupedConv2dBackpropFilter,
  activationBackward,
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  adamUpdate,
  allFinite,
  channelMoments,
  channelAffine,
  batchNormBackward,
};
