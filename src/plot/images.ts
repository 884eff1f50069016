/**
 * Image grids: digits with their labels, convolution filters, feature maps. Each tile is one
 * small PNG inside an image mark (a 28x28 digit is ~1 kB), so a grid of many images renders in
 * milliseconds where one rect mark per pixel would take seconds.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Figure } from './figure.js';
import { pngDataURI } from './png.js';
import {
  checkOptions, oneOf, optionKeys, optional, orderedPair, positiveInt, positiveNumber, stringArray, stringOption,
} from '../core/validate.js';
import { type ArrayInput, ndarray, checkFinite } from './input.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * How values map to colours: 'gray' (low black, high white), 'gray_r' (low white, high black:
 * dark digits on paper), 'viridis' (perceptually uniform colours, for feature maps).
 */
export type Colormap = 'gray' | 'gray_r' | 'viridis';

/** What the image grids (`plot.images`, `plot.filters`, `plot.featureMaps`) share among their options. */
export interface GridOptions {
  /** Figure title. Default: none. */
  title?: string;
  /** Tiles per row. Default: all in one row up to 5, else about a square. */
  columns?: number;
  /** How one-channel values map to colours: 'gray' (low dark), 'gray_r' (low light) or 'viridis'. Default: 'gray' ('viridis' for featureMaps; RGB images ignore it). */
  colormap?: Colormap;
  /** Displayed size in pixels of a tile's longer side. Default 84 (3x for 28x28 digits). */
  size?: number;
}

/** Options of `plot.images(x, options)`. */
export interface ImagesOptions extends GridOptions {
  /** One title per image, e.g. "true=3 est=5". Default: none. */
  titles?: readonly string[];
  /**
   * Values shown as the darkest and brightest colours; others are clipped. Default: [0, 1] or
   * [0, 255] or [-1, 1] when all values fit one of them (in that order), else the data's range.
   */
  range?: readonly [number, number];
  /** One flag per image: true ones get a red frame and a red title (e.g. wrong predictions). Default: none highlighted. */
  highlight?: readonly boolean[];
}

const COLORMAPS = ['gray', 'gray_r', 'viridis'] as const;
/** The colour of highlighted tiles' frames and titles (matplotlib's tab:red). */
const HIGHLIGHT = '#d62728';

const GRID_KEYS = optionKeys<GridOptions>({ title: true, columns: true, colormap: true, size: true });
const IMAGES_KEYS = optionKeys<ImagesOptions>({ title: true, columns: true, colormap: true, size: true, titles: true, range: true, highlight: true });

/** A tile: 8-bit pixels, gray (1 channel) or RGB (3). */
interface Tile {
  h: number;
  w: number;
  channels: 1 | 3;
  pixels: Uint8Array;
  title: string;
  highlight?: boolean;
}

// Viridis (matplotlib's, as in d3/vega) at 17 evenly spaced stops; linear interpolation between
// them stays within a level or two of the full 256-entry table and avoids loading vega here.
const VIRIDIS_STOPS = [
  0x440154, 0x48196b, 0x472d7b, 0x424086, 0x3b528b, 0x34638d, 0x2c728e, 0x27828e, 0x21918d,
  0x1f9f88, 0x28ae80, 0x3ebc74, 0x5dc963, 0x82d34c, 0xabdc32, 0xd5e21b, 0xfde725,
];

let viridisLUT: Uint8Array | null = null;

function viridis(): Uint8Array {
  if (viridisLUT !== null) return viridisLUT;
  const lut = new Uint8Array(256 * 3);
  const last = VIRIDIS_STOPS.length - 1;
  for (let i = 0; i < 256; i++) {
    const pos = (i / 255) * last;
    const k = Math.min(Math.floor(pos), last - 1);
    const f = pos - k;
    for (let ch = 0; ch < 3; ch++) {
      const shift = 16 - 8 * ch;
      const a = (VIRIDIS_STOPS[k] >> shift) & 255;
      const b = (VIRIDIS_STOPS[k + 1] >> shift) & 255;
      lut[i * 3 + ch] = Math.round(a + (b - a) * f);
    }
  }
  viridisLUT = lut;
  return lut;
}

