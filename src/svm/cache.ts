import { kernelFromDot, type KernelFunction, type KernelSpec } from './kernels.js';
import { matmul } from '../ops/matmul.js';
import { getBackend } from '../backend/index.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Training rows prepared for fast kernel values. Each column is shifted by a constant (its
 * minimum, or 0 when 0 is its most common value): distances do not change, inner products
 * are corrected by per-row terms, and image-like data (a constant background) become sparse, so a
 * kernel value costs the nonzeros of one row instead of every feature.
 */
export class KernelRows {
  readonly sparse: boolean;
  private readonly xs: Float32Array; // shifted rows, dense, row-major (float32 halves the memory traffic of the gathers)
  private readonly rowPtr: Int32Array;
  private readonly col: Int32Array;
  private readonly val: Float64Array;
  private readonly sq: Float64Array; // squared norms of the shifted rows
  private readonly wc: Float64Array; // shift . shifted row
  private readonly cc: number; // shift . shift
  private readonly shift: Float64Array;
  private dots: Float64Array;

  constructor(private readonly x: Float64Array, readonly n: number, readonly d: number, readonly spec: KernelSpec) {
    // Row-major passes (column-wise ones would stride through memory): minima, then counts.
    const mn = new Float64Array(d).fill(Infinity);
    for (let i = 0; i < n; i++) for (let k = 0, o = i * d; k < d; k++) { const v = x[o + k]; if (v < mn[k]) mn[k] = v; }
    const zeros = new Int32Array(d), mins = new Int32Array(d);
    for (let i = 0; i < n; i++) {
      for (let k = 0, o = i * d; k < d; k++) { const v = x[o + k]; if (v === 0) zeros[k]++; if (v === mn[k]) mins[k]++; }
    }
    const shift = new Float64Array(d);
    // Shifting by the minimum keeps values in [0, spread], so the float32 copies are accurate
    // relative to the column's spread whatever its offset, and a common minimum (a background)
    // becomes sparse; a column whose most common value is 0 keeps its zeros instead.
    for (let k = 0; k < d; k++) shift[k] = zeros[k] >= mins[k] && zeros[k] * 4 >= n ? 0 : mn[k];
    this.shift = shift;
    const xs = new Float32Array(n * d);
    let nnz = 0;
    for (let i = 0; i < n; i++) for (let k = 0, o = i * d; k < d; k++) { xs[o + k] = x[o + k] - shift[k]; if (xs[o + k] !== 0) nnz++; }
    this.xs = xs;
    let cc = 0;
    for (let k = 0; k < d; k++) cc += shift[k] * shift[k];
    this.cc = cc;
    this.sq = new Float64Array(n);
    this.wc = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0, w = 0;
      for (let k = 0; k < d; k++) { const v = xs[i * d + k]; s += v * v; w += v * shift[k]; }
      this.sq[i] = s;
      this.wc[i] = w;
    }
    // Sparse gathers cost about twice a dense multiply-add, so they pay only below ~half density.
    this.sparse = nnz < 0.45 * n * d;
    this.rowPtr = new Int32Array(this.sparse ? n + 1 : 1);
    this.col = new Int32Array(this.sparse ? nnz : 0);
    this.val = new Float64Array(this.sparse ? nnz : 0);
    if (this.sparse) {
      let p = 0;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < d; k++) { const v = xs[i * d + k]; if (v !== 0) { this.col[p] = k; this.val[p] = v; p++; } }
        this.rowPtr[i + 1] = p;
      }
    }
    this.dots = new Float64Array(64);
  }

  /** out[t] = K(x_i, x_js[t]) for t < m. */
  kernelValues(i: number, js: Int32Array, m: number, out: Float32Array | Float64Array, outOff: number): void {
    const { spec, d, xs } = this;
    if (spec.kind === 'custom') {
      // The user's kernel sees the original rows.
      const fn = spec.fn as KernelFunction;
      const xi = this.original(i);
      for (let t = 0; t < m; t++) out[outOff + t] = fn(xi, this.original(js[t]));
      return;
    }
    if (this.dots.length < m) this.dots = new Float64Array(Math.max(m, 2 * this.dots.length));
    const dots = this.dots;
    if (this.sparse) sparseDots(this.rowPtr[i], this.rowPtr[i + 1], this.col, this.val, xs, d, js, m, dots);
    else denseDots(xs, i * d, d, js, m, dots);
    const sq = this.sq;
    const si = sq[i];
    switch (spec.kind) {
      case 'rbf': {
        const g = -spec.gamma;
        for (let t = 0; t < m; t++) {
          const d2 = si + sq[js[t]] - 2 * dots[t];
          out[outOff + t] = Math.exp(g * (d2 > 0 ? d2 : 0));
        }
        return;
      }
      default: {
        const wi = this.wc[i] + this.cc;
        const wc = this.wc;
        for (let t = 0; t < m; t++) {
          const dot = dots[t] + wi + wc[js[t]];
          out[outOff + t] = spec.kind === 'linear' ? dot
            : spec.kind === 'poly' ? Math.pow(spec.gamma * dot + spec.coef0, spec.degree)
              : Math.tanh(spec.gamma * dot + spec.coef0);
        }
      }
    }
  }

  /**
   * out[t] = K(p, x_t) for every stored row t, for a new point p (d values at p[pOff..]): p is
   * shifted like the rows and its nonzeros gathered against them, as for training rows.
   */
  pointValues(p: Float64Array, pOff: number, out: Float64Array): void {
    const { spec, d, n, xs, shift } = this;
    if (spec.kind === 'custom') {
      const fn = spec.fn as KernelFunction;
      const pt = p.subarray(pOff, pOff + d);
      for (let t = 0; t < n; t++) out[t] = fn(pt, this.original(t));
      return;
    }
    if (this.pcol.length !== d) { this.pcol = new Int32Array(d); this.pval = new Float64Array(d); }
    const col = this.pcol, val = this.pval;
    let m = 0, sq = 0, w = 0;
    for (let k = 0; k < d; k++) {
      const v = Math.fround(p[pOff + k] - shift[k]); // rounded like the stored rows
      if (v !== 0) { col[m] = k; val[m] = v; m++; sq += v * v; w += v * shift[k]; }
    }
    if (this.all.length !== n) { this.all = new Int32Array(n); for (let t = 0; t < n; t++) this.all[t] = t; }
    if (this.dots.length < n) this.dots = new Float64Array(n);
    const dots = this.dots;
    sparseDots(0, m, col, val, xs, d, this.all, n, dots);
    const sqr = this.sq;
    if (spec.kind === 'rbf') {
      const g = -spec.gamma;
      for (let t = 0; t < n; t++) {
        const d2 = sq + sqr[t] - 2 * dots[t];
        out[t] = Math.exp(g * (d2 > 0 ? d2 : 0));
      }
      return;
    }
    const wp = w + this.cc;
    for (let t = 0; t < n; t++) out[t] = kernelFromDot(spec, dots[t] + wp + this.wc[t], 0, 0);
  }
  private all = new Int32Array(0);
  private pcol = new Int32Array(0);
  private pval = new Float64Array(0);

  /**
   * Fills the whole n x n kernel matrix with the backend's matrix product (the wasm GEMM when it
   * is active): lower-triangle row panels X_p X_{0..p}^T, mirrored. Far faster than row-by-row
   * gathers when every entry is needed anyway, but float32 products: used only when the matrix fits
   * the cache and a fast backend is selected.
   */
  bulkFill(full: Float32Array): void {
    const { n, d, xs, spec } = this;
    const xt = new Float32Array(d * n); // X^T, so each panel's right operand is a row prefix copy
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) xt[k * n + i] = xs[i * d + k];
    const P = 512;
    const bt = new Float32Array(d * n);
    const sq = this.sq, wc = this.wc, cc = this.cc;
    for (let p0 = 0; p0 < n; p0 += P) {
      const pr = Math.min(P, n - p0);
      const m = p0 + pr;
      for (let k = 0; k < d; k++) bt.set(xt.subarray(k * n, k * n + m), k * m);
      const prod = matmul(new Tensor(xs.subarray(p0 * d, m * d), [pr, d]), new Tensor(bt.subarray(0, d * m), [d, m])).data;
      for (let r = 0; r < pr; r++) {
        const i = p0 + r;
        const o = r * m;
        const base = i * n;
        if (spec.kind === 'rbf') {
          const g = -spec.gamma, si = sq[i];
          for (let j = 0; j <= i; j++) {
            const d2 = si + sq[j] - 2 * prod[o + j];
            full[base + j] = Math.exp(g * (d2 > 0 ? d2 : 0));
          }
        } else {
          const wi = wc[i] + cc;
          for (let j = 0; j <= i; j++) full[base + j] = kernelFromDot(spec, prod[o + j] + wi + wc[j], 0, 0);
        }
      }
      // Mirror the panel into the rows above it, a 64-row strip at a time to stay in cache.
      for (let j0 = 0; j0 < m; j0 += 64) {
        const j1 = Math.min(m, j0 + 64);
        for (let i = Math.max(p0, j0); i < m; i++) {
          const bi = i * n;
          for (let j = j0; j < Math.min(j1, i); j++) full[j * n + i] = full[bi + j];
        }
      }
    }
  }

  private original(i: number): Float64Array {
    return this.x.subarray(i * this.d, (i + 1) * this.d);
  }
}

