import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plot from '../../src/plot/index.js';
import {
  batchLosses, formatMetric, reportHTML, scalarMetrics, trainingCurves, writeClassifierReport, writeReport,
} from '../../src/plot/report.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ValueError, ShapeError } from '../../src/core/errors.js';
import { manualSeed } from '../../src/tensor/random.js';
import { layers, sequential } from '../../src/nn/index.js';
import '../../src/train/index.js';
import { checkXML, decodeDataURI, decodePNG, pngSize } from './helpers.js';
import { externalReferences, imageSources, svgOfDataURI } from './report-util.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'gradlab-report-'));

/** The running means fit() reports per batch (weighted by batch size, restarting each epoch). */
function runningLogs(losses: number[][], sizes: number[]): { batch: number; size: number; loss: number }[] {
  const out: { batch: number; size: number; loss: number }[] = [];
  for (const epoch of losses) {
    let sum = 0;
    let count = 0;
    epoch.forEach((l, b) => {
      sum += l * sizes[b];
      count += sizes[b];
      out.push({ batch: b, size: sizes[b], loss: sum / count });
    });
  }
  return out;
}

test('batchLosses recovers each batch loss from the running means, across epochs', () => {
  const losses = [[2.3, 1.9, 1.2, 0.7], [0.9, 0.5, 0.61, 0.2]];
  const sizes = [64, 64, 64, 17];
  const logs = runningLogs(losses, sizes);
  const r = batchLosses(logs);
  assert.deepEqual(r.step, [0, 1, 2, 3, 4, 5, 6, 7]);
  r.loss.forEach((v, i) => assert.ok(Math.abs(v - losses.flat()[i]) < 1e-12, `batch ${i}: ${v} vs ${losses.flat()[i]}`));
  assert.deepEqual(r.runningMean, logs.map((l) => l.loss));
  assert.throws(() => batchLosses([{ batch: 0, loss: 1 }]), (e: unknown) => e instanceof ValueError && /batches\[0\]\.size must be a positive integer/.test(e.message));
  assert.throws(() => batchLosses([{ batch: 0, size: 4 }]), /batches\[0\] has no numeric 'loss'/);
});

test('trainingCurves: loss first, train and validation per epoch, loss per batch; spec data equal the logs', () => {
  const history = { accuracy: [0.5, 0.7, 0.8], loss: [1.5, 0.9, 0.6], val_loss: [1.2, 1.0, 0.8], val_accuracy: [0.6, 0.65, 0.7] };
  const batches = runningLogs([[1.7, 1.3], [1.0, 0.8], [0.7, 0.5]], [10, 5]);
  const copy = JSON.stringify({ history, batches });
  const figs = trainingCurves({ history, batches });
  assert.equal(JSON.stringify({ history, batches }), copy, 'inputs unchanged');
  assert.deepEqual(figs.map((f) => f.name), ['loss_per_epoch', 'accuracy_per_epoch', 'loss_per_batch']);
  const rows = (f: plot.Figure) => (f.toSpec() as unknown as { data: { values: { series: string; x: number; y: number }[] } }).data.values;
  const loss = rows(figs[0].figure);
  assert.deepEqual(loss.filter((r) => r.series === 'train').map((r) => [r.x, r.y]), [[1, 1.5], [2, 0.9], [3, 0.6]]);
  assert.deepEqual(loss.filter((r) => r.series === 'validation').map((r) => [r.x, r.y]), [[1, 1.2], [2, 1.0], [3, 0.8]]);
  assert.deepEqual(rows(figs[1].figure).filter((r) => r.series === 'validation').map((r) => r.y), [0.6, 0.65, 0.7]);
  const perBatch = rows(figs[2].figure).filter((r) => r.series === 'batch loss');
  [1.7, 1.3, 1.0, 0.8, 0.7, 0.5].forEach((v, i) => assert.ok(Math.abs(perBatch[i].y - v) < 1e-12 && perBatch[i].x === i));
  // No validation data: train only; nothing recorded: no curves.
  const only = trainingCurves({ history: { loss: [1, 0.5] } });
  assert.deepEqual(only.map((f) => f.name), ['loss_per_epoch']);
  assert.deepEqual([...new Set(rows(only[0].figure).map((r) => r.series))], ['train']);
  assert.deepEqual(trainingCurves({ history: {}, batches: [] }), []);
});

