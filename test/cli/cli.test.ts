import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('gradlab train writes a model and metrics.json and prints the test accuracy', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'gradlab-cli-')), 'run');
  const r = run('train', '--train-size', '256', '--test-size', '128', '--epochs', '1', '--batch-size', '32', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /lenet5/);
  assert.match(r.stdout, /Epoch 1\/1\n8\/8 \[=+\]/);
  assert.match(r.stdout, /Test accuracy: \d+\.\d\d% \(loss \d\.\d{4}\) after 1 epoch in/);
  assert.match(r.stdout, /1 epoch, batch 32, .*; validating on the last 26 training samples\n/);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  for (const k of ['test_loss', 'test_accuracy', 'history', 'seconds', 'images_per_second']) assert.ok(k in m, k);
  // Keras' validation_split: the last 10% of the 256 samples validate, the test set is scored once.
  assert.equal(m.train_samples, 230);
  assert.equal(m.validation_samples, 26);
  assert.equal(m.history.val_accuracy.length, 1);
  assert.notEqual(m.history.val_accuracy[0], m.test_accuracy);
  assert.equal(m.history.loss.length, 1);
  assert.ok(existsSync(join(out, 'model', 'model.json')) && readdirSync(join(out, 'model')).some((f) => /^weights-[0-9a-f]{16}\.safetensors$/.test(f)));
  const e = run('evaluate', join(out, 'model'), '--test-size', '128');
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`accuracy: ${m.test_accuracy.toFixed(4)}`));
  const p = run('predict', join(out, 'model'), 'mnist:0-2');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^0: class \d \(p = 0\.\d{4}\) true 7\n1: class \d .* true 2\n2: .* true 1\n$/);
  const list = run('predict', join(out, 'model'), 'mnist:0,3,5-6');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^0: class \d \(p = 0\.\d{4}\) true 7\n3: class \d .* true 0\n5: .* true 1\n6: .* true 4\n$/);
  const none = run('train', '--train-size', '64', '--test-size', '32', '--epochs', '1', '--validation-split', '0', '--quiet', '--out', join(out, '..', 'run0'));
  assert.equal(none.status, 0, none.stderr);
  const m0 = JSON.parse(readFileSync(join(out, '..', 'run0', 'metrics.json'), 'utf8'));
  assert.equal(m0.validation_samples, 0);
  assert.deepEqual(Object.keys(m0.history).sort(), ['accuracy', 'loss']);
});

test('mistakes give one clear line and exit code 2', () => {
  const u = run('train', '--bogus');
  assert.equal(u.status, 2);
  assert.equal(u.stderr.trim().split('\n').length, 1);
  assert.match(u.stderr, /unknown option '--bogus'/);
  const f = run('evaluate', '/no/such/model');
  assert.equal(f.status, 2);
  assert.equal(f.stderr.trim(), "gradlab: model '/no/such/model' does not exist");
  const d = run('train', '--data', '/no/such.csv');
  assert.equal(d.status, 2);
  assert.match(d.stderr, /^gradlab: --data: '\/no\/such.csv' is neither 'mnist', 'fashion-mnist' nor an existing CSV file\n$/);
  const n = run('train', '--epochs', 'ten');
  assert.equal(n.status, 2);
  assert.match(n.stderr, /--epochs must be a non-negative integer, got 'ten'/);
  const v = run('train', '--validation-split', '1');
  assert.equal(v.status, 2);
  assert.match(v.stderr, /^gradlab: --validation-split must be a number from 0 up to \(not including\) 1, got '1'\n$/);
  const bad = run('predict', '/no/such/model', 'mnist:3,x');
  assert.equal(bad.status, 2);
  const idx = run('predict', join(dirname(cli), '..', '..', '..', 'pretrained', 'mnist-digits-0-4'), 'mnist:3,x');
  assert.equal(idx.status, 2, idx.stdout);
  assert.match(idx.stderr, /^gradlab: mnist:3,x: 'x' is not an index or a range such as 0-9/);
  const h = run('train', '--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--batch-size <n>/);
});

test('gradlab train on a CSV file with the mlp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-csv-'));
  const rows = ['a,b,label'];
  for (let i = 0; i < 120; i++) {
    const c = i % 2;
    rows.push(`${(c ? 2 : -2) + Math.sin(i)},${(c ? -1 : 1) + Math.cos(i)},${c}`);
  }
  writeFileSync(join(dir, 'd.csv'), rows.join('\n'));
  const r = run('train', '--data', join(dir, 'd.csv'), '--model', 'mlp', '--epochs', '20', '--lr', '0.01', '--quiet', '--out', join(dir, 'run'));
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8'));
  assert.equal(m.test_samples, 24);
  assert.ok(m.test_accuracy > 0.9, `accuracy ${m.test_accuracy}`);
  const bad = run('train', '--data', join(dir, 'd.csv'), '--model', 'lenet', '--quiet');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--model lenet needs image data/);
});

test('gradlab svm: one progress line, and its folder works in summary, evaluate and predict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-cli-'));
  const r = run('svm', '--train-size', '200', '--test-size', '50', '--out', join(dir, 'run'));
  assert.equal(r.status, 0, r.stderr);
  // stderr is not a terminal here: one line for the whole fit, none per subproblem.
  assert.match(r.stderr, /^Fitted 45 one-vs-one subproblems in \d+\.\d s \([\d,]+ SMO iterations\)\n$/);
  assert.match(r.stdout, /[\d,]+ SMO iterations over 45 one-vs-one subproblems/);
  const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
  assert.match(html, /<th scope="row">test accuracy<\/th><td>\d+\.\d\d%<\/td>/);
  assert.doesNotMatch(html, /n_support|&quot;/);
  const verbose = run('svm', '--train-size', '200', '--test-size', '50', '--verbose', '--out', join(dir, 'run2'));
  assert.equal(verbose.status, 0, verbose.stderr);
  assert.equal(verbose.stderr.match(/^fitting: subproblem \d+\/45 /gm)?.length, 45);
  const model = join(dir, 'run', 'model');
  const m = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8'));
  const s = run('summary', model);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /^SVC\(kernel=rbf, C=1, gamma=0\.\d+\)\n10 classes \(0, 1, .*\), 784 features\n\d+ support vectors/);
  const e = run('evaluate', model, '--test-size', '50');
  assert.equal(e.status, 0, e.stderr);
  assert.equal(e.stdout, `accuracy: ${m.test_accuracy.toFixed(4)} (50 samples of mnist)\n`);
  const p = run('predict', model, 'mnist:0,3');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^0: class \d true 7\n3: class \d true 0\n$/);
});

test('an SVR folder is refused by the command line in one line that points at gl.svm.load', async () => {
  const gl = await import('../../src/index.js');
  const dir = join(mkdtempSync(join(tmpdir(), 'gradlab-cli-svr-')), 'svr');
  const x = gl.tensor([[0], [1], [2], [3], [4]]);
  const svr = new gl.svm.SVR({ kernel: 'linear', C: 10, epsilon: 0.1 });
  svr.fit(x, [0, 1, 2, 3, 4]);
  await gl.svm.save(svr, dir);
  const r = run('summary', dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^gradlab: '.*svr' holds a regression or one-class SVM \(SVR\); the command line reads SVM classifiers \(SVC, LinearSVC\) only; use gl.svm.load/);
});
