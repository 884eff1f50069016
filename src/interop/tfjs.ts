// TensorFlow.js' layers format: model.json (the Keras topology and a manifest of weight groups)
// and its .bin shards, as tfjs' model.save, tensorflowjs_converter and Teachable Machine write
// them. Every size and offset is checked against the shards before anything is allocated.
//
// Weight names: tfjs names a weight `<layer>/<weight>` after the layer that made it (auto names
// such as `dense_Dense1/kernel`, a nested model's layers under their own names, `in_d1/kernel`);
// tensorflowjs_converter keeps Keras' .h5 names without ':0', sometimes with the outer model's
// name in front (`mobilenet/conv1/kernel`). gradlab matches a name to the weight whose path
// (outer models, layer, weight) ends with it, and refuses names that match none or several.
import { FormatError, ValueError, fmtShape } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { checkOptions, describeValue, hasOwn, oneOf, optionKeys } from '../core/validate.js';
import { Model, registerModelFileFormat, type LayerWeight } from '../nn/index.js';
import {
  Conv2D, DepthwiseConv2D, ELU, GlobalAveragePooling1D, SeparableConv2D, UpSampling2D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, ReLU, Subtract,
} from '../nn/index.js';
import { kerasConfigFromModel, kerasLayers, modelFromKerasConfig } from './keras/config.js';
import { floatToHalf, halfToFloat } from '../core/float16.js';
import { nodeModule } from '../core/env.js';
const fsp = nodeModule('fsp');
const path = nodeModule('path');

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Json, k: string): unknown => (hasOwn(o, k) ? o[k] : undefined);

/** One weight of a manifest: tfjs' WeightsManifestEntry. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16'; min: number; scale: number } | { dtype: 'float16' };
}

/** A model in memory as tfjs' ModelArtifacts hold it (what a browser gets from fetch or files). */
export interface TfjsArtifacts {
  modelTopology: unknown;
  weightSpecs: TfjsWeightSpec[];
  /** The weights' bytes: one buffer, or the shards in order. */
  weightData: ArrayBuffer | Uint8Array | readonly (ArrayBuffer | Uint8Array)[];
}

/** Options of `io.saveTfjs` and `model.save(path, { format: 'tfjs' })`. */
export interface SaveTfjsOptions {
  /** Store the weights as uint8 or uint16 (affine, per weight, as tensorflowjs_converter) or float16. Default: none (float32, unquantized). */
  quantize?: 'uint8' | 'uint16' | 'float16';
}

const SAVE_KEYS = optionKeys<SaveTfjsOptions>({ quantize: true });

/** model.json larger than this is not a layers model. */
const MAX_JSON_BYTES = 64 * 2 ** 20;
/** Weight bytes a model may hold in all (TensorFlow.js models are far smaller). */
const MAX_WEIGHT_BYTES = 2 ** 31;

interface Spec {
  name: string;
  shape: number[];
  size: number;
  dtype: 'float32' | 'int32';
  q: 'uint8' | 'uint16' | 'float16' | null;
  min: number;
  scale: number;
  bytes: number;
}

