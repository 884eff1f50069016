// Keras' files: Keras 2 .h5 full models and weight files (tf.keras 2.x, Keras 1 era weight names),
// Keras 3 .keras zips and .weights.h5 files. The config mapping and the weight assignment rules
// are config.ts's; this module finds the arrays in the files.
import { FormatError, GradlabError, ValueError } from '../../core/errors.js';
import { hasOwn } from '../../core/validate.js';
import { adam, rmsprop, sgd } from '../../optim/index.js';
import { Model, registerModelFileFormat, type CompileArgs, type Layer, type LoadWeightsOptions } from '../../nn/index.js';
import { assignKerasWeights, kerasLayers, kerasWeightOrder, modelFromKerasConfig, type KerasLayerWeights, type KerasWeightArray } from './config.js';
import { H5File, type H5Group } from './hdf5.js';
import { isZip, readZipEntries } from './zip.js';
import { nodeModule } from '../../core/env.js';
const fsp = nodeModule('fsp');

/** Files above this are refused before they are read (Keras' largest application weights are ~550 MB). */
const MAX_FILE_BYTES = 2 ** 31 - 1;
const MAX_LAYERS = 100_000;
const MAX_WEIGHTS_PER_LAYER = 10_000;
const ZIP_LIMITS = { maxEntryBytes: 2 ** 31 - 1, maxTotalBytes: 2 ** 31 - 1, maxEntries: 100_000 };
const MAX_JSON_BYTES = 64 * 2 ** 20;

