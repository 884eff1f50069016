/** Decision regions of a classifier on 2-D inputs (COURSE.md C3, D1). */
import type { TopLevelSpec } from 'vega-lite';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Figure } from './figure.js';
import {
  checkOptions, finiteNumber, functionOption, intInRange, nonNegativeNumber, optionKeys, optional, orderedPair, stringOption,
} from '../core/validate.js';
import { PALETTE, plotSize } from './charts.js';
import { pngDataURI } from './png.js';
import { type ArrayInput, type NumericInput, ndarray, vector, checkFinite } from './input.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A classifier on an [n, 2] batch: labels [n], scores [n] or [n, 1], or class scores [n, k]. */
export type Predict2D = (x: Tensor) => Tensor | ArrayLike<number>;

/** Options of `plot.decisionRegions`. */
export interface DecisionRegionsOptions {
  /** The chart's title. Default: none. */
  title?: string;
  /** The first feature's axis title. Default: 'x1'. */
  xLabel?: string;
  /** The second feature's axis title. Default: 'x2'. */
  yLabel?: string;
  /** Grid cells per axis at which `predict` is evaluated. Default 100. */
  resolution?: number;
  /** Margin around the points, as a fraction of their span. Default 0.1. */
  padding?: number;
  /** Explicit plot window [[x1min, x1max], [x2min, x2max]]. Default: the points' span widened by padding. */
  bounds?: readonly [readonly [number, number], readonly [number, number]];
  /**
   * Treat a one-column output as scores: score >= threshold gives y's larger class, else its
   * smaller one. Default: used with threshold 0 (decision functions) only when the output is not
   * all integers; pass 0.5 for probabilities.
   */
  threshold?: number;
  /** Plot area width in pixels. Default: 360. */
  width?: number;
  /** Plot area height in pixels. Default: 360. */
  height?: number;
}

const REGIONS_KEYS = optionKeys<DecisionRegionsOptions>({
  title: true, xLabel: true, yLabel: true, resolution: true, padding: true, bounds: true, threshold: true, width: true, height: true,
});

/** The evaluated grid, stored in the spec's `usermeta.grid`: labels[j * x.length + i] is at (x[i], y[j]). */
export interface RegionGrid {
  x: number[];
  /** Cell centres from top (largest) to bottom. */
  y: number[];
  labels: number[];
}

function mix(hex: string, alpha: number): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  const c = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  // Blend with white so regions are pale and the points stand out, identically in PNG and SVG.
  return c.map((x) => Math.round(alpha * x + (1 - alpha) * 255)) as [number, number, number];
}

