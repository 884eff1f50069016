// Options of the plot module: unknown keys are ValueErrors naming the nearest known key (matplotlib
// and Keras spellings included), thrown before any function is sampled, model run or file written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plot from '../../src/plot/index.js';
import { reportHTML, trainingCurves, writeClassifierReport, writeReport } from '../../src/plot/report.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ValueError } from '../../src/core/errors.js';

function valueError(re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ValueError && re.test(e.message);
}

test('line, fn and confusionMatrix: unknown options name the nearest one', () => {
  assert.throws(() => plot.line([1, 2], { x_label: 'epoch' } as never), valueError(/^plot\.line: unknown option 'x_label' \(did you mean 'xLabel'\?\)$/));
  assert.throws(() => plot.line([1, 2], { ylabel: 'loss' } as never), valueError(/unknown option 'ylabel' \(did you mean 'yLabel'\?\)/));
  assert.throws(() => plot.line([1, 2], { yscale: 'log' } as never), valueError(/did you mean 'yScale'/));
  assert.throws(() => plot.line([1, 2], { figsize: [4, 3] } as never), valueError(/unknown option 'figsize' \(known: 'title', 'xLabel', /));
  assert.throws(() => plot.line([1, 2], { points: 'yes' } as never), valueError(/plot\.line: options\.points must be true or false/));
  assert.throws(() => plot.line([1, 2], { yScale: 'logarithmic' } as never), valueError(/options\.yScale must be 'linear', 'log'/));
  assert.throws(() => plot.line({ a: { x: [0, 1], y: [1, 2], label: 'a' } as never }), valueError(/^plot\.line: series 'a': unknown key 'label' \(known: 'x', 'y'\)$/));
  let calls = 0;
  const f = (t: number) => { calls++; return t; };
  assert.throws(() => plot.fn(f, [0, 1], { n_samples: 50 } as never), valueError(/^plot\.fn: unknown option 'n_samples' \(did you mean 'samples'\?\)$/));
  assert.throws(() => plot.fn(f, [0, 1], { xLable: 't' } as never), valueError(/did you mean 'xLabel'/));
  assert.equal(calls, 0, 'f was sampled before the options were checked');
  assert.throws(() => plot.confusionMatrix([0, 1], [0, 1], undefined, { normalise: true } as never), valueError(/^plot\.confusionMatrix: unknown option 'normalise' \(did you mean 'normalize'\?\)$/));
  assert.throws(() => plot.confusionMatrix([0, 1], [0, 1], undefined, { normalize: 'true' } as never), valueError(/options\.normalize must be true or false/));
});

test('decisionRegions: options checked before predict is called', () => {
  let calls = 0;
  const predict = (x: Tensor) => { calls++; return new Float32Array(x.shape[0]); };
  const pts = [[0, 0], [1, 1]];
  assert.throws(() => plot.decisionRegions(predict, pts, [0, 1], { resolutoin: 10 } as never), valueError(/^plot\.decisionRegions: unknown option 'resolutoin' \(did you mean 'resolution'\?\)$/));
  assert.throws(() => plot.decisionRegions(predict, pts, [0, 1], { x_label: 'a' } as never), valueError(/did you mean 'xLabel'/));
  assert.throws(() => plot.decisionRegions(predict, pts, [0, 1], { padding: -1 }), valueError(/options\.padding must be a finite number >= 0/));
  assert.throws(() => plot.decisionRegions(predict, pts, [0, 1], { bounds: [[0, 1], [1, 1]] }), valueError(/options\.bounds\[1\] must be \[x2min, x2max\] with finite x2min < x2max/));
  assert.throws(() => plot.decisionRegions('svm' as never, pts, [0, 1]), valueError(/predict must be a function, got the string "svm"/));
  assert.equal(calls, 0);
});

test('images, filters and featureMaps: unknown options, before the model runs', () => {
  const imgs = new Tensor(new Float32Array(2 * 4 * 4), [2, 4, 4]);
  assert.throws(() => plot.images(imgs, { color_map: 'gray' } as never), valueError(/^plot\.images: unknown option 'color_map' \(did you mean 'colormap'\?\)$/));
  assert.throws(() => plot.images(imgs, { ncols: 2 } as never), valueError(/unknown option 'ncols' \(known: 'title', 'columns', 'colormap', 'size', 'titles', 'range', 'highlight'\)/));
  assert.throws(() => plot.images(imgs, { colormap: 'grey' as never }), valueError(/options\.colormap must be 'gray', 'gray_r', 'viridis'; got the string "grey" \(did you mean 'gray'\?\)/));
  assert.throws(() => plot.images(imgs, { titles: ['a', 2] as never }), valueError(/options\.titles\[1\] is 2, not a string/));
  assert.throws(() => plot.filters(new Tensor(new Float32Array(4), [1, 1, 1, 4]), { colums: 2 } as never), valueError(/^plot\.filters: unknown option 'colums' \(did you mean 'columns'\?\)$/));
  assert.throws(() => plot.filters(new Tensor(new Float32Array(4), [1, 1, 1, 4]), { titles: ['a'] } as never), valueError(/plot\.filters: unknown option 'titles' \(did you mean 'title'\?\)/));
  assert.throws(() => plot.featureMaps(new Tensor(new Float32Array(8), [2, 2, 2]), { range: [0, 1] } as never), valueError(/^plot\.featureMaps: unknown option 'range'/));
  let traced = 0;
  const model = { trace: (x: Tensor) => { traced++; return [{ name: 'c1', u: new Tensor(new Float32Array(8), [1, 2, 2, 2]) }]; } };
  const x = new Tensor(new Float32Array(4), [2, 2, 1]);
  assert.throws(() => plot.featureMaps(model, x, 'c1', { titel: 'maps' } as never), valueError(/unknown option 'titel' \(did you mean 'title'\?\)/));
  assert.throws(() => plot.featureMaps(model, x, 'c1', { colormap: 'jet' as never }), valueError(/options\.colormap must be/));
  assert.throws(() => plot.featureMaps(model, x, 'c1', { columns: 0 }), valueError(/options\.columns must be a positive integer/));
  assert.equal(traced, 0, 'the model ran before its options were checked');
  assert.equal(plot.featureMaps(model, x, 'c1', { titles: ['a', 'b'] }).title, 'Feature maps of c1');
  assert.equal(traced, 1);
});

test('Figure.toPNG and Figure.save: options checked for every format, nothing written', async () => {
  const fig = plot.line([1, 2]);
  await assert.rejects(fig.toPNG({ dpi: 144 } as never), valueError(/^Figure\.toPNG: unknown option 'dpi' \(known: 'scale'\)$/));
  await assert.rejects(fig.toPNG({ scale: 17 }), valueError(/Figure\.toPNG: scale must be a number in \(0, 16\], got 17/));
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-plot-opts-'));
  try {
    await assert.rejects(fig.save(join(dir, 'a.svg'), { sacle: 2 } as never), valueError(/^Figure\.save: unknown option 'sacle' \(did you mean 'scale'\?\)$/));
    await assert.rejects(fig.save(join(dir, 'a.json'), { scale: 0 }), valueError(/Figure\.save: scale must be a number in \(0, 16\]/));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeReport, writeClassifierReport, trainingCurves and reportHTML: unknown and missing keys, before anything is written', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gradlab-report-opts-')), 'out');
  const fig = plot.line([1, 2]);
  const page = { title: 't', metrics: {}, figures: [] };
  const cases: [unknown, RegExp][] = [
    [{ ...page, subtitel: 's' }, /^writeReport: unknown option 'subtitel' \(did you mean 'subtitle'\?\)$/],
    [{ ...page, png_scale: 2 }, /did you mean 'pngScale'/],
    [{ ...page, figures: [{ name: 'a', figure: fig, captoin: 'c' }] }, /^writeReport: spec\.figures\[0\]: unknown option 'captoin' \(did you mean 'caption'\?\)$/],
    [{ ...page, tables: [{ title: 'x', columns: ['a'], rows: [], colums: [] }] }, /^writeReport: spec\.tables\[0\]: unknown option 'colums' \(did you mean 'columns'\?\)$/],
    [{ metrics: {}, figures: [] }, /^writeReport: option 'title' is required, e\.g\. /],
    [{ title: 't', metrics: {} }, /^writeReport: option 'figures' is required/],
    [undefined, /^writeReport: spec is required/],
    [{ ...page, notes: 'one note' }, /spec\.notes must be an array of strings/],
  ];
  for (const [spec, re] of cases) await assert.rejects(writeReport(dir, spec as never), valueError(re), String(re));

  const base = { title: 'B', metrics: {}, yTrue: [0, 1], yPred: [0, 1] };
  const classifierCases: [unknown, RegExp][] = [
    [{ ...base, class_names: ['a', 'b'] }, /^writeClassifierReport: unknown option 'class_names' \(did you mean 'classNames'\?\)$/],
    [{ ...base, max_misclassified: 4 }, /did you mean 'maxMisclassified'/],
    [{ ...base, random_state: 1 }, /unknown option 'random_state' \(did you mean 'seed'\?\)/],
    [{ ...base, training: { histroy: {} } }, /^writeClassifierReport: spec\.training: unknown option 'histroy' \(did you mean 'history'\?\)$/],
    [{ title: 'B', metrics: {}, yTrue: [0, 1] }, /^writeClassifierReport: option 'yPred' is required/],
    [{ ...base, title: '' }, /^writeClassifierReport: spec\.title must be a non-empty string/],
    [{ ...base, formats: ['pdf'] }, /^writeClassifierReport: spec\.formats must list/],
    [{ ...base, imageRange: [1, 0] }, /spec\.imageRange must be \[lo, hi\] with finite lo < hi/],
    [{ ...base, seed: 0.5 }, /spec\.seed must be an integer, got 0\.5/],
    [{ ...base, samples: -1 }, /spec\.samples must be a non-negative integer/],
  ];
  for (const [spec, re] of classifierCases) await assert.rejects(writeClassifierReport(dir, spec as never), valueError(re), String(re));
  assert.equal(existsSync(dir), false);

  assert.throws(() => trainingCurves({ History: { loss: [1] } } as never), valueError(/^trainingCurves: unknown option 'History' \(did you mean 'history'\?\)$/));
  assert.equal(trainingCurves({ history: { loss: [1, 0.5] } }).length, 1);
  assert.throws(() => reportHTML({ ...page, foot: 'x' } as never, []), valueError(/^reportHTML: unknown option 'foot'/));
});
