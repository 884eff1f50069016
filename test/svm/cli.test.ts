import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSvmCommand } from '../../src/cli/svm.js';
import { load, SVC } from '../../src/svm/index.js';

test('gradlab svm fits a CSV, writes metrics.json and a loadable model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-svm-cli-'));
  try {
    const lines = ['a,b,label'];
    for (let i = 0; i < 120; i++) {
      const c = i % 2;
      lines.push(`${(c * 3 + Math.sin(i)).toFixed(4)},${(Math.cos(i * 1.7) - c).toFixed(4)},${c}`);
    }
    writeFileSync(join(dir, 'd.csv'), lines.join('\n') + '\n');
    const program = new Command().exitOverride();
    registerSvmCommand(program);
    const logs: string[] = [];
    const log = console.log;
    console.log = (s: string) => { logs.push(s); };
    try {
      await program.parseAsync(['svm', '--data', join(dir, 'd.csv'), '--kernel', 'linear', '--C', '0.5', '--out', join(dir, 'run'), '--quiet'], { from: 'user' });
    } finally {
      console.log = log;
    }
    const m = JSON.parse(readFileSync(join(dir, 'run', 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(m.kernel, 'linear');
    assert.equal(m.C, 0.5);
    assert.equal(m.train_samples, 96);
    assert.equal(m.test_samples, 24);
    assert.ok((m.test_accuracy as number) > 0.9, `accuracy ${m.test_accuracy}`);
    assert.ok(logs.some((l) => /^Support vectors: \d+ of 96/.test(l)));
    const model = await load(join(dir, 'run', 'model'));
    assert.ok(model instanceof SVC);
    assert.equal(model.nSupport.reduce((a, b) => a + b, 0), m.support_vectors);
    await assert.rejects(program.parseAsync(['svm', '--C', '-1', '--quiet'], { from: 'user' }), /--C must be a positive number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
