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
  assert.match(r.stdout, /Test accuracy: \d+\.\d\d% \(loss \d\.\d{4}\) after 1 epochs/);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  for (const k of ['test_loss', 'test_accuracy', 'history', 'seconds', 'images_per_second']) assert.ok(k in m, k);
  assert.equal(m.train_samples, 256);
  assert.equal(m.history.loss.length, 1);
  assert.ok(existsSync(join(out, 'model', 'model.json')) && readdirSync(join(out, 'model')).some((f) => /^weights-[0-9a-f]{16}\.safetensors$/.test(f)));
  const e = run('evaluate', join(out, 'model'), '--test-size', '128');
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`accuracy: ${m.test_accuracy.toFixed(4)}`));
  const p = run('predict', join(out, 'model'), 'mnist:0-2');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^0: class \d \(p = 0\.\d{4}\) true 7\n1: class \d .* true 2\n2: .* true 1\n$/);
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
