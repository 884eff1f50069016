// Per-op overhead: the fixed cost of one op call (allocation, checks, graph recording) on tiny tensors,
// where the kernel itself is negligible.
import { fileURLToPath } from 'node:url';
import * as gl from '../src/index.js';
import type { BenchRow } from './common.js';

function perCall(f: () => unknown, minMs = 300): number {
  for (let i = 0; i < 1000; i++) f();
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < minMs) {
    for (let i = 0; i < 1000; i++) f();
    n += 1000;
  }
  return ((performance.now() - t) * 1000) / n;
}

export async function run(): Promise<BenchRow[]> {
  const a = gl.randn([4, 4], { seed: 1 });
  const b = gl.randn([4], { seed: 2 });
  const w = gl.randn([4, 4], { seed: 3, requiresGrad: true });
  const rows: BenchRow[] = [
    { workload: 'per-op overhead: add [4,4]+[4], no grad', impl: `gradlab ${gl.getBackend()}`, value: perCall(() => gl.add(a, b)), unit: 'us/op' },
    { workload: 'per-op overhead: matmul [4,4]x[4,4], recorded', impl: `gradlab ${gl.getBackend()}`, value: perCall(() => gl.matmul(a, w)), unit: 'us/op' },
    {
      workload: 'per-op overhead: forward+backward of 4 ops',
      impl: `gradlab ${gl.getBackend()}`,
      value: perCall(() => { w.grad = null; gl.sum(gl.relu(gl.add(gl.matmul(a, w), b))).backward(); }) / 4,
      unit: 'us/op',
    },
  ];
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await run()) console.log(`${r.workload.padEnd(50)} ${r.impl.padEnd(12)} ${r.value.toFixed(2)} ${r.unit}`);
}
