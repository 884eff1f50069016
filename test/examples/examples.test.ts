// Runs every course example as its own process: each asserts its answers and exits non-zero on a wrong one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
// The labs (E1-E3) train on real data for minutes: they run by hand or in benchmarks, not here.
const isLab = (f: string) => /^e\d/.test(f);
// E3 runs on a small slice in seconds.
const labsInSuite = new Set(['e3_transfer_learning.js']);
const files = readdirSync(dir).filter((f) => f.endsWith('.js') && (!isLab(f) || labsInSuite.has(f))).sort();
const out = mkdtempSync(join(tmpdir(), 'gradlab-examples-'));

test('there are examples for COURSE parts A and B', () => {
  for (const p of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'b1', 'b2', 'b3', 'b4']) {
    assert.ok(files.some((f) => f.startsWith(p + '_')), `no example for ${p.toUpperCase()}`);
  }
});

for (const f of files) {
  test(`example ${f}`, () => {
    execFileSync(process.execPath, [join(dir, f)], { stdio: 'pipe', env: { ...process.env, GRADLAB_OUT: out }, timeout: 120_000 });
  });
}