test('formatMetric and scalarMetrics', () => {
  assert.equal(formatMetric(0.001), '0.001');
  assert.equal(formatMetric(0.98712345), '0.987123');
  assert.equal(formatMetric(60000), '60000');
  assert.equal(formatMetric(null), '–');
  assert.equal(formatMetric(true), 'yes');
  assert.equal(formatMetric(Number.NaN), 'NaN');
  assert.deepEqual(
    scalarMetrics({ a: 1, b: 'x', c: null, d: false, history: { loss: [1, 2] }, nan: { epoch: 1, batch: 3 }, list: [1] }),
    { a: 1, b: 'x', c: null, d: false, nan: '{"epoch":1,"batch":3}' },
  );
});

test('writeReport writes parseable PNG and SVG files and one self-contained page with the metrics', async () => {
  const dir = join(tmp(), 'run');
  const curve = plot.line({ loss: [3, 2, 1.5] }, { title: 'Loss <&> "quoted"' });
  const cm = plot.confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2]);
  const metrics = { test_accuracy: 0.75, learning_rate: 0.001, model: 'lenet <5>', samples: 4, nan: null };
  const r = await writeReport(dir, {
    title: 'A <run>', subtitle: 'sub & title', metrics,
    figures: [{ name: 'loss', figure: curve, caption: 'The loss.' }, { name: 'cm', figure: cm }],
    notes: ['a note'], tables: [{ title: 'Extra', columns: ['k', 'v'], rows: [['x', 1.5]] }],
  });
  assert.deepEqual(r.files.map((f) => f.slice(dir.length + 1)), ['loss.svg', 'loss.png', 'cm.svg', 'cm.png', 'report.html']);
  assert.equal(r.html, join(dir, 'report.html'));
  // Atomic writes leave no temporary files behind.
  assert.deepEqual(readdirSync(dir).sort(), ['cm.png', 'cm.svg', 'loss.png', 'loss.svg', 'report.html']);
  for (const name of ['loss', 'cm']) {
    const svg = readFileSync(join(dir, `${name}.svg`), 'utf8');
    const root = checkXML(svg);
    assert.equal(root.root, 'svg');
    const png = new Uint8Array(readFileSync(join(dir, `${name}.png`)));
    const size = pngSize(png);
    assert.ok(Math.abs(size.width - Number(root.attributes.width)) <= 1 && Math.abs(size.height - Number(root.attributes.height)) <= 1, `${name}: PNG ${size.width}x${size.height}, SVG ${root.attributes.width}x${root.attributes.height}`);
    decodePNG(png);
  }
  const html = readFileSync(r.html, 'utf8');
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.deepEqual(externalReferences(html), []);
  assert.match(html, /<title>A &lt;run&gt;<\/title>/);
  assert.match(html, /<p class="sub">sub &amp; title<\/p>/);
  for (const [k, v] of Object.entries(metrics)) {
    assert.ok(html.includes(`<tr><th scope="row">${k}</th><td${typeof v === 'number' ? ' class="num"' : ''}>${formatMetric(v).replace('<', '&lt;').replace('>', '&gt;')}</td></tr>`), `metric ${k}`);
  }
  assert.match(html, /<li>a note<\/li>/);
  assert.match(html, /<h2>Extra<\/h2>[\s\S]*<td>x<\/td><td class="num">1\.5<\/td>/);
  // Each figure is inlined as the same SVG that was written, itself free of outside references.
  const srcs = imageSources(html);
  assert.equal(srcs.length, 2);
  srcs.forEach((src, i) => {
    const svg = svgOfDataURI(src);
    assert.equal(svg, readFileSync(join(dir, `${['loss', 'cm'][i]}.svg`), 'utf8'));
    assert.deepEqual(externalReferences(svg), []);
  });
  assert.match(html, /<figcaption>The loss\. <code>loss<\/code><\/figcaption>/);
  // Without a caption, the figure's title.
  assert.match(html, /<figcaption>Confusion matrix <code>cm<\/code><\/figcaption>/);
  checkXML(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta[^>]*>|<link[^>]*>/g, '').replace(/<img([^>]*)>/g, '<img$1/>'));
});