/** dots[t] = sparse row (col/val over [p0, p1)) . dense row js[t]; eight rows share each gathered index. */
function sparseDots(p0: number, p1: number, col: Int32Array, val: Float64Array, xs: Float32Array, d: number,
  js: Int32Array, m: number, dots: Float64Array): void {
  const m8 = m - (m % 8);
  for (let t = 0; t < m8; t += 8) {
    const o0 = js[t] * d, o1 = js[t + 1] * d, o2 = js[t + 2] * d, o3 = js[t + 3] * d;
    const o4 = js[t + 4] * d, o5 = js[t + 5] * d, o6 = js[t + 6] * d, o7 = js[t + 7] * d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let p = p0; p < p1; p++) {
      const c = col[p], v = val[p];
      s0 += v * xs[o0 + c]; s1 += v * xs[o1 + c]; s2 += v * xs[o2 + c]; s3 += v * xs[o3 + c];
      s4 += v * xs[o4 + c]; s5 += v * xs[o5 + c]; s6 += v * xs[o6 + c]; s7 += v * xs[o7 + c];
    }
    dots[t] = s0; dots[t + 1] = s1; dots[t + 2] = s2; dots[t + 3] = s3;
    dots[t + 4] = s4; dots[t + 5] = s5; dots[t + 6] = s6; dots[t + 7] = s7;
  }
  for (let t = m8; t < m; t++) {
    const o = js[t] * d;
    let s = 0;
    for (let p = p0; p < p1; p++) s += val[p] * xs[o + col[p]];
    dots[t] = s;
  }
}