function fail(fn: string, source: string, msg: string): FormatError {
  return new FormatError(`${fn}: ${source}: ${msg}`);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? describeValue(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function parseSpec(fn: string, source: string, v: unknown, where: string): Spec {
  if (!isObject(v)) throw fail(fn, source, `${where} must be { name, shape, dtype }, got ${show(v)}`);
  const name = own(v, 'name');
  const shape = own(v, 'shape');
  const dtype = own(v, 'dtype') ?? 'float32';
  if (typeof name !== 'string' || name === '') throw fail(fn, source, `${where} has no name`);
  const at = `weight '${name}'`;
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 2 ** 31)) {
    throw fail(fn, source, `${at} has shape ${show(shape)}, not a list of up to 8 non-negative integers`);
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!(size <= MAX_WEIGHT_BYTES)) throw fail(fn, source, `${at} has shape ${fmtShape(shape as number[])}, too large`);
  if (dtype !== 'float32' && dtype !== 'int32') throw fail(fn, source, `${at} has dtype ${show(dtype)}; gradlab reads float32 and int32 weights`);
  const qv = own(v, 'quantization');
  let q: Spec['q'] = null;
  let min = 0;
  let scale = 1;
  if (qv !== undefined && qv !== null) {
    if (!isObject(qv)) throw fail(fn, source, `${at} has quantization ${show(qv)}, not an object`);
    const qd = own(qv, 'dtype');
    if (qd === 'uint8' || qd === 'uint16') {
      const mn = own(qv, 'min');
      const sc = own(qv, 'scale');
      if (typeof mn !== 'number' || !Number.isFinite(mn) || typeof sc !== 'number' || !Number.isFinite(sc)) {
        throw fail(fn, source, `${at} is ${qd}-quantized without a finite min and scale (got ${show(qv)})`);
      }
      min = mn;
      scale = sc;
    } else if (qd === 'float16') {
      if (dtype !== 'float32') throw fail(fn, source, `${at}: float16 quantization applies to float32 weights, not ${dtype}`);
    } else {
      throw fail(fn, source, `${at} has quantization dtype ${show(qd)}; gradlab reads uint8, uint16 and float16`);
    }
    q = qd;
  }
  const per = q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : 4;
  return { name, shape: [...(shape as number[])], size, dtype, q, min, scale, bytes: size * per };
}

