// gradlab's model folders: a model from its description (model.json) and its tensors, every
// entry checked against the architecture before anything is trusted.
import { FormatError, GradlabError, ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, nearestName, optionKeys, showJson } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { resolveOptimizer } from '../optim/index.js';
import { readModelFolder } from '../io/folder.js';
import { findLayerClass, knownLayerClassNames } from './catalog.js';
import { withWeightBudget } from './initializers.js';
import { checkFileTensor, fileTensor } from './weight-files.js';
import { InputLayer, input, type Layer, type SymbolicTensor } from './layer.js';
import { Model, type CompileConfig } from './model.js';
import { Sequential } from './sequential.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A FormatError for any key of `obj` that is not in `known`: a misspelt key must not be silently ignored. */
function checkKeys(fn: string, where: string, obj: Json, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) {
      const near = nearestName(k, known);
      throw new FormatError(`${fn}: ${where} has an unknown key '${k}'${near ? ` (did you mean '${near}'?)` : ''}`);
    }
  }
}

const SEQUENTIAL_CONFIG_KEYS = ['name', 'trainable', 'inputShape', 'dtype', 'layers'];
const FUNCTIONAL_CONFIG_KEYS = ['name', 'trainable', 'layers', 'nodes', 'inputs', 'outputs'];

/** Runs `make`, turning an argument error into a FormatError that says where in the file it is. */
function inFile<T>(fn: string, where: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof GradlabError && !(e instanceof FormatError)) throw new FormatError(`${fn}: ${where}: ${e.message}`);
    throw e;
  }
}

/** A layer (or nested model) from its class name and config, as `getConfig()` wrote them. */
export function layerFromConfig(className: string, config: unknown, fn = 'layerFromConfig'): Layer {
  if (typeof fn !== 'string') throw new ValueError(`layerFromConfig: fn (the name errors give) must be a string, got ${describeValue(fn)}`);
  if (typeof className !== 'string') throw new FormatError(`${fn}: a layer's className must be a string, got ${showJson(className)}`);
  if (!isObject(config)) throw new FormatError(`${fn}: the config of a ${className} layer must be an object, got ${showJson(config)}`);
  if (className === 'Functional' || className === 'Model') return functionalFromConfig(config, fn);
  if (className === 'Sequential') return sequentialFromConfig(config, fn);
  const Ctor = findLayerClass(className);
  if (!Ctor) {
    throw new FormatError(`${fn}: unknown layer class '${className}' (layer '${String(config.name)}'; known: ${knownLayerClassNames().join(', ')}, Functional, Sequential)`);
  }
  return inFile(fn, `layer '${String(config.name)}' (${className})`, () => new Ctor(config));
}

function layerEntries(fn: string, config: Json, owner: string): { className: string; config: Json }[] {
  const layers = config.layers;
  if (!Array.isArray(layers)) throw new FormatError(`${fn}: model '${owner}' has no list of layers`);
  return layers.map((l, i) => {
    if (!isObject(l) || typeof l.className !== 'string' || !isObject(l.config)) throw new FormatError(`${fn}: layer ${i} of model '${owner}' must be { className, config }`);
    checkKeys(fn, `layer ${i} of model '${owner}'`, l, ['className', 'config']);
    return { className: l.className, config: l.config };
  });
}

function sequentialFromConfig(config: Json, fn: string): Sequential {
  const name = String(config.name);
  checkKeys(fn, `the config of model '${name}'`, config, SEQUENTIAL_CONFIG_KEYS);
  const model = inFile(fn, `model '${name}'`, () => new Sequential({ name: config.name as string }));
  if (config.inputShape !== undefined) {
    inFile(fn, `model '${name}' inputShape`, () => model.add(input({ shape: config.inputShape as number[], name: `${name}_input`, dtype: config.dtype as 'float32' })));
  }
  for (const l of layerEntries(fn, config, name)) {
    const layer = layerFromConfig(l.className, l.config, fn);
    inFile(fn, `model '${name}', layer '${layer.name}'`, () => model.add(layer));
  }
  if (config.trainable === false) model.trainable = false;
  return model;
}

