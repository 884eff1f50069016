import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as plot from '../../src/plot/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/tensor/creation.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { decodeDataURI } from './helpers.js';

interface Point { x1: number; x2: number; label: string }
interface Layer { data: { values: Record<string, unknown>[] } }
interface RegionSpec { usermeta: { grid: plot.RegionGrid }; layer: Layer[] }

function spec(fig: plot.Figure): RegionSpec {
  return fig.toSpec() as unknown as RegionSpec;
}

/** x1 > x2 -> class 1, else 0. */
function diagonal(x: Tensor): Float32Array {
  const n = x.shape[0];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = x.data[2 * i] > x.data[2 * i + 1] ? 1 : 0;
  return out;
}

test('decisionRegions: points equal the inputs; the grid holds predict at every cell centre', () => {
  const X = [[0, 1], [2, 0.5], [1, 3]];
  const y = [0, 1, 0];
  let calls = 0;
  const fig = plot.decisionRegions((x) => {
    calls++;
    assert.deepEqual(x.shape, [20 * 20, 2]);
    return diagonal(x);
  }, X, y, { resolution: 20 });
  assert.equal(calls, 1);
  const s = spec(fig);
  assert.deepEqual(s.layer[1].data.values as unknown as Point[], [
    { x1: 0, x2: 1, label: '0' },
    { x1: 2, x2: 0.5, label: '1' },
    { x1: 1, x2: 3, label: '0' },
  ]);
  const g = s.usermeta.grid;
  assert.equal(g.x.length, 20);
  assert.equal(g.y.length, 20);
  // Padding 10% of the span: x in [-0.2, 2.2], y in [0.25, 3.25]; cells are centred.
  assert.ok(Math.abs(g.x[0] - (-0.2 + 2.4 / 40)) < 1e-9);
  assert.ok(Math.abs(g.y[0] - (3.25 - 3 / 40)) < 1e-9);
  assert.ok(g.y[0] > g.y[19], 'rows run top to bottom');
  for (let j = 0; j < 20; j++) {
    for (let i = 0; i < 20; i++) {
      // Compare at float32 precision: predict sees a float32 Tensor.
      const expected = Math.fround(g.x[i]) > Math.fround(g.y[j]) ? 1 : 0;
      assert.equal(g.labels[j * 20 + i], expected, `cell (${i}, ${j})`);
    }
  }
  // The raster has one pixel per cell, class colours differing where the labels do.
  const img = decodeDataURI(s.layer[0].data.values[0].url as string);
  assert.equal(img.width, 20);
  assert.equal(img.height, 20);
  const px = (i: number, j: number): string => Array.from(img.pixels.subarray((j * 20 + i) * 3, (j * 20 + i) * 3 + 3)).join(',');
  assert.notEqual(px(19, 19), px(0, 0)); // bottom right is class 1, top left class 0
  assert.equal(px(18, 19), px(19, 18));
});

test('decisionRegions: inputs unchanged; Tensor inputs; explicit bounds', () => {
  const X = tensor([[0, 0], [1, 1]]);
  const y = new Float64Array([0, 1]);
  const xb = Array.from(X.data);
  const fig = plot.decisionRegions(diagonal, X, y, { resolution: 4, bounds: [[-2, 2], [0, 1]] });
  assert.deepEqual(Array.from(X.data), xb);
  assert.deepEqual(Array.from(y), [0, 1]);
  assert.deepEqual(spec(fig).usermeta.grid.x, [-1.5, -0.5, 0.5, 1.5]);
  assert.deepEqual(spec(fig).usermeta.grid.y, [0.875, 0.625, 0.375, 0.125]);
});

test('decisionRegions: scores are thresholded into y\'s two classes; class scores take the argmax', () => {
  const X = [[-1, 0], [1, 0]];
  const score = (x: Tensor): Tensor => new Tensor(Float32Array.from({ length: x.shape[0] }, (_, i) => x.data[2 * i] + 0.01), [x.shape[0], 1]);
  const g = spec(plot.decisionRegions(score, X, [-1, 1], { resolution: 2, bounds: [[-1, 1], [-1, 1]] })).usermeta.grid;
  assert.deepEqual(g.labels, [-1, 1, -1, 1]);
  const half = spec(plot.decisionRegions(score, X, [0, 1], { resolution: 2, bounds: [[-1, 1], [-1, 1]], threshold: 0.6 })).usermeta.grid;
  assert.deepEqual(half.labels, [0, 0, 0, 0]);
  const three = (x: Tensor): Tensor => {
    const n = x.shape[0];
    const out = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) out[i * 3 + (x.data[2 * i] < 0 ? 2 : 0)] = 1;
    return new Tensor(out, [n, 3]);
  };
  assert.deepEqual(spec(plot.decisionRegions(three, X, [2, 0], { resolution: 2 })).usermeta.grid.labels, [2, 0, 2, 0]);
});

test('decisionRegions: bad input throws clear errors', () => {
  assert.throws(() => plot.decisionRegions(diagonal, [[0, 0], [1, 1]], [0]), (e: Error) =>
    e instanceof ValueError && /x2d has 2 points but y has 1 labels/.test(e.message));
  assert.throws(() => plot.decisionRegions(diagonal, [[0, 0, 0]], [0]), ShapeError);
  assert.throws(() => plot.decisionRegions(() => [1, 2, 3], [[0, 0], [1, 1]], [0, 1], { resolution: 3 }), /3 values for 9 grid points/);
  assert.throws(() => plot.decisionRegions((x) => new Float32Array(x.shape[0]).fill(0.3), [[0, 0], [1, 1], [2, 2]], [0, 1, 2]), /exactly 2 classes/);
  assert.throws(() => plot.decisionRegions(diagonal, [[0, 0]], [0], { resolution: 1 }), /resolution/);
  assert.throws(() => plot.decisionRegions(diagonal, [[0, 0]], [0], { bounds: [[1, 0], [0, 1]] }), /bounds/);
  assert.throws(() => plot.decisionRegions((x) => new Float32Array(x.shape[0]).fill(NaN), [[0, 0]], [0], { resolution: 2 }), /NaN/);
});
