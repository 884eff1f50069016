// Convolution (forward, both backward passes, the fused backward) as im2col panels and GEMMs in
// wasm, in bands of output rows, chunks of images, or blocks of rows for images past the cap.
import type { Conv2dGeometry, Conv2dGrads, Epilogue, FloatArray, FusedOutput } from '../backend.js';
import {
  ALIGN, MIN_PARALLEL_MNK, MIN_REDUCE_ROW, MIN_ROW, ROW_JOBS_PER_IMAGE, epilogueAct, isF32, reference,
  type WasmContext,
} from './context.js';
import { ACTIVATION_CODES } from '../codes.js';
import { applyEpilogue } from '../js/index.js';
import type { EltwiseKernels } from './eltwise.js';

interface ConvPlan {
  chunk: number;
  geo: number;
  w: number;
  /** Per thread: [im2col buffer, A packing, B packing]. */
  bufs: number[][];
  inImg: number;
  outImg: number;
  K: number;
  x: number;
  y: number;
  /** A second output-sized buffer (the activation's output in the backward), or 0. */
  y2: number;
  /** Filter-gradient partials, one per job of a chunk (see imageJobs), when asked for. */
  part: number[];
  /** Multiply-adds per image (M*K*N). */
  macs: number;
  /** Output rows per im2col panel (the kernels loop over the bands of each image). */
  band: number;
  /** Geometry blocks (16 floats each, ROW_JOBS_PER_IMAGE * T of them) for row-range jobs. */
  rowGeo: number;
}

interface RowBlock { img: number; r0: number; r1: number; a0: number; g: Conv2dGeometry }

