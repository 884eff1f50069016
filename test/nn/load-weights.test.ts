// model.loadWeights on gradlab's own files, and model.save's choice of format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';

function net(seed: number, units = 4, headName = 'head'): gl.Sequential {
  gl.manualSeed(seed);
  return gl.sequential({ name: 'net', layers: [
    gl.layers.dense({ inputShape: [3], units, activation: 'relu', name: 'hidden' }),
    gl.layers.dense({ units: 2, name: headName }),
  ] });
}

const x = gl.tensor([[0.5, -1, 2], [1, 0.25, -0.5]]);

test('loadWeights copies every weight of a saved folder or its .safetensors file', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gradlab-lw-')), 'm');
  const saved = net(1);
  await saved.save(dir);
  const weightsFile = (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weights: { file: string } }).weights.file;
  for (const path of [dir, join(dir, weightsFile)]) {
    const other = net(2);
    assert.notDeepEqual(Array.from(other.predict(x).data), Array.from(saved.predict(x).data));
    await other.loadWeights(path);
    assert.deepEqual(Array.from(other.predict(x).data), Array.from(saved.predict(x).data));
  }
});

test('loadWeights refuses missing or extra weights unless byName, and wrong shapes unless skipMismatch', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gradlab-lw-')), 'm');
  await net(1).save(dir);
  await assert.rejects(net(3, 4, 'other').loadWeights(dir), (e: Error) => e instanceof gl.FormatError && /no weight 'other\/kernel'/.test(e.message));
  const partial = net(3, 4, 'other');
  const before = partial.getLayer('other').getWeights().map((t) => Array.from(t.data));
  await partial.loadWeights(dir, { byName: true });
  assert.deepEqual(partial.getLayer('other').getWeights().map((t) => Array.from(t.data)), before, 'a layer the file does not name keeps its weights');
  assert.deepEqual(Array.from(partial.getLayer('hidden').getWeights()[0].data), Array.from(net(1).getLayer('hidden').getWeights()[0].data));

  const wider = net(4, 5);
  await assert.rejects(wider.loadWeights(dir, { byName: true }), (e: Error) => e instanceof gl.FormatError && /'hidden\/kernel' has shape \[3,4\].*needs \[3,5\]/.test(e.message));
  const keep = Array.from(wider.getLayer('hidden').getWeights()[0].data);
  await wider.loadWeights(dir, { byName: true, skipMismatch: true });
  assert.deepEqual(Array.from(wider.getLayer('hidden').getWeights()[0].data), keep);
  assert.deepEqual(Array.from(wider.getLayer('head').getWeights()[1].data), Array.from(net(1).getLayer('head').getWeights()[1].data));
});

test('loadWeights and save check their options before touching anything', async () => {
  const m = net(1);
  await assert.rejects(m.loadWeights('x', { skipMismatch: true }), /skipMismatch needs byName: true/);
  await assert.rejects(m.loadWeights('x', { by_name: true } as never), /by_name.*byName/);
  await assert.rejects(m.save('x', { format: 'pickle' }), (e: Error) => e instanceof gl.ValueError && /format must be one of 'gradlab'/.test(e.message));
  await assert.rejects(m.save('x', { opset: 13 }), /option 'opset' does not apply to gradlab's folder format/);
});
