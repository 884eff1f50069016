// Training speed on CNNs nobody tuned for: the models of bench/zoo-models.json (Keras' MNIST CNN,
// LeNet-5 as published, batch normalization, strided, separable, 1-D, an autoencoder, ...) built
// from one spec by gradlab and by PyTorch (bench/torch_zoo.py), trained with Adam on seeded random
// data. Images/s on every fast backend against PyTorch on 1 and 2 threads, measured model by model
// in alternating rounds.
import { readFileSync } from 'node:fs';
import * as gl from '../src/index.js';
import { benchFile, emit, runPython, torchMissing, type BenchRow } from './common.js';

type LayerSpec = [string, ...(number | string | null)[]];
interface ZooModel { name: string; what: string; input: number[]; batch: number; n: number; loss?: 'mse'; layers: LayerSpec[] }

const MODELS = (JSON.parse(readFileSync(benchFile('zoo-models.json'), 'utf8')) as { models: ZooModel[] }).models;
const workload = (m: ZooModel): string => `zoo ${m.name}: ${m.what}`;

function build(m: ZooModel): gl.Sequential {
  const L = gl.layers;
  const layers = m.layers.map((spec, i) => {
    const [kind, a, b, c, d, e] = spec;
    const first = i === 0 ? { inputShape: m.input } : {};
    const act = (v: unknown) => (v ? { activation: v as gl.ActivationName } : {});
    switch (kind) {
      case 'conv': return L.conv2d({ ...first, filters: a as number, kernelSize: b as number, strides: c as number, padding: d as 'same' | 'valid', ...act(e) });
      case 'conv1d': return L.conv1d({ ...first, filters: a as number, kernelSize: b as number, padding: c as 'same' | 'valid', ...act(d) });
      case 'sep': return L.separableConv2d({ ...first, filters: a as number, kernelSize: b as number, padding: c as 'same' | 'valid', ...act(d) });
      case 'convT': return L.conv2dTranspose({ ...first, filters: a as number, kernelSize: b as number, strides: c as number, padding: 'same', ...act(d) });
      case 'maxpool': return L.maxPooling2d({ poolSize: a as number });
      case 'avgpool': return L.averagePooling2d({ poolSize: a as number });
      case 'maxpool1d': return L.maxPooling1d({ poolSize: a as number });
      case 'dropout': return L.dropout({ rate: a as number });
      case 'bn': return L.batchNormalization();
      case 'relu': return L.activation({ activation: 'relu' });
      case 'gap': return L.globalAveragePooling2d();
      case 'gmp': return L.globalMaxPooling2d();
      case 'flatten': return L.flatten();
      case 'dense': return L.dense({ units: a as number, ...act(b) });
      default: throw new Error(`bench/zoo-models.json: model ${m.name}: unknown layer kind ${kind}`);
    }
  });
  return gl.sequential({ layers });
}

/** Rounds per model: gradlab's backends, then PyTorch on 2 threads and on 1, in turn. */
const ROUNDS = Number(process.env.BENCH_ZOO_ROUNDS ?? 2);

/** A gradlab model built and compiled on `backend`, warmed up, with its data. */
async function prepare(m: ZooModel, backend: string): Promise<{ model: gl.Sequential; x: gl.Tensor; y: gl.Tensor }> {
  gl.setBackend(backend);
  const x = gl.rand([m.n, ...m.input], { seed: 5 });
  const last = m.layers[m.layers.length - 1];
  const y = m.loss ? x : gl.randint(0, last[1] as number, [m.n], { seed: 6 });
  gl.manualSeed(0);
  const model = build(m);
  model.compile({ optimizer: 'adam', loss: m.loss ?? 'sparse_categorical_crossentropy' });
  await model.fit(gl.slice(x, [0], [m.batch * 4]), gl.slice(y, [0], [m.batch * 4]), { epochs: 1, batchSize: m.batch, verbose: 0, seed: 1 });
  return { model, x, y };
}

function torch(m: ZooModel, threads: number, missing: string | null): BenchRow {
  const impl = threads > 1 ? 'pytorch' : 'pytorch, 1 thread';
  if (missing) return { workload: workload(m), impl, value: NaN, unit: 'images/s', note: missing };
  const r = runPython('torch_zoo.py', { threads, impl, models: [{ ...m, workload: workload(m) }] }, 300_000);
  return typeof r === 'string' ? { workload: workload(m), impl, value: NaN, unit: 'images/s', note: r } : r[0];
}

/**
 * Per model, ROUNDS alternating rounds of two epochs each for every implementation; each reports
 * its best epoch. This VM's speed drifts by up to 2x over minutes: measuring each model's rivals
 * seconds apart, in turn, gives them the same conditions.
 */
export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const before = gl.getBackend();
  const backends = gl.listBackends().filter((b) => b !== 'js');
  const missing = torchMissing();
  for (const m of MODELS) {
    const best = new Map<string, BenchRow>();
    const keep = (r: BenchRow) => { const b = best.get(r.impl); if (!b || !(b.value >= r.value)) best.set(r.impl, r); };
    const models = new Map<string, Awaited<ReturnType<typeof prepare>>>();
    for (const backend of backends) models.set(backend, await prepare(m, backend));
    // without PyTorch there is nothing to alternate with: one round
    const rounds = missing ? 1 : ROUNDS;
    for (let round = 0; round < rounds; round++) {
      for (const [backend, { model, x, y }] of models) {
        gl.setBackend(backend);
        for (let epoch = 0; epoch < 2; epoch++) {
          const t = performance.now();
          await model.fit(x, y, { epochs: 1, batchSize: m.batch, verbose: 0, seed: 1 });
          keep({ workload: workload(m), impl: `gradlab ${backend}`, value: m.n / ((performance.now() - t) / 1000), unit: 'images/s' });
        }
      }
      keep(torch(m, 2, missing));
      keep(torch(m, 1, missing));
    }
    const note = `${m.n} samples, best of ${2 * rounds} epochs` + (rounds > 1 ? ` in ${rounds} alternating rounds` : '');
    for (const r of best.values()) rows.push(...emit([{ ...r, note: Number.isNaN(r.value) ? r.note : [r.note, note].filter(Boolean).join('; ') }]));
  }
  gl.setBackend(before);
  return rows;
}
