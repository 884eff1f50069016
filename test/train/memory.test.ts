import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('memory stays bounded over a long training run (no dispose needed)', () => {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.js');
  const out = execFileSync(process.execPath, ['--expose-gc', child], { encoding: 'utf8', timeout: 120_000 });
  const samples = JSON.parse(out.trim().split('\n').pop()!) as number[];
  // 6 phases of 160 training steps each: the last three retain no more than the first three.
  const early = Math.max(...samples.slice(0, 3));
  const late = Math.max(...samples.slice(3));
  assert.ok(late - early < 1024 * 1024, `retained memory grew by ${((late - early) / 1048576).toFixed(1)} MiB: ${samples.map((s) => (s / 1048576).toFixed(1)).join(', ')} MiB after each phase`);
});
