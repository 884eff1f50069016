// `gradlab lab`'s server without a browser: checked options, COOP/COEP on every answer, MNIST
// bytes equal to gl.datasets.mnist, no path outside its folders, the report's chart specs, and
// the command line's typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';
import { chartSpecs, startLab } from '../../src/web/server.js';

const cli = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist', 'src', 'cli', 'main.js');

test('startLab checks its options before listening', async () => {
  await assert.rejects(startLab({ port: -1 }), (e: Error) => e instanceof gl.ValueError && /startLab: port must be .*-1/.test(e.message));
  await assert.rejects(startLab({ port: 70000 }), gl.ValueError);
  await assert.rejects(startLab({ prot: 0 } as never), /unknown option 'prot' \(did you mean 'port'\?\)/);
  await assert.rejects(startLab({ port: 0, model: '/no/such/model' }), /startLab: model '\/no\/such\/model' does not exist/);
  await assert.rejects(startLab({ port: 0, host: '' }), gl.ValueError);
});

test('the server isolates the page, serves MNIST as bytes and nothing outside its folders', async () => {
  const lab = await startLab({ port: 0 });
  try {
    assert.match(lab.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(lab.url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await page.text(), /aria-label="draw a digit"/);
    for (const path of ['vendor/vega.js', 'vendor/vega-lite.js', 'vendor/vega-embed.js', 'page/main.js', 'page/worker.js', 'lab.css']) {
      const r = await fetch(lab.url + path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', path);
      await r.arrayBuffer();
    }
    const r = await fetch(`${lab.url}api/mnist?split=test&offset=5&count=3`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), 'GLMN');
    const dv = new DataView(bytes.buffer);
    assert.deepEqual([dv.getUint32(4, true), dv.getUint32(8, true), dv.getUint32(12, true), bytes.length], [3, 28, 28, 16 + 3 * 785]);
    const ref = gl.datasets.mnist({ trainSize: 1, testSize: 8 }).test;
    assert.deepEqual(Array.from(bytes.subarray(16, 16 + 3 * 784)), Array.from(ref.x.data.subarray(5 * 784, 8 * 784), (v) => Math.round(v * 255)));
    assert.deepEqual(Array.from(bytes.subarray(16 + 3 * 784)), Array.from(ref.labels.subarray(5, 8)));
    for (const bad of ['split=x', 'split=test&offset=9999&count=2', 'split=train&count=0', 'split=test&count=1.5']) {
      const b = await fetch(`${lab.url}api/mnist?${bad}`);
      assert.equal(b.status, 400, bad);
      assert.match(((await b.json()) as { error: string }).error, /split must be|offset and count/);
    }
    for (const bad of ['page/..%2Fserver.js', 'gradlab/..%2F..%2Fpackage.json', 'vendor/vega.min.js', 'api/runs/x/model/..%2F..%2Fsecret', 'api/models/nope/model.json']) {
      const b = await fetch(lab.url + bad);
      assert.equal(b.status, 404, bad);
      await b.arrayBuffer();
    }
    const notJson = await fetch(`${lab.url}api/convert`, { method: 'POST', body: 'xx', headers: { 'X-Files': '{oops' } });
    assert.equal(notJson.status, 400);
    await notJson.arrayBuffer();
    const up = await fetch(`${lab.url}api/convert`, { method: 'POST', body: 'xx', headers: { 'X-Files': JSON.stringify([{ name: '../evil', size: 2 }]) } });
    assert.equal(up.status, 400);
    await up.arrayBuffer();
    const junk = await fetch(`${lab.url}api/convert`, { method: 'POST', body: 'not a model', headers: { 'X-Files': JSON.stringify([{ name: 'm.onnx', size: 11 }]) } });
    assert.equal(junk.status, 422, 'a file no reader accepts is refused with the reader\'s message');
    assert.match(((await junk.json()) as { error: string }).error, /m\.onnx/);
  } finally {
    await lab.close();
  }
});

test("the Train panel's charts are the report's training curves, the data aside", () => {
  const specs = chartSpecs();
  const [lossFig, accFig, batchFig] = gl.plot.trainingCurves({
    history: { loss: [1, 0.5], accuracy: [0.5, 0.9], val_loss: [1.1, 0.6], val_accuracy: [0.4, 0.8] },
    batches: [{ batch: 0, size: 2, loss: 1 }, { batch: 1, size: 2, loss: 0.8 }],
  }).map((f) => f.figure.toSpec() as unknown as Record<string, unknown>);
  const strip = (s: Record<string, unknown>) => {
    const { data: _d, width: _w, height: _h, ...rest } = s;
    return rest;
  };
  assert.deepEqual(strip(specs.epochLoss), strip(lossFig));
  assert.deepEqual(strip(specs.epochAccuracy), strip(accFig));
  assert.deepEqual(strip(specs.batchLoss), strip({ ...batchFig, mark: { ...(batchFig.mark as object), point: false } }));
  for (const s of Object.values(specs)) assert.deepEqual(s.data, { name: 'rows' });
});

test('gradlab lab: bad options are one line and exit code 2', () => {
  for (const [args, msg] of [
    [['--port', 'eighty'], /--port must be a non-negative integer, got 'eighty'/],
    [['--port', '70000'], /--port must be at most 65535/],
    [['--model', '/no/such/model'], /--model: '\/no\/such\/model' does not exist/],
  ] as const) {
    const r = spawnSync(process.execPath, [cli, 'lab', ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