export function convKernels(c: WasmContext, e: Pick<EltwiseKernels, 'sumRowsPlan' | 'sumRowsRun'>) {
  const {
    k, s, pool, T, packA, capF, panelF, pbSize, stats, imageJobs, runImages, maxPartials, allocPartials,
    partialStride, foldPartials, tiledBias, fillTiledBias, epilogueOk,
  } = c;
  const { sumRowsPlan, sumRowsRun } = e;

  /** Writes the conv geometry block read by the wasm conv kernels, with the plan's band of output rows. */
  function convGeometry(p: number, g: Conv2dGeometry, band: number): void {
    s.i32(p, 15).set([g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
      g.dilationH, g.dilationW, g.padTop, g.padLeft, band]);
  }

  function isPointwise(g: Conv2dGeometry): boolean {
    return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
      g.inH === g.outH && g.inW === g.outW;
  }


  /**
   * Lays out a conv call: geometry, the kernel (plus `partials` dW partials for the filter
   * gradient), per-thread im2col and packing buffers, then as many images of input and output
   * per chunk as the cap allows. The im2col panel holds a band of output rows: the whole image
   * when its panel is at most panelF floats, else as many rows as fit in panelF, fewer when
   * even one image of input and output does not fit beside T such panels (a 224x224x64 image's
   * whole panel is 115 MB: before bands, such convs fell to the reference, 100x slower).
   * Returns null when not even one image and one row fit.
   */
  function planConv(g: Conv2dGeometry, partials: number, extraOut = false): ConvPlan | null {
    const K = g.kH * g.kW * g.inC;
    const M = g.outH * g.outW;
    const N = g.outC;
    const inImg = g.inH * g.inW * g.inC;
    const outImg = M * N;
    const pointwise = isPointwise(g);
    const rowF = pointwise ? 0 : g.outW * K;
    const wF = K * N;
    const imgF = inImg + outImg * (extraOut ? 2 : 1);
    // (the last terms: the forward's tiled bias or the backward's bias-gradient partials, and alignment)
    const fixed0 = 16 * (1 + ROW_JOBS_PER_IMAGE * T) + wF + partials * partialStride(wF) + Math.max(MIN_ROW, MIN_REDUCE_ROW) + Math.max(N, g.inC) + 4 * ALIGN;
    // the largest B among forward (K x N), backward input (N x K) and filter (band pixels x N)
    const perThread = (band: number) =>
      rowF * band + packA + Math.max(pbSize(N, K), pbSize(K, N), pbSize(N, band * g.outW)) + 4 * ALIGN;
    let band = g.outH;
    if (M * K > panelF || (pointwise && M * N > panelF)) band = Math.max(1, Math.floor(panelF / Math.max(rowF, N * g.outW)));
    while (band > 1 && fixed0 + T * perThread(band) + imgF > capF) band = Math.max(1, Math.floor(band / 2));
    const fixed = fixed0 + T * perThread(band);
    const chunk = Math.min(g.batch, Math.floor((capF - fixed) / imgF));
    if (chunk < 1) return null;
    s.reset();
    const geo = s.alloc(16);
    const rowGeo = s.alloc(16 * ROW_JOBS_PER_IMAGE * T);
    const w = s.alloc(wF);
    const bufs: number[][] = [];
    for (let t = 0; t < T; t++) {
      bufs.push([s.alloc(rowF * band), s.alloc(packA), s.alloc(Math.max(pbSize(N, K), pbSize(K, N), pbSize(N, band * g.outW)))]);
    }
    const x = s.alloc(chunk * inImg);
    const y = s.alloc(chunk * outImg);
    const y2 = extraOut ? s.alloc(chunk * outImg) : 0;
    const part = allocPartials(partials, wF);
    return { chunk, geo, w, bufs, inImg, outImg, K, x, y, y2, part, macs: M * K * N, band, rowGeo };
  }

  // ---- images too big for the cap: blocks of output rows, each a conv on the input rows it reads ----


  /**
   * Cuts each image's output rows into blocks whose convs `fits` (one image, the block's rows,
   * on the window of input rows they read), or null when not even one row fits. For an image
   * whose input and output alone pass the cap (224x224x256 is 205 MB), where the im2col bands
   * cannot help; the cut depends only on the shapes, so the sums run in the same order every call.
   */
  function rowBlocks(g: Conv2dGeometry, fits: (sub: Conv2dGeometry) => boolean): RowBlock[] | null {
    const span = (rows: number) => Math.min(g.inH, (rows - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1);
    // sized on an interior block, whose window is the widest
    let R = g.outH;
    while (!fits({ ...g, batch: 1, outH: R, inH: span(R), padTop: 0 })) {
      if (R === 1) return null;
      R = Math.ceil(R / 2);
    }
    const blocks: RowBlock[] = [];
    for (let img = 0; img < g.batch; img++) {
      for (let r0 = 0; r0 < g.outH; r0 += R) {
        const r1 = Math.min(g.outH, r0 + R);
        // (at least one row, even for a block that reads only padding)
        const a0 = Math.min(g.inH - 1, Math.max(0, r0 * g.strideH - g.padTop));
        const a1 = Math.max(a0 + 1, Math.min(g.inH, (r1 - 1) * g.strideH - g.padTop + (g.kH - 1) * g.dilationH + 1));
        blocks.push({ img, r0, r1, a0, g: { ...g, batch: 1, inH: a1 - a0, outH: r1 - r0, padTop: g.padTop - r0 * g.strideH + a0 } });
      }
    }
    return blocks;
  }

  /** The block's input window and output rows within x and y (NHWC views, no copies). */
  function blockViews(g: Conv2dGeometry, b: RowBlock, x: FloatArray, y: FloatArray): [FloatArray, FloatArray] {
    const inRow = g.inW * g.inC, outRow = g.outW * g.outC;
    const xi = b.img * g.inH * inRow + b.a0 * inRow, yi = b.img * g.outH * outRow;
    return [x.subarray(xi, xi + b.g.inH * inRow), y.subarray(yi + b.r0 * outRow, yi + b.r1 * outRow)];
  }

  /** dx = the sum of each block's input gradient over its window (windows overlap at their edges). */
  function inputGradInBlocks(g: Conv2dGeometry, blocks: RowBlock[], dy: FloatArray, dx: FloatArray,
    run: (b: RowBlock, dyb: FloatArray, dxb: Float32Array) => void): void {
    dx.fill(0);
    const inRow = g.inW * g.inC;
    const tmp = new Float32Array(Math.max(...blocks.map((b) => b.g.inH)) * inRow);
    for (const b of blocks) {
      const [dxw, dyb] = blockViews(g, b, dx, dy);
      const t = tmp.subarray(0, dxw.length);
      run(b, dyb, t);
      for (let i = 0; i < t.length; i++) dxw[i] += t[i];
    }
  }

  /** dw = the sum over blocks, in block order, of each block's filter gradient. */
  function filterGradInBlocks(blocks: RowBlock[], dw: FloatArray, run: (b: RowBlock, dwb: Float32Array) => void): void {
    const acc = new Float64Array(dw.length);
    const tmp = new Float32Array(dw.length);
    for (const b of blocks) {
      run(b, tmp);
      for (let i = 0; i < tmp.length; i++) acc[i] += tmp[i];
    }
    for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
  }

  /**
   * Jobs over ranges of output rows of the n (< T) images of a chunk, so a batch of one still
   * keeps every thread busy: a range is a conv with fewer output rows and its top padding moved
   * up by the rows before it (padTop - r0 * strideH, negative inside the image), on the same
   * input, each with its own geometry block.
   */
  function rowJobs(g: Conv2dGeometry, p: ConvPlan, n: number, job: (geo: number, img: number, r0: number) => number[]): number[][] {
    const jobs: number[][] = [];
    const per = Math.max(1, Math.floor((ROW_JOBS_PER_IMAGE * T) / n));
    let q = 0;
    for (let j = 0; j < n; j++) {
      for (let part = 0; part < per; part++) {
        const r0 = Math.floor((part * g.outH) / per), r1 = Math.floor(((part + 1) * g.outH) / per);
        if (r1 <= r0) continue;
        const geo = p.rowGeo + q++ * 64;
        s.i32(geo, 15).set([g.inH, g.inW, g.inC, r1 - r0, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
          g.dilationH, g.dilationW, g.padTop - r0 * g.strideH, g.padLeft, p.band]);
        jobs.push(job(geo, j, r0));
      }
    }
    return jobs;
  }

  function conv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
    const ok = isF32(x, w, y) && epilogueOk(epilogue) && g.batch > 0 && y.length > 0;
    const p = ok ? planConv(g, 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, 0) !== null) : null;
    if (blocks) {
      for (const b of blocks) {
        const [xb, yb] = blockViews(g, b, x, y);
        conv2d(xb, w, yb, b.g, epilogue);
      }
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.conv2d(x, w, y, g, epilogue);
      return;
    }
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? epilogueAct(epilogue.activation) : 0;
    s.commit();
    convGeometry(p.geo, g, p.band);
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      if (T > 1 && n < T && g.inC > 1 && !isPointwise(g) && g.outH >= ROW_JOBS_PER_IMAGE && n * p.macs >= MIN_PARALLEL_MNK) {
        pool.run('convForward', rowJobs(g, p, n, (geo, j, r0) => [geo, p.x + j * p.inImg * 4, p.w,
          p.y + (j * p.outImg + r0 * g.outW * g.outC) * 4, 1, pBias, period, act]), p.bufs);
      } else {
        runImages('convForward', n, p.macs,
          (j0, cnt) => [p.geo, p.x + j0 * p.inImg * 4, p.w, p.y + j0 * p.outImg * 4, cnt, pBias, period, act], p.bufs);
      }
      y.set(s.f32(p.y, n * p.outImg), i0 * p.outImg);
    }
    if (epilogue?.activation === 'tanh') reference.unary('tanh', y, y);
  }

  function conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
    const ok = isF32(dy, w, dx) && epilogueOk(epilogue) && g.batch > 0 && dx.length > 0 && dy.length > 0;
    const p = ok ? planConv(g, 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, 0) !== null) : null;
    if (blocks) {
      // the epilogue runs once the windows' overlapping edges are summed
      inputGradInBlocks(g, blocks, dy, dx, (b, dyb, dxb) => conv2dBackpropInput(dyb, w, dxb, b.g));
      if (epilogue) applyEpilogue(dx, epilogue);
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.conv2dBackpropInput(dy, w, dx, g, epilogue);
      return;
    }
    // a transposed convolution's bias is per input channel of this geometry
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? epilogueAct(epilogue.activation) : 0;
    s.commit();
    convGeometry(p.geo, g, p.band);
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      runImages('convBackInput', n, p.macs, (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.bufs);
      if (epilogue) k.biasAct(p.x, n * p.inImg, pBias, period, act);
      dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
    }
    if (epilogue?.activation === 'tanh') reference.unary('tanh', dx, dx);
  }

  function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void {
    conv2dBackward(x, null, dy, g, { dx: null, dw, dbias: null });
  }

  /**
   * conv2d's gradients from one copy of dy: dz = dy, or dy * activation'(y) for a fused
   * activation, computed in place in scratch; then the bias gradient, the filter gradient and
   * the input gradient, per chunk. The filter gradient is a sum over images: each job of a chunk
   * (imageJobs, the same cut on every call) sums its images into its own partial, job j of every
   * chunk into partial j, and the partials are folded in index order at the end, so which thread
   * ran which job never changes the order of the additions (per-thread partials did: the same
   * seeds gave different weights from run to run).
   */
  function conv2dBackward(x: FloatArray, w: FloatArray | null, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
    fused?: FusedOutput): void {
    const { dx, dw, dbias } = grads;
    const act = fused ? ACTIVATION_CODES[fused.activation] : 0;
    const arrays = [x, dy, ...(w ? [w] : []), ...(act ? [fused!.y] : []), ...[dx, dw, dbias].filter((a): a is FloatArray => a !== null)];
    const N = g.outC;
    const wF = g.kH * g.kW * g.inC * N;
    const macs = g.outH * g.outW * wF;
    const maxParts = maxPartials(g.batch, g.outH * g.outW, wF);
    // the most jobs any chunk can have (the cut's job count never falls as the images grow)
    const imageParts = dw ? imageJobs(g.batch, macs, maxParts).length : 0;
    // fewer images than threads: the filter gradient's jobs are ranges of output rows (rowJobs),
    // one partial each, when those partials take at most a quarter of the cap
    let rowParts = dw && T > 1 && g.batch < T && g.inC > 1 && !isPointwise(g) && g.outH >= ROW_JOBS_PER_IMAGE &&
      g.batch * macs >= MIN_PARALLEL_MNK ? g.batch * Math.floor((ROW_JOBS_PER_IMAGE * T) / g.batch) : 0;
    if (rowParts * partialStride(wF) > capF / 4) rowParts = 0;
    const ok = isF32(...arrays) && (w !== null || dx === null) && g.batch > 0 && dy.length > 0 && x.length > 0;
    let p = ok ? planConv(g, Math.max(rowParts, imageParts), act !== 0) : null;
    if (ok && !p && rowParts) {
      rowParts = 0;
      p = planConv(g, imageParts, act !== 0);
    }
    const blocks = ok && !p ? rowBlocks(g, (sub) => planConv(sub, dw ? 1 : 0, act !== 0) !== null) : null;
    if (blocks) {
      conv2dBackwardInBlocks(x, w, dy, g, grads, blocks, fused);
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.conv2dBackward(x, w ?? new Float32Array(0), dy, g, grads, fused);
      return;
    }
    const sums = dbias ? sumRowsPlan(p.chunk * p.outImg / N, N) : null;
    s.commit();
    convGeometry(p.geo, g, p.band);
    if (dx && w) s.f32(p.w, wF).set(w);
    // partials written so far: a job's first chunk overwrites its partial, later ones add
    let written = 0;
    const biasAcc = dbias && g.batch > p.chunk ? new Float64Array(N) : null;
    const biasPart = biasAcc ? new Float32Array(N) : null;
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      const outN = n * p.outImg;
      s.f32(p.y, outN).set(dy.subarray(i0 * p.outImg, i0 * p.outImg + outN));
      if (act) {
        s.f32(p.y2, outN).set(fused!.y.subarray(i0 * p.outImg, i0 * p.outImg + outN));
        k.actBackward(p.y, p.y2, p.y, outN, act);
      }
      if (dbias && sums) {
        sumRowsRun(sums, p.y, outN / N, N, s.f32(p.y, outN), biasPart ?? dbias);
        if (biasAcc && biasPart) for (let j = 0; j < N; j++) biasAcc[j] += biasPart[j];
      }
      if (dw) {
        s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
        // (with rowParts the batch is one chunk: its jobs write their partials once)
        const jobs = rowParts
          ? rowJobs(g, p, n, (geo, j, r0) => [geo, p.x + j * p.inImg * 4, p.y + (j * p.outImg + r0 * g.outW * N) * 4, 1])
          : imageJobs(n, p.macs, maxParts).map(([j0, cnt]) => [p.geo, p.x + j0 * p.inImg * 4, p.y + j0 * p.outImg * 4, cnt]);
        if (jobs.length > p.part.length) throw new Error(`wasm conv2dBackward: ${jobs.length} jobs for ${p.part.length} partials`);
        pool.run('convBackFilter', jobs.map((a, j) => [...a, j < written ? 1 : 0, p.part[j]]), p.bufs);
        written = Math.max(written, jobs.length);
      }
      if (dx) {
        // the chunk's x is no longer needed: its buffer takes dx
        runImages('convBackInput', n, p.macs, (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.bufs);
        dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
      }
    }
    if (dbias && biasAcc) for (let j = 0; j < N; j++) dbias[j] = biasAcc[j];
    if (dw) {
      foldPartials(p.part, written, wF);
      dw.set(s.f32(p.part[0], wF));
    }
  }

  /** conv2dBackward block by block (see rowBlocks): dx over overlapping windows, dw and dbias summed in block order. */
  function conv2dBackwardInBlocks(x: FloatArray, w: FloatArray | null, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
    blocks: RowBlock[], fused?: FusedOutput): void {
    const { dx, dw, dbias } = grads;
    const inRow = g.inW * g.inC;
    const tdx = dx ? new Float32Array(Math.max(...blocks.map((b) => b.g.inH)) * inRow) : null;
    const tdw = dw ? new Float32Array(dw.length) : null;
    const tdb = dbias ? new Float32Array(dbias.length) : null;
    const accW = dw ? new Float64Array(dw.length) : null;
    const accB = dbias ? new Float64Array(dbias.length) : null;
    if (dx) dx.fill(0);
    for (const b of blocks) {
      const [xb, dyb] = blockViews(g, b, x, dy);
      const dxw = dx ? blockViews(g, b, dx, dy)[0] : null;
      const t = tdx && dxw ? tdx.subarray(0, dxw.length) : null;
      const yb = fused ? blockViews(g, b, x, fused.y)[1] : null;
      conv2dBackward(xb, w, dyb, b.g, { dx: t, dw: tdw, dbias: tdb }, fused && yb ? { y: yb, activation: fused.activation } : undefined);
      if (t && dxw) for (let i = 0; i < t.length; i++) dxw[i] += t[i];
      if (accW && tdw) for (let i = 0; i < tdw.length; i++) accW[i] += tdw[i];
      if (accB && tdb) for (let i = 0; i < tdb.length; i++) accB[i] += tdb[i];
    }
    if (dw && accW) for (let i = 0; i < accW.length; i++) dw[i] = accW[i];
    if (dbias && accB) for (let i = 0; i < accB.length; i++) dbias[i] = accB[i];
  }

  return { convGeometry, isPointwise, planConv, rowBlocks, blockViews, inputGradInBlocks, filterGradInBlocks, rowJobs, conv2d, conv2dBackpropInput, conv2dBackpropFilter, conv2dBackward, conv2dBackwardInBlocks };
}

export type ConvKernels = ReturnType<typeof convKernels>;