function checkColormap(fn: string, c: unknown): Colormap {
  return oneOf(fn, 'options.colormap', c, COLORMAPS);
}

/**
 * Turns h*w single-channel values into a tile: value lo -> 0, hi -> 1 (clipped), then the
 * colormap. `stride`/`offset` pick one channel out of interleaved storage.
 */
function scalarTile(
  data: ArrayLike<number>, offset: number, stride: number, h: number, w: number,
  lo: number, hi: number, colormap: Colormap, title: string,
): Tile {
  const n = h * w;
  const span = hi - lo;
  const level = (k: number): number => {
    const v = data[offset + k * stride];
    const t = span > 0 ? (v - lo) / span : 0;
    return Math.round(Math.min(1, Math.max(0, t)) * 255);
  };
  if (colormap === 'viridis') {
    const lut = viridis();
    const px = new Uint8Array(n * 3);
    for (let k = 0; k < n; k++) {
      const l = level(k) * 3;
      px[k * 3] = lut[l];
      px[k * 3 + 1] = lut[l + 1];
      px[k * 3 + 2] = lut[l + 2];
    }
    return { h, w, channels: 3, pixels: px, title };
  }
  const px = new Uint8Array(n);
  const flip = colormap === 'gray_r';
  for (let k = 0; k < n; k++) px[k] = flip ? 255 - level(k) : level(k);
  return { h, w, channels: 1, pixels: px, title };
}

/** RGB tile from interleaved h*w*3 values, all channels scaled by one lo..hi. */
function rgbTile(data: ArrayLike<number>, offset: number, h: number, w: number, lo: number, hi: number, title: string): Tile {
  const n = h * w * 3;
  const span = hi - lo;
  const px = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const t = span > 0 ? (data[offset + k] - lo) / span : 0;
    px[k] = Math.round(Math.min(1, Math.max(0, t)) * 255);
  }
  return { h, w, channels: 3, pixels: px, title };
}