function functionalFromConfig(config: Json, fn: string): Model {
  const name = String(config.name);
  checkKeys(fn, `the config of model '${name}'`, config, FUNCTIONAL_CONFIG_KEYS);
  const byName = new Map<string, Layer>();
  for (const l of layerEntries(fn, config, name)) {
    const layer = l.className === 'InputLayer'
      ? inFile(fn, `model '${name}', input '${String(l.config.name)}'`, () => new InputLayer(l.config as never))
      : layerFromConfig(l.className, l.config, fn);
    if (byName.has(layer.name)) throw new FormatError(`${fn}: model '${name}' has two layers named '${layer.name}'`);
    byName.set(layer.name, layer);
  }
  const made = new Map<string, SymbolicTensor[]>();
  const calls = new Map<string, number>();
  for (const l of byName.values()) if (l instanceof InputLayer) made.set(`${l.name}:0`, [l.output]);
  const lookup = (ref: unknown, where: string): SymbolicTensor => {
    if (!Array.isArray(ref) || ref.length !== 3 || typeof ref[0] !== 'string' || !Number.isInteger(ref[1]) || !Number.isInteger(ref[2])) {
      throw new FormatError(`${fn}: ${where} must be [layerName, nodeIndex, tensorIndex], got ${showJson(ref)}`);
    }
    const t = made.get(`${ref[0]}:${ref[1]}`)?.[ref[2] as number];
    if (!t) throw new FormatError(`${fn}: ${where} refers to ${showJson(ref)}, which no earlier call in model '${name}' makes`);
    return t;
  };
  const nodes = config.nodes;
  if (!Array.isArray(nodes)) throw new FormatError(`${fn}: model '${name}' has no list of nodes`);
  nodes.forEach((nd, i) => {
    if (!isObject(nd) || typeof nd.layer !== 'string' || !Array.isArray(nd.inputs)) throw new FormatError(`${fn}: node ${i} of model '${name}' must be { layer, inputs }`);
    checkKeys(fn, `node ${i} of model '${name}'`, nd, ['layer', 'inputs']);
    const layer = byName.get(nd.layer);
    if (!layer || layer instanceof InputLayer) throw new FormatError(`${fn}: node ${i} of model '${name}' calls '${nd.layer}', which is not one of its layers`);
    const ins = nd.inputs.map((r, k) => lookup(r, `node ${i} ('${nd.layer}') input ${k}`));
    const k = calls.get(layer.name) ?? 0;
    calls.set(layer.name, k + 1);
    made.set(`${layer.name}:${k}`, inFile(fn, `model '${name}', call ${k} of layer '${layer.name}'`, () => layer.applyAll(ins)));
  });
  const refs = (key: 'inputs' | 'outputs') => {
    const v = config[key];
    if (!Array.isArray(v)) throw new FormatError(`${fn}: model '${name}' has no list of ${key}`);
    return v.map((r, i) => lookup(r, `${key}[${i}]`));
  };
  return inFile(fn, `model '${name}'`, () => new Model({ inputs: refs('inputs'), outputs: refs('outputs'), name, ...(config.trainable === false ? { trainable: false } : {}) }));
}

/** A model from the `{ className, config }` that `model.save()` writes into model.json (Keras' model_from_config). */
export function modelFromConfig(description: { className: string; config: unknown }, fn = 'modelFromConfig'): Model {
  if (typeof fn !== 'string') throw new ValueError(`modelFromConfig: fn (the name errors give) must be a string, got ${describeValue(fn)}`);
  if (!isObject(description)) throw new FormatError(`${fn}: expected { className, config }, got ${showJson(description)}`);
  const m = layerFromConfig(description.className, description.config, fn);
  if (!(m instanceof Model)) throw new FormatError(`${fn}: className '${description.className}' is a layer, not a model`);
  return m;
}

/** Copies every weight from the file into the model: each must be there with its shape and dtype, and none left over. */
function assignWeights(fn: string, model: Model, tensors: Record<string, Tensor>, dtypes: Record<string, string>, file: string, allowNonFinite: boolean): void {
  const used = new Set<string>();
  const updates: [Tensor, Tensor][] = [];
  for (const w of model.weights) {
    const t = fileTensor(tensors, w.role);
    if (!t) throw new FormatError(`${fn}: ${file} has no tensor '${w.role}'`);
    checkFileTensor(fn, file, w.role, t, fileTensor(dtypes, w.role), w.tensor, allowNonFinite);
    updates.push([w.tensor, t]);
    used.add(w.role);
  }
  const extra = Object.keys(tensors).filter((k) => !used.has(k));
  if (extra.length > 0) {
    throw new FormatError(`${fn}: ${file} holds ${extra.length} tensor(s) no layer of the model uses (${extra.slice(0, 5).map((k) => `'${k}'`).join(', ')}${extra.length > 5 ? ', ...' : ''}); model.json and the weights do not belong together`);
  }
  for (const [target, source] of updates) target.data.set(source.data);
}

