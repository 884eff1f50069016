// gradlab's model folders: what loadModel refuses (each case an inconsistency an adversarial probe
// found accepted before), how a save replaces a folder, and the typed file-system errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';
import { editDescription, layersOf, readDescription, replaceWeights, weightsPath } from './folder-util.js';

const root = mkdtempSync(join(tmpdir(), 'gradlab-folder-'));
let count = 0;
const x = gl.tensor([[0.5, -1, 2], [1, 0.25, -0.5]]);

function net(seed = 1, dtype: 'float32' | 'float64' = 'float32'): gl.Sequential {
  gl.manualSeed(seed);
  return gl.sequential({ name: 'net', layers: [
    gl.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'hidden', dtype }),
    gl.layers.batchNormalization({ name: 'bn', dtype }),
    gl.layers.dense({ units: 2, name: 'head', dtype }),
  ] });
}

async function saved(m = net()): Promise<string> {
  const dir = join(root, `m${count++}`);
  await m.save(dir);
  return dir;
}

const rejectsWith = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: Error) => {
  assert.ok(e instanceof gl.FormatError, `${e.constructor.name}: ${e.message}`);
  assert.match(e.message, re);
  return true;
});

test('a saved folder holds model.json and one hash-named weights file, both checksummed, and loads identically', async () => {
  const m = net();
  const dir = await saved(m);
  const d = readDescription(dir);
  const w = d.weights as { file: string; sha256: string; bytes: number };
  assert.match(w.file, /^weights-[0-9a-f]{16}\.safetensors$/);
  assert.equal(w.file, `weights-${w.sha256.slice(0, 16)}.safetensors`);
  assert.match(String(d.checksum), /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(readdirSync(dir).sort(), ['model.json', w.file]);
  const back = await gl.loadModel(dir);
  assert.deepEqual(Array.from(back.predict(x).data), Array.from(m.predict(x).data));
  // A model.json edited by hand loads once its checksum line is removed.
  editDescription(dir, () => undefined);
  assert.deepEqual(Array.from((await gl.loadModel(dir)).predict(x).data), Array.from(m.predict(x).data));
});

test('a flipped bit in model.json or in the weights is a FormatError, not a different model', async () => {
  const dir = await saved();
  const text = readFileSync(join(dir, 'model.json'), 'utf8');
  writeFileSync(join(dir, 'model.json'), text.replace('"relu"', '"rglu"').replace('"epsilon": 0.001', '"epsilon": 0.003'));
  await rejectsWith(gl.loadModel(dir), /model\.json does not match its checksum/);
  writeFileSync(join(dir, 'model.json'), text);
  const bytes = readFileSync(weightsPath(dir));
  bytes[bytes.length - 3] ^= 0x10;
  writeFileSync(weightsPath(dir), bytes);
  await rejectsWith(gl.loadModel(dir), /does not match the SHA-256/);
  writeFileSync(weightsPath(dir), bytes.subarray(0, bytes.length - 1));
  await rejectsWith(gl.loadModel(dir), /is \d+ bytes but .* says \d+/);
});

test('weights must have the layer dtype as written (a header retyped F32 -> I32 is refused), for float32 and float64 models', async () => {
  for (const [dtype, from, to] of [['float32', 'F32', 'I32'], ['float32', 'F32', 'U32'], ['float64', 'F64', 'I64']] as const) {
    const dir = await saved(net(1, dtype));
    const bytes = Buffer.from(readFileSync(weightsPath(dir)));
    replaceWeights(dir, Buffer.from(bytes.toString('latin1').replaceAll(`"${from}"`, `"${to}"`), 'latin1'));
    // (float64's bit patterns read as I64 are mostly beyond 2^53, which the reader refuses first)
    await assert.rejects(gl.loadModel(dir), (e: Error) => e instanceof gl.GradlabError && new RegExp(`is ${to} in .* but the layer's weights are ${dtype}|\\(${to}\\) holds \\d+, which float64 cannot represent`).test(e.message));
  }
});

test('NaN and infinite weights are refused unless allowNonFinite', async () => {
  const m = net();
  for (const bad of [NaN, Infinity, -Infinity]) {
    const dir = await saved(m);
    const bytes = Buffer.from(readFileSync(weightsPath(dir)));
    bytes.writeFloatLE(bad, bytes.length - 4);
    replaceWeights(dir, bytes);
    await rejectsWith(gl.loadModel(dir), new RegExp(`holds ${bad} at index \\d+ .*allowNonFinite`));
    await rejectsWith(net(2).loadWeights(dir), new RegExp(`holds ${bad}`));
    const loose = await gl.loadModel(dir, { allowNonFinite: true });
    assert.ok(loose.getWeights().some((w) => Array.from(w.data).some((v) => !Number.isFinite(v))));
  }
  await assert.rejects(gl.loadModel('x', { allowNonFinite: 1 } as never), gl.ValueError);
});

test('the architecture must use every tensor of the file, and have layers', async () => {
  let dir = await saved();
  editDescription(dir, (d) => { ((d.model as { config: { layers: unknown[] } }).config).layers = []; });
  await rejectsWith(gl.loadModel(dir), /no layers/);
  dir = await saved();
  editDescription(dir, (d) => { layersOf(d).pop(); });
  await rejectsWith(gl.loadModel(dir), /holds 2 tensor\(s\) no layer of the model uses \('head\/bias', 'head\/kernel'\)/);
});

test('a misspelt or unknown key anywhere in model.json is an error, not a silent default', async () => {
  const cases: [string, (d: Record<string, unknown>) => void, RegExp][] = [
    ['layer option', (d) => { const c = layersOf(d)[0].config as Record<string, unknown>; c.ectivation = c.activation; delete c.activation; }, /unknown option 'ectivation' \(did you mean 'activation'\?\)/],
    ['model config', (d) => { const c = (d.model as { config: Record<string, unknown> }).config; c.trainible = false; }, /unknown key 'trainible' \(did you mean 'trainable'\?\)/],
    ['layer entry', (d) => { layersOf(d)[0].klassName = 'Dense'; }, /unknown key 'klassName'/],
    ['top level', (d) => { d.compiled = null; }, /unknown key 'compiled' \(did you mean 'compile'\?\)/],
  ];
  for (const [what, edit, re] of cases) {
    const dir = await saved();
    editDescription(dir, edit);
    await rejectsWith(gl.loadModel(dir), re).catch((e: Error) => assert.fail(`${what}: ${e.message}`));
  }
});

test("prototype names are unknown names: activation 'constructor', className 'toString', '__proto__'", async () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    let dir = await saved();
    editDescription(dir, (d) => { (layersOf(d)[0].config as Record<string, unknown>).activation = name; });
    await rejectsWith(gl.loadModel(dir), new RegExp(`unknown activation '${name}'`));
    dir = await saved();
    editDescription(dir, (d) => { layersOf(d)[0].className = name; });
    await rejectsWith(gl.loadModel(dir), new RegExp(`unknown layer class '${name}'`));
    assert.throws(() => gl.layers.dense({ units: 2, activation: name as never }), (e: Error) => e instanceof gl.ValueError && /layers\.dense: unknown activation/.test(e.message));
  }
});

