import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, ValueError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Sequential } from '../nn/sequential.js';
import { layerFromConfig } from '../nn/layers.js';
import { resolveOptimizer } from '../optim/index.js';
import '../train/fit.js';
import { writeFileAtomic } from '../core/atomic.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';

interface SavedModel {
  format: 'gradlab-sequential';
  version: 1;
  name: string;
  inputShape: number[];
  layers: { className: string; config: Record<string, unknown> }[];
  compile: ReturnType<Sequential['compileConfig']>;
}

declare module '../nn/sequential.js' {
  interface Sequential {
    /**
     * Writes `model.json` (topology and compile settings) and `weights.safetensors` into dir,
     * each atomically (temp file + rename), so a crash never leaves a torn file.
     */
    save(dir: string): Promise<void>;
  }
}

Sequential.prototype.save = async function (this: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`${this.name}.save: dir must be a non-empty path`);
  if (!this.built) throw new ValueError(`${this.name}.save: the model is not built yet (give the first layer an inputShape, or fit/predict first)`);
  const tensors: Record<string, Tensor> = {};
  for (const l of this.layers) for (const w of l.weights) tensors[`${l.name}/${w.role}`] = w.tensor;
  const saved: SavedModel = {
    format: 'gradlab-sequential',
    version: 1,
    name: this.name,
    inputShape: this.inputShape!,
    layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
    compile: this.compileConfig(),
  };
  await mkdir(dir, { recursive: true });
  // Weights first: a model.json on disk always has its weights beside it.
  await writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'gradlab', model: this.name });
  await writeFileAtomic(join(dir, MODEL_FILE), JSON.stringify(saved, null, 2) + '\n');
};

/** Restores a model written by `model.save(dir)`: the same layers, weights and compile settings. */
export async function loadModel(dir: string): Promise<Sequential> {
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) throw new FormatError(`loadModel: no ${MODEL_FILE} in ${dir} (is it a folder written by model.save()?)`);
  let saved: SavedModel;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedModel;
  } catch (e) {
    throw new FormatError(`loadModel: ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (saved?.format !== 'gradlab-sequential' || !Array.isArray(saved.layers) || !Array.isArray(saved.inputShape)) {
    throw new FormatError(`loadModel: ${file} is not a gradlab model (format ${JSON.stringify(saved?.format)})`);
  }
  const model = new Sequential({ name: saved.name });
  saved.layers.forEach((l, i) => {
    const config = i === 0 ? { ...l.config, inputShape: saved.inputShape } : { ...l.config };
    if (i > 0) delete config.inputShape;
    model.add(layerFromConfig(l.className, config));
  });
  if (!model.built) model.build(saved.inputShape);
  const { tensors } = await readSafetensors(join(dir, WEIGHTS_FILE));
  for (const l of model.layers) {
    for (const w of l.weights) {
      const key = `${l.name}/${w.role}`;
      const t = tensors[key];
      if (!t) throw new FormatError(`loadModel: ${join(dir, WEIGHTS_FILE)} has no tensor '${key}'`);
      if (t.size !== w.tensor.size || t.shape.some((d, i) => d !== w.tensor.shape[i])) {
        throw new FormatError(`loadModel: '${key}' has shape ${fmtShape(t.shape)} in the file but the layer needs ${fmtShape(w.tensor.shape)}`);
      }
      w.tensor.data.set(t.data);
    }
  }
  if (saved.compile && saved.compile.loss) {
    model.compile({
      optimizer: resolveOptimizer('loadModel', saved.compile.optimizer.name, saved.compile.optimizer.config),
      loss: saved.compile.loss as 'mse',
      metrics: saved.compile.metrics,
    });
  }
  return model;
}
