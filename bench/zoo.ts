// Training speed on CNNs nobody tuned for: the models of bench/zoo-models.json (Keras' MNIST CNN,
// LeNet-5 as published, batch normalization, strided, separable, 1-D, an autoencoder, ...) built
// from one spec by gradlab and by PyTorch (bench/torch_zoo.py), trained with Adam on seeded random
// data. Images/s on every fast backend against PyTorch on 1 and 2 threads.
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

async function gradlab(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const before = gl.getBackend();
  for (const backend of gl.listBackends().filter((b) => b !== 'js')) {
    gl.setBackend(backend);
    for (const m of MODELS) {
      const x = gl.rand([m.n, ...m.input], { seed: 5 });
      const last = m.layers[m.layers.length - 1];
      const y = m.loss ? x : gl.randint(0, last[1] as number, [m.n], { seed: 6 });
      gl.manualSeed(0);
      const model = build(m);
      model.compile({ optimizer: 'adam', loss: m.loss ?? 'sparse_categorical_crossentropy' });
      await model.fit(gl.slice(x, [0], [m.batch * 4]), gl.slice(y, [0], [m.batch * 4]), { epochs: 1, batchSize: m.batch, verbose: 0, seed: 1 });
      let best = 0;
      for (let round = 0; round < 2; round++) {
        const t = performance.now();
        await model.fit(x, y, { epochs: 1, batchSize: m.batch, verbose: 0, seed: 1 });
        best = Math.max(best, m.n / ((performance.now() - t) / 1000));
      }
      rows.push(...emit([{ workload: workload(m), impl: `gradlab ${backend}`, value: best, unit: 'images/s', note: `${m.n} samples, best of 2 epochs` }]));
    }
  }
  gl.setBackend(before);
  return rows;
}

function torch(threads: number): BenchRow[] {
  const impl = threads > 1 ? 'pytorch' : 'pytorch, 1 thread';
  const missing = torchMissing();
  const failed = (note: string) => MODELS.map((m) => ({ workload: workload(m), impl, value: NaN, unit: 'images/s', note }));
  if (missing) return failed(missing);
  const r = runPython('torch_zoo.py', { threads, impl, models: MODELS.map((m) => ({ ...m, workload: workload(m) })) }, 900_000);
  return typeof r === 'string' ? failed(r) : r;
}

export async function run(): Promise<BenchRow[]> {
  return [...await gradlab(), ...emit(torch(2)), ...emit(torch(1))];
}
