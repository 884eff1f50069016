// VGG16's convolutional base (13 3x3 convs + 5 max-pools, Keras' include_top=False) inference on
// 224x224x3 images, batch 8, in images/s: gradlab, PyTorch on the same weights, and
// onnxruntime-node on the same model exported with gl.io.saveOnnx. Each peer's output is
// compared with gradlab's (max |difference| in the note), so all three compute the same thing.
// Run alone: npm run bench -- vgg16 (or node dist/bench/vgg16.js).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../src/index.js';
import { emit, randomF32, runPython, tmpDir, torchMissing, type BenchRow } from './common.js';

export const WORKLOAD = 'VGG16 conv base inference, 224x224x3, batch 8';
const BATCH = Number(process.env.BENCH_VGG_BATCH ?? 8);
const SIZE = Number(process.env.BENCH_VGG_SIZE ?? 224);
// timed batches after one warm-up batch; each implementation reports its best round
const ROUNDS = Number(process.env.BENCH_VGG_ROUNDS ?? 3);

/** Filters per block, as Keras' VGG16 (block1_conv1 ... block5_pool). */
const BLOCKS: readonly number[][] = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

/** Keras' VGG16 convolutional base (include_top=False) with fresh weights: gl.applications.vgg16. */
export function vgg16Base(size: number): Promise<gl.Model> {
  return gl.applications.vgg16({ includeTop: false, weights: null, inputShape: [size, size, 3] });
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function rate(ms: number): number {
  return BATCH / (ms / 1000);
}

async function bestMs(fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function onnxRows(m: gl.Model, x: Float32Array, want: Float32Array): Promise<BenchRow[]> {
  const impl = 'onnxruntime-node (2 threads)';
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    return [{ workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: 'skipped: onnxruntime-node not installed' }];
  }
  const file = join(tmpDir(), `vgg16-${process.pid}.onnx`);
  await gl.io.saveOnnx(m, file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [BATCH, SIZE, SIZE, 3]) };
  let out: Float32Array = new Float32Array(0);
  const ms = await bestMs(async () => {
    const r = await session.run(feeds);
    out = r[session.outputNames[0]].data as Float32Array;
  });
  await session.release();
  return [{ workload: WORKLOAD, impl, value: rate(ms), unit: 'images/s', note: `max |onnxruntime - gradlab| ${maxAbsDiff(out, want).toExponential(1)}` }];
}

function torchRows(m: gl.Model, x: Float32Array, want: Float32Array): BenchRow[] {
  const impl = 'pytorch (2 threads)';
  const missing = torchMissing();
  if (missing) return [{ workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: missing }];
  const dir = tmpDir();
  const files = { x: join(dir, 'vgg16-x.f32'), weights: join(dir, 'vgg16-w.f32'), want: join(dir, 'vgg16-want.f32') };
  writeFileSync(files.x, x);
  writeFileSync(files.want, want);
  // the 13 convs' kernels [3, 3, in, out] then biases, in layer order
  const convs = m.layers.filter((l) => l.className === 'Conv2D');
  const parts = convs.flatMap((l) => l.getWeights().map((t) => Float32Array.from(t.data)));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  writeFileSync(files.weights, all);
  const r = runPython('torch_vgg16.py', { ...files, threads: 2, impl, workload: WORKLOAD, batch: BATCH, size: SIZE,
    rounds: ROUNDS, blocks: BLOCKS }, 600_000);
  return typeof r === 'string' ? [{ workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: r }] : r;
}

export async function run(): Promise<BenchRow[]> {
  gl.manualSeed(16);
  const m = await vgg16Base(SIZE);
  const params = m.countParams();
  const x = randomF32(41, BATCH * SIZE * SIZE * 3).map((v) => (v + 1) * 127.5 - 120); // caffe-like range
  const xt = gl.tensor(x, { shape: [BATCH, SIZE, SIZE, 3] });
  const rows: BenchRow[] = [];
  let want = new Float32Array(0);
  const ms = await bestMs(() => { want = Float32Array.from(m.predict(xt, { batchSize: BATCH }).data); });
  const be = gl.getBackend();
  rows.push(...emit([{ workload: WORKLOAD, impl: `gradlab ${be}`, value: rate(ms), unit: 'images/s',
    note: `${params.toLocaleString('en-US')} parameters, outputs up to ${maxAbs(want).toExponential(1)}, best of ${ROUNDS}` }]));
  rows.push(...emit(torchRows(m, x, want)));
  rows.push(...emit(await onnxRows(m, x, want)));
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await run()) console.log(`${r.impl.padEnd(30)} ${r.value.toFixed(2).padStart(8)} ${r.unit} ${r.note ?? ''}`);
  process.exit(0);
}
