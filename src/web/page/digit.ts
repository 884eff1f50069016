// The Draw panel's preprocessing, pure (no DOM): a drawing becomes a 28x28 image laid out as
// MNIST's digits are (the ink's bounding box scaled to fit 20x20, its centre of mass at the
// centre), so a network trained on MNIST sees what it was trained on.

export const SIDE = 28;
const BOX = 20;

/**
 * ink: w*h values in [0, 1] (row-major, 1 = full ink). Returns 28*28 values in [0, 1]; all zeros
 * when there is no ink.
 */
export function toMnist(ink: ArrayLike<number>, w: number, h: number): Float32Array {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || ink.length !== w * h) {
    throw new RangeError(`toMnist: ink has ${ink.length} values, not w*h = ${w}*${h}`);
  }
  let top = h, left = w, bottom = -1, right = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] > 0.02) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  const out = new Float32Array(SIDE * SIDE);
  if (bottom < 0) return out;
  const bw = right - left + 1;
  const bh = bottom - top + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Box filter: each target pixel averages the source pixels it covers (fractional at the edges).
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const y0 = top + ty / scale, y1 = top + (ty + 1) / scale;
    for (let tx = 0; tx < tw; tx++) {
      const x0 = left + tx / scale, x1 = left + (tx + 1) / scale;
      let sum = 0, area = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1) && y < h; y++) {
        const fy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1) && x < w; x++) {
          const f = fy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += f * ink[y * w + x];
          area += f;
        }
      }
      small[ty * tw + tx] = area > 0 ? Math.min(1, sum / area) : 0;
    }
  }
  let m = 0, my = 0, mx = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    const v = small[y * tw + x];
    m += v; my += v * (y + 0.5); mx += v * (x + 0.5);
  }
  // Shift so the centre of mass sits at (14, 14), kept inside the frame.
  const oy = Math.min(SIDE - th, Math.max(0, Math.round(SIDE / 2 - (m > 0 ? my / m : th / 2))));
  const ox = Math.min(SIDE - tw, Math.max(0, Math.round(SIDE / 2 - (m > 0 ? mx / m : tw / 2))));
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(y + oy) * SIDE + x + ox] = small[y * tw + x];
  return out;
}