test('writeReport: formats [] writes only the page; bad input throws before anything is written', async () => {
  const dir = join(tmp(), 'only');
  const fig = plot.line([1, 2]);
  const r = await writeReport(dir, { title: 't', metrics: {}, figures: [{ name: 'a', figure: fig }], formats: [] });
  assert.deepEqual(readdirSync(dir), ['report.html']);
  assert.equal(imageSources(readFileSync(r.html, 'utf8')).length, 1);
  const bad = join(tmp(), 'bad');
  const cases: [unknown, RegExp][] = [
    [{ title: '', metrics: {}, figures: [] }, /spec\.title must be a non-empty string/],
    [{ title: 't', metrics: { h: [1, 2] }, figures: [] }, /spec\.metrics\['h'\] is an array/],
    [{ title: 't', metrics: {}, figures: [{ name: '../x', figure: fig }] }, /spec\.figures\[0\]\.name must be a file name/],
    [{ title: 't', metrics: {}, figures: [{ name: 'report', figure: fig }] }, /not 'report'/],
    [{ title: 't', metrics: {}, figures: [{ name: 'a', figure: fig }, { name: 'a', figure: fig }] }, /two figures are named 'a'/],
    [{ title: 't', metrics: {}, figures: [{ name: 'a', figure: fig.toSpec() }] }, /spec\.figures\[0\]\.figure \('a'\) must be a plot Figure/],
    [{ title: 't', metrics: {}, figures: [], formats: ['pdf'] }, /spec\.formats must list 'png' and\/or 'svg'/],
    [{ title: 't', metrics: {}, figures: [], tables: [{ title: 'x', columns: ['a'], rows: [[1, 2]] }] }, /rows\[0\] must hold 1/],
  ];
  for (const [spec, re] of cases) {
    await assert.rejects(writeReport(bad, spec as never), (e: unknown) => e instanceof ValueError && re.test(e.message) && e.message.startsWith('writeReport:'));
  }
  assert.equal(existsSync(bad), false);
});

/** Image i of n (8x8): pixel (r, c) at level (5i + 8r + c) mod 256, so its first pixel names it. */
function numberedImages(n: number): Tensor {
  const d = new Float32Array(n * 64);
  for (let i = 0; i < n; i++) for (let p = 0; p < 64; p++) d[i * 64 + p] = ((5 * i + 8 * Math.floor(p / 8) + (p % 8)) % 256) / 255;
  return new Tensor(d, [n, 8, 8]);
}

/** The tiles of a grid SVG: which sample each image is (from its first pixel) and its title. */
function gridTiles(svg: string): { sample: number; title: string }[] {
  const urls = [...svg.matchAll(/<image\b[^>]*?href="(data:image\/png;base64,[^"]+)"/g)].map((m) => m[1]);
  const texts = [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).filter((t) => t.startsWith('true='));
  assert.equal(urls.length, texts.length);
  return urls.map((u, k) => ({ sample: decodeDataURI(u).pixels[0] / 5, title: texts[k] }));
}

test('writeClassifierReport: confusion matrix, random samples and every misclassified one with true/est titles', async () => {
  const n = 40;
  const yTrue = Array.from({ length: n }, (_, i) => i % 3);
  const yPred = yTrue.slice();
  const wrong = [3, 17, 22, 39];
  for (const i of wrong) yPred[i] = (yTrue[i] + 1) % 3;
  const x = numberedImages(n);
  const before = Array.from(x.data);
  const kernel = new Tensor(new Float32Array(3 * 3 * 1 * 4).map((_, i) => Math.sin(i)), [3, 3, 1, 4]);
  const dir = join(tmp(), 'cls');
  const r = await writeClassifierReport(dir, {
    title: 'Classifier', metrics: { accuracy: (n - wrong.length) / n }, yTrue, yPred, classNames: ['cat', 'dog', 'eel'],
    images: x, filters: kernel, seed: 7,
    training: { history: { loss: [1, 0.5], val_loss: [1.1, 0.7] }, batches: runningLogs([[1.2, 0.8], [0.6, 0.4]], [20, 20]) },
  });
  assert.deepEqual(Array.from(x.data), before, 'images unchanged');
  const names = readdirSync(dir).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
  assert.deepEqual(names, ['confusion_matrix', 'filters', 'loss_per_batch', 'loss_per_epoch', 'misclassified', 'test_samples']);
  const nameOf = ['cat', 'dog', 'eel'];
  const samples = gridTiles(readFileSync(join(dir, 'test_samples.svg'), 'utf8'));
  assert.equal(samples.length, 16);
  assert.equal(new Set(samples.map((s) => s.sample)).size, 16);
  for (const s of samples) assert.equal(s.title, `true=${nameOf[yTrue[s.sample]]} est=${nameOf[yPred[s.sample]]}`);
  const mis = gridTiles(readFileSync(join(dir, 'misclassified.svg'), 'utf8'));
  assert.deepEqual(mis.map((s) => s.sample), wrong);
  for (const s of mis) assert.equal(s.title, `true=${nameOf[yTrue[s.sample]]} est=${nameOf[yPred[s.sample]]}`);
  // The same seed picks the same samples.
  const again = join(tmp(), 'cls2');
  await writeClassifierReport(again, { title: 'C', metrics: {}, yTrue, yPred, classNames: nameOf, images: x, seed: 7, formats: ['svg'] });
  assert.deepEqual(gridTiles(readFileSync(join(again, 'test_samples.svg'), 'utf8')), samples);

  const html = readFileSync(r.html, 'utf8');
  assert.deepEqual(externalReferences(html), []);
  assert.equal(imageSources(html).length, 6);
  for (const src of imageSources(html)) assert.deepEqual(externalReferences(svgOfDataURI(src)), []);
  assert.ok(html.includes(`<tr><th scope="row">accuracy</th><td class="num">0.9</td></tr>`));
  // Per-class table from the counts: class c has its samples i = c mod 3; wrong ones move to c+1.
  for (let c = 0; c < 3; c++) {
    const support = yTrue.filter((t) => t === c).length;
    const correct = yTrue.filter((t, i) => t === c && yPred[i] === c).length;
    const predicted = yPred.filter((p) => p === c).length;
    const row = `<tr><td>${nameOf[c]}</td><td class="num">${support}</td><td class="num">${correct}</td><td class="num">${formatMetric(correct / support)}</td><td class="num">${formatMetric(correct / predicted)}</td></tr>`;
    assert.ok(html.includes(row), `per-class row ${row}`);
  }
  assert.ok(html.includes('<tr><td class="num">2</td><td class="num">0.5</td><td class="num">0.7</td></tr>'), 'per-epoch table');
});