/** The values of one weight from its bytes, as tfjs' decodeWeights computes them. */
function decode(spec: Spec, bytes: Uint8Array): Float32Array {
  const out = new Float32Array(spec.size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = spec.size;
  const round = spec.dtype === 'int32';
  if (spec.q === 'uint8' || spec.q === 'uint16') {
    for (let i = 0; i < n; i++) {
      const v = (spec.q === 'uint8' ? bytes[i] : dv.getUint16(2 * i, true)) * spec.scale + spec.min;
      out[i] = round ? Math.round(v) : v;
    }
  } else if (spec.q === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  } else if (spec.dtype === 'int32') {
    for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  }
  return out;
}

/** Every weight of a model with the paths tfjs or the converter may name it by. */
function weightPaths(model: Model): { weight: LayerWeight; path: string[] }[] {
  const out: { weight: LayerWeight; path: string[] }[] = [];
  const seen = new Set<unknown>();
  const walk = (m: Model, prefix: string[]) => {
    for (const l of kerasLayers(m)) {
      if (l instanceof Model) walk(l, [...prefix, l.name]);
      else {
        for (const w of l.weights) {
          if (seen.has(w.tensor)) continue;
          seen.add(w.tensor);
          out.push({ weight: w, path: [...prefix, l.name, w.role] });
        }
      }
    }
  };
  walk(model, []);
  return out;
}

/** Matches manifest names to the model's weights: each name must end exactly one weight's path. */
function matchWeights(fn: string, source: string, model: Model, specs: readonly Spec[]): LayerWeight[] {
  const paths = weightPaths(model);
  const bySuffix = new Map<string, number[]>();
  paths.forEach((p, i) => {
    for (let k = 0; k <= p.path.length - 2; k++) {
      const key = p.path.slice(k).join('/');
      bySuffix.set(key, [...(bySuffix.get(key) ?? []), i]);
    }
  });
  const taken = new Map<number, string>();
  const result = specs.map((s) => {
    const key = s.name.replace(/:\d+$/, '');
    const hits = bySuffix.get(key) ?? [];
    if (hits.length === 0) throw fail(fn, source, `weight '${s.name}' belongs to no layer of model '${model.name}' (its weights: ${paths.slice(0, 8).map((p) => p.path.join('/')).join(', ')}${paths.length > 8 ? ', ...' : ''})`);
    if (hits.length > 1) throw fail(fn, source, `weight '${s.name}' could be any of ${hits.map((i) => paths[i].path.join('/')).join(', ')}`);
    const i = hits[0];
    if (taken.has(i)) throw fail(fn, source, `weights '${taken.get(i)}' and '${s.name}' both name ${paths[i].path.join('/')}`);
    taken.set(i, s.name);
    const w = paths[i].weight;
    if (s.shape.length !== w.tensor.rank || s.shape.some((d, j) => d !== w.tensor.shape[j])) {
      throw fail(fn, source, `weight '${s.name}' has shape ${fmtShape(s.shape)} but layer weight ${paths[i].path.join('/')} needs ${fmtShape(w.tensor.shape)}`);
    }
    return w;
  });
  const missing = paths.filter((_, i) => !taken.has(i));
  if (missing.length > 0) throw fail(fn, source, `has no weight for ${missing.slice(0, 8).map((p) => p.path.join('/')).join(', ')}${missing.length > 8 ? ', ...' : ''}`);
  return result;
}

/** The manifest's groups with their specs, checked; the expected bytes of each group. */
function parseManifest(fn: string, source: string, manifest: unknown): { paths: string[]; specs: Spec[]; bytes: number }[] {
  if (!Array.isArray(manifest)) throw fail(fn, source, `weightsManifest must be a list of groups, got ${show(manifest)}`);
  let total = 0;
  return manifest.map((g, gi) => {
    if (!isObject(g)) throw fail(fn, source, `weightsManifest[${gi}] must be { paths, weights }`);
    const paths = own(g, 'paths');
    const weights = own(g, 'weights');
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) throw fail(fn, source, `weightsManifest[${gi}].paths must be a list of file names, got ${show(paths)}`);
    if (!Array.isArray(weights)) throw fail(fn, source, `weightsManifest[${gi}].weights must be a list, got ${show(weights)}`);
    const specs = weights.map((w, i) => parseSpec(fn, source, w, `weightsManifest[${gi}].weights[${i}]`));
    const bytes = specs.reduce((a, s) => a + s.bytes, 0);
    total += bytes;
    if (!(total <= MAX_WEIGHT_BYTES)) throw fail(fn, source, `the manifest asks for ${total} bytes of weights, more than gradlab reads (${MAX_WEIGHT_BYTES})`);
    return { paths: paths as string[], specs, bytes };
  });
}

/** Builds the model and fills its weights from the groups' bytes (each group's shards joined). */
function assemble(fn: string, source: string, topology: unknown, groups: { specs: Spec[]; data: Uint8Array }[]): Model {
  const specs = groups.flatMap((g) => g.specs);
  const totalValues = specs.reduce((a, s) => a + s.size, 0);
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw fail(fn, source, `weight '${s.name}' appears twice in the manifest`);
    names.add(s.name);
  }
  // the topology may not ask for far more weights than the file holds (exact counts are checked next)
  const model = modelFromKerasConfig(topology, source, fn, 2 * totalValues + 4096);
  const targets = matchWeights(fn, source, model, specs);
  const values: Float32Array[] = [];
  for (const g of groups) {
    let offset = 0;
    for (const s of g.specs) {
      const v = decode(s, g.data.subarray(offset, offset + s.bytes));
      offset += s.bytes;
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) throw fail(fn, source, `weight '${s.name}' holds ${v[i]} at index ${i}`);
      }
      values.push(v);
    }
  }
  targets.forEach((w, i) => w.tensor.data.set(values[i]));
  return model;
}