async function readBytes(fn: string, path: string): Promise<Uint8Array> {
  let size: number;
  try {
    const s = await fsp.stat(path);
    if (!s.isFile()) throw new FormatError(`${fn}: ${path} is not a file`);
    size = s.size;
  } catch (e) {
    if (e instanceof GradlabError) throw e;
    throw new FormatError(`${fn}: cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_FILE_BYTES) throw new FormatError(`${fn}: ${path} is ${size} bytes, more than the ${MAX_FILE_BYTES} a Keras file is read up to`);
  return new Uint8Array(await fsp.readFile(path));
}

function parseJson(source: string, what: string, bytes: Uint8Array): unknown {
  if (bytes.length > MAX_JSON_BYTES) throw new FormatError(`${source}: ${what} is ${bytes.length} bytes (limit ${MAX_JSON_BYTES})`);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    throw new FormatError(`${source}: ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function parseJsonText(source: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new FormatError(`${source}: ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

// ---------- Keras 2: layer_names / weight_names ----------

/**
 * The weights of a Keras 2 weights group (the root of a save_weights file, or model_weights of a
 * full model): each layer listed by `layer_names` (split as layer_names0, 1, ... when long), its
 * arrays in the order of its `weight_names` (which may hold '/' paths into subgroups, with or
 * without ':0').
 */
export function legacyWeightEntries(g: H5Group, source: string): KerasLayerWeights[] {
  const names = g.stringListAttr('layer_names');
  if (names === undefined) throw new FormatError(`${source}: ${g.path} has no 'layer_names' attribute (not a Keras weights group)`);
  if (names.length > MAX_LAYERS) throw new FormatError(`${source}: ${g.path} lists ${names.length} layers (limit ${MAX_LAYERS})`);
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new FormatError(`${source}: layer '${name}' is listed twice in ${g.path}'s layer_names`);
    seen.add(name);
    if (!g.has(name)) throw new FormatError(`${source}: layer '${name}' is listed in layer_names but ${g.path} has no group for it`);
    const lg = g.group(name);
    const weightNames = lg.stringListAttr('weight_names');
    if (weightNames === undefined) throw new FormatError(`${source}: layer '${name}' (${lg.path}) has no 'weight_names' attribute`);
    if (weightNames.length > MAX_WEIGHTS_PER_LAYER) throw new FormatError(`${source}: layer '${name}' lists ${weightNames.length} weights`);
    const arrays: KerasWeightArray[] = weightNames.map((w) => {
      if (!lg.has(w)) throw new FormatError(`${source}: layer '${name}' lists weight '${w}' but ${lg.path} has no dataset '${w}'`);
      const a = lg.dataset(w);
      return { name: w, shape: a.shape, data: a.data };
    });
    return { layerName: name, arrays };
  });
}

// ---------- Keras 3: layers/<snake_case class>[_N]/vars/<i> ----------

/** Keras' naming.to_snake_case, which H5IOStore paths are made of: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d. */
export function kerasSnakeCase(name: string): string {
  const s = name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return s.startsWith('_') ? `private${s}` : s;
}

interface Keras3Arrays {
  consumed: Set<string>;
}

/** Walks `layers` as Keras 3's saving_lib does: each layer's path is layers/<snake_case class>, made unique with _1, _2, ... */
function keras3Walk(layers: readonly Layer[], g: H5Group | null, source: string, prefix: string, out: Keras3Arrays, depth: number): Map<Layer, KerasWeightArray[]> {
  if (depth > 32) throw new FormatError(`${source}: models nested more than 32 deep`);
  const used = new Map<string, number>();
  const perLayer = new Map<Layer, KerasWeightArray[]>();
  for (const l of layers) {
    let name = kerasSnakeCase(l.className);
    const k = used.get(name);
    used.set(name, k === undefined ? 0 : k + 1);
    if (k !== undefined) name = `${name}_${k + 1}`;
    const path = `${g ? g.path : ''}/${name}`;
    if (l instanceof Model) {
      const inner = g && g.has(`${name}/layers`) ? g.group(`${name}/layers`) : null;
      if (g && g.has(name)) out.consumed.add(path);
      const sub = keras3Walk(kerasLayers(l), inner, source, `${prefix}${l.name}/`, out, depth + 1);
      // names relative to the nested model, as kerasWeightOrder gives them: <inner layer>/<weight>
      const byRole = new Map<string, KerasWeightArray>();
      for (const [sl, arrs] of sub) for (const a of arrs) byRole.set(`${sl.name}/${a.name}`, a);
      const arrays = kerasWeightOrder(l).map((w) => {
        const a = byRole.get(w.role);
        if (!a) throw new FormatError(`${source}: no weights for '${prefix}${l.name}/${w.role}' in the file`);
        return { ...a, name: w.role };
      });
      perLayer.set(l, arrays);
      continue;
    }
    const weights = l.weights;
    if (weights.length === 0) {
      if (g && g.has(name)) out.consumed.add(path);
      continue;
    }
    if (!g || !g.has(`${name}/vars`)) {
      throw new FormatError(`${source}: no weights for layer '${prefix}${l.name}' (${l.className}): the file has no group ${g ? g.path : '/layers'}/${name}/vars (its layers: ${g ? g.keys().slice(0, 8).join(', ') : 'none'})`);
    }
    out.consumed.add(path);
    const vars = g.group(`${name}/vars`);
    const keys = vars.keys();
    if (keys.length !== weights.length) {
      throw new FormatError(`${source}: ${vars.path} holds ${keys.length} arrays but layer '${prefix}${l.name}' (${l.className}) has ${weights.length} weights (${weights.map((w) => w.role).join(', ')})`);
    }
    const arrays = weights.map((w, i) => {
      if (!vars.has(String(i))) throw new FormatError(`${source}: ${vars.path} has no array '${i}' (for ${prefix}${l.name}'s ${w.role})`);
      const a = vars.dataset(String(i));
      return { name: w.role, shape: a.shape, data: a.data };
    });
    perLayer.set(l, arrays);
  }
  // every layer group of the file must belong to a layer of the model
  if (g) {
    for (const key of g.keys()) {
      const path = `${g.path}/${key}`;
      if (!out.consumed.has(path) && holdsArrays(g.group(key), 0)) {
        throw new FormatError(`${source}: the file has weights at ${path} that no layer of the model takes (the model's layers: ${layers.map((l) => l.name).join(', ')})`);
      }
    }
  }
  return perLayer;
}

function holdsArrays(g: H5Group, depth: number): boolean {
  if (depth > 32) return true;
  for (const k of g.keys()) {
    if (!g.isGroup(k)) return true;
    if (holdsArrays(g.group(k), depth + 1)) return true;
  }
  return false;
}

/** The Keras 3 weights (`layers/...` as H5IOStore writes them) for `model`, one entry per weighted top-level layer. */
export function keras3WeightEntries(model: Model, root: H5Group, source: string): KerasLayerWeights[] {
  const layersGroup = root.has('layers') ? root.group('layers') : null;
  const out: Keras3Arrays = { consumed: new Set() };
  const per = keras3Walk(kerasLayers(model), layersGroup, source, '', out, 0);
  const entries: KerasLayerWeights[] = [];
  for (const [l, arrays] of per) {
    entries.push({ layerName: l.name, arrays });
  }
  return entries;
}

// ---------- compile settings ----------

function compileFromTrainingConfig(model: Model, tc: unknown): void {
  if (typeof tc !== 'object' || tc === null || Array.isArray(tc)) return;
  const o = tc as Record<string, unknown>;
  const loss = hasOwn(o, 'loss') ? o.loss : undefined;
  if (typeof loss !== 'string') return;
  const oc = hasOwn(o, 'optimizer_config') ? o.optimizer_config as Record<string, unknown> | null : null;
  let optimizer: CompileArgs['optimizer'] = 'rmsprop';
  if (oc && typeof oc === 'object') {
    const cls = hasOwn(oc, 'class_name') ? String(oc.class_name).toLowerCase() : '';
    const c = (hasOwn(oc, 'config') && typeof oc.config === 'object' && oc.config !== null ? oc.config : {}) as Record<string, unknown>;
    const num = (k: string) => (hasOwn(c, k) && typeof c[k] === 'number' ? c[k] as number : undefined);
    const lr = num('learning_rate') ?? num('lr');
    const clean = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
    if (cls === 'adam') optimizer = adam(clean({ learningRate: lr, beta1: num('beta_1'), beta2: num('beta_2'), epsilon: num('epsilon') }));
    else if (cls === 'sgd') optimizer = sgd(clean({ learningRate: lr, momentum: num('momentum'), nesterov: hasOwn(c, 'nesterov') && c.nesterov === true }));
    else if (cls === 'rmsprop') optimizer = rmsprop(clean({ learningRate: lr }));
    else return;
  }
  const metrics: string[] = [];
  const collect = (m: unknown): void => {
    if (typeof m === 'string') metrics.push(m === 'acc' ? 'accuracy' : m);
    else if (Array.isArray(m)) m.forEach(collect);
    else if (m && typeof m === 'object' && hasOwn(m, 'config')) {
      const c = (m as Record<string, unknown>).config as Record<string, unknown> | null;
      if (c && typeof c === 'object' && hasOwn(c, 'name') && typeof c.name === 'string') metrics.push(c.name);
    }
  };
  collect(hasOwn(o, 'metrics') ? o.metrics : undefined);
  try {
    model.compile({ optimizer, loss: loss as CompileArgs['loss'], metrics: metrics.filter((m) => m === 'accuracy') });
  } catch (e) {
    // settings gradlab cannot honour leave the model uncompiled, as Keras does without training_config
    if (!(e instanceof GradlabError)) throw e;
  }
}

// ---------- the public entry points ----------

/**
 * A Keras model from a file: a Keras 2 full-model `.h5` (`model.save('x.h5')`: the architecture
 * in `model_config`, weights under `model_weights`, compile settings restored from
 * `training_config` where gradlab has them) or a Keras 3 `.keras` zip (config.json and
 * model.weights.h5). Weights-only files go through `model.loadWeights`.
 */
export async function loadKeras(pathOrBytes: string | Uint8Array): Promise<Model> {
  const fn = 'loadKeras';
  let bytes: Uint8Array;
  let source: string;
  if (typeof pathOrBytes === 'string') {
    if (pathOrBytes === '') throw new ValueError(`${fn}: path must be a non-empty path`);
    source = pathOrBytes;
    bytes = await readBytes(fn, pathOrBytes);
  } else if (pathOrBytes instanceof Uint8Array) {
    source = 'the Keras bytes';
    bytes = pathOrBytes;
  } else {
    throw new ValueError(`${fn}: expected a path or a Uint8Array, got ${pathOrBytes === null ? 'null' : typeof pathOrBytes}`);
  }
  return isZip(bytes) ? loadKeras3(bytes, source) : loadKerasH5(bytes, source);
}

function loadKerasH5(bytes: Uint8Array, source: string): Model {
  const f = H5File.open(bytes, source);
  const root = f.root;
  const configText = root.stringAttr('model_config');
  if (configText === undefined) {
    throw new FormatError(`${source}: has no 'model_config' attribute: a weights-only file (build the model, then model.loadWeights(path))`);
  }
  const config = parseJsonText(source, "the 'model_config' attribute", configText);
  const model = modelFromKerasConfig(config, source, 'loadKeras');
  if (!root.has('model_weights')) throw new FormatError(`${source}: has a model_config but no 'model_weights' group`);
  const entries = legacyWeightEntries(root.group('model_weights'), source);
  assignKerasWeights(model, entries, {}, source, 'loadKeras');
  const tc = root.stringAttr('training_config');
  if (tc !== undefined) compileFromTrainingConfig(model, parseJsonText(source, "the 'training_config' attribute", tc));
  return model;
}

function loadKeras3(bytes: Uint8Array, source: string): Model {
  const files = readZipEntries(bytes, source, ['config.json', 'metadata.json', 'model.weights.h5'], ZIP_LIMITS);
  const configBytes = files.get('config.json');
  if (!configBytes) throw new FormatError(`${source}: the .keras archive has no config.json`);
  const weightsBytes = files.get('model.weights.h5');
  if (!weightsBytes) throw new FormatError(`${source}: the .keras archive has no model.weights.h5`);
  const config = parseJson(source, 'config.json', configBytes);
  const meta = files.get('metadata.json');
  let wrapped: unknown = config;
  if (meta) {
    // the writer's version decides Keras 3 semantics (e.g. its hard_sigmoid) in the mapping
    const m = parseJson(source, 'metadata.json', meta);
    const version = m !== null && typeof m === 'object' && !Array.isArray(m) && hasOwn(m, 'keras_version') ? (m as Record<string, unknown>).keras_version : undefined;
    if (typeof version === 'string') wrapped = { model_config: config, keras_version: version };
  }
  const model = modelFromKerasConfig(wrapped, source, 'loadKeras');
  const wsource = `${source} (model.weights.h5)`;
  const h5 = H5File.open(weightsBytes, wsource);
  assignKerasWeights(model, keras3WeightEntries(model, h5.root, wsource), { byName: true }, wsource, 'loadKeras');
  return model;
}

/** Layers whose weights differ in count or shape from the file's: what skipMismatch skips. */
function mismatchedLayers(model: Model, entries: readonly KerasLayerWeights[]): string[] {
  const out: string[] = [];
  const layers = kerasLayers(model);
  for (const e of entries) {
    if (e.arrays.length === 0) continue;
    const l = layers.find((x) => x.name === e.layerName);
    if (!l) continue;
    const want = l instanceof Model ? kerasWeightOrder(l) : l.weights;
    const wantShapes = want.map((w) => w.tensor.shape.join(',')).sort();
    const gotShapes = e.arrays.map((a) => a.shape.join(',')).sort();
    if (wantShapes.length !== gotShapes.length || wantShapes.some((s, i) => s !== gotShapes[i])) out.push(l.name);
  }
  return out;
}

async function loadKerasWeights(model: Model, path: string, options: LoadWeightsOptions): Promise<void> {
  const fn = `${model.name}.loadWeights`;
  const bytes = await readBytes(fn, path);
  let root: H5Group;
  let source = path;
  if (isZip(bytes)) {
    const files = readZipEntries(bytes, path, ['model.weights.h5'], ZIP_LIMITS);
    const w = files.get('model.weights.h5');
    if (!w) throw new FormatError(`${fn}: ${path}: the .keras archive has no model.weights.h5`);
    source = `${path} (model.weights.h5)`;
    root = H5File.open(w, source).root;
  } else {
    root = H5File.open(bytes, path).root;
  }
  const byName = options.byName ?? false;
  const skipMismatch = options.skipMismatch ?? false;
  const legacy = root.stringListAttr('layer_names') !== undefined ? root : root.has('model_weights') ? root.group('model_weights') : null;
  if (legacy) {
    const entries = legacyWeightEntries(legacy, source);
    const skipped = byName && skipMismatch ? mismatchedLayers(model, entries) : [];
    assignKerasWeights(model, entries, { byName, skipMismatch }, source, fn);
    if (skipped.length > 0) console.warn(`${fn}: skipped layers whose weights in ${source} have other shapes: ${skipped.join(', ')}`);
    return;
  }
  if (root.has('layers') || root.has('vars')) {
    if (byName) throw new ValueError(`${fn}: ${source} is a Keras 3 weights file, which stores weights by the layers' positions (layers/<class>_N), not by name: byName does not apply`);
    assignKerasWeights(model, keras3WeightEntries(model, root, source), { byName: true }, source, fn);
    return;
  }
  throw new FormatError(`${fn}: ${source} is an HDF5 file but not a Keras weights file (no 'layer_names' attribute, 'model_weights' or 'layers' group)`);
}

/**
 * model.loadWeights for Keras files: a save_weights .h5 (layer groups at the root), a full-model
 * .h5 (under model_weights), a Keras 3 .weights.h5 or .keras. Keras 2 files load in Keras' order
 * (the file's layers with weights against the model's) or, with byName, by layer name; with
 * skipMismatch the layers whose shapes differ are skipped and named in one console.warn line.
 * Keras 3 files are matched by position (layers/<class>_N), so byName does not apply to them.
 */
registerModelFileFormat({
  name: 'keras-h5',
  extensions: ['.h5', '.hdf5', '.weights.h5', '.keras'],
  loadWeights: loadKerasWeights,
});
