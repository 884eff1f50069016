// A CIFAR-size CNN trained with Adam, batch 32: 32x32x3 -> conv 32 -> conv 32 -> pool -> conv 64
// -> conv 64 -> pool -> dense 10 (3x3 same convs, relu), on random images and labels drawn from a
// fixed seed. Training images/s on every registered fast backend (setBackend over listBackends)
// against PyTorch on 1 and 2 threads, through gradlab's public API (sequential, compile, fit).
import * as gl from '../src/index.js';
import { emit, runPython, torchMissing, type BenchRow } from './common.js';

const N = Number(process.env.BENCH_CIFAR_N ?? 1024);
const BATCH = 32;
const WORKLOAD = `CIFAR-size CNN training (32x32x3, conv 32-32-pool-64-64-pool-dense 10, batch ${BATCH}, Adam)`;

function cnn(): gl.Sequential {
  return gl.sequential({ layers: [
    gl.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.maxPooling2d({ poolSize: 2 }),
    gl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.maxPooling2d({ poolSize: 2 }),
    gl.layers.flatten(),
    gl.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

async function gradlab(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const before = gl.getBackend();
  const x = gl.rand([N, 32, 32, 3], { seed: 5 });
  const y = gl.randint(0, 10, [N], { seed: 6 });
  for (const backend of gl.listBackends().filter((b) => b !== 'js')) {
    gl.setBackend(backend);
    gl.manualSeed(0);
    const m = cnn();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    // warm-up: a few steps, so the JIT and the kernels' buffers are ready
    await m.fit(gl.slice(x, [0], [BATCH * 4]), gl.slice(y, [0], [BATCH * 4]), { epochs: 1, batchSize: BATCH, verbose: 0, seed: 1 });
    let best = 0;
    for (let round = 0; round < 2; round++) {
      const t = performance.now();
      await m.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0, seed: 1 });
      best = Math.max(best, N / ((performance.now() - t) / 1000));
    }
    rows.push(...emit([{ workload: WORKLOAD, impl: `gradlab ${backend}`, value: best, unit: 'images/s', note: `${N} images, best of 2 epochs` }]));
  }
  gl.setBackend(before);
  return rows;
}

function torch(threads: number): BenchRow[] {
  const impl = threads > 1 ? 'pytorch' : 'pytorch, 1 thread';
  const missing = torchMissing();
  if (missing) return [{ workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: missing }];
  const r = runPython('torch_cifar.py', { threads, impl, n: N, batch: BATCH, workload: WORKLOAD }, 600_000);
  return typeof r === 'string' ? [{ workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: r }] : r;
}

export async function run(): Promise<BenchRow[]> {
  return [...await gradlab(), ...emit(torch(2)), ...emit(torch(1))];
}
