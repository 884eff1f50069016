/** Line charts, function plots and confusion matrices. */
import type { TopLevelSpec } from 'vega-lite';
import { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../core/errors.js';
import {
  booleanOption, checkOptions, intInRange, oneOf, optionKeys, optional, orderedPair, positiveNumber, stringOption, unknownNameError,
} from '../core/validate.js';
import { Figure } from './figure.js';
import { type NumericInput, vector } from './input.js';
import { confusionMatrix as confusionMatrixOf } from '../metrics/index.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Vega's default categorical palette (tableau10), fixed here so charts and rasters agree. */
export const PALETTE: readonly string[] = [
  '#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b',
  '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac',
];

/** One curve: y values against 0..n-1, or explicit x and y of equal length. */
export type Series = NumericInput | { x: NumericInput; y: NumericInput };

/** Options of `plot.line(series, options)`. */
export interface LineOptions {
  /** The chart's title. Default: none. */
  title?: string;
  /** The x axis title. Default: 'x'. */
  xLabel?: string;
  /** The y axis title. Default: 'y'. */
  yLabel?: string;
  /** Plot area width in pixels. Default: 480. */
  width?: number;
  /** Plot area height in pixels. Default: 300. */
  height?: number;
  /** 'log' for losses spanning orders of magnitude (all y must then be positive). Default: 'linear'. */
  yScale?: 'linear' | 'log';
  /** Draw a dot at each point. Default: when every series has at most 30 points. */
  points?: boolean;
}

/** Options of `plot.fn(f, interval, options)`. */
export interface FnOptions extends LineOptions {
  /** Number of evenly spaced x values from a to b, ends included. Default 200. */
  samples?: number;
}

const LINE_KEYS = optionKeys<LineOptions>({
  title: true, xLabel: true, yLabel: true, width: true, height: true, yScale: true, points: true,
});
const FN_KEYS = optionKeys<FnOptions>({
  title: true, xLabel: true, yLabel: true, width: true, height: true, yScale: true, points: true, samples: true,
});

interface Row {
  series: string;
  x: number;
  y: number | null;
}

function isXY(s: Series): s is { x: NumericInput; y: NumericInput } {
  return typeof s === 'object' && s !== null && !(s instanceof Tensor) && !Array.isArray(s) && !ArrayBuffer.isView(s);
}

function isSingleSeries(s: unknown): s is NumericInput {
  return s instanceof Tensor || Array.isArray(s) || ArrayBuffer.isView(s);
}

function finiteOrNull(v: number): number | null {
  // JSON has no NaN or Infinity; Vega-Lite leaves null points out of the line (a diverged loss).
  return Number.isFinite(v) ? v : null;
}

/** The plot area's width and height: the options' (positive numbers) or the defaults. */
export function plotSize(fn: string, opts: { width?: number; height?: number }, w: number, h: number): [number, number] {
  return [
    optional(fn, 'options.width', opts.width, positiveNumber) ?? w,
    optional(fn, 'options.height', opts.height, positiveNumber) ?? h,
  ];
}

function titleProp(title: string | undefined): { title?: string } {
  return title === undefined ? {} : { title };
}

/**
 * Line chart of one or several named series (e.g. the loss for several learning rates).
 * A plain array/Tensor is one series against 0..n-1; `{ x, y }` gives its own x values and must
 * be named (`{ loss: { x, y } }`: a bare `{ x, y }` reads as two series called x and y).
 * Series may differ in length; within one, x and y must not.
 */
export function line(series: Series | Record<string, Series>, input: LineOptions = {}): Figure {
  const fn = 'plot.line';
  const options = checkOptions(fn, input, LINE_KEYS);
  const named: Record<string, Series> = isSingleSeries(series) ? { y: series } : series;
  if (typeof named !== 'object' || named === null) {
    throw new ValueError(`${fn}: series must be an array, a Tensor or a record of named series, got ${typeof series}`);
  }
  const names = Object.keys(named);
  if (names.length === 0) throw new ValueError(`${fn}: no series given`);
  const title = optional(fn, 'options.title', options.title, stringOption);
  const xLabel = optional(fn, 'options.xLabel', options.xLabel, stringOption) ?? 'x';
  const yLabel = optional(fn, 'options.yLabel', options.yLabel, stringOption) ?? 'y';
  const yScale = oneOf(fn, 'options.yScale', options.yScale ?? 'linear', ['linear', 'log'] as const);
  optional(fn, 'options.points', options.points, booleanOption);
  const [width, height] = plotSize(fn, options, 480, 300);

  const rows: Row[] = [];
  let longest = 0;
  for (const name of names) {
    const s = named[name];
    let xs: ArrayLike<number> | null = null;
    let ys: ArrayLike<number>;
    if (isXY(s)) {
      if (s.x === undefined || s.y === undefined) {
        throw new ValueError(`${fn}: series '${name}' must be values or { x, y }, got an object with keys [${Object.keys(s).join(', ')}]`);
      }
      for (const key of Object.keys(s)) {
        if (key !== 'x' && key !== 'y') throw unknownNameError(`${fn}: series '${name}'`, 'key', key, ['x', 'y']);
      }
      xs = vector(fn, `series '${name}'.x`, s.x).data;
      ys = vector(fn, `series '${name}'.y`, s.y).data;
      if (xs.length !== ys.length) {
        throw new ValueError(`${fn}: series '${name}' has ${xs.length} x values but ${ys.length} y values`);
      }
      for (let i = 0; i < xs.length; i++) {
        if (!Number.isFinite(xs[i])) throw new ValueError(`${fn}: series '${name}'.x[${i}] is ${xs[i]}, not finite`);
      }
    } else {
      ys = vector(fn, `series '${name}'`, s).data;
    }
    if (ys.length === 0) throw new ValueError(`${fn}: series '${name}' is empty`);
    if (yScale === 'log') {
      for (let i = 0; i < ys.length; i++) {
        if (ys[i] <= 0) throw new ValueError(`${fn}: yScale 'log' needs positive values, series '${name}'[${i}] is ${ys[i]}`);
      }
    }
    longest = Math.max(longest, ys.length);
    for (let i = 0; i < ys.length; i++) {
      rows.push({ series: name, x: xs === null ? i : xs[i], y: finiteOrNull(ys[i]) });
    }
  }
  const points = options.points ?? longest <= 30;
  const integerX = rows.every((r) => Number.isInteger(r.x));
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    ...titleProp(title),
    width,
    height,
    data: { values: rows },
    mark: { type: 'line', point: points, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: xLabel,
        scale: { zero: false, nice: false },
        // Epochs and steps: integer ticks only.
        ...(integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: yLabel, scale: { type: yScale, zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        // More series than palette colours: a larger scheme.
        scale: names.length <= PALETTE.length ? { domain: names, range: PALETTE.slice(0, names.length) } : { domain: names, scheme: 'category20' },
        // One curve needs no legend.
        legend: names.length > 1 ? { orient: 'right' } : null,
      },
      // Order points by x within each series (the input order otherwise decides nothing visible).
      order: { field: 'x', type: 'quantitative' },
    },
  };
  return new Figure(spec);
}

/** A function of one variable, or several named ones. */
export type Fn1 = (x: number) => number;

/**
 * Plots f on [a, b] at `samples` evenly spaced points (e.g. the hinge loss J(t), or z(x)).
 * Several functions may be given as a record of named functions.
 */
export function fn(f: Fn1 | Record<string, Fn1>, interval: readonly [number, number], input: FnOptions = {}): Figure {
  const name = 'plot.fn';
  const options = checkOptions(name, input, FN_KEYS);
  const fns: Record<string, Fn1> = typeof f === 'function' ? { f } : f;
  if (typeof fns !== 'object' || fns === null || Object.keys(fns).length === 0) {
    throw new ValueError(`${name}: f must be a function or a non-empty record of functions`);
  }
  for (const [k, g] of Object.entries(fns)) {
    if (typeof g !== 'function') throw new ValueError(`${name}: f['${k}'] is ${typeof g}, not a function`);
  }
  const [a, b] = orderedPair(name, 'interval', interval, ['a', 'b']);
  const samples = intInRange(name, 'options.samples', options.samples ?? 200, 2, 100000);
  const xs = new Float64Array(samples);
  // a + i*step, with the last point exactly b.
  for (let i = 0; i < samples; i++) xs[i] = i === samples - 1 ? b : a + ((b - a) * i) / (samples - 1);
  const series: Record<string, Series> = {};
  for (const [k, g] of Object.entries(fns)) {
    const ys = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const v = g(xs[i]);
      if (typeof v !== 'number') throw new ValueError(`${name}: f['${k}'](${xs[i]}) returned ${typeof v}, not a number`);
      ys[i] = v;
    }
    series[k] = { x: xs, y: ys };
  }
  const { samples: _s, ...lineOpts } = options;
  return line(series, { points: false, ...lineOpts });
}

