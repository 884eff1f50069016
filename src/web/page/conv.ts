// The Convolution panel's arithmetic, pure (no DOM): the page draws it, and test/web checks it
// against the course's answers and against gl.conv2d without a browser.

/** The course's problem A1: the 6x5 image and the 2x2 kernel (copied from the course set). */
export const A1_IMAGE: readonly (readonly number[])[] = [
  [0, 0, 0, 0, 0],
  [0, 3, 3, 3, 0],
  [0, 3, 3, 3, 0],
  [0, 3, 2, 3, 0],
  [0, 3, 2, 3, 0],
  [0, 0, 0, 0, 0],
];
export const A1_KERNEL: readonly (readonly number[])[] = [
  [1, -1],
  [1, -1],
];

export interface ConvSettings {
  /** 'correlation' slides the kernel as written (what conv2d layers compute); 'convolution' flips it first. */
  mode: 'correlation' | 'convolution';
  /** Rings of zeros around the image. */
  padding: number;
  stride: number;
}

/** One product of an output cell's sum: image[row][col] (null outside the image: a padding zero) times kernel[kr][kc]. */
export interface Term {
  row: number;
  col: number;
  kr: number;
  kc: number;
  x: number;
  w: number;
  /** True when (row, col) lies in the zero padding. */
  pad: boolean;
}

export interface ConvResult {
  /** The output grid, rows x cols. */
  z: number[][];
  /** terms[i][j]: the products summed into z[i][j], in kernel order. */
  terms: Term[][][];
}

function checkGrid(name: string, g: readonly (readonly number[])[]): [number, number] {
  if (!Array.isArray(g) || g.length === 0 || !Array.isArray(g[0]) || g[0].length === 0) throw new RangeError(`convolve: ${name} must be a non-empty grid`);
  const w = g[0].length;
  g.forEach((r, i) => {
    if (r.length !== w) throw new RangeError(`convolve: ${name} row ${i} has ${r.length} cells, row 0 has ${w}`);
    r.forEach((v: number, j: number) => { if (!Number.isFinite(v)) throw new RangeError(`convolve: ${name}[${i}][${j}] is ${v}, not a finite number`); });
  });
  return [g.length, w];
}

/** The output size along one axis: floor((n + 2p - k) / s) + 1, or 0 when the kernel does not fit. */
export function outputSize(n: number, k: number, padding: number, stride: number): number {
  const span = n + 2 * padding - k;
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/**
 * z[i][j] = sum_{k1,k2} X[i*s + k1 - p][j*s + k2 - p] * K[k1][k2], where K is the kernel as given
 * (correlation) or turned by 180 degrees (convolution), X is zero outside the image.
 */
export function convolve(image: readonly (readonly number[])[], kernel: readonly (readonly number[])[], settings: ConvSettings): ConvResult {
  const [h, w] = checkGrid('image', image);
  const [kh, kw] = checkGrid('kernel', kernel);
  const { mode, padding: p, stride: s } = settings;
  if (mode !== 'correlation' && mode !== 'convolution') throw new RangeError(`convolve: mode must be 'correlation' or 'convolution', got '${String(mode)}'`);
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`convolve: padding must be a non-negative integer, got ${p}`);
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`convolve: stride must be a positive integer, got ${s}`);
  const oh = outputSize(h, kh, p, s);
  const ow = outputSize(w, kw, p, s);
  const flip = mode === 'convolution';
  const z: number[][] = [];
  const terms: Term[][][] = [];
  for (let i = 0; i < oh; i++) {
    const zr: number[] = [];
    const tr: Term[][] = [];
    for (let j = 0; j < ow; j++) {
      let sum = 0;
      const t: Term[] = [];
      for (let k1 = 0; k1 < kh; k1++) {
        for (let k2 = 0; k2 < kw; k2++) {
          const row = i * s + k1 - p;
          const col = j * s + k2 - p;
          const pad = row < 0 || row >= h || col < 0 || col >= w;
          const x = pad ? 0 : image[row][col];
          const kr = flip ? kh - 1 - k1 : k1;
          const kc = flip ? kw - 1 - k2 : k2;
          const wv = kernel[kr][kc];
          sum += x * wv;
          t.push({ row, col, kr, kc, x, w: wv, pad });
        }
      }
      zr.push(sum);
      tr.push(t);
    }
    z.push(zr);
    terms.push(tr);
  }
  return { z, terms };
}

const num = (v: number): string => (v < 0 ? `(${v})` : String(v));

/** An output cell's sum written out: "z[1,3] = X[1,3]·K[0,0] + ... = 3·1 + 0·(-1) + ... = 6". */
export function explain(result: ConvResult, i: number, j: number): string {
  const t = result.terms[i]?.[j];
  if (!t) throw new RangeError(`explain: no output cell (${i}, ${j})`);
  const symbolic = t.map((e) => `${e.pad ? '0' : `X[${e.row},${e.col}]`}·K[${e.kr},${e.kc}]`).join(' + ');
  const values = t.map((e) => `${num(e.x)}·${num(e.w)}`).join(' + ');
  return `z[${i},${j}] = ${symbolic} = ${values} = ${result.z[i][j]}`;
}
