/** A heat map of values over a 2-D grid of labelled rows and columns (e.g. an error over C and gamma). */
import type { TopLevelSpec } from 'vega-lite';
import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, describeValue, optionKeys, optional, stringOption } from '../core/validate.js';
import { Figure } from './figure.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Options of `plot.heatMap(values, xLabels, yLabels, options)`. */
export interface HeatMapOptions {
  /** The chart's title. Default: none. */
  title?: string;
  /** The x axis title. Default: none. */
  xLabel?: string;
  /** The y axis title. Default: none. */
  yLabel?: string;
  /** Legend title (default 'value'). */
  valueLabel?: string;
  /** d3 format of the number written in each cell (default '.3f'). */
  format?: string;
  /** Color scheme (default 'blues'; low values light). */
  scheme?: 'blues' | 'greens' | 'oranges' | 'reds' | 'purples' | 'viridis';
  /** Outline the cell with the smallest ('min') or largest ('max') value (default none). */
  highlight?: 'min' | 'max';
}

const HEAT_KEYS = optionKeys<HeatMapOptions>({ title: true, xLabel: true, yLabel: true, valueLabel: true, format: true, scheme: true, highlight: true });

/**
 * `values[i][j]` drawn at row `yLabels[i]`, column `xLabels[j]`, each cell with its number written
 * in it; null or non-finite values leave the cell empty.
 */
export function heatMap(values: readonly (readonly (number | null)[])[], xLabels: readonly string[], yLabels: readonly string[], input: HeatMapOptions = {}): Figure {
  const fn = 'plot.heatMap';
  const o = checkOptions(fn, input, HEAT_KEYS);
  for (const k of ['title', 'xLabel', 'yLabel', 'valueLabel', 'format'] as const) optional(fn, `options.${k}`, o[k], stringOption);
  if (o.scheme !== undefined && !['blues', 'greens', 'oranges', 'reds', 'purples', 'viridis'].includes(o.scheme)) throw new ValueError(`${fn}: options.scheme must be 'blues', 'greens', 'oranges', 'reds', 'purples' or 'viridis', got ${describeValue(o.scheme)}`);
  if (o.highlight !== undefined && o.highlight !== 'min' && o.highlight !== 'max') throw new ValueError(`${fn}: options.highlight must be 'min' or 'max', got ${describeValue(o.highlight)}`);
  for (const [arg, l] of [['xLabels', xLabels], ['yLabels', yLabels]] as const) {
    if (!Array.isArray(l) || l.length === 0 || l.some((s) => typeof s !== 'string')) throw new ValueError(`${fn}: ${arg} must be a non-empty array of strings`);
    if (new Set(l).size !== l.length) throw new ValueError(`${fn}: ${arg} has duplicates: [${l.join(', ')}]`);
  }
  if (!Array.isArray(values) || values.length !== yLabels.length) throw new ShapeError(`${fn}: values must have one row per y label (${yLabels.length}), got ${Array.isArray(values) ? values.length : describeValue(values)}`);
  const rows: { x: string; y: string; value: number | null }[] = [];
  let lo = Infinity, hi = -Infinity, bestV = 0;
  let best = null as { x: string; y: string } | null;
  values.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== xLabels.length) throw new ShapeError(`${fn}: values[${i}] must hold ${xLabels.length} values (one per x label)`);
    r.forEach((v, j) => {
      if (v !== null && typeof v !== 'number') throw new ValueError(`${fn}: values[${i}][${j}] is ${describeValue(v)}, not a number`);
      const ok = v !== null && Number.isFinite(v);
      rows.push({ x: xLabels[j], y: yLabels[i], value: ok ? v : null });
      if (!ok) return;
      lo = Math.min(lo, v); hi = Math.max(hi, v);
      if (o.highlight && (best === null || (o.highlight === 'min' ? v < bestV : v > bestV))) { best = { x: xLabels[j], y: yLabels[i] }; bestV = v; }
    });
  });
  if (lo === Infinity) { lo = 0; hi = 1; }
  const mid = (lo + hi) / 2;
  const cell = 56;
  // Built loosely and cast: vega-lite's layer types do not follow the conditional highlight layer.
  const spec = {
    $schema: SCHEMA,
    ...(o.title !== undefined ? { title: o.title } : {}),
    width: Math.min(cell * xLabels.length, 720),
    height: Math.min(cell * yLabels.length, 720),
    data: { values: rows },
    encoding: {
      x: { field: 'x', type: 'ordinal', sort: [...xLabels], title: o.xLabel ?? null, axis: { labelAngle: 0 } },
      y: { field: 'y', type: 'ordinal', sort: [...yLabels], title: o.yLabel ?? null },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: { color: { field: 'value', type: 'quantitative', title: o.valueLabel ?? 'value', scale: { scheme: o.scheme ?? 'blues', domain: [lo, hi === lo ? lo + 1 : hi] } } },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: o.format ?? '.3f' },
          // Dark cells get white text.
          color: { condition: { test: `datum.value > ${mid}`, value: 'white' }, value: 'black' },
        },
      },
      ...(best ? [{
        transform: [{ filter: { and: [{ field: 'x', equal: best.x }, { field: 'y', equal: best.y }] } }],
        mark: { type: 'rect', fill: null, stroke: '#e45756', strokeWidth: 3 },
      }] : []),
    ],
  } as unknown as TopLevelSpec;
  return new Figure(spec);
}
