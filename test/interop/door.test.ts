// gl.loadModel opens every format, told apart by contents; `gradlab convert` moves a model between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'interop', 'fixtures');
const cli = join(here, '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

function smallCnn(): gl.Model {
  gl.manualSeed(5);
  return gl.sequential({ name: 'small_cnn', layers: [
    gl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, activation: 'relu' }),
    gl.layers.batchNormalization(),
    gl.layers.maxPooling2d({ poolSize: 2 }),
    gl.layers.flatten(),
    gl.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

const x = gl.rand([3, 28, 28, 1], { seed: 2 });

function maxDiff(a: gl.Tensor, b: gl.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

test('gl.loadModel opens a gradlab folder, an .onnx file and a TF.js model.json (file or folder) of the same model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-door-'));
  const m = smallCnn();
  const want = m.predict(x);
  await m.save(join(dir, 'folder'));
  await m.save(join(dir, 'net.onnx'));
  await m.save(join(dir, 'tfjs'), { format: 'tfjs' });
  assert.equal(gl.detectModelFormat(join(dir, 'folder')).format, 'gradlab');
  assert.equal(gl.detectModelFormat(join(dir, 'folder', 'model.json')).format, 'gradlab');
  assert.equal(gl.detectModelFormat(join(dir, 'net.onnx')).format, 'onnx');
  assert.equal(gl.detectModelFormat(join(dir, 'tfjs')).format, 'tfjs');
  for (const p of ['folder', 'net.onnx', 'tfjs', join('tfjs', 'model.json')]) {
    const back = await gl.loadModel(join(dir, p));
    assert.ok(maxDiff(back.predict(x), want) < 1e-5, p);
  }
  // contents decide, not names: an ONNX file under another name still opens
  copyFileSync(join(dir, 'net.onnx'), join(dir, 'net.bin'));
  await assert.rejects(gl.loadModel(join(dir, 'net.bin')), (e: Error) => e instanceof gl.FormatError && /cannot tell the format of 'net.bin'/.test(e.message));
});

test('gl.loadModel opens Keras .h5 and .keras files by their magic bytes', async () => {
  for (const [file, format] of [['seq_cnn.h5', 'keras-h5'], ['keras3.keras', 'keras']] as const) {
    const path = join(fixtures, 'keras', file);
    assert.equal(gl.detectModelFormat(path).format, format);
    const m = await gl.loadModel(path);
    assert.ok(m.countParams() > 0, file);
  }
  await assert.rejects(gl.loadModel(join(fixtures, 'keras', 'seq_cnn.weights_only.h5')), gl.FormatError);
});

test('gl.loadModel says what is wrong with a path that is no model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-door-'));
  await assert.rejects(gl.loadModel(join(dir, 'nothing')), /'.*nothing' does not exist/);
  mkdirSync(join(dir, 'empty'));
  await assert.rejects(gl.loadModel(join(dir, 'empty')), /a folder without model.json/);
  mkdirSync(join(dir, 'saved'));
  writeFileSync(join(dir, 'saved', 'saved_model.pb'), '');
  await assert.rejects(gl.loadModel(join(dir, 'saved')), /TensorFlow SavedModel.*tf2onnx/);
  writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
  await assert.rejects(gl.loadModel(join(dir, 'other.json')), /neither a gradlab model description.*nor a TensorFlow.js layers model/);
  await assert.rejects(gl.loadModel(''), gl.ValueError);
});

test('gradlab convert moves a model between formats and summary/predict read every one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-convert-'));
  await smallCnn().save(join(dir, 'model'));
  const onnx = run('convert', join(dir, 'model'), join(dir, 'net.onnx'), '--opset', '17');
  assert.equal(onnx.status, 0, onnx.stderr);
  assert.match(onnx.stdout, /net\.onnx \(onnx\): model 'small_cnn', 1,\d{3} parameters/);
  const tfjs = run('convert', join(dir, 'model'), join(dir, 'web', 'model.json'));
  assert.equal(tfjs.status, 0, tfjs.stderr);
  assert.match(tfjs.stdout, /\(tfjs\)/);
  // an imported ONNX graph is made of OnnxNode layers: it saves as a gradlab folder, not as Keras/TF.js layers
  const back = run('convert', join(dir, 'net.onnx'), join(dir, 'from-onnx'));
  assert.equal(back.status, 0, back.stderr);
  const refused = run('convert', join(dir, 'net.onnx'), join(dir, 'web2', 'model.json'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /OnnxNode, which has no Keras config/);
  const s = run('summary', join(dir, 'net.onnx'));
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Total params/);
  const lines = ['model', 'net.onnx', 'web', 'from-onnx'].map((p) => {
    const r = run('predict', join(dir, p), 'mnist:0-2');
    assert.equal(r.status, 0, `${p}: ${r.stderr}`);
    return r.stdout.replace(/p = (\d\.\d{3})\d/g, 'p = $1');
  });
  assert.equal(lines[1], lines[0]);
  assert.equal(lines[2], lines[0]);
  assert.equal(lines[3], lines[0]);
  const h5 = run('convert', join(dir, 'model'), join(dir, 'x.h5'));
  assert.equal(h5.status, 2);
  assert.match(h5.stderr, /does not write them/);
  const opset = run('convert', join(dir, 'model'), join(dir, 'again'), '--opset', '13');
  assert.equal(opset.status, 2);
  assert.match(opset.stderr, /--opset applies to ONNX output only/);
});
