import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as plot from '../../src/plot/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/tensor/creation.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { decodeDataURI, decodePNG, pixelAt } from './helpers.js';

interface TileRow { index: number; title: string; x: number; y: number; url: string }

function tiles(fig: plot.Figure): TileRow[] {
  return (fig.toSpec() as unknown as { data: { values: TileRow[] } }).data.values;
}

/** Deterministic test images: pixel (i, r, c) of n images h x w. */
function pattern(n: number, h: number, w: number, f: (i: number, r: number, c: number) => number): Float32Array {
  const d = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) d[(i * h + r) * w + c] = f(i, r, c);
  return d;
}

test('images: each tile holds its image, scaled from [0,255] to 8 bits, titles in order', () => {
  const data = pattern(3, 4, 5, (i, r, c) => (i * 40 + r * 10 + c * 3) % 256);
  const fig = plot.images(new Tensor(data, [3, 4, 5]), { titles: ['a', 'b', 'c'] });
  const rows = tiles(fig);
  assert.deepEqual(rows.map((r) => r.title), ['a', 'b', 'c']);
  for (const row of rows) {
    const img = decodeDataURI(row.url);
    assert.equal(img.width, 5);
    assert.equal(img.height, 4);
    assert.equal(img.channels, 1);
    assert.deepEqual(Array.from(img.pixels), Array.from(data.subarray(row.index * 20, (row.index + 1) * 20)));
  }
});

test('images: [0,1] data, gray_r inverts; [n,h,w,1] equals [n,h,w]', () => {
  const data = pattern(2, 3, 3, (_i, r, c) => (r * 3 + c) / 8);
  const gray = tiles(plot.images(new Tensor(data, [2, 3, 3, 1])));
  const grayR = tiles(plot.images(new Tensor(data, [2, 3, 3]), { colormap: 'gray_r' }));
  for (let i = 0; i < 2; i++) {
    const g = decodeDataURI(gray[i].url).pixels;
    const gr = decodeDataURI(grayR[i].url).pixels;
    for (let k = 0; k < 9; k++) {
      assert.equal(g[k], Math.round((k / 8) * 255));
      assert.equal(gr[k], 255 - g[k]);
    }
  }
});

test('images: [-1,1] data and an explicit range; RGB images stay RGB', () => {
  const d = new Float32Array([-1, 0, 1, 0.5]);
  const px = decodeDataURI(tiles(plot.images(new Tensor(d, [1, 2, 2])))[0].url).pixels;
  assert.deepEqual(Array.from(px), [0, 128, 255, 191]);
  const clipped = decodeDataURI(tiles(plot.images(new Tensor(d, [1, 2, 2]), { range: [0, 0.5] }))[0].url).pixels;
  assert.deepEqual(Array.from(clipped), [0, 0, 255, 255]);
  const rgb = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
  const img = decodeDataURI(tiles(plot.images(new Tensor(rgb, [1, 2, 2, 3])))[0].url);
  assert.equal(img.channels, 3);
  assert.deepEqual(Array.from(img.pixels), Array.from(rgb, (v) => v * 255));
});

test('images: nested arrays work and inputs are not mutated', () => {
  const nested = [[[0, 255], [128, 64]]];
  const t = tensor([[[0, 0.5], [1, 0.25]]]);
  const before = Array.from(t.data);
  plot.images(nested, { titles: ['x'] });
  plot.images(t, { colormap: 'gray_r' });
  assert.deepEqual(nested, [[[0, 255], [128, 64]]]);
  assert.deepEqual(Array.from(t.data), before);
});