/** dots[t] = row at aOff . row js[t]; four rows at a time so each loaded a_k feeds four multiply-adds. */
function denseDots(xs: Float32Array, aOff: number, d: number, js: Int32Array, m: number, dots: Float64Array): void {
  const m4 = m - (m % 4);
  for (let t = 0; t < m4; t += 4) {
    const b0 = js[t] * d, b1 = js[t + 1] * d, b2 = js[t + 2] * d, b3 = js[t + 3] * d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < d; k++) {
      const v = xs[aOff + k];
      s0 += v * xs[b0 + k]; s1 += v * xs[b1 + k]; s2 += v * xs[b2 + k]; s3 += v * xs[b3 + k];
    }
    dots[t] = s0; dots[t + 1] = s1; dots[t + 2] = s2; dots[t + 3] = s3;
  }
  for (let t = m4; t < m; t++) {
    const b0 = js[t] * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += xs[aOff + k] * xs[b0 + k];
    dots[t] = s;
  }
}

/**
 * Kernel values of one training sample against one class, K(x_i, x_j) for the samples j of that
 * class. Training rows are sorted by class, so one-vs-one subproblems share these blocks: the
 * block of sample i against its own class serves every pair that involves that class.
 * When the whole n x n matrix fits the budget it is one array filled lazily, and a block reuses
 * the entries already computed from the other side (K is symmetric); otherwise blocks live in an
 * LRU cache under the byte budget.
 */