/** Options of `plot.confusionMatrix`. */
export interface ConfusionMatrixOptions {
  /** The chart's title. Default: 'Confusion matrix'. */
  title?: string;
  /** Show each row as fractions of its true class instead of counts. Default: false. */
  normalize?: boolean;
}

const CONFUSION_KEYS = optionKeys<ConfusionMatrixOptions>({ title: true, normalize: true });

/** Counts per (true, predicted) class pair, rows = true class, in the order of `classes`. */
export interface ConfusionCounts {
  classes: number[];
  names: string[];
  counts: number[][];
}

/** Computes the confusion matrix counts (validated like `confusionMatrix`). */
export function confusionCounts(
  yTrue: NumericInput,
  yPred: NumericInput,
  labels?: readonly number[] | readonly string[],
  fnName = 'plot.confusionCounts',
): ConfusionCounts {
  const t = vector(fnName, 'yTrue', yTrue).data;
  const p = vector(fnName, 'yPred', yPred).data;
  if (t.length !== p.length) {
    throw new ValueError(`${fnName}: yTrue has ${t.length} values but yPred has ${p.length}`);
  }
  if (t.length === 0) throw new ValueError(`${fnName}: yTrue and yPred are empty`);
  for (const [arg, d] of [['yTrue', t], ['yPred', p]] as const) {
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new ValueError(`${fnName}: ${arg}[${i}] is ${d[i]}, not a class label`);
    }
  }
  let classes: number[];
  let names: string[];
  if (labels === undefined) {
    const set = new Set<number>();
    for (let i = 0; i < t.length; i++) set.add(t[i]).add(p[i]);
    classes = [...set].sort((x, y) => x - y);
    names = classes.map(String);
  } else if (!Array.isArray(labels) || labels.length === 0) {
    throw new ValueError(`${fnName}: labels must be a non-empty array of class values or names`);
  } else if (labels.every((l) => typeof l === 'string')) {
    // Names for classes 0..k-1.
    names = [...(labels as readonly string[])];
    classes = names.map((_, i) => i);
  } else if (labels.every((l) => typeof l === 'number' && Number.isFinite(l))) {
    classes = [...(labels as readonly number[])];
    names = classes.map(String);
  } else {
    throw new ValueError(`${fnName}: labels must be all numbers (class values) or all strings (names of classes 0..k-1)`);
  }
  if (new Set(names).size !== names.length) {
    throw new ValueError(`${fnName}: labels contain duplicates: [${names.join(', ')}]`);
  }
  const index = new Set<number>(classes);
  for (let i = 0; i < t.length; i++) {
    if (!index.has(t[i]) || !index.has(p[i])) {
      const [arg, v] = !index.has(t[i]) ? ['yTrue', t[i]] : ['yPred', p[i]];
      throw new ValueError(`${fnName}: ${arg}[${i}] = ${v} is not one of the labels [${classes.join(', ')}]`);
    }
  }
  // Every sample is in the labels (checked above), so gl.metrics' matrix drops none.
  const counts = confusionMatrixOf(t, p, { labels: classes });
  return { classes, names, counts };
}