test('images: rendered PNG shows white and black tiles where the layout puts them', async () => {
  // Image 0 all 1 (white with gray), image 1 all 0 (black).
  const data = pattern(2, 8, 8, (i) => (i === 0 ? 1 : 0));
  const fig = plot.images(new Tensor(data, [2, 8, 8]), { titles: ['white', 'black'] });
  const spec = fig.toSpec() as unknown as { width: number; height: number; data: { values: TileRow[] } };
  const png = decodePNG(await fig.toPNG());
  const svg = await fig.toSVG();
  // The plot area's origin inside the SVG (vega's padding): from the root group's translate.
  const m = /transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"/.exec(svg);
  assert.ok(m !== null);
  const ox = Number(m[1]);
  const oy = Number(m[2]);
  const [w0, w1] = spec.data.values;
  const centre = (r: TileRow): number[] => pixelAt(png, Math.round(ox + r.x + 42), Math.round(oy + r.y + 42));
  assert.deepEqual(centre(w0), [255, 255, 255]);
  assert.deepEqual(centre(w1), [0, 0, 0]);
});

test('images: bad input throws clear errors', () => {
  const t = new Tensor(new Float32Array(2 * 4 * 4), [2, 4, 4]);
  assert.throws(() => plot.images(t, { titles: ['only one'] }), (e: Error) =>
    e instanceof ValueError && /plot\.images: 1 titles for 2 images/.test(e.message));
  assert.throws(() => plot.images(new Tensor(new Float32Array(16), [4, 4])), ShapeError);
  assert.throws(() => plot.images(new Tensor(new Float32Array(32), [1, 4, 4, 2])), ShapeError);
  assert.throws(() => plot.images(new Tensor(new Float32Array(0), [0, 4, 4])), /no images/);
  assert.throws(() => plot.images(t, { colormap: 'jet' as plot.Colormap }), /colormap/);
  assert.throws(() => plot.images(t, { columns: 0 }), /columns/);
  assert.throws(() => plot.images(t, { range: [1, 0] }), /range/);
  assert.throws(() => plot.images(new Tensor(new Float32Array([NaN, 0, 0, 0]), [1, 2, 2])), /finite/);
  assert.throws(() => plot.images([[[1, 2], [3]]]), ValueError);
});

test('filters: one tile per output channel, each scaled to its own min..max', () => {
  // kernel [2,2,1,3]: element (i,j,0,o) at (i*2+j)*3+o.
  const k = new Float32Array(12);
  for (let p = 0; p < 4; p++) for (let o = 0; o < 3; o++) k[p * 3 + o] = (o + 1) * (p - 1.5);
  const kernel = new Tensor(k, [2, 2, 1, 3]);
  const before = Array.from(k);
  const fig = plot.filters(kernel);
  const rows = tiles(fig);
  assert.deepEqual(rows.map((r) => r.title), ['filter 0', 'filter 1', 'filter 2']);
  for (const r of rows) assert.deepEqual(Array.from(decodeDataURI(r.url).pixels), [0, 85, 170, 255]);
  assert.deepEqual(Array.from(k), before);
  // A layer-like object: the kernel is getWeights()[0].
  const layer = { getWeights: () => [kernel, new Tensor(new Float32Array(3), [3])] };
  assert.equal(tiles(plot.filters(layer)).length, 3);
  // Two input channels: one tile per (out, in) pair.
  assert.equal(tiles(plot.filters(new Tensor(new Float32Array(3 * 3 * 2 * 4), [3, 3, 2, 4]))).length, 8);
  assert.throws(() => plot.filters(new Tensor(new Float32Array(6), [3, 2])), ShapeError);
  assert.throws(() => plot.filters({ getWeights: () => [] }), ValueError);
});

