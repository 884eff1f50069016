// Grouped and depthwise convolution: the wasm lane kernels, or one GEMM conv per group on channel slices.
import type { Conv2dGeometry, Epilogue, FloatArray, Backend } from '../backend.js';
import { ALIGN, GROUPED_CHUNK_BYTES, MIN_ROW, epilogueAct, isF32, reference, type WasmContext } from './context.js';
import type { ConvKernels } from './conv.js';
import {
  groupedConv2dBackpropFilterBySlices, groupedConv2dBackpropInputBySlices, groupedConv2dBySlices,
} from '../grouped.js';

interface GroupedPlan {
  geo: number;
  w: number;
  /** Per thread: its scratch. */
  suffix: number[][];
  /** Filter-gradient partials, one per job of a chunk (see imageJobs); maxParts caps the cut. */
  part: number[];
  maxParts: number;
  x: number;
  y: number;
  chunk: number;
  inImg: number;
  outImg: number;
  macs: number;
}

export function groupedKernels(c: WasmContext, cv: ConvKernels, self: () => Backend) {
  const {
    k, s, pool, T, capF, slicesMinCgM, stats, imageJobs, runImages, maxPartials, allocPartials, partialStride,
    foldPartials, tiledBias, fillTiledBias, epilogueOk,
  } = c;
  const { conv2d, conv2dBackpropInput, conv2dBackpropFilter, rowBlocks, blockViews, inputGradInBlocks, filterGradInBlocks } = cv;

  // ---- grouped and depthwise convolution ----

  /**
   * Whether a grouped conv runs as one GEMM conv per group on channel slices rather than on the
   * lane kernels. The lanes' expanded image holds Cg * M floats a pixel, and past ~1024 they fall
   * out of cache and lose to the GEMMs (ResNeXt's 8+ channels per group); with fewer, or one
   * channel per group (depthwise: groups of a 9 x 1 product), the per-group calls lose (measured
   * on 3x3 convs, bench/grouped.ts: Cg 4 M 128 lanes 1.3x faster, Cg 8 M 512 GEMMs 3x faster,
   * depthwise C 1024 lanes 6x faster).
   */
  function groupedBySlices(g: Conv2dGeometry, groups: number): boolean {
    const cg = g.inC / groups;
    return cg > 1 && cg * g.outC >= slicesMinCgM;
  }


  /**
   * Scratch for a grouped kernel: the geometry, the kernel, the per-thread buffers whose size
   * the module reports, the filter-gradient partials, then as many images as fit. Null when
   * not even one image fits under the cap.
   */
  function planGrouped(g: Conv2dGeometry, groups: number, kind: 'forward' | 'input' | 'filter', biasLen: number): GroupedPlan | null {
    const Cg = g.inC / groups;
    const Cp = Math.ceil(g.outC / 4) * 4;
    const wF = g.kH * g.kW * Cg * g.outC;
    const partF = kind === 'filter' ? g.kH * g.kW * Cg * Cp : 0;
    const macs = g.outH * g.outW * g.outC * g.kH * g.kW * Cg;
    s.reset();
    const geo = s.alloc(16);
    s.commit();
    s.i32(geo, 15).set([g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
      g.dilationH, g.dilationW, g.padTop, g.padLeft, groups]);
    const per = kind === 'forward' ? k.groupedForwardFloats(geo) : kind === 'input' ? k.groupedBackInputFloats(geo) : k.groupedBackFilterFloats(geo);
    const inImg = g.inH * g.inW * g.inC;
    const outImg = g.outH * g.outW * g.outC;
    // These kernels do a few multiply-adds per float moved, so chunks are sized to stay in cache
    // between the copy in, the kernel and the copy out (~2 MiB per thread; the whole batch at
    // once ran 1.2-1.4x slower on 32x56x56x64, whose 51 MB of input and output pass L3).
    const cacheChunk = Math.min(g.batch, Math.max(T, Math.floor((T * GROUPED_CHUNK_BYTES) / 4 / (inImg + outImg))));
    // every chunk's cut has at most as many jobs as the first's
    const maxParts = partF ? maxPartials(g.batch, g.outH * g.outW, partF) : 0;
    const parts = partF ? imageJobs(cacheChunk, macs, maxParts).length : 0;
    const fixed = s.used() + wF + T * (per + ALIGN) + parts * partialStride(partF) + (biasLen ? biasLen + MIN_ROW : 0) + 4 * ALIGN;
    const fit = Math.floor((capF - fixed) / (inImg + outImg));
    if (fit < 1) return null;
    const chunk = Math.min(cacheChunk, fit);
    const w = kind === 'filter' ? 0 : s.alloc(wF);
    const part = allocPartials(parts, partF);
    const suffix: number[][] = [];
    for (let t = 0; t < T; t++) suffix.push([s.alloc(per)]);
    const x = s.alloc(chunk * inImg);
    const y = s.alloc(chunk * outImg);
    return { geo, w, suffix, part, maxParts, x, y, chunk, inImg, outImg, macs };
  }

  function groupedConv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, groups: number, epilogue?: Epilogue): void {
    if (groups === 1) {
      conv2d(x, w, y, g, epilogue);
      return;
    }
    const ok = isF32(x, w, y) && epilogueOk(epilogue) && g.batch > 0 && y.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBySlices(self(), x, w, y, g, groups, epilogue);
      return;
    }
    const bias = (epilogue?.bias ?? null) as Float32Array | null;
    const p = ok ? planGrouped(g, groups, 'forward', bias ? bias.length : 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'forward', bias ? bias.length : 0) !== null) : null;
    if (blocks) {
      for (const b of blocks) {
        const [xb, yb] = blockViews(g, b, x, y);
        groupedConv2d(xb, w, yb, b.g, groups, epilogue);
      }
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.groupedConv2d(x, w, y, g, groups, epilogue);
      return;
    }
    const [pBias, period] = tiledBias(bias);
    const act = epilogue ? epilogueAct(epilogue.activation) : 0;
    s.commit();
    s.f32(p.w, w.length).set(w);
    if (bias) fillTiledBias(pBias, period, bias);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      runImages('groupedForward', n, p.macs,
        (j0, cnt) => [p.geo, p.x + j0 * p.inImg * 4, p.w, p.y + j0 * p.outImg * 4, cnt, pBias, period, act], p.suffix);
      y.set(s.f32(p.y, n * p.outImg), i0 * p.outImg);
    }
    if (epilogue?.activation === 'tanh') reference.unary('tanh', y, y);
  }

  function groupedConv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, groups: number): void {
    if (groups === 1) {
      conv2dBackpropInput(dy, w, dx, g);
      return;
    }
    const ok = isF32(dy, w, dx) && g.batch > 0 && dx.length > 0 && dy.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBackpropInputBySlices(self(), dy, w, dx, g, groups);
      return;
    }
    const p = ok ? planGrouped(g, groups, 'input', 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'input', 0) !== null) : null;
    if (blocks) {
      inputGradInBlocks(g, blocks, dy, dx, (b, dyb, dxb) => groupedConv2dBackpropInput(dyb, w, dxb, b.g, groups));
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.groupedConv2dBackpropInput(dy, w, dx, g, groups);
      return;
    }
    s.commit();
    s.f32(p.w, w.length).set(w);
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      runImages('groupedBackInput', n, p.macs,
        (j0, cnt) => [p.geo, p.y + j0 * p.outImg * 4, p.w, p.x + j0 * p.inImg * 4, cnt], p.suffix);
      dx.set(s.f32(p.x, n * p.inImg), i0 * p.inImg);
    }
  }

  function groupedConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry, groups: number): void {
    if (groups === 1) {
      conv2dBackpropFilter(x, dy, dw, g);
      return;
    }
    const ok = isF32(x, dy, dw) && g.batch > 0 && dy.length > 0 && x.length > 0;
    if (ok && groupedBySlices(g, groups)) {
      groupedConv2dBackpropFilterBySlices(self(), x, dy, dw, g, groups);
      return;
    }
    const p = ok ? planGrouped(g, groups, 'filter', 0) : null;
    const blocks = ok && !p ? rowBlocks(g, (sub) => planGrouped(sub, groups, 'filter', 0) !== null) : null;
    if (blocks) {
      filterGradInBlocks(blocks, dw, (b, dwb) => {
        const [xb, dyb] = blockViews(g, b, x, dy);
        groupedConv2dBackpropFilter(xb, dyb, dwb, b.g, groups);
      });
      return;
    }
    if (!p) {
      if (ok) stats.convReferenceCalls++;
      reference.groupedConv2dBackpropFilter(x, dy, dw, g, groups);
      return;
    }
    const M = g.outC;
    const Cp = Math.ceil(M / 4) * 4;
    const rows = g.kH * g.kW * (g.inC / groups);
    s.commit();
    // job j of every chunk adds into partial j, folded in index order: the same additions in
    // the same order whichever thread ran which job (see conv2dBackward)
    for (const q of p.part) s.f32(q, rows * Cp).fill(0);
    let used = 0;
    for (let i0 = 0; i0 < g.batch; i0 += p.chunk) {
      const n = Math.min(p.chunk, g.batch - i0);
      s.f32(p.x, n * p.inImg).set(x.subarray(i0 * p.inImg, (i0 + n) * p.inImg));
      s.f32(p.y, n * p.outImg).set(dy.subarray(i0 * p.outImg, (i0 + n) * p.outImg));
      const cut = imageJobs(n, p.macs, p.maxParts);
      if (cut.length > p.part.length) throw new Error(`wasm groupedConv2dBackpropFilter: ${cut.length} jobs for ${p.part.length} partials`);
      pool.run('groupedBackFilter', cut.map(([j0, cnt], j) =>
        [p.geo, p.x + j0 * p.inImg * 4, p.y + j0 * p.outImg * 4, cnt, p.part[j]]), p.suffix);
      used = Math.max(used, cut.length);
    }
    foldPartials(p.part, used, rows * Cp);
    const part = s.f32(p.part[0], rows * Cp);
    if (Cp === M) dw.set(part);
    else for (let r = 0; r < rows; r++) dw.set(part.subarray(r * Cp, r * Cp + M), r * M);
  }

  return { groupedBySlices, planGrouped, groupedConv2d, groupedConv2dBackpropInput, groupedConv2dBackpropFilter };
}