function topologyOf(fn: string, source: string, j: unknown): { topology: unknown; manifest: unknown } {
  if (!isObject(j)) throw fail(fn, source, `is not a TensorFlow.js model.json (not a JSON object)`);
  const format = own(j, 'format');
  if (format === 'graph-model') throw fail(fn, source, `is a TensorFlow.js graph model (format 'graph-model'); gradlab reads layers models (Keras topologies) only`);
  if (format !== undefined && format !== 'layers-model') throw fail(fn, source, `has format ${show(format)}, not 'layers-model'`);
  const topology = own(j, 'modelTopology');
  if (!isObject(topology)) throw fail(fn, source, `has no modelTopology`);
  return { topology, manifest: own(j, 'weightsManifest') ?? [] };
}

/** Reads a TensorFlow.js layers model: `model.json` and the .bin shards it names (relative to it). */
export async function loadTfjs(modelJsonPath: string): Promise<Model> {
  const fn = 'loadTfjs';
  if (typeof modelJsonPath !== 'string' || modelJsonPath === '') throw new ValueError(`${fn}: modelJsonPath must be a non-empty path, got ${describeValue(modelJsonPath)}`);
  let file = modelJsonPath;
  const st0 = await fsp.stat(file).catch(() => null);
  if (st0?.isDirectory()) file = path.join(file, 'model.json');
  const st = await fsp.stat(file).catch(() => null);
  if (!st || !st.isFile()) throw new FormatError(`${fn}: ${file} does not exist or is not a file`);
  if (st.size > MAX_JSON_BYTES) throw fail(fn, file, `is ${st.size} bytes, too large for a model.json`);
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
  } catch (e) {
    throw fail(fn, file, `is not JSON (${(e as Error).message})`);
  }
  const { topology, manifest } = topologyOf(fn, file, json);
  const groups = parseManifest(fn, file, manifest);
  const dir = path.dirname(file);
  // sizes first: the shards of each group must hold exactly its weights
  const shards = await Promise.all(groups.map(async (g, gi) => Promise.all(g.paths.map(async (p) => {
    if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..') || /^[a-z]+:/i.test(p)) throw fail(fn, file, `weightsManifest[${gi}] names ${show(p)}, not a file beside model.json`);
    const shard = path.join(dir, p);
    const s = await fsp.stat(shard).catch(() => null);
    if (!s || !s.isFile()) throw fail(fn, file, `weight shard ${p} is missing`);
    return { shard, p, size: s.size };
  }))));
  groups.forEach((g, gi) => {
    const have = shards[gi].reduce((a, s) => a + s.size, 0);
    if (have !== g.bytes) {
      throw fail(fn, file, `weight group ${gi} (${shards[gi].map((s) => s.p).join(', ')}) holds ${have} bytes but its ${g.specs.length} weights need ${g.bytes}`);
    }
  });
  const data = await Promise.all(shards.map(async (list) => {
    const parts = await Promise.all(list.map((s) => fsp.readFile(s.shard)));
    return joinBytes(parts);
  }));
  groups.forEach((g, gi) => {
    if (data[gi].length !== g.bytes) throw fail(fn, file, `weight group ${gi} changed size while being read`);
  });
  return assemble(fn, file, topology, groups.map((g, gi) => ({ specs: g.specs, data: data[gi] })));
}

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A model from tfjs' artifacts in memory: `{ modelTopology, weightSpecs, weightData }`. */
export function loadTfjsArtifacts(artifacts: TfjsArtifacts, source = 'artifacts'): Model {
  const fn = 'loadTfjsArtifacts';
  if (!isObject(artifacts)) throw new ValueError(`${fn}: artifacts must be { modelTopology, weightSpecs, weightData }, got ${describeValue(artifacts)}`);
  const a = artifacts as unknown as Json;
  const topology = own(a, 'modelTopology');
  if (!isObject(topology)) throw fail(fn, source, 'has no modelTopology object');
  const [group] = parseManifest(fn, source, [{ paths: ['weightData'], weights: own(a, 'weightSpecs') ?? [] }]);
  const wd = own(a, 'weightData');
  const asBytes = (b: unknown, i: number): Uint8Array => {
    if (b instanceof Uint8Array) return b;
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    throw fail(fn, source, `weightData${i >= 0 ? `[${i}]` : ''} must be an ArrayBuffer or Uint8Array, got ${describeValue(b)}`);
  };
  const data = wd === undefined || wd === null ? new Uint8Array(0) : Array.isArray(wd) ? joinBytes(wd.map(asBytes)) : asBytes(wd, -1);
  if (data.length !== group.bytes) throw fail(fn, source, `weightData holds ${data.length} bytes but the ${group.specs.length} weight specs need ${group.bytes}`);
  return assemble(fn, source, topology, [{ specs: group.specs, data }]);
}

