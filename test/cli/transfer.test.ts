import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'transfer', ...args], { encoding: 'utf8', timeout: 120_000 });
const tmp = mkdtempSync(join(tmpdir(), 'gradlab-transfer-'));

test('gradlab transfer, small: metrics.json with both accuracies, the report, and transfer beats scratch', () => {
  const out = join(tmp, 'run');
  const r = run('--train-size', '25', '--test-size', '300', '--val-size', '100', '--epochs', '60', '--fine-tune-epochs', '2', '--scratch-epochs', '8', '--seed', '3', '--out', out);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Test accuracy: transfer \d+\.\d+% \(head alone \d+\.\d+%\), from scratch \d+\.\d+%/);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['transfer_test_accuracy', 'scratch_test_accuracy', 'margin', 'head_only_test_accuracy', 'seconds', 'feature_seconds', 'base_parameters', 'train_samples', 'test_samples']) {
    assert.equal(typeof m[k], 'number', `${k}: ${String(m[k])}`);
  }
  assert.equal(m.train_samples, 25);
  assert.equal(m.test_samples, 300);
  assert.equal(m.source_test_accuracy, JSON.parse(readFileSync(join(dirname(cli), '..', '..', '..', 'pretrained', 'mnist-digits-0-4', 'info.json'), 'utf8')).testAccuracy);
  const transfer = m.transfer_test_accuracy as number, scratch = m.scratch_test_accuracy as number;
  assert.ok(transfer > scratch + 0.05, `transfer ${transfer}, scratch ${scratch}`);
  assert.equal(m.margin, transfer - scratch);
  // Curves: head epochs then fine-tuning epochs; the baseline's own.
  const th = m.transfer_history as Record<string, number[]>;
  assert.equal(th.val_accuracy.length, 62);
  assert.equal((m.scratch_history as Record<string, number[]>).loss.length, 8);
  const ex = m.test_examples as { index: number; true: string; transfer: string; scratch: string }[];
  assert.equal(ex.length, 8);
  for (const e of ex) assert.ok(['5', '6', '7', '8', '9'].includes(e.true) && ['5', '6', '7', '8', '9'].includes(e.transfer), JSON.stringify(e));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /transfer_test_accuracy/);
  assert.match(html, /scratch_test_accuracy/);
  for (const f of ['eight_test_images', 'compare_val_accuracy', 'compare_loss', 'confusion_matrix', 'test_samples']) {
    assert.ok(existsSync(join(out, `${f}.png`)), f);
    assert.match(html, new RegExp(`fig-${f}`));
  }
  assert.ok(existsSync(join(out, 'model', 'model.json')));
});

test('gradlab transfer: bad options are one-line errors with exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['--epochs', 'ten'], /--epochs must be a non-negative integer, got 'ten'/],
    [['--train-size', '0'], /--train-size must be a positive integer/],
    [['--fine-tune-lr', '-1'], /--fine-tune-lr must be a positive number/],
    [['--base', join(tmp, 'nothing.h5')], /--base: '.*nothing\.h5' does not exist/],
    [['--base', join(tmp, 'nothing.h5'), '--data', tmp], /--base: '.*nothing\.h5' does not exist/],
    [['--base', tmp], /--base with your own network needs --data/],
    [['--image-size', '32'], /--image-size applies to --data/],
    [['--preprocess', 'magic'], /argument 'magic' is invalid/],
    [['--data', join(tmp, 'no-such-folder')], /--data: '.*no-such-folder' is not a folder/],
    [['--base', tmp, '--data', tmp], /is a folder without model\.json/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args, '--out', join(tmp, 'bad'));
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // A corrupt model file is a format error naming the file, still exit 2.
  const bad = join(tmp, 'bad-model');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'model.json'), '{"format": "gradlab-model", "version": 2, "model": 7}');
  const r = run('--base', bad, '--data', tmp, '--out', join(tmp, 'bad'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /model\.json/);
});

