// A save killed at a random moment (SIGKILL: no clean-up runs) leaves the old model or the new one,
// never a mix, and the next save leaves no stray files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';

const child = fileURLToPath(new URL('./save-kill-child.js', import.meta.url));

function net(seed: number): gl.Sequential {
  gl.manualSeed(seed);
  // 2 x 256 x 512 weights: about 1 MB a save, so a kill often lands inside one.
  return gl.sequential({ layers: [gl.layers.dense({ inputShape: [256], units: 512, activation: 'tanh' }), gl.layers.dense({ units: 256 })] });
}

/** Starts the saving child, kills it `delay` ms after it is ready, and resolves once it is gone. */
function killDuringSaves(args: string[], delay: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) setTimeout(() => p.kill('SIGKILL'), delay);
    });
    p.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited with ${code}: ${err}`))));
  });
}

test('SIGKILL during saves leaves the old or the new model, and the next save cleans up', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'gradlab-kill-'));
  const [a, b] = [net(1), net(2)];
  await a.save(join(root, 'a'));
  await b.save(join(root, 'b'));
  const dir = join(root, 'target');
  await a.save(dir);
  const x = gl.rand([2, 256], { seed: 3 });
  const want = [a, b].map((m) => Array.from(m.predict(x).data));
  const r = new gl.Random(99);
  const outcome = { trials: 0, a: 0, b: 0, leftovers: 0 };
  const start = Date.now();
  while (outcome.trials < 30 && (outcome.trials < 20 || Date.now() - start < 8_000)) {
    await killDuringSaves([dir, join(root, 'a'), join(root, 'b')], r.int(0, 120));
    outcome.trials++;
    if (readdirSync(dir).some((f) => f.endsWith('.tmp') || f === '.save.lock' || !/^(model\.json|weights-[0-9a-f]{16}\.safetensors)$/.test(f) || readdirSync(dir).length > 2)) outcome.leftovers++;
    const got = Array.from((await gl.loadModel(dir)).predict(x).data);
    const which = want.findIndex((w) => w.every((v, i) => v === got[i]));
    assert.ok(which >= 0, `trial ${outcome.trials}: the loaded model is neither the old nor the new one`);
    outcome[which === 0 ? 'a' : 'b']++;
  }
  console.log(`kill during save: ${outcome.trials} trials in ${((Date.now() - start) / 1000).toFixed(1)} s; loaded model A ${outcome.a} times, B ${outcome.b}; ${outcome.leftovers} kills left temporary files or a lock behind; 0 broken`);
  await b.save(dir);
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 2, `left after one more save: ${files.join(', ')}`);
  assert.equal(files[0], 'model.json');
  assert.match(files[1], /^weights-[0-9a-f]{16}\.safetensors$/);
  assert.ok(outcome.a > 0 && outcome.b > 0, 'the kills landed at different points of the save loop');
});
