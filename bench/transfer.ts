// `gradlab transfer` with its defaults, end to end as a user runs it (the lab of issue 12): wall
// seconds of the whole command, and the two accuracies it reports. One run: it takes seconds
// and trains, so repeating it would only measure the machine's drift.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { emit, tmpDir, type BenchRow } from './common.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

export async function run(): Promise<BenchRow[]> {
  const out = join(mkdtempSync(join(tmpDir(), 'transfer-')), 'run');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'transfer', '--quiet', '--out', out], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`gradlab transfer failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, number>;
  const impl = 'gradlab wasm';
  const workload = 'gradlab transfer, defaults (shipped digits-0-4 base, 20 images of digits 5-9)';
  return emit([
    { workload: `${workload}: wall time`, impl, value: seconds, unit: 's' },
    { workload: `${workload}: test accuracy`, impl: 'transfer', value: 100 * m.transfer_test_accuracy, unit: '%' },
    { workload: `${workload}: test accuracy`, impl: 'from scratch (same network, same images)', value: 100 * m.scratch_test_accuracy, unit: '%' },
  ]);
}
