// Max and average pooling and their backward passes, in chunks of images.
import type { FloatArray, Pool2dGeometry } from '../backend.js';
import { MIN_ELEMENTWISE, isF32, reference, type WasmContext } from './context.js';

export function poolingKernels(c: WasmContext) {
  const { k, s, capF, noSuffix, runImages } = c;

  function poolGeometry(p: number, g: Pool2dGeometry): void {
    s.i32(p, 11).set([g.inH, g.inW, g.channels, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft]);
  }

  /** Images per chunk for pooling, or 0 when pooling stays on the reference. */
  function poolChunk(g: Pool2dGeometry, extraPerOut: number): number {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    if (g.batch === 0 || outImg === 0 || g.batch * (inImg + outImg) < MIN_ELEMENTWISE) return 0;
    return Math.max(0, Math.min(g.batch, Math.floor((capF - 64) / (inImg + outImg * (1 + extraPerOut)))));
  }

  /**
   * Runs `step` over the batch in chunks of `chunk` images, with scratch for one chunk's inputs,
   * its outputs and (for max pooling) its arg-max indices; the geometry is written once.
   */
  function poolInChunks(g: Pool2dGeometry, chunk: number, withIndex: boolean,
    step: (geo: number, pIn: number, pOut: number, pIdx: number, i0: number, n: number, inImg: number, outImg: number) => void): void {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    s.reset();
    const geo = s.alloc(16);
    const pIn = s.alloc(chunk * inImg);
    const pOut = s.alloc(chunk * outImg);
    const pIdx = withIndex ? s.alloc(chunk * outImg) : 0;
    s.commit();
    poolGeometry(geo, g);
    for (let i0 = 0; i0 < g.batch; i0 += chunk) step(geo, pIn, pOut, pIdx, i0, Math.min(chunk, g.batch - i0), inImg, outImg);
  }

  function maxPool2d(x: FloatArray, out: FloatArray, argmax: Int32Array, g: Pool2dGeometry): void {
    const chunk = isF32(x, out) ? poolChunk(g, 1) : 0;
    if (chunk < 1) {
      reference.maxPool2d(x, out, argmax, g);
      return;
    }
    const work = g.outH * g.outW * g.channels * g.kH * g.kW;
    poolInChunks(g, chunk, true, (geo, px, po, pi, i0, n, inImg, outImg) => {
      s.f32(px, n * inImg).set(x.subarray(i0 * inImg, (i0 + n) * inImg));
      // image groups on the pool threads: the kernel is ~4x the copies here
      runImages('maxPool', n, work, (j0, cnt) => [geo, px + j0 * inImg * 4, po + j0 * outImg * 4, pi + j0 * outImg * 4, cnt,
        (i0 + j0) * inImg], noSuffix);
      out.set(s.f32(po, n * outImg), i0 * outImg);
      argmax.set(s.i32(pi, n * outImg), i0 * outImg);
    });
  }

  function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, g: Pool2dGeometry): void {
    const inImg = g.inH * g.inW * g.channels;
    const outImg = g.outH * g.outW * g.channels;
    const chunk = isF32(dy, dx) && dx.length >= MIN_ELEMENTWISE ? poolChunk(g, 1) : 0;
    if (chunk < 1) {
      reference.maxPool2dBackward(dy, argmax, dx, g);
      return;
    }
    poolInChunks(g, chunk, true, (_geo, pdx, pdy, pi, i0, n) => {
      s.f32(pdy, n * outImg).set(dy.subarray(i0 * outImg, (i0 + n) * outImg));
      s.i32(pi, n * outImg).set(argmax.subarray(i0 * outImg, (i0 + n) * outImg));
      runImages('maxPoolBackward', n, inImg, (j0, cnt) => [pdy + j0 * outImg * 4, pi + j0 * outImg * 4, cnt * outImg,
        pdx + j0 * inImg * 4, cnt * inImg, (i0 + j0) * inImg], noSuffix);
      dx.set(s.f32(pdx, n * inImg), i0 * inImg);
    });
  }

  function avgPool2d(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
    const chunk = isF32(x, out) ? poolChunk(g, 0) : 0;
    if (chunk < 1) {
      reference.avgPool2d(x, out, g);
      return;
    }
    poolInChunks(g, chunk, false, (geo, px, po, _pi, i0, n, inImg, outImg) => {
      s.f32(px, n * inImg).set(x.subarray(i0 * inImg, (i0 + n) * inImg));
      k.avgPool(geo, px, po, n);
      out.set(s.f32(po, n * outImg), i0 * outImg);
    });
  }

  function avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: Pool2dGeometry): void {
    const chunk = isF32(dy, dx) ? poolChunk(g, 0) : 0;
    if (chunk < 1) {
      reference.avgPool2dBackward(dy, dx, g);
      return;
    }
    poolInChunks(g, chunk, false, (geo, pdx, pdy, _pi, i0, n, inImg, outImg) => {
      s.f32(pdy, n * outImg).set(dy.subarray(i0 * outImg, (i0 + n) * outImg));
      k.avgPoolBackward(geo, pdy, pdx, n);
      dx.set(s.f32(pdx, n * inImg), i0 * inImg);
    });
  }

  return { poolGeometry, poolChunk, poolInChunks, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward };
}