test('gradlab transfer --base <gradlab folder> --data <folder of PNGs>: a pooled sigmoid head for two classes', async () => {
  const gl = await import('../../src/index.js');
  const { PNG } = await import('pngjs');
  // The user's base: the shipped network's conv trunk (4-D output), saved as a gradlab folder.
  const net = await gl.applications.pretrained('mnist-digits-0-4');
  const trunk = gl.model({ inputs: net.inputs, outputs: net.getLayer('block3_pool').inboundNodes[0].outputs[0], name: 'trunk' });
  const baseDir = join(tmp, 'trunk');
  await trunk.save(baseDir);
  // Two classes of 28x28 gray PNGs: test digits 6 and 9 from MNIST.
  const data = join(tmp, 'photos');
  const { test: t10k } = gl.datasets.mnist({ testSize: 1000 });
  for (const [name, digit] of [['seven', 7], ['three', 3]] as const) {
    mkdirSync(join(data, name), { recursive: true });
    const picked = gl.applications.selectClasses(t10k, [digit], { limit: 40, seed: 1 });
    for (let i = 0; i < 40; i++) {
      const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      const gray = Buffer.from(Array.from(picked.x.data.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
      png.data = gray;
      writeFileSync(join(data, name, `${String(i).padStart(2, '0')}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    }
  }
  const out = join(tmp, 'folder-run');
  const r = run('--base', baseDir, '--data', data, '--preprocess', 'scale', '--epochs', '100', '--fine-tune-epochs', '1', '--scratch-epochs', '2', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(m.classes, ['seven', 'three']);
  assert.equal(m.train_samples, 64);
  assert.equal(m.test_samples, 16);
  assert.deepEqual(m.feature_shape, [3, 3, 64]);
  assert.deepEqual(m.top_block, ['block3_conv1']);
  assert.equal(m.head_parameters, 65);
  assert.ok((m.transfer_test_accuracy as number) >= 0.8 && (m.transfer_test_accuracy as number) > (m.scratch_test_accuracy as number), `transfer ${m.transfer_test_accuracy}, scratch ${m.scratch_test_accuracy}`);
  assert.equal(typeof m.scratch_test_accuracy, 'number');
  assert.ok(existsSync(join(out, 'report.html')));
  // One class is no classification: refused in one line.
  const one = join(tmp, 'one-class', 'seven');
  mkdirSync(one, { recursive: true });
  for (let i = 0; i < 10; i++) copyFileSync(join(data, 'seven', `${String(i).padStart(2, '0')}.png`), join(one, `${i}.png`));
  const r1 = run('--base', baseDir, '--data', dirname(one), '--out', join(tmp, 'bad'));
  assert.equal(r1.status, 2, r1.stderr);
  assert.match(r1.stderr, /has 1 class; a classifier needs at least two class subfolders/);
});

test('gradlab transfer with ONNX and Keras .h5 bases: the lab on each, the top block found in each', async () => {
  const gl = await import('../../src/index.js');
  const { PNG } = await import('pngjs');
  // ONNX: the shipped trunk exported, read back as OnnxNode layers; the gray photos of the test above.
  const net = await gl.applications.pretrained('mnist-digits-0-4');
  const trunk = gl.model({ inputs: net.inputs, outputs: net.getLayer('block3_pool').inboundNodes[0].outputs[0], name: 'trunk' });
  const onnx = join(tmp, 'trunk.onnx');
  await trunk.save(onnx);
  let out = join(tmp, 'onnx-run');
  let r = run('--base', onnx, '--data', join(tmp, 'photos'), '--preprocess', 'scale', '--epochs', '100', '--fine-tune-epochs', '1', '--scratch-epochs', '0', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  let m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(m.top_block, ['block3_conv1_conv_Conv']);
  assert.ok((m.transfer_test_accuracy as number) >= 0.8, String(m.transfer_test_accuracy));
  assert.equal(m.scratch_test_accuracy, null);
  // Keras .h5 (a committed fixture: 8x8 RGB in, conv/bn/pool/conv/dense/dropout/dense): RGB PNGs of
  // two colours, resized from 12x10 to the base's 8x8.
  const data = join(tmp, 'colours');
  for (const [name, ch] of [['red', 0], ['blue', 2]] as const) {
    mkdirSync(join(data, name), { recursive: true });
    for (let i = 0; i < 15; i++) {
      const png = new PNG({ width: 10, height: 12 });
      for (let p = 0; p < 120; p++) {
        for (let c = 0; c < 3; c++) png.data[p * 4 + c] = c === ch ? 150 + ((p * 7 + i * 13) % 100) : (p * 31 + i) % 90;
        png.data[p * 4 + 3] = 255;
      }
      writeFileSync(join(data, name, `${i}.png`), PNG.sync.write(png));
    }
  }
  const h5 = join(dirname(cli), '..', '..', '..', 'test', 'interop', 'fixtures', 'keras', 'seq_cnn.h5');
  out = join(tmp, 'h5-run');
  r = run('--base', h5, '--data', data, '--preprocess', 'caffe', '--epochs', '20', '--fine-tune-epochs', '1', '--scratch-epochs', '1', '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr + r.stdout);
  m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(m.classes, ['blue', 'red']);
  assert.deepEqual(m.image_shape, [8, 8, 3]);
  assert.deepEqual(m.top_block, ['conv2d_1', 'dense', 'dense_1']);
  assert.equal(m.train_samples, 24);
  assert.equal(typeof m.transfer_test_accuracy, 'number');
  assert.equal(m.preprocess, 'caffe');
  // Keras' caffe mode is for RGB: gray photos are refused in one line.
  r = run('--base', onnx, '--data', join(tmp, 'photos'), '--preprocess', 'caffe', '--out', join(tmp, 'bad'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^gradlab: --preprocess caffe needs RGB images \(3 channels\); these have 1\n$/);
});