function outputLabels(fn: string, out: Tensor | ArrayLike<number>, m: number, y: ArrayLike<number>, threshold: number | undefined): Float64Array {
  let data: ArrayLike<number>;
  let cols: number;
  if (out instanceof Tensor) {
    const s = out.shape;
    if (!((s.length === 1 && s[0] === m) || (s.length === 2 && s[0] === m && s[1] >= 1))) {
      throw new ShapeError(`${fn}: predict returned shape ${fmtShape(s)} for ${m} grid points; expected [${m}], [${m},1] or [${m},k]`);
    }
    data = out.data;
    cols = s.length === 2 ? s[1] : 1;
  } else if (Array.isArray(out) || ArrayBuffer.isView(out)) {
    data = out as ArrayLike<number>;
    if (data.length !== m) throw new ShapeError(`${fn}: predict returned ${data.length} values for ${m} grid points`);
    cols = 1;
  } else {
    throw new ValueError(`${fn}: predict must return a Tensor or an array of numbers, got ${typeof out}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (typeof data[i] !== 'number' || Number.isNaN(data[i])) throw new ValueError(`${fn}: predict returned ${data[i]} at grid point ${Math.floor(i / cols)}`);
  }
  const labels = new Float64Array(m);
  if (cols > 1) {
    if (threshold !== undefined) throw new ValueError(`${fn}: options.threshold needs a one-column output, predict returned ${cols} columns`);
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let k = 1; k < cols; k++) if (data[i * cols + k] > data[i * cols + best]) best = k;
      labels[i] = best;
    }
    return labels;
  }
  let integral = true;
  for (let i = 0; i < m && integral; i++) integral = Number.isInteger(data[i]);
  if (threshold === undefined && integral) {
    for (let i = 0; i < m; i++) labels[i] = data[i];
    return labels;
  }
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  if (classes.length !== 2) {
    throw new ValueError(`${fn}: predict returned scores, which need exactly 2 classes in y to map to, but y has ${classes.length}: [${classes.join(', ')}]`);
  }
  const t = threshold ?? 0;
  for (let i = 0; i < m; i++) labels[i] = data[i] >= t ? classes[1] : classes[0];
  return labels;
}

/**
 * The classifier's decision regions over the plane, with the labelled points on top.
 * `predict` is called once with an [r*r, 2] float32 Tensor of grid cell centres.
 */
export function decisionRegions(predict: Predict2D, x2d: ArrayInput, y: NumericInput, input: DecisionRegionsOptions = {}): Figure {
  const fn = 'plot.decisionRegions';
  const options = checkOptions(fn, input, REGIONS_KEYS);
  functionOption(fn, 'predict', predict);
  const X = ndarray(fn, 'x2d', x2d);
  if (X.shape.length !== 2 || X.shape[1] !== 2) throw new ShapeError(`${fn}: x2d must have shape [n,2], got ${fmtShape(X.shape)}`);
  const n = X.shape[0];
  if (n === 0) throw new ValueError(`${fn}: x2d holds no points`);
  const Y = vector(fn, 'y', y).data;
  if (Y.length !== n) throw new ValueError(`${fn}: x2d has ${n} points but y has ${Y.length} labels`);
  checkFinite(fn, 'x2d', X.data);
  checkFinite(fn, 'y', Y);
  const resolution = intInRange(fn, 'options.resolution', options.resolution ?? 100, 2, 2000);
  const padding = nonNegativeNumber(fn, 'options.padding', options.padding ?? 0.1);
  optional(fn, 'options.threshold', options.threshold, finiteNumber);
  const title = optional(fn, 'options.title', options.title, stringOption);
  const xLabel = optional(fn, 'options.xLabel', options.xLabel, stringOption) ?? 'x1';
  const yLabel = optional(fn, 'options.yLabel', options.yLabel, stringOption) ?? 'x2';
  const [width, height] = plotSize(fn, options, 360, 360);

  let bx: [number, number];
  let by: [number, number];
  if (options.bounds !== undefined) {
    const b: unknown = options.bounds;
    if (!Array.isArray(b) || b.length !== 2) {
      throw new ValueError(`${fn}: options.bounds must be [[x1min, x1max], [x2min, x2max]] with min < max, got ${JSON.stringify(b)}`);
    }
    bx = orderedPair(fn, 'options.bounds[0]', b[0], ['x1min', 'x1max']);
    by = orderedPair(fn, 'options.bounds[1]', b[1], ['x2min', 'x2max']);
  } else {
    const span = (k: number): [number, number] => {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        lo = Math.min(lo, X.data[i * 2 + k]);
        hi = Math.max(hi, X.data[i * 2 + k]);
      }
      const pad = hi > lo ? (hi - lo) * padding : 1;
      return [lo - pad, hi + pad];
    };
    bx = span(0);
    by = span(1);
  }

  const r = resolution;
  const gx = Array.from({ length: r }, (_, i) => bx[0] + ((i + 0.5) * (bx[1] - bx[0])) / r);
  const gy = Array.from({ length: r }, (_, j) => by[1] - ((j + 0.5) * (by[1] - by[0])) / r);
  const grid = new Float32Array(r * r * 2);
  for (let j = 0; j < r; j++) {
    for (let i = 0; i < r; i++) {
      grid[(j * r + i) * 2] = gx[i];
      grid[(j * r + i) * 2 + 1] = gy[j];
    }
  }
  const labels = outputLabels(fn, predict(new Tensor(grid, [r * r, 2])), r * r, Y, options.threshold);

  const classes = [...new Set([...Array.from(Y), ...labels])].sort((a, b) => a - b);
  const names = classes.map(String);
  const colour = new Map(classes.map((c, k) => [c, PALETTE[k % PALETTE.length]]));
  const px = new Uint8Array(r * r * 3);
  for (let k = 0; k < r * r; k++) {
    const [R, G, B] = mix(colour.get(labels[k])!, 0.35);
    px[k * 3] = R;
    px[k * 3 + 1] = G;
    px[k * 3 + 2] = B;
  }
  const points = Array.from({ length: n }, (_, i) => ({ x1: X.data[i * 2], x2: X.data[i * 2 + 1], label: String(Y[i]) }));
  const meta: { grid: RegionGrid } = { grid: { x: gx, y: gy, labels: Array.from(labels) } };
  const xScale = { domain: bx, nice: false, zero: false };
  const yScale = { domain: by, nice: false, zero: false };
  const spec = {
    $schema: SCHEMA,
    ...(title === undefined ? {} : { title }),
    width,
    height,
    usermeta: meta,
    layer: [
      {
        data: { values: [{ x1: bx[0], x2: by[1], url: pngDataURI(r, r, 3, px) }] },
        mark: { type: 'image', width, height, align: 'left', baseline: 'top', aspect: false, smooth: false, aria: false },
        encoding: {
          x: { field: 'x1', type: 'quantitative', scale: xScale, title: xLabel },
          y: { field: 'x2', type: 'quantitative', scale: yScale, title: yLabel },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', clip: true, filled: true, size: 50, stroke: 'black', strokeWidth: 0.8, opacity: 1 },
        encoding: {
          x: { field: 'x1', type: 'quantitative', scale: xScale, title: xLabel },
          y: { field: 'x2', type: 'quantitative', scale: yScale, title: yLabel },
          color: {
            field: 'label',
            type: 'nominal',
            title: 'class',
            scale: { domain: names, range: names.map((_, k) => PALETTE[k % PALETTE.length]) },
          },
          shape: { field: 'label', type: 'nominal', title: 'class', scale: { domain: names } },
        },
      },
    ],
  } as TopLevelSpec;
  return new Figure(spec);
}