/**
 * Confusion matrix heat map: rows are true classes, columns predicted ones.
 * `labels`: numbers list the class values in display order; strings name classes 0..k-1.
 */
export function confusionMatrix(
  yTrue: NumericInput,
  yPred: NumericInput,
  labels?: readonly number[] | readonly string[],
  input: ConfusionMatrixOptions = {},
): Figure {
  const fnName = 'plot.confusionMatrix';
  const options = checkOptions(fnName, input, CONFUSION_KEYS);
  const title = optional(fnName, 'options.title', options.title, stringOption) ?? 'Confusion matrix';
  const normalize = optional(fnName, 'options.normalize', options.normalize, booleanOption) ?? false;
  const { names, counts } = confusionCounts(yTrue, yPred, labels, fnName);
  const rows: { true: string; predicted: string; count: number; value: number }[] = [];
  let max = 0;
  for (let i = 0; i < names.length; i++) {
    const rowSum = counts[i].reduce((s, c) => s + c, 0);
    for (let j = 0; j < names.length; j++) {
      const value = normalize ? (rowSum === 0 ? 0 : counts[i][j] / rowSum) : counts[i][j];
      max = Math.max(max, value);
      rows.push({ true: names[i], predicted: names[j], count: counts[i][j], value });
    }
  }
  const side = Math.max(160, Math.min(40 * names.length, 640));
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title,
    width: side,
    height: side,
    data: { values: rows },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: names, title: 'predicted label', axis: { labelAngle: 0 } },
      y: { field: 'true', type: 'nominal', sort: names, title: 'true label' },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            title: normalize ? 'fraction' : 'count',
            scale: { scheme: 'blues', domain: [0, max > 0 ? max : 1] },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: names.length > 12 ? 8 : 11 },
        encoding: {
          text: normalize ? { field: 'value', type: 'quantitative', format: '.2f' } : { field: 'count', type: 'quantitative' },
          // Dark cells get white text.
          color: { condition: { test: `datum.value > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
  return new Figure(spec);
}