test('huge sizes in a small model.json fail at once, before anything is allocated', async () => {
  for (const [key, value] of [['units', 1e8], ['units', 1e9], ['units', 2 ** 40], ['inputShape', [1e6, 1e6]], ['inputShape', [2 ** 31]]] as const) {
    const dir = await saved();
    editDescription(dir, (d) => { (layersOf(d)[0].config as Record<string, unknown>)[key] = value; ((d.model as { config: Record<string, unknown> }).config).inputShape = key === 'inputShape' ? value : [3]; });
    const t0 = Date.now();
    await rejectsWith(gl.loadModel(dir), /weights file holds 42 in all|more than the \d+ a loaded model may have|too large/);
    assert.ok(Date.now() - t0 < 2000, `${key} ${JSON.stringify(value)} took ${Date.now() - t0} ms`);
  }
});

test('the weights record may not point outside the folder', async () => {
  for (const file of ['../weights-0123456789abcdef.safetensors', 'weights.safetensors', '/etc/passwd', 'weights-0123456789ABCDEF.safetensors']) {
    const dir = await saved();
    editDescription(dir, (d) => { (d.weights as Record<string, unknown>).file = file; });
    await rejectsWith(gl.loadModel(dir), /weights\.file must be a name like weights-<16 hex digits>\.safetensors/);
  }
});