test('featureMaps: [1,h,w,c] gives c tiles, per-channel scaling, titles checked', () => {
  // Channel 0 rises along the row, channel 1 is constant.
  const d = new Float32Array(1 * 2 * 2 * 2);
  for (let p = 0; p < 4; p++) {
    d[p * 2] = p * 10;
    d[p * 2 + 1] = 7;
  }
  const fig = plot.featureMaps(new Tensor(d, [1, 2, 2, 2]), { colormap: 'gray' });
  const rows = tiles(fig);
  assert.deepEqual(rows.map((r) => r.title), ['channel 0', 'channel 1']);
  assert.deepEqual(Array.from(decodeDataURI(rows[0].url).pixels), [0, 85, 170, 255]);
  assert.deepEqual(Array.from(decodeDataURI(rows[1].url).pixels), [0, 0, 0, 0]);
  const vir = decodeDataURI(tiles(plot.featureMaps(new Tensor(d, [2, 2, 2])))[0].url);
  assert.equal(vir.channels, 3);
  // Viridis: lowest value dark purple #440154, highest yellow #fde725 (matplotlib's ends).
  assert.deepEqual(Array.from(vir.pixels.subarray(0, 3)), [0x44, 0x01, 0x54]);
  assert.deepEqual(Array.from(vir.pixels.subarray(9, 12)), [0xfd, 0xe7, 0x25]);
  assert.throws(() => plot.featureMaps(new Tensor(d, [2, 1, 2, 2])), ShapeError);
  assert.throws(() => plot.featureMaps(new Tensor(d, [2, 2, 2]), { titles: ['a'] }), /1 titles for 2 channels/);
});

test('featureMaps(model, x, layerName): the named layer\'s output for one sample', async () => {
  const { Sequential, Conv2D, Flatten } = await import('../../src/nn/index.js');
  const conv = new Conv2D({ filters: 2, kernelSize: 1, useBias: false, name: 'c1' });
  const model = new Sequential({ layers: [conv, new Flatten({ name: 'flat' })] });
  const x = new Tensor(Float32Array.from({ length: 9 }, (_, i) => i), [3, 3, 1]);
  model.trace(new Tensor(x.data, [1, 3, 3, 1])); // builds the weights
  conv.setWeights([[[[[1, -1]]]]]); // channel 0 = x, channel 1 = -x
  const fig = plot.featureMaps(model, x, 'c1', { colormap: 'gray' });
  const rows = tiles(fig);
  assert.equal(fig.title, 'Feature maps of c1');
  const ramp = Array.from({ length: 9 }, (_, i) => Math.round((i / 8) * 255));
  assert.deepEqual(Array.from(decodeDataURI(rows[0].url).pixels), ramp);
  assert.deepEqual(Array.from(decodeDataURI(rows[1].url).pixels), [...ramp].reverse());
  assert.deepEqual(Array.from(x.data), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => plot.featureMaps(model, x, 'nope'), /no layer named 'nope'; the model has \[c1, flat\]/);
  assert.throws(() => plot.featureMaps(model, x, 'flat'), ShapeError);
  assert.throws(() => plot.featureMaps(model, new Tensor(new Float32Array(18), [2, 3, 3, 1]), 'c1'), ShapeError);
});

test('images: highlighted tiles get a red frame and a red title; the others do not', async () => {
  const data = pattern(3, 8, 8, () => 0.5);
  const fig = plot.images(new Tensor(data, [3, 8, 8]), { titles: ['ok', 'wrong', 'ok'], highlight: [false, true, false] });
  const svg = await fig.toSVG();
  // The red title: exactly one text element is filled with the highlight colour.
  const red = [...svg.matchAll(/<text[^>]*fill="#d62728"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(red, ['wrong']);
  const spec = fig.toSpec() as unknown as { data: { values: TileRow[] } };
  const png = decodePNG(await fig.toPNG());
  const m = /transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"/.exec(svg);
  assert.ok(m !== null);
  const [ox, oy] = [Number(m[1]), Number(m[2])];
  // The left edge of each tile, halfway down: red on the highlighted one, gray image elsewhere.
  const edge = (r: TileRow): number[] => pixelAt(png, Math.round(ox + r.x), Math.round(oy + r.y + 42));
  const [a, b, c] = spec.data.values;
  const isRed = (p: number[]) => p[0] > 150 && p[1] < 90 && p[2] < 90;
  assert.ok(isRed(edge(b)), `highlighted edge ${edge(b)}`);
  assert.ok(!isRed(edge(a)) && !isRed(edge(c)), `plain edges ${edge(a)} ${edge(c)}`);
  assert.throws(() => plot.images(new Tensor(data, [3, 8, 8]), { highlight: [true] }),
    (e: Error) => e instanceof ValueError && /plot\.images: options\.highlight must be an array of 3 booleans/.test(e.message));
});