test('writeClassifierReport: no mistakes gives a note and no grid; flat rows with imageShape; tabular data has no grids', async () => {
  const n = 20;
  const y = Array.from({ length: n }, (_, i) => i % 2);
  const flat = new Tensor(numberedImages(n).data, [n, 64]);
  const dir = join(tmp(), 'perfect');
  const r = await writeClassifierReport(dir, { title: 'P', metrics: {}, yTrue: y, yPred: y, images: flat, imageShape: [8, 8], formats: ['svg'] });
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['confusion_matrix.svg', 'report.html', 'test_samples.svg']);
  assert.match(readFileSync(r.html, 'utf8'), /<li>No misclassified samples: all 20 test samples are classified correctly\.<\/li>/);
  assert.equal(gridTiles(readFileSync(join(dir, 'test_samples.svg'), 'utf8')).length, 16);

  // Tabular data with SVM labels -1/+1: no grids; the per-class rows are in label order.
  const tab = join(tmp(), 'tab');
  const t = await writeClassifierReport(tab, { title: 'T', metrics: {}, yTrue: [-1, 1, 1], yPred: [-1, -1, 1], formats: ['svg'] });
  assert.deepEqual(readdirSync(tab).sort(), ['confusion_matrix.svg', 'report.html']);
  assert.match(readFileSync(t.html, 'utf8'), /<tr><td>-1<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">0\.5<\/td><\/tr>\n<tr><td>1<\/td><td class="num">2<\/td><td class="num">1<\/td><td class="num">0\.5<\/td><td class="num">1<\/td><\/tr>/);

  const bad = join(tmp(), 'bad');
  await assert.rejects(writeClassifierReport(bad, { title: 'B', metrics: {}, yTrue: [0, 1], yPred: [0] }), /yTrue has 2 values but yPred has 1/);
  await assert.rejects(writeClassifierReport(bad, { title: 'B', metrics: {}, yTrue: [0, 1.5], yPred: [0, 1] }), /yTrue\[1\] is 1\.5, not an integer class label/);
  await assert.rejects(writeClassifierReport(bad, { title: 'B', metrics: {}, yTrue: [0, 3], yPred: [0, 1], classNames: ['a', 'b'] }), /class 3 occurs but spec\.classNames names classes 0\.\.1/);
  await assert.rejects(writeClassifierReport(bad, { title: 'B', metrics: {}, yTrue: [0, 1], yPred: [0, 1], images: flat }), (e: unknown) => e instanceof ShapeError && /spec\.images has 20 samples/.test(e.message));
  await assert.rejects(writeClassifierReport(bad, { title: 'B', metrics: {}, yTrue: y, yPred: y, images: flat }), /give spec\.imageShape for flat rows/);
  assert.equal(existsSync(bad), false);
});

test('reportHTML escapes every text it shows', () => {
  const html = reportHTML({ title: '<script>alert(1)</script>', metrics: { '<k>': '<v>' }, figures: [], notes: ['<b>'] }, []);
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('&lt;k&gt;') && html.includes('&lt;v&gt;') && html.includes('<li>&lt;b&gt;</li>'));
});