export class KernelBlockCache {
  private readonly full: Float32Array | null;
  private readonly done: Uint8Array | null;
  private readonly map = new Map<number, Float32Array>();
  private bytes = 0;
  private readonly idx: Int32Array;
  private readonly tmp: Float32Array;
  private readonly classOf: Int32Array;
  private readonly k: number;
  /** Blocks computed (cache misses), blocks served from cache, and kernel values computed. */
  misses = 0;
  hits = 0;
  values = 0;

  constructor(
    private readonly rows: KernelRows,
    private readonly classStart: Int32Array,
    private readonly classCount: Int32Array,
    private readonly budgetBytes: number,
  ) {
    const n = rows.n;
    this.k = classCount.length;
    this.classOf = new Int32Array(n);
    for (let c = 0; c < this.k; c++) this.classOf.fill(c, classStart[c], classStart[c] + classCount[c]);
    const useFull = n * n * 4 <= budgetBytes;
    this.full = useFull ? new Float32Array(n * n) : null;
    this.done = useFull ? new Uint8Array(n * this.k) : null;
    let maxCount = 0;
    for (let c = 0; c < this.k; c++) maxCount = Math.max(maxCount, classCount[c]);
    this.idx = new Int32Array(maxCount);
    this.tmp = new Float32Array(maxCount);
    // With a fast matrix product at hand and every entry cached anyway, compute K in bulk.
    if (this.full !== null && this.done !== null && rows.spec.kind !== 'custom' && getBackend() !== 'js' && n >= 512) {
      rows.bulkFill(this.full);
      this.done.fill(1);
      this.values = n * (n + 1) / 2;
      this.bulk = true;
    }
  }
  /** Whether the kernel matrix was computed in bulk by the backend's matrix product. */
  bulk = false;

  /** K(x_i, x_j) for j in class c, length classCount[c]. Stays valid until four more blocks are requested. */
  block(i: number, c: number): Float32Array {
    const j0 = this.classStart[c], nc = this.classCount[c];
    if (this.full !== null) return this.fullBlock(i, c, j0, nc);
    const key = i * this.k + c;
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.hits++;
      this.map.delete(key); // re-insert: Map iteration order is the recency order
      this.map.set(key, hit);
      return hit;
    }
    this.misses++;
    // Evict least recently used blocks, but never below four so the rows in use survive.
    while (this.bytes + 4 * nc > this.budgetBytes && this.map.size > 4) {
      const oldest = this.map.keys().next().value as number;
      const blk = this.map.get(oldest) as Float32Array;
      this.map.delete(oldest);
      this.bytes -= blk.byteLength;
    }
    const out = new Float32Array(nc);
    const idx = this.idx;
    for (let t = 0; t < nc; t++) idx[t] = j0 + t;
    this.rows.kernelValues(i, idx, nc, out, 0);
    this.values += nc;
    this.map.set(key, out);
    this.bytes += out.byteLength;
    return out;
  }

  private fullBlock(i: number, c: number, j0: number, nc: number): Float32Array {
    const full = this.full as Float32Array;
    const done = this.done as Uint8Array;
    const n = this.rows.n, k = this.k;
    const base = i * n + j0;
    if (done[i * k + c]) {
      this.hits++;
      return full.subarray(base, base + nc);
    }
    this.misses++;
    // Entries whose mirror K[j, i] exists are copied; the rest are computed in one batch.
    const ci = this.classOf[i];
    const idx = this.idx;
    let m = 0;
    for (let t = 0; t < nc; t++) {
      const j = j0 + t;
      if (done[j * k + ci]) full[base + t] = full[j * n + i];
      else idx[m++] = j;
    }
    if (m > 0) {
      const tmp = this.tmp;
      this.rows.kernelValues(i, idx, m, tmp, 0);
      for (let t = 0; t < m; t++) full[i * n + idx[t]] = tmp[t];
      this.values += m;
    }
    done[i * k + c] = 1;
    return full.subarray(base, base + nc);
  }
}