// ---------- writing ----------

const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** tensorflowjs_converter's affine quantization of one weight (zero kept exact when in range). */
function quantizeAffine(values: ArrayLike<number>, dtype: 'uint8' | 'uint16'): { bytes: Uint8Array; min: number; scale: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  if (values.length === 0 || min === max) return { bytes: new Uint8Array(q.buffer), min: values.length === 0 ? 0 : min, scale: 1 };
  const scale = (max - min) / qmax;
  let lo = min;
  let hi = max;
  if (min <= 0 && max >= 0) {
    lo = -roundHalfEven(-min / scale) * scale;
    hi = qmax * scale + lo;
  }
  for (let i = 0; i < values.length; i++) q[i] = roundHalfEven((Math.min(Math.max(values[i], lo), hi) - lo) / scale);
  if (dtype === 'uint16') {
    // little-endian whatever the machine
    const b = new Uint8Array(2 * q.length);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < q.length; i++) dv.setUint16(2 * i, q[i], true);
    return { bytes: b, min: lo, scale };
  }
  return { bytes: new Uint8Array(q.buffer), min: lo, scale };
}

/** Layer settings tfjs' layers cannot compute (it would ignore or reject the key). */
function checkTfjsCompatible(fn: string, model: Model): void {
  const walk = (m: Model) => {
    for (const l of kerasLayers(m)) {
      if (l.dtype !== 'float32') throw new ValueError(`${fn}: layer '${l.name}' (${l.className}) computes in ${l.dtype}; TensorFlow.js layers compute in float32`);
      const bad = (why: string) => new ValueError(`${fn}: layer '${l.name}' (${l.className}) ${why}, which TensorFlow.js layers cannot compute`);
      if (l instanceof Model) walk(l);
      else if (l instanceof Subtract) throw bad('is a Subtract layer');
      else if (l instanceof UpSampling2D && l.interpolation === 'bilinear') throw bad('upsamples bilinearly with half-pixel centres');
      else if (l instanceof DepthwiseConv2D && !(l instanceof SeparableConv2D) && (l.dilationRate[0] !== 1 || l.dilationRate[1] !== 1)) throw bad('is dilated');
      else if (l instanceof Conv2D && l.groups !== 1) throw bad(`uses groups ${l.groups}`);
      else if (l instanceof ReLU && (l.negativeSlope !== 0 || l.threshold !== 0)) throw bad('has a negative slope or threshold');
      else if (l instanceof ELU && l.alpha !== 1) throw bad(`has alpha ${l.alpha}`);
      else if ((l instanceof GlobalAveragePooling1D || l instanceof GlobalAveragePooling2D || l instanceof GlobalMaxPooling1D || l instanceof GlobalMaxPooling2D) && l.keepdims) throw bad('keeps dims');
    }
  };
  walk(model);
}

