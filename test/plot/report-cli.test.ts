import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMetric } from '../../src/plot/report.js';
import { checkXML, decodePNG, pngSize } from './helpers.js';
import { chromiumMissing, chromiumScreenshot, externalReferences, imageSources, svgOfDataURI } from './report-util.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
const root = mkdtempSync(join(tmpdir(), 'gradlab-report-cli-'));
const lenetRun = join(root, 'lenet');

test('gradlab train writes the figures and a self-contained report.html holding the metrics', () => {
  const r = run('train', '--train-size', '256', '--test-size', '128', '--epochs', '1', '--batch-size', '32', '--quiet', '--out', lenetRun);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const figures = ['loss_per_epoch', 'accuracy_per_epoch', 'loss_per_batch', 'confusion_matrix', 'test_samples', 'misclassified', 'filters'];
  const html = readFileSync(join(lenetRun, 'report.html'), 'utf8');
  // After one epoch on 256 samples some of the 128 test digits are wrong; if none were, the page says so.
  const perfect = html.includes('No misclassified samples');
  const expected = perfect ? figures.filter((f) => f !== 'misclassified') : figures;
  assert.match(r.stdout, new RegExp(`Wrote ${join(lenetRun, 'report.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and ${2 * expected.length} figure files \\(\\d+\\.\\d\\d s\\)\\n$`));
  for (const f of expected) {
    const svg = readFileSync(join(lenetRun, `${f}.svg`), 'utf8');
    const xml = checkXML(svg);
    const png = new Uint8Array(readFileSync(join(lenetRun, `${f}.png`)));
    const size = pngSize(png);
    assert.ok(Math.abs(size.width - Number(xml.attributes.width)) <= 1 && size.height > 50, `${f}.png is ${size.width}x${size.height}`);
    decodePNG(png);
  }
  assert.deepEqual(externalReferences(html), []);
  const srcs = imageSources(html);
  assert.equal(srcs.length, expected.length);
  srcs.forEach((s) => assert.deepEqual(externalReferences(svgOfDataURI(s)), []));
  // Every scalar of metrics.json is in the table.
  const m = JSON.parse(readFileSync(join(lenetRun, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(m)) {
    if (k === 'history') continue;
    const shown = v === null || typeof v !== 'object' ? formatMetric(v as number | string | null) : JSON.stringify(v);
    assert.ok(html.includes(`<tr><th scope="row">${k}</th><td${typeof v === 'number' ? ' class="num"' : ''}>${shown}</td></tr>`), `metric ${k} = ${shown}`);
  }
  // The confusion matrix comes from the pass that gave test_accuracy: its per-class hits add up to it.
  const correct = [...html.matchAll(/<tr><td>\d<\/td><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td>/g)];
  assert.equal(correct.length, 10);
  assert.equal(correct.reduce((a, c) => a + Number(c[1]), 0), 128);
  assert.equal(correct.reduce((a, c) => a + Number(c[2]), 0), Math.round((m.test_accuracy as number) * 128));
  const titles = [...readFileSync(join(lenetRun, 'test_samples.svg'), 'utf8').matchAll(/>(true=\d est=\d)</g)];
  assert.equal(titles.length, 16);
});

test('gradlab train --model mlp: no filter grid, the digit grids are there', () => {
  const out = join(root, 'mlp');
  const r = run('train', '--model', 'mlp', '--train-size', '64', '--test-size', '64', '--epochs', '1', '--quiet', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(out, 'filters.png')), false);
  assert.ok(existsSync(join(out, 'test_samples.png')) && existsSync(join(out, 'confusion_matrix.svg')));
  assert.doesNotMatch(readFileSync(join(out, 'report.html'), 'utf8'), /fig-filters/);
});

test('report.html opens in headless Chromium without console messages; screenshot', { skip: chromiumMissing() }, (t) => {
  assert.ok(existsSync(join(lenetRun, 'report.html')), 'the first test wrote the report');
  // The check must be able to fail: a page that logs an error is caught.
  const control = join(root, 'control.html');
  writeFileSync(control, '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script>console.error("gradlab-control")</script></body></html>');
  const c = chromiumScreenshot(control, join(root, 'control.png'), '400,300');
  assert.ok(c.consoleLines.some((l) => l.includes('gradlab-control')), `the control page's console.error was not seen:\n${c.stderr}`);

  const shot = join(root, 'report-screenshot.png');
  const r = chromiumScreenshot(join(lenetRun, 'report.html'), shot);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.consoleLines, []);
  const png = decodePNG(new Uint8Array(readFileSync(shot)));
  assert.deepEqual([png.width, png.height], [1200, 2000]);
  // The page shows the charts, not broken images: the curves' blue and orange and plenty of ink.
  let ink = 0;
  let blue = 0;
  let orange = 0;
  const near = (p: number[], q: number[]) => p.every((v, i) => Math.abs(v - q[i]) <= 12);
  for (let i = 0; i < png.width * png.height; i++) {
    const k = i * png.channels;
    const p = [png.pixels[k], png.pixels[k + 1], png.pixels[k + 2]];
    if (p.some((v) => v < 235)) ink++;
    if (near(p, [0x4c, 0x78, 0xa8])) blue++;
    if (near(p, [0xf5, 0x85, 0x18])) orange++;
  }
  const total = png.width * png.height;
  assert.ok(ink / total > 0.03, `only ${(100 * ink / total).toFixed(1)}% of the screenshot is not white`);
  assert.ok(blue > 200 && orange > 200, `curve colours: ${blue} blue and ${orange} orange pixels`);
  t.diagnostic(`screenshot: ${shot}`);
});