test('folders written before model.json named its weights still load, and saving over one cleans it up', async () => {
  const m = net();
  const dir = join(root, 'legacy');
  mkdirSync(dir);
  const tensors: Record<string, gl.Tensor> = {};
  for (const w of m.weights) tensors[w.role] = w.tensor;
  writeFileSync(join(dir, 'weights.safetensors'), gl.encodeSafetensors(tensors, { format: 'gradlab', model: 'net' }));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'gradlab-model', version: 2, model: { className: 'Sequential', config: m.getConfig() }, compile: null }));
  assert.deepEqual(Array.from((await gl.loadModel(dir)).predict(x).data), Array.from(m.predict(x).data));
  await net(5).save(dir);
  assert.deepEqual(readdirSync(dir).sort(), ['model.json', readDescription(dir).weights && (readDescription(dir).weights as { file: string }).file].sort());
});

test("a save removes old weights and dead writers' temporary files, and keeps a live writer's", async () => {
  const dir = await saved();
  const stale = ['weights-0000000000000000.safetensors', '.weights-0123456789abcdef.safetensors.999999999.0123456789ab.tmp', '.model.json.999999999.0123456789ab.tmp', '.save.lock'];
  const live = `.model.json.${process.ppid}.0123456789ab.tmp`;
  for (const f of [...stale, live, 'notes.txt']) writeFileSync(join(dir, f), '');
  writeFileSync(join(dir, '.save.lock'), '999999999');
  await net(3).save(dir);
  const left = readdirSync(dir).sort();
  assert.deepEqual(left, [live, 'model.json', 'notes.txt', (readDescription(dir).weights as { file: string }).file].sort());
});

test('saves into one folder at once queue up: the folder ends whole, with one of the models', async () => {
  const dir = join(root, 'race');
  const models = [1, 2, 3, 4].map((s) => net(s));
  await Promise.all(models.map((m) => m.save(dir)));
  const back = Array.from((await gl.loadModel(dir)).predict(x).data);
  assert.ok(models.some((m) => Array.from(m.predict(x).data).every((v, i) => v === back[i])));
  assert.equal(readdirSync(dir).length, 2);
});

test('file-system failures are IOErrors naming the function, the path and what was written', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(net().save(join(file, 'm')), (e: Error) => {
    assert.ok(e instanceof gl.IOError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.action, 'write');
    assert.equal(e.code, 'ENOTDIR');
    assert.ok(e.path.startsWith(file));
    assert.match(e.message, /^net\.save: cannot write the model folder .*a-file\/m: ENOTDIR/);
    return true;
  });
  assert.throws(() => gl.callbacks.csvLogger(join(file, 'log.csv')).onEpochEnd(0, { loss: 1 }),
    (e: Error) => e instanceof gl.IOError && /^csvLogger: cannot write the folder of .*log\.csv/.test(e.message));
  await assert.rejects(gl.loadModel(file), (e: Error) => e instanceof gl.FormatError && /cannot tell the format of 'a-file'/.test(e.message));
  assert.ok(!existsSync(join(file, 'm')));
});

test('creation functions check their sizes and options', () => {
  assert.throws(() => gl.zeros([1e10]), (e: Error) => e instanceof gl.ShapeError && /zeros: shape \[10000000000\] has 10000000000 values, more than a tensor can hold/.test(e.message));
  assert.throws(() => gl.randn([2], { seed: 'x' as never }), (e: Error) => e instanceof gl.ValueError && /randn: seed must be an integer, got the string "x"/.test(e.message));
  assert.throws(() => gl.zeros([2], { dtpye: 'float64' } as never), /zeros: unknown option 'dtpye' \(did you mean 'dtype'\?\)/);
  assert.throws(() => gl.layers.dense(undefined as never), (e: Error) => e instanceof gl.ValueError && /layers\.dense: option 'units' is required/.test(e.message));
  assert.throws(() => gl.sequential({ layers: {} as never }), (e: Error) => e instanceof gl.ValueError && /sequential: layers must be an array/.test(e.message));
});