/** The model.json object and weight bytes of a model in tfjs' layers format. */
export function tfjsArtifactsFromModel(model: Model, options: SaveTfjsOptions = {}, fn = 'tfjsArtifactsFromModel'): { modelJson: Json; weightData: Uint8Array } {
  const o = checkOptions(fn, options, SAVE_KEYS);
  const quantize = o.quantize === undefined ? undefined : oneOf(fn, 'quantize', o.quantize, ['uint8', 'uint16', 'float16'] as const);
  if (!(model instanceof Model)) throw new ValueError(`${fn}: model must be a gradlab Model, got ${describeValue(model)}`);
  checkTfjsCompatible(fn, model);
  const topology = kerasConfigFromModel(model, fn);
  const specs: TfjsWeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const { weight, path: p } of weightPaths(model)) {
    const name = p.slice(-2).join('/');
    const shape = [...weight.tensor.shape];
    const data = weight.tensor.data;
    if (quantize === 'uint8' || quantize === 'uint16') {
      const { bytes, min, scale } = quantizeAffine(data, quantize);
      parts.push(bytes);
      specs.push({ name, shape, dtype: 'float32', quantization: { dtype: quantize, min, scale } });
    } else if (quantize === 'float16') {
      const b = new Uint8Array(2 * data.length);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < data.length; i++) dv.setUint16(2 * i, floatToHalf(data[i]), true);
      parts.push(b);
      specs.push({ name, shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    } else {
      const b = new Uint8Array(4 * data.length);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
      parts.push(b);
      specs.push({ name, shape, dtype: 'float32' });
    }
  }
  // names must be unique for tfjs' loader: layer names are unique within each model, not across nested ones
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new ValueError(`${fn}: two weights would both be named '${s.name}' (a nested model repeats a layer name); rename one layer`);
    seen.add(s.name);
  }
  const modelJson: Json = {
    format: 'layers-model',
    generatedBy: 'gradlab',
    convertedBy: null,
    modelTopology: { ...topology, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
  };
  return { modelJson, weightData: joinBytes(parts.length > 0 ? parts : [new Uint8Array(0)]) };
}

/** Writes `dir/model.json` and `dir/group1-shard1of1.bin`, each atomically, the weights first. */
export async function saveTfjs(model: Model, dir: string, options: SaveTfjsOptions = {}): Promise<void> {
  const fn = 'saveTfjs';
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`${fn}: dir must be a non-empty path, got ${describeValue(dir)}`);
  const { modelJson, weightData } = tfjsArtifactsFromModel(model, options, fn);
  await writeFileAtomic(path.join(dir, 'group1-shard1of1.bin'), weightData);
  await writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
}

registerModelFileFormat({
  name: 'tfjs',
  extensions: ['model.json'],
  save: async (model, p, options) => {
    const dir = p.toLowerCase().endsWith('model.json') ? path.dirname(p) : p;
    await saveTfjs(model, dir, options as SaveTfjsOptions);
  },
  loadWeights: async (model, p, options) => {
    const loaded = await loadTfjs(p);
    const src = new Map(weightPaths(loaded).map((w) => [w.path.join('/'), w.weight]));
    const dst = weightPaths(model);
    const updates: [LayerWeight, LayerWeight][] = [];
    for (const d of dst) {
      const s = src.get(d.path.join('/'));
      if (!s) {
        if (options.byName) continue;
        throw new FormatError(`${model.name}.loadWeights: ${p} has no weight ${d.path.join('/')}`);
      }
      if (s.tensor.rank !== d.weight.tensor.rank || s.tensor.shape.some((x, i) => x !== d.weight.tensor.shape[i])) {
        if (options.skipMismatch) continue;
        throw new FormatError(`${model.name}.loadWeights: ${p}: ${d.path.join('/')} has shape ${fmtShape(s.tensor.shape)} but the model needs ${fmtShape(d.weight.tensor.shape)}`);
      }
      updates.push([d.weight, s]);
    }
    const used = new Set(dst.map((d) => d.path.join('/')));
    const extra = [...src.keys()].filter((k) => !used.has(k));
    if (!options.byName && extra.length > 0) {
      throw new FormatError(`${model.name}.loadWeights: ${p} holds weights model '${model.name}' has no place for (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}); pass { byName: true } to load the ones it names`);
    }
    for (const [d, s] of updates) d.tensor.data.set(s.tensor.data);
  },
});