function restoreCompile(fn: string, model: Model, c: unknown): void {
  if (c === null || c === undefined) return;
  if (!isObject(c) || !isObject(c.optimizer) || typeof c.optimizer.name !== 'string') throw new FormatError(`${fn}: the compile settings in model.json are malformed`);
  checkKeys(fn, 'the compile settings', c, ['optimizer', 'loss', 'metrics', 'lossWeights']);
  checkKeys(fn, 'the compile settings\' optimizer', c.optimizer, ['name', 'config']);
  const cc = c as unknown as CompileConfig | { optimizer: CompileConfig['optimizer']; loss: string | null; metrics?: string[] };
  const losses = Array.isArray(cc.loss) ? cc.loss : [cc.loss];
  if (losses.some((l) => typeof l !== 'string')) return; // a loss function is not savable: the model loads uncompiled
  inFile(fn, 'compile settings', () => model.compile({
    optimizer: resolveOptimizer(fn, cc.optimizer.name, cc.optimizer.config ?? {}),
    loss: (losses.length === 1 ? losses[0] : losses) as 'mse',
    metrics: (Array.isArray(cc.loss) ? (cc as CompileConfig).metrics : [cc.metrics ?? []]) as string[][],
    ...(Array.isArray((cc as CompileConfig).lossWeights) ? { lossWeights: (cc as CompileConfig).lossWeights } : {}),
  }));
}

/** The version-1 format (sequential models only, before the functional API). */
function fromVersion1(fn: string, saved: Json): Sequential {
  if (!Array.isArray(saved.layers) || !Array.isArray(saved.inputShape)) throw new FormatError(`${fn}: a gradlab-sequential model.json needs layers and inputShape`);
  const model = new Sequential({ name: String(saved.name) });
  (saved.layers as unknown[]).forEach((l, i) => {
    if (!isObject(l) || typeof l.className !== 'string' || !isObject(l.config)) throw new FormatError(`${fn}: layer ${i} must be { className, config }`);
    const config = i === 0 ? { ...l.config, inputShape: saved.inputShape } : { ...l.config };
    if (i > 0) delete config.inputShape;
    const layer = layerFromConfig(l.className, config, fn);
    inFile(fn, `layer '${layer.name}'`, () => model.add(layer));
  });
  if (!model.built) inFile(fn, 'inputShape', () => model.build(saved.inputShape as number[]));
  return model;
}

/** Options of `loadModel(path, options)`. */
export interface LoadModelOptions {
  /** Accept NaN and infinite weights (refused by default: a model that computes NaN is not a model). */
  allowNonFinite?: boolean;
}

const LOAD_MODEL_KEYS = optionKeys<LoadModelOptions>({ allowNonFinite: true });
const DESCRIPTION_KEYS: Record<number, readonly string[]> = {
  1: ['format', 'version', 'name', 'inputShape', 'layers', 'compile'],
  2: ['format', 'version', 'model', 'compile'],
  3: ['format', 'version', 'model', 'compile', 'weights'],
};

/** Every weight of the file, in values: what the architecture may allocate at most. */
function valueCount(tensors: Record<string, Tensor>): number {
  return Object.values(tensors).reduce((n, t) => n + t.size, 0);
}

/**
 * Restores a model written by `model.save(dir)`: the same architecture, weights and compile
 * settings. The weights file is checked against model.json's SHA-256, the architecture is built
 * allocating no more values than the file holds, and every weight must match in name, shape and
 * dtype, with none left over, and be finite (unless `allowNonFinite`).
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  const fn = 'loadModel';
  if (typeof dir !== 'string' || dir === '') throw new FormatError(`${fn}: dir must be a non-empty path, got ${showJson(dir)}`);
  const o = checkOptions(fn, options, LOAD_MODEL_KEYS);
  const allowNonFinite = booleanOption(fn, 'allowNonFinite', o.allowNonFinite ?? false);
  const { description, file, tensors, dtypes, weightsFile } = await readModelFolder(dir, fn);
  if (!isObject(description)) throw new FormatError(`${fn}: ${file} is not a gradlab model (not a JSON object)`);
  const v = description.version;
  const known = description.format === 'gradlab-sequential' ? v === 1 : description.format === 'gradlab-model' && (v === 2 || v === 3);
  if (!known) throw new FormatError(`${fn}: ${file} is not a gradlab model (format ${showJson(description.format)}, version ${showJson(v)})`);
  checkKeys(fn, file, description, DESCRIPTION_KEYS[v as number]);
  if (v === 3 && description.weights === undefined) throw new FormatError(`${fn}: ${file} does not name its weights file`);
  const model = withWeightBudget(valueCount(tensors), () => {
    if (v === 1) return fromVersion1(fn, description);
    if (!isObject(description.model)) throw new FormatError(`${fn}: ${file} has no model description`);
    return modelFromConfig(description.model as { className: string; config: unknown }, fn);
  });
  if (model.layers.every((l) => l instanceof InputLayer)) throw new FormatError(`${fn}: ${file} describes a model with no layers`);
  assignWeights(fn, model, tensors, dtypes, weightsFile, allowNonFinite);
  restoreCompile(fn, model, description.compile);
  return model;
}