function minMax(data: ArrayLike<number>, offset: number, count: number, stride: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < count; k++) {
    const v = data[offset + k * stride];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function defaultColumns(n: number): number {
  return n <= 5 ? n : Math.ceil(Math.sqrt(n));
}

function checkGrid(fn: string, options: GridOptions, n: number): { columns: number; size: number; title?: string } {
  const columns = Math.min(n, positiveInt(fn, 'options.columns', options.columns ?? defaultColumns(n)));
  const size = positiveNumber(fn, 'options.size', options.size ?? 84);
  const title = optional(fn, 'options.title', options.title, stringOption);
  return { columns, size, ...(title === undefined ? {} : { title }) };
}

/** Lays tiles out in a grid: an image layer and, when any tile has a title, a text layer. */
function gridFigure(tiles: readonly Tile[], grid: { columns: number; size: number; title?: string }, meta: Record<string, unknown>): Figure {
  const { columns, size } = grid;
  const h = tiles[0].h;
  const w = tiles[0].w;
  const scale = size / Math.max(h, w);
  const tileW = Math.round(w * scale);
  const tileH = Math.round(h * scale);
  const hasTitles = tiles.some((t) => t.title !== '');
  const titleH = hasTitles ? 15 : 0;
  const gap = hasTitles ? 12 : 4;
  const rowsN = Math.ceil(tiles.length / columns);
  // Titles wider than a tile widen every cell (DejaVu Sans at 11 px averages under 7 px a character).
  const longest = tiles.reduce((m, t) => Math.max(m, t.title.length), 0);
  const innerW = Math.max(tileW, Math.ceil(longest * 6.8));
  const cellW = innerW + gap;
  const cellH = titleH + tileH + gap;
  const values = tiles.map((t, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const x = col * cellW + Math.round((innerW - tileW) / 2);
    const y = row * cellH + titleH;
    return {
      index: i,
      title: t.title,
      highlight: t.highlight === true,
      x,
      y,
      x2: x + tileW,
      y2: y + tileH,
      cx: x + tileW / 2,
      url: pngDataURI(t.w, t.h, t.channels, t.pixels),
    };
  });
  const pos = {
    x: { field: 'x', type: 'quantitative', scale: null },
    y: { field: 'y', type: 'quantitative', scale: null },
  } as const;
  const layers: object[] = [
    {
      // aria off: otherwise every image's data URI is copied into an aria-label.
      mark: { type: 'image', width: tileW, height: tileH, align: 'left', baseline: 'top', aspect: false, smooth: false, aria: false },
      encoding: { ...pos, url: { field: 'url', type: 'nominal' } },
    },
  ];
  if (tiles.some((t) => t.highlight === true)) {
    // A red frame just outside each highlighted tile.
    layers.push({
      transform: [{ filter: 'datum.highlight' }],
      mark: { type: 'rect', fill: null, stroke: HIGHLIGHT, strokeWidth: 2, aria: false },
      encoding: {
        x: pos.x, y: pos.y,
        x2: { field: 'x2' }, y2: { field: 'y2' },
      },
    });
  }
  if (hasTitles) {
    layers.push({
      mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -3, fontSize: 11, aria: false },
      encoding: {
        x: { field: 'cx', type: 'quantitative', scale: null },
        y: pos.y,
        text: { field: 'title', type: 'nominal' },
        color: { condition: { test: 'datum.highlight', value: HIGHLIGHT }, value: 'black' },
      },
    });
  }
  const spec = {
    $schema: SCHEMA,
    ...(grid.title === undefined ? {} : { title: grid.title }),
    width: columns * cellW - gap,
    height: rowsN * cellH - gap,
    config: { view: { stroke: null } },
    usermeta: meta,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
  return new Figure(spec);
}

/** The n, h, w, c of an image batch [n,h,w], [n,h,w,1] or [n,h,w,3]. */
function batchShape(fn: string, arg: string, shape: readonly number[]): [number, number, number, 1 | 3] {
  const [n, h, w, c = 1] = shape;
  if ((shape.length !== 3 && shape.length !== 4) || (c !== 1 && c !== 3)) {
    throw new ShapeError(`${fn}: ${arg} must have shape [n,h,w], [n,h,w,1] or [n,h,w,3], got ${fmtShape(shape)}`);
  }
  if (n === 0) throw new ValueError(`${fn}: ${arg} holds no images (shape ${fmtShape(shape)})`);
  if (h === 0 || w === 0) throw new ShapeError(`${fn}: ${arg} images are empty (shape ${fmtShape(shape)})`);
  return [n, h, w, c];
}

function autoRange(lo: number, hi: number): [number, number] {
  if (lo >= 0 && hi <= 1) return [0, 1];
  if (lo >= 0 && hi <= 255) return [0, 255];
  if (lo >= -1 && hi <= 1) return [-1, 1];
  return [lo, hi];
}

/**
 * A grid of images (digits, samples with predictions). `images`: [n,h,w], [n,h,w,1] (gray) or
 * [n,h,w,3] (RGB); all images share one value range so their brightness compares.
 */
export function images(imgs: ArrayInput, input: ImagesOptions = {}): Figure {
  const fn = 'plot.images';
  const options = checkOptions(fn, input, IMAGES_KEYS);
  const { data, shape } = ndarray(fn, 'images', imgs);
  const [n, h, w, c] = batchShape(fn, 'images', shape);
  const titles = optional(fn, 'options.titles', options.titles, stringArray);
  if (titles !== undefined && titles.length !== n) {
    throw new ValueError(`${fn}: ${titles.length} titles for ${n} images (images shape ${fmtShape(shape)})`);
  }
  const highlight = options.highlight;
  if (highlight !== undefined && (!Array.isArray(highlight) || highlight.length !== n || !highlight.every((h) => typeof h === 'boolean'))) {
    throw new ValueError(`${fn}: options.highlight must be an array of ${n} booleans (one per image), got ${Array.isArray(highlight) ? `${highlight.length} values` : typeof highlight}`);
  }
  const colormap = checkColormap(fn, options.colormap ?? 'gray');
  const grid = checkGrid(fn, options, n);
  checkFinite(fn, 'images', data);
  let lo: number;
  let hi: number;
  if (options.range !== undefined) {
    [lo, hi] = orderedPair(fn, 'options.range', options.range);
  } else {
    [lo, hi] = autoRange(...minMax(data, 0, data.length, 1));
  }
  const per = h * w * c;
  const tiles: Tile[] = [];
  for (let i = 0; i < n; i++) {
    const title = titles?.[i] ?? '';
    const tile = c === 3 ? rgbTile(data, i * per, h, w, lo, hi, title) : scalarTile(data, i * per, 1, h, w, lo, hi, colormap, title);
    if (highlight?.[i] === true) tile.highlight = true;
    tiles.push(tile);
  }
  return gridFigure(tiles, grid, { kind: 'images', shape: [...shape], range: [lo, hi], colormap });
}

/** Something holding a convolution kernel first among its weights (a Conv2D layer). */
export interface HasWeights {
  getWeights(): Tensor[];
}

/** Options of `plot.filters(weights, options)`. */
export interface FiltersOptions extends GridOptions {}

/**
 * The filters of a 2-D convolution, kernel [kh, kw, in, out] (or a layer whose `getWeights()[0]`
 * is that kernel), one tile per output channel. Each filter is scaled to its own min..max; with
 * 3 input channels tiles are RGB, with another count there is one tile per (out, in) pair.
 */
export function filters(weights: Tensor | HasWeights, input: FiltersOptions = {}): Figure {
  const fn = 'plot.filters';
  const options = checkOptions(fn, input, GRID_KEYS);
  let kernel: Tensor;
  if (weights instanceof Tensor) {
    kernel = weights;
  } else if (weights !== null && typeof weights === 'object' && typeof (weights as HasWeights).getWeights === 'function') {
    const ws = (weights as HasWeights).getWeights();
    if (!Array.isArray(ws) || ws.length === 0 || !(ws[0] instanceof Tensor)) {
      throw new ValueError(`${fn}: weights.getWeights() must return Tensors with the kernel first, got ${Array.isArray(ws) ? `${ws.length} items` : typeof ws}`);
    }
    kernel = ws[0];
  } else {
    throw new ValueError(`${fn}: weights must be a kernel Tensor [kh,kw,in,out] or a layer with getWeights()`);
  }
  const shape = kernel.shape;
  if (shape.length !== 4 || shape.some((d) => d === 0)) {
    throw new ShapeError(`${fn}: the kernel must have shape [kh,kw,in,out], got ${fmtShape(shape)}`);
  }
  const [kh, kw, cin, cout] = shape;
  const data = kernel.data;
  checkFinite(fn, 'kernel', data);
  const colormap = checkColormap(fn, options.colormap ?? 'gray');
  const rgb = cin === 3;
  const count = rgb || cin === 1 ? cout : cout * cin;
  const grid = checkGrid(fn, { columns: Math.min(count, 8), ...options }, count);
  // Element (i, j, ci, co) lives at ((i*kw + j)*cin + ci)*cout + co.
  const tiles: Tile[] = [];
  for (let co = 0; co < cout; co++) {
    if (rgb) {
      const px = new Float64Array(kh * kw * 3);
      for (let p = 0; p < kh * kw; p++) for (let ci = 0; ci < 3; ci++) px[p * 3 + ci] = data[(p * cin + ci) * cout + co];
      const [lo, hi] = minMax(px, 0, px.length, 1);
      tiles.push(rgbTile(px, 0, kh, kw, lo, hi, `filter ${co}`));
    } else {
      for (let ci = 0; ci < cin; ci++) {
        const offset = ci * cout + co;
        const stride = cin * cout;
        const [lo, hi] = minMax(data, offset, kh * kw, stride);
        tiles.push(scalarTile(data, offset, stride, kh, kw, lo, hi, colormap, cin === 1 ? `filter ${co}` : `out ${co} in ${ci}`));
      }
    }
  }
  return gridFigure(tiles, grid, { kind: 'filters', shape: [...shape], colormap });
}

/** Options of `plot.featureMaps`. */
export interface FeatureMapsOptions extends GridOptions {
  /** One title per channel. Default "channel k". */
  titles?: readonly string[];
}

const FEATURE_MAPS_KEYS = optionKeys<FeatureMapsOptions>({ title: true, columns: true, colormap: true, size: true, titles: true });

/** A model that reports every layer's output for an input (gradlab's Sequential has `trace`). */
export interface Traceable {
  trace(x: Tensor): readonly { name: string; u: Tensor }[];
}

function isTraceable(v: unknown): v is Traceable {
  return v !== null && typeof v === 'object' && !(v instanceof Tensor) && typeof (v as Traceable).trace === 'function';
}

/**
 * The channels of one activation, [h, w, c] or [1, h, w, c] (NHWC), one tile per channel,
 * each scaled to its own min..max. Default colormap 'viridis'.
 * Or `featureMaps(model, x, layerName)`: the output of the named layer for one sample x
 * ([h, w, c] or [1, h, w, c]).
 */
export function featureMaps(maps: ArrayInput, options?: FeatureMapsOptions): Figure;
export function featureMaps(model: Traceable, x: Tensor, layerName: string, options?: FeatureMapsOptions): Figure;
export function featureMaps(
  first: ArrayInput | Traceable,
  second?: FeatureMapsOptions | Tensor,
  layerName?: string,
  fourth?: FeatureMapsOptions,
): Figure {
  const fn = 'plot.featureMaps';
  if (!isTraceable(first)) return featureMapsOf(first, second as FeatureMapsOptions | undefined);
  // Checked before the model runs (the counts of titles and columns need its output).
  const options = checkOptions(fn, fourth, FEATURE_MAPS_KEYS);
  optional(fn, 'options.title', options.title, stringOption);
  optional(fn, 'options.titles', options.titles, stringArray);
  optional(fn, 'options.columns', options.columns, positiveInt);
  optional(fn, 'options.size', options.size, positiveNumber);
  if (options.colormap !== undefined) checkColormap(fn, options.colormap);
  const x = second;
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor (one sample), got ${typeof x}`);
  stringOption(fn, 'layerName', layerName);
  let input = x;
  if (x.rank === 3) input = new Tensor(x.data, [1, ...x.shape]);
  else if (x.rank !== 4 || x.shape[0] !== 1) throw new ShapeError(`${fn}: x must be one sample [h,w,c] or [1,h,w,c], got ${fmtShape(x.shape)}`);
  const trace = first.trace(input);
  const hit = trace.find((t) => t.name === layerName);
  if (hit === undefined) {
    throw new ValueError(`${fn}: no layer named '${layerName}'; the model has [${trace.map((t) => t.name).join(', ')}]`);
  }
  if (hit.u.rank !== 4) {
    throw new ShapeError(`${fn}: layer '${layerName}' outputs shape ${fmtShape(hit.u.shape)}, not feature maps [1,h,w,c]`);
  }
  return featureMapsOf(hit.u, { ...options, title: options.title ?? `Feature maps of ${layerName}` });
}

function featureMapsOf(maps: ArrayInput, input: FeatureMapsOptions | undefined): Figure {
  const fn = 'plot.featureMaps';
  const options = checkOptions(fn, input, FEATURE_MAPS_KEYS);
  const { data, shape } = ndarray(fn, 'maps', maps);
  let h: number, w: number, c: number;
  if (shape.length === 3) [h, w, c] = shape;
  else if (shape.length === 4 && shape[0] === 1) [, h, w, c] = shape;
  else throw new ShapeError(`${fn}: maps must have shape [h,w,c] or [1,h,w,c], got ${fmtShape(shape)}`);
  if (h === 0 || w === 0 || c === 0) throw new ShapeError(`${fn}: maps are empty (shape ${fmtShape(shape)})`);
  checkFinite(fn, 'maps', data);
  const titles = optional(fn, 'options.titles', options.titles, stringArray);
  if (titles !== undefined && titles.length !== c) {
    throw new ValueError(`${fn}: ${titles.length} titles for ${c} channels (maps shape ${fmtShape(shape)})`);
  }
  const colormap = checkColormap(fn, options.colormap ?? 'viridis');
  const grid = checkGrid(fn, { columns: Math.min(c, 8), ...options }, c);
  const tiles: Tile[] = [];
  for (let k = 0; k < c; k++) {
    const [lo, hi] = minMax(data, k, h * w, c);
    tiles.push(scalarTile(data, k, c, h, w, lo, hi, colormap, titles?.[k] ?? `channel ${k}`));
  }
  return gridFigure(tiles, grid, { kind: 'featureMaps', shape: [...shape], colormap });
}
