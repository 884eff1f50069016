// VGG16 block 1 at 224x224: 2x224x224x3 -> conv 64 3x3 same relu -> conv 64 3x3 same relu -> max
// pool 2x2, forward (inference) and forward + backward (the weights' gradients of sum(output)),
// on every registered fast backend (setBackend over listBackends; the js reference would take
// minutes) against PyTorch on 2 threads, through gradlab's public API.
import * as gl from '../src/index.js';
import { emit, runPython, timeMs, torchMissing, type BenchRow, type TimeOptions } from './common.js';

const B = 2;
const S = 224;
const FWD = `VGG16 block 1 (${B}x${S}x${S}x3 -> 64 -> 64, 3x3 same, max pool), forward`;
const BWD = `VGG16 block 1 (${B}x${S}x${S}x3 -> 64 -> 64, 3x3 same, max pool), forward + backward`;
// calls take 50-1000 ms: one warm-up, then at least 3
const OPTS: TimeOptions = { warmCalls: 1, warmMs: 0, minReps: 3, minMs: 1000, maxReps: 7 };

function block1(): gl.Sequential {
  return gl.sequential({ layers: [
    gl.layers.conv2d({ inputShape: [S, S, 3], filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.maxPooling2d({ poolSize: 2 }),
  ] });
}

async function gradlab(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const before = gl.getBackend();
  const x = gl.randn([B, S, S, 3], { seed: 3 });
  for (const backend of gl.listBackends().filter((b) => b !== 'js')) {
    gl.setBackend(backend);
    gl.manualSeed(0);
    const net = block1();
    const impl = `gradlab ${backend}`;
    rows.push(...emit([{ workload: FWD, impl, value: await timeMs(() => net.predict(x), OPTS), unit: 'ms' }]));
    const step = () => gl.sum(net.apply(x, true)).backward();
    rows.push(...emit([{ workload: BWD, impl, value: await timeMs(step, OPTS), unit: 'ms' }]));
  }
  gl.setBackend(before);
  return rows;
}

function torch(): BenchRow[] {
  const impl = 'pytorch (2 threads)';
  const missing = torchMissing();
  if (missing) return [FWD, BWD].map((workload) => ({ workload, impl, value: NaN, unit: 'ms', note: missing }));
  const r = runPython('torch_vgg16block1.py', { threads: 2, impl, batch: B, size: S, fwd: FWD, bwd: BWD }, 600_000);
  return typeof r === 'string' ? [FWD, BWD].map((workload) => ({ workload, impl, value: NaN, unit: 'ms', note: r })) : r;
}

export async function run(): Promise<BenchRow[]> {
  return [...await gradlab(), ...emit(torch())];
}
