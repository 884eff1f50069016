import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as plot from '../../src/plot/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ValueError } from '../../src/core/errors.js';
import { checkXML, decodePNG, hasPNGSignature, pixelAt, pngSize } from './helpers.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-plot-'));
}

test('save: .svg, .png, .json and .html by extension, parseable, nothing else left behind', async () => {
  const dir = tmpdir();
  try {
    const fig = plot.line({ train: [1, 0.5, 0.3], val: [1.1, 0.7, 0.6] }, { title: 'Loss <per> epoch & more' });
    for (const ext of ['svg', 'png', 'json', 'html']) await fig.save(path.join(dir, 'sub', `fig.${ext}`));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')).sort(), ['fig.html', 'fig.json', 'fig.png', 'fig.svg']);

    const svg = fs.readFileSync(path.join(dir, 'sub', 'fig.svg'), 'utf8');
    const root = checkXML(svg);
    assert.equal(root.root, 'svg');
    assert.ok(svg.includes('Loss &lt;per&gt; epoch &amp; more'));

    const png = new Uint8Array(fs.readFileSync(path.join(dir, 'sub', 'fig.png')));
    assert.ok(hasPNGSignature(png));
    assert.deepEqual(pngSize(png), { width: Number(root.attributes.width), height: Number(root.attributes.height) });

    const json = JSON.parse(fs.readFileSync(path.join(dir, 'sub', 'fig.json'), 'utf8'));
    assert.deepEqual(json, fig.toSpec());

    const html = fs.readFileSync(path.join(dir, 'sub', 'fig.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<title>Loss &lt;per&gt; epoch &amp; more<\/title>/);
    const inlined = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);
    assert.equal(inlined, svg);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('save: unknown extension is a ValueError and writes nothing', async () => {
  const dir = tmpdir();
  try {
    const fig = plot.line([1, 2]);
    await assert.rejects(fig.save(path.join(dir, 'fig.jpg')), (e: Error) => e instanceof ValueError && /\.jpg/.test(e.message));
    await assert.rejects(fig.save(''), ValueError);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('toPNG: scale multiplies the size; the PNG shows the chart (text drawn, background white)', async () => {
  const fig = plot.line({ a: [0, 1, 0.5] }, { title: 'T', width: 200, height: 100 });
  const one = decodePNG(await fig.toPNG());
  const two = pngSize(await fig.toPNG({ scale: 2 }));
  assert.equal(two.width, one.width * 2);
  assert.equal(two.height, one.height * 2);
  assert.deepEqual(pixelAt(one, 0, 0), [255, 255, 255]);
  // Some dark pixels (axis labels, title) and some of the series colour #4c78a8.
  let dark = 0;
  let blue = 0;
  for (let y = 0; y < one.height; y++) {
    for (let x = 0; x < one.width; x++) {
      const [r, g, b] = pixelAt(one, x, y);
      if (r < 60 && g < 60 && b < 60) dark++;
      if (Math.abs(r - 0x4c) < 8 && Math.abs(g - 0x78) < 8 && Math.abs(b - 0xa8) < 8) blue++;
    }
  }
  assert.ok(dark > 50, `text pixels: ${dark} (are fonts installed? see fonts-dejavu-core)`);
  assert.ok(blue > 100, `line pixels: ${blue}`);
  await assert.rejects(fig.toPNG({ scale: 0 }), ValueError);
});

test('toSpec returns a copy; the figure keeps its own', () => {
  const rows = [1, 2, 3];
  const fig = plot.line({ a: rows });
  const s = fig.toSpec() as unknown as { data: { values: { y: number }[] } };
  s.data.values[0].y = 99;
  assert.equal((fig.toSpec() as unknown as { data: { values: { y: number }[] } }).data.values[0].y, 1);
  assert.equal(new plot.Figure(fig.toSpec()).title, 'gradlab figure');
});

test('every figure kind renders to well-formed SVG and a PNG of the same size', async () => {
  const digits = new Tensor(new Float32Array(4 * 6 * 6).map((_, i) => (i * 7) % 256), [4, 6, 6]);
  const figs = [
    plot.fn({ sin: Math.sin, cos: Math.cos }, [0, 6], { title: 'trig' }),
    plot.confusionMatrix([0, 1, 1], [0, 1, 0], ['a', 'b']),
    plot.images(digits, { titles: ['true=3 est=5', 'b', 'c', 'd'], title: 'digits' }),
    plot.decisionRegions((x) => new Float32Array(x.shape[0]).map((_, i) => (x.data[2 * i] > 0 ? 1 : 0)), [[-1, 0], [1, 1]], [0, 1], { resolution: 10 }),
    plot.filters(new Tensor(new Float32Array(3 * 3 * 3 * 2).map((_, i) => Math.sin(i)), [3, 3, 3, 2])),
    plot.featureMaps(new Tensor(new Float32Array(5 * 5 * 3).map((_, i) => i), [5, 5, 3])),
  ];
  for (const fig of figs) {
    const svg = await fig.toSVG();
    const root = checkXML(svg);
    const size = pngSize(await fig.toPNG());
    assert.deepEqual(size, { width: Number(root.attributes.width), height: Number(root.attributes.height) }, fig.title);
  }
});
