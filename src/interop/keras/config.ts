// Keras model configs (tf.keras 2.x `model_config`, TensorFlow.js `modelTopology`, Keras 3
// config.json) to gradlab models and back, and the Keras weight order and names that the .h5 and
// TensorFlow.js readers share. Keys that change what a model computes are honoured or refused;
// initializers, regularizers, constraints and bookkeeping keys are ignored.
import { FormatError, GradlabError, ValueError, fmtShape } from '../../core/errors.js';
import { booleanOption, checkOptions, describeValue, hasOwn, optionKeys } from '../../core/validate.js';
import type { DType } from '../../tensor/tensor.js';
import {
  Activation, Add, AveragePooling1D, AveragePooling2D, Average, BatchNormalization, Concatenate, Conv1D, Conv2D, Conv2DTranspose, Cropping2D,
  DepthwiseConv2D, Dense, Dropout, ELU, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
  InputLayer, Layer, LayerNormalization, LeakyReLU, MaxPooling1D, MaxPooling2D, Maximum, Minimum, Model, Multiply, ReLU, Rescaling, Reshape,
  Resizing, SeparableConv2D, Sequential, Softmax, Subtract, UpSampling2D, ZeroPadding2D, input,
  type LayerWeight, type Node, type SymbolicTensor,
} from '../../nn/index.js';
import { RandomFlip, RandomRotation, RandomTranslation, RandomZoom, type Factor, type FillMode, type FlipMode, type TransformInterpolation } from '../../nn/preprocessing.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property or undefined: never a prototype's name. */
function own(o: Json, k: string): unknown {
  return hasOwn(o, k) ? o[k] : undefined;
}

function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return describeValue(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return describeValue(v);
  }
}

interface Ctx {
  readonly fn: string;
  readonly source: string;
  /** Keras 3 (config.json) semantics, e.g. its hard_sigmoid. */
  keras3: boolean;
  /** Written by TensorFlow.js (keras_version 'tfjs-layers ...'), whose bilinear upsampling differs. */
  tfjs: boolean;
  depth: number;
  /** Weight values the layers built so far hold, and the most allowed (a file's own count, or a sane limit). */
  weights: number;
  maxWeights: number;
}

/** Per-sample values one layer output may hold: far above real models, far below what would exhaust memory. */
const MAX_ACTIVATION = 2 ** 26;
/** Weight values a config may ask for unless the caller knows the file's count. */
const MAX_WEIGHTS = 2 ** 28;

function fail(ctx: Ctx, msg: string): FormatError {
  return new FormatError(`${ctx.fn}: ${ctx.source}: ${msg}`);
}

/** Runs `make`; a gradlab argument error becomes a FormatError saying which layer of the file it is. */
function inLayer<T>(ctx: Ctx, where: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof GradlabError) throw fail(ctx, `${where}: ${e.message}`);
    throw fail(ctx, `${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------- keys ----------

/** Keys that never change a loaded model's computation. */
const BOOKKEEPING = new Set([
  'name', 'trainable', 'dtype', 'batch_size', 'autocast', 'build_config', 'compile_config', 'module', 'registered_name', 'shared_object_id',
  'input_dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'activity_regularizer', 'renorm_momentum', 'fused', 'sparse', 'ragged',
  'input_tensor', 'optional',
]);

const NULL_ONLY = new Set(['lora_rank', 'lora_alpha', 'quantization_config', 'noise_shape', 'renorm_clipping', 'virtual_batch_size', 'adjustment']);

function ignoredKey(k: string): boolean {
  return BOOKKEEPING.has(k) || /_(initializer|regularizer|constraint)$/.test(k);
}

/** Reads a layer's Keras config, remembering which keys were used; `finish` refuses the rest. */
class Keys {
  private readonly used = new Set<string>();
  constructor(readonly ctx: Ctx, readonly c: Json, readonly cls: string, readonly layer: string) {}

  where(): string {
    return `layer '${this.layer}' (${this.cls})`;
  }

  bad(key: string, v: unknown, why: string): FormatError {
    return fail(this.ctx, `${this.where()}: ${key} ${show(v)} ${why}`);
  }

  get(k: string): unknown {
    this.used.add(k);
    return own(this.c, k);
  }

  /** A key gradlab cannot honour: accepted only at a value that changes nothing. */
  only(k: string, ok: (v: unknown) => boolean, what: string): void {
    const v = this.get(k);
    if (v !== undefined && !ok(v)) throw this.bad(k, v, `is not supported by gradlab (only ${what})`);
  }

  channelsLast(): void {
    const v = this.get('data_format');
    if (v === undefined || v === null || v === 'channels_last') return;
    if (v === 'channels_first') throw this.bad('data_format', v, 'is not supported: gradlab computes channels_last (NHWC); re-save the model with data_format channels_last');
    throw this.bad('data_format', v, "must be 'channels_last' or 'channels_first'");
  }

  finish(): void {
    for (const k of Object.keys(this.c)) {
      // Keras 3's LoRA and quantization settings change nothing while unset
      if (NULL_ONLY.has(k) && !this.used.has(k) && isNullish(this.c[k])) continue;
      if (!this.used.has(k) && !ignoredKey(k)) throw this.bad(k, this.c[k], 'is a key gradlab does not know for this class; it may change the computation, so the model is refused');
    }
  }
}

const isNullish = (v: unknown) => v === null || v === undefined;
const isFalse = (v: unknown) => v === false || v === null;

/** An int, or a list of `n` ints (Keras' tuples), as gradlab's number or pair. */
function intOrTuple(k: Keys, key: string, n: 1 | 2): number | [number, number] | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === n && v.every((d) => typeof d === 'number')) return n === 1 ? (v[0] as number) : [v[0] as number, v[1] as number];
  throw k.bad(key, v, `must be an integer or a list of ${n} integers`);
}

function strOpt(k: Keys, key: string): string | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw k.bad(key, v, 'must be a string');
  return v;
}

function numOpt(k: Keys, key: string): number | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw k.bad(key, v, 'must be a number');
  return v;
}

function boolOpt(k: Keys, key: string): boolean | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw k.bad(key, v, 'must be true or false');
  return v;
}

/** A Keras augmentation factor: a number or a list of two. */
function factorOpt(k: Keys, key: string): Factor | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number')) return [v[0] as number, v[1] as number];
  throw k.bad(key, v, 'must be a number or a list of two numbers');
}

/** The fill and interpolation keys of Keras' RandomRotation, RandomZoom and RandomTranslation. */
function fillOpts(k: Keys): { fillMode?: FillMode; interpolation?: TransformInterpolation; fillValue?: number; seed?: number } {
  k.channelsLast();
  return { fillMode: strOpt(k, 'fill_mode') as FillMode, interpolation: strOpt(k, 'interpolation') as TransformInterpolation, fillValue: numOpt(k, 'fill_value'), seed: numOpt(k, 'seed') };
}

/** An axis: an int or a list of one int (tf.keras 2.x writes [3]). */
function axisOpt(k: Keys, key: string): number | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  throw k.bad(key, v, 'must be one integer axis');
}

/** Keras' activation names to gradlab's; the ones gradlab lacks are refused by name. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh', relu6: 'relu6', swish: 'swish', silu: 'silu',
  gelu: 'gelu', elu: 'elu', selu: 'selu', softplus: 'softplus', log_softmax: 'log_softmax', logSoftmax: 'log_softmax',
};
/** Only Keras 3 defines these as gradlab does. */
const KERAS3_ACTIVATIONS: Record<string, string> = {
  hard_sigmoid: 'hard_sigmoid', hard_silu: 'hard_swish', hard_swish: 'hard_swish', leaky_relu: 'leaky_relu',
};

function activationOpt(k: Keys, key = 'activation'): string | undefined {
  let v = k.get(key);
  if (v === undefined || v === null) return undefined;
  // Keras 3 may write { module: 'keras.activations', class_name: 'function', config: 'relu' }
  if (isObject(v) && typeof own(v, 'config') === 'string' && (own(v, 'class_name') === 'function' || own(v, 'module') === 'keras.activations')) v = own(v, 'config');
  if (typeof v !== 'string') throw k.bad(key, v, 'is not an activation name gradlab knows');
  if (hasOwn(ACTIVATIONS, v)) return ACTIVATIONS[v];
  if (k.ctx.keras3 && hasOwn(KERAS3_ACTIVATIONS, v)) return KERAS3_ACTIVATIONS[v];
  if (v === 'hard_sigmoid') throw k.bad(key, v, "is not supported: tf.keras 2.x and TensorFlow.js define it as clip(0.2x + 0.5, 0, 1), gradlab's hard_sigmoid is Keras 3's relu6(x + 3) / 6");
  throw k.bad(key, v, `is an activation gradlab does not have (gradlab has ${Object.keys(ACTIVATIONS).join(', ')})`);
}

/** A Keras dtype or DTypePolicy: float32 (gradlab's default) or float64. */
function dtypeOf(ctx: Ctx, where: string, v: unknown): DType | undefined {
  if (v === undefined || v === null) return undefined;
  let name: unknown = v;
  if (isObject(v)) {
    const cfg = own(v, 'config');
    name = isObject(cfg) ? own(cfg, 'name') : undefined;
  }
  if (name === 'float32') return undefined;
  if (name === 'float64') return 'float64';
  throw fail(ctx, `${where}: dtype ${show(v)} is not supported (gradlab computes in float32 or float64)`);
}

/** A Keras batch shape [null, ...dims] to gradlab's per-sample shape. */
function perSample(ctx: Ctx, where: string, key: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length < 1) throw fail(ctx, `${where}: ${key} must be a list [batch, ...dims], got ${show(v)}`);
  const dims = v.slice(1);
  if (!dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw fail(ctx, `${where}: ${key} ${show(v)} must have fixed positive dimensions after the batch axis (gradlab needs every per-sample size)`);
  }
  if ((dims as number[]).reduce((a, b) => a * b, 1) > MAX_ACTIVATION) throw fail(ctx, `${where}: ${key} ${show(v)} is larger than gradlab allows per sample (${MAX_ACTIVATION} values)`);
  return dims as number[];
}

/** The per-sample input shape a layer entry declares (batch_input_shape / batch_shape), if any. */
function declaredShape(ctx: Ctx, where: string, c: Json): number[] | undefined {
  for (const key of ['batch_input_shape', 'batch_shape']) {
    const v = own(c, key);
    if (v !== undefined && v !== null) return perSample(ctx, where, key, v);
  }
  return undefined;
}

// ---------- layers ----------

interface Made {
  layer: Layer;
}

type Converter = (k: Keys, base: { name: string; trainable?: boolean; dtype?: DType }) => Layer;

const conv2dArgs = (k: Keys) => {
  k.channelsLast();
  return {
    kernelSize: intOrTuple(k, 'kernel_size', 2)!, strides: intOrTuple(k, 'strides', 2), padding: strOpt(k, 'padding') as 'valid',
    dilationRate: intOrTuple(k, 'dilation_rate', 2), activation: activationOpt(k) as 'relu', useBias: boolOpt(k, 'use_bias'),
  };
};

const pool2d = (k: Keys) => {
  k.channelsLast();
  return { poolSize: intOrTuple(k, 'pool_size', 2), strides: intOrTuple(k, 'strides', 2), padding: strOpt(k, 'padding') as 'valid' };
};
const pool1d = (k: Keys) => {
  k.channelsLast();
  return { poolSize: intOrTuple(k, 'pool_size', 1) as number | undefined, strides: intOrTuple(k, 'strides', 1) as number | undefined, padding: strOpt(k, 'padding') as 'valid' };
};
const globalPool = (k: Keys) => {
  k.channelsLast();
  return { keepdims: boolOpt(k, 'keepdims') };
};

function margins(k: Keys, key: string): number | [number, number] | [[number, number], [number, number]] | undefined {
  const v = k.get(key);
  if (v === undefined || v === null) return undefined;
  return v as [number, number]; // gradlab checks the forms
}

function leakySlope(k: Keys): number | undefined {
  const a = numOpt(k, 'alpha');
  const s = numOpt(k, 'negative_slope');
  if (a !== undefined && s !== undefined && a !== s) throw k.bad('alpha', a, `differs from negative_slope ${s}`);
  return s ?? a;
}

const CONVERTERS: Record<string, Converter> = {
  RandomFlip: (k, b) => {
    k.channelsLast();
    return new RandomFlip({ ...b, mode: strOpt(k, 'mode') as FlipMode, seed: numOpt(k, 'seed') });
  },
  RandomRotation: (k, b) => new RandomRotation({ ...b, factor: factorOpt(k, 'factor')!, ...fillOpts(k) }),
  RandomZoom: (k, b) => new RandomZoom({ ...b, heightFactor: factorOpt(k, 'height_factor')!, widthFactor: factorOpt(k, 'width_factor') ?? null, ...fillOpts(k) }),
  RandomTranslation: (k, b) => new RandomTranslation({ ...b, heightFactor: factorOpt(k, 'height_factor')!, widthFactor: factorOpt(k, 'width_factor')!, ...fillOpts(k) }),
  Dense: (k, b) => {
    k.only('lora_rank', isNullish, 'null');
    return new Dense({ ...b, units: numOpt(k, 'units')!, activation: activationOpt(k) as 'relu', useBias: boolOpt(k, 'use_bias') });
  },
  Conv2D: (k, b) => {
    const filters = numOpt(k, 'filters')!;
    const groups = numOpt(k, 'groups');
    k.only('lora_rank', isNullish, 'null');
    return new Conv2D({ ...b, filters, groups, ...conv2dArgs(k) });
  },
  Conv1D: (k, b) => {
    const filters = numOpt(k, 'filters')!;
    k.only('groups', (v) => v === 1, '1');
    k.only('lora_rank', isNullish, 'null');
    const padding = strOpt(k, 'padding');
    if (padding === 'causal') throw k.bad('padding', padding, "is not supported by gradlab's Conv1D (only 'valid' and 'same')");
    k.channelsLast();
    return new Conv1D({
      ...b, filters, padding: padding as 'valid', kernelSize: intOrTuple(k, 'kernel_size', 1) as number, strides: intOrTuple(k, 'strides', 1) as number,
      dilationRate: intOrTuple(k, 'dilation_rate', 1) as number, activation: activationOpt(k) as 'relu', useBias: boolOpt(k, 'use_bias'),
    });
  },
  MaxPooling2D: (k, b) => new MaxPooling2D({ ...b, ...pool2d(k) }),
  AveragePooling2D: (k, b) => new AveragePooling2D({ ...b, ...pool2d(k) }),
  MaxPooling1D: (k, b) => new MaxPooling1D({ ...b, ...pool1d(k) }),
  AveragePooling1D: (k, b) => new AveragePooling1D({ ...b, ...pool1d(k) }),
  GlobalAveragePooling2D: (k, b) => new GlobalAveragePooling2D({ ...b, ...globalPool(k) }),
  GlobalMaxPooling2D: (k, b) => new GlobalMaxPooling2D({ ...b, ...globalPool(k) }),
  GlobalAveragePooling1D: (k, b) => new GlobalAveragePooling1D({ ...b, ...globalPool(k) }),
  GlobalMaxPooling1D: (k, b) => new GlobalMaxPooling1D({ ...b, ...globalPool(k) }),
  Flatten: (k, b) => {
    k.channelsLast();
    return new Flatten(b);
  },
  Reshape: (k, b) => new Reshape({ ...b, targetShape: k.get('target_shape') as number[] }),
  Dropout: (k, b) => {
    k.only('noise_shape', isNullish, 'null');
    return new Dropout({ ...b, rate: numOpt(k, 'rate')!, seed: numOpt(k, 'seed') });
  },
  Activation: (k, b) => new Activation({ ...b, activation: (activationOpt(k) ?? 'linear') as 'relu' }),
  BatchNormalization: (k, b) => {
    k.only('renorm', isFalse, 'false');
    k.only('renorm_clipping', isNullish, 'null');
    k.only('virtual_batch_size', isNullish, 'null');
    k.only('adjustment', isNullish, 'null');
    k.only('synchronized', isFalse, 'false');
    return new BatchNormalization({
      ...b, axis: axisOpt(k, 'axis'), momentum: numOpt(k, 'momentum'), epsilon: numOpt(k, 'epsilon'), center: boolOpt(k, 'center'), scale: boolOpt(k, 'scale'),
    });
  },
  Add: (_k, b) => new Add(b),
  Subtract: (_k, b) => new Subtract(b),
  Multiply: (_k, b) => new Multiply(b),
  Average: (_k, b) => new Average(b),
  Maximum: (_k, b) => new Maximum(b),
  Minimum: (_k, b) => new Minimum(b),
  Concatenate: (k, b) => new Concatenate({ ...b, axis: axisOpt(k, 'axis') }),
  ZeroPadding2D: (k, b) => {
    k.channelsLast();
    return new ZeroPadding2D({ ...b, padding: margins(k, 'padding') });
  },
  Cropping2D: (k, b) => {
    k.channelsLast();
    return new Cropping2D({ ...b, cropping: margins(k, 'cropping') });
  },
  Rescaling: (k, b) => new Rescaling({ ...b, scale: k.get('scale') as number, offset: k.get('offset') as number | undefined }),
  ReLU: (k, b) => new ReLU({ ...b, maxValue: numOpt(k, 'max_value') ?? null, negativeSlope: numOpt(k, 'negative_slope'), threshold: numOpt(k, 'threshold') }),
  LeakyReLU: (k, b) => new LeakyReLU({ ...b, negativeSlope: leakySlope(k) }),
  ELU: (k, b) => new ELU({ ...b, alpha: numOpt(k, 'alpha') }),
  Softmax: (k, b) => new Softmax({ ...b, axis: axisOpt(k, 'axis') }),
  LayerNormalization: (k, b) => {
    k.only('rms_scaling', isFalse, 'false');
    const axis = k.get('axis');
    return new LayerNormalization({ ...b, axis: (axis ?? undefined) as number, epsilon: numOpt(k, 'epsilon'), center: boolOpt(k, 'center'), scale: boolOpt(k, 'scale') });
  },
  UpSampling2D: (k, b) => {
    k.channelsLast();
    if (k.ctx.tfjs && own(k.c, 'interpolation') === 'bilinear') throw k.bad('interpolation', 'bilinear', "is not supported from TensorFlow.js: its bilinear UpSampling2D samples without half-pixel centres, gradlab's (as Keras') with them");
    return new UpSampling2D({ ...b, size: intOrTuple(k, 'size', 2), interpolation: strOpt(k, 'interpolation') as 'nearest' });
  },
  Resizing: (k, b) => {
    k.channelsLast();
    k.only('crop_to_aspect_ratio', isFalse, 'false');
    k.only('pad_to_aspect_ratio', isFalse, 'false');
    k.only('antialias', isFalse, 'false');
    k.get('fill_mode'); // only used when padding to the aspect ratio, refused above
    k.get('fill_value');
    return new Resizing({ ...b, height: numOpt(k, 'height')!, width: numOpt(k, 'width')!, interpolation: strOpt(k, 'interpolation') as 'nearest' });
  },
  DepthwiseConv2D: (k, b) => {
    const depthMultiplier = numOpt(k, 'depth_multiplier');
    const dil = own(k.c, 'dilation_rate');
    if (k.ctx.tfjs && dil !== undefined && dil !== null && dil !== 1 && !(Array.isArray(dil) && dil.every((d) => d === 1))) {
      throw k.bad('dilation_rate', dil, 'is not supported from TensorFlow.js: its DepthwiseConv2D ignores the dilation in the output shape');
    }
    k.only('groups', (v) => v === 1, '1');
    return new DepthwiseConv2D({ ...b, depthMultiplier, ...conv2dArgs(k) });
  },
  SeparableConv2D: (k, b) => {
    const depthMultiplier = numOpt(k, 'depth_multiplier');
    const filters = numOpt(k, 'filters')!;
    k.only('groups', (v) => v === 1, '1');
    return new SeparableConv2D({ ...b, filters, depthMultiplier, ...conv2dArgs(k) });
  },
  Conv2DTranspose: (k, b) => {
    const filters = numOpt(k, 'filters')!;
    k.only('groups', (v) => v === 1, '1');
    const op = k.get('output_padding');
    return new Conv2DTranspose({ ...b, filters, outputPadding: (op ?? null) as [number, number] | null, ...conv2dArgs(k) });
  },
};


/**
 * Checks, before a layer is built on inputs of these per-sample shapes, that its weights and its
 * output stay within the limits: a config from an untrusted file must not make gradlab allocate
 * without bound (building runs the layer once on a zero sample).
 */
function precheck(ctx: Ctx, layer: Layer, shapes: readonly (readonly number[])[]): void {
  if (layer instanceof Model || layer.built) return;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const s = shapes[0] ?? [];
  const last = s[s.length - 1] ?? 1;
  const spatial = size(s.slice(0, -1));
  const k = (v: number | readonly number[]) => (typeof v === 'number' ? v : size(v));
  let weights = 0;
  let out = Math.max(...shapes.map(size));
  if (layer instanceof Dense) { weights = last * layer.units + layer.units; out = spatial * layer.units; }
  else if (layer instanceof Conv2D || layer instanceof Conv1D) { weights = k(layer.kernelSize) * last * layer.filters + layer.filters; out = spatial * layer.filters; }
  else if (layer instanceof SeparableConv2D) { weights = k(layer.kernelSize) * last * layer.depthMultiplier + last * layer.depthMultiplier * layer.filters + layer.filters; out = spatial * Math.max(layer.filters, last * layer.depthMultiplier); }
  else if (layer instanceof DepthwiseConv2D) { weights = k(layer.kernelSize) * last * layer.depthMultiplier + last * layer.depthMultiplier; out = spatial * last * layer.depthMultiplier; }
  else if (layer instanceof Conv2DTranspose) { weights = k(layer.kernelSize) * last * layer.filters + layer.filters; out = ((s[0] ?? 1) * layer.strides[0] + layer.kernelSize[0]) * ((s[1] ?? 1) * layer.strides[1] + layer.kernelSize[1]) * layer.filters; }
  else if (layer instanceof BatchNormalization) weights = 4 * last;
  else if (layer instanceof LayerNormalization) weights = 2 * layer.axis.reduce((a, d) => a * (s[(d < 0 ? d + s.length + 1 : d) - 1] ?? 1), 1);
  else if (layer instanceof UpSampling2D) out = size(s) * layer.size[0] * layer.size[1];
  else if (layer instanceof Resizing) out = layer.height * layer.width * last;
  else if (layer instanceof ZeroPadding2D) out = ((s[0] ?? 1) + layer.padding[0][0] + layer.padding[0][1]) * ((s[1] ?? 1) + layer.padding[1][0] + layer.padding[1][1]) * last;
  else if (shapes.length > 1) {
    // merges broadcast: the output holds at most every input's largest extent per axis
    const rank = Math.max(...shapes.map((x) => x.length));
    let n = 0;
    for (let i = 0; i < rank; i++) n = (n || 1) * Math.max(...shapes.map((x) => x[x.length - rank + i] ?? 1));
    out = layer instanceof Concatenate ? shapes.reduce((a, x) => a + size(x), 0) : n;
  }
  if (!(out <= MAX_ACTIVATION)) throw fail(ctx, `layer '${layer.name}' (${layer.className}) would make about ${out} values per sample from input ${shapes.map((x) => fmtShape(x)).join(', ')}, more than gradlab allows (${MAX_ACTIVATION})`);
  ctx.weights += weights;
  if (!(ctx.weights <= ctx.maxWeights)) throw fail(ctx, `layer '${layer.name}' (${layer.className}) would bring the model to about ${ctx.weights} weight values, more than ${ctx.maxWeights === MAX_WEIGHTS ? 'gradlab allows' : 'the file holds'} (${ctx.maxWeights})`);
}

/** The Keras classes `modelFromKerasConfig` reads (besides InputLayer, Sequential, Functional and Model). */
export const kerasLayerClassNames: readonly string[] = Object.freeze(Object.keys(CONVERTERS));

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

interface Entry {
  className: string;
  config: Json;
  name: string;
  raw: Json;
}

function entryOf(ctx: Ctx, v: unknown, where: string): Entry {
  if (!isObject(v)) throw fail(ctx, `${where} must be an object { class_name, config }, got ${show(v)}`);
  const className = own(v, 'class_name');
  const config = own(v, 'config');
  if (typeof className !== 'string') throw fail(ctx, `${where} has no class_name (got ${show(className)})`);
  // tf.keras 2.x's old Sequential writes its layer list as `config`
  if (!isObject(config) && !(className === 'Sequential' && Array.isArray(config))) throw fail(ctx, `${where} (${className}) has no config object`);
  const cfgName = isObject(config) ? own(config, 'name') : undefined;
  // old files may leave a model unnamed
  const name = own(v, 'name') ?? cfgName ?? (MODEL_CLASSES.has(className) ? className.toLowerCase() : undefined);
  if (typeof name !== 'string' || name === '') throw fail(ctx, `${where} (${className}) has no name (got ${show(name)})`);
  return { className, config: isObject(config) ? config : { name, layers: config }, name, raw: v };
}

/** A non-model layer from its Keras entry; `inputShape` for the first layer of a Sequential. */
function layerFromEntry(ctx: Ctx, e: Entry, inputShape?: number[]): Layer {
  const where = `layer '${e.name}' (${e.className})`;
  if (!hasOwn(CONVERTERS, e.className)) {
    throw fail(ctx, `${where}: unknown layer class '${e.className}' (gradlab reads ${[...kerasLayerClassNames, 'InputLayer', 'Sequential', 'Functional', 'Model'].join(', ')})`);
  }
  const k = new Keys(ctx, e.config, e.className, e.name);
  const trainable = k.get('trainable');
  if (trainable !== undefined && typeof trainable !== 'boolean') throw k.bad('trainable', trainable, 'must be true or false');
  const dtype = dtypeOf(ctx, where, k.get('dtype'));
  const base = { name: e.name, ...(trainable === false ? { trainable: false } : {}), ...(dtype ? { dtype } : {}), ...(inputShape ? { inputShape } : {}) };
  const layer = inLayer(ctx, where, () => CONVERTERS[e.className](k, base));
  k.finish();
  return layer;
}

/** A layer or nested model from its Keras entry. */
function anyFromEntry(ctx: Ctx, e: Entry, inputShape?: number[]): Layer {
  if (MODEL_CLASSES.has(e.className)) return modelFromEntry(ctx, e);
  return layerFromEntry(ctx, e, inputShape);
}

/** The layers of each model read from a config, in the file's order (Keras' model.layers, the .h5 weight order). */
const kerasOrder = new WeakMap<Model, Layer[]>();

function modelFromEntry(ctx: Ctx, e: Entry): Model {
  if (ctx.depth > 64) throw fail(ctx, `model '${e.name}' is nested more than 64 deep`);
  ctx.depth++;
  try {
    return e.className === 'Sequential' ? sequentialFrom(ctx, e) : functionalFrom(ctx, e);
  } finally {
    ctx.depth--;
  }
}

function modelBuildShape(ctx: Ctx, e: Entry): number[] | undefined {
  const where = `model '${e.name}'`;
  const bc = own(e.raw, 'build_config');
  if (isObject(bc) && own(bc, 'input_shape') !== undefined && own(bc, 'input_shape') !== null) return perSample(ctx, where, 'build_config.input_shape', own(bc, 'input_shape'));
  const bis = own(e.config, 'build_input_shape');
  if (bis !== undefined && bis !== null) return perSample(ctx, where, 'build_input_shape', bis);
  return undefined;
}

function sequentialFrom(ctx: Ctx, e: Entry): Sequential {
  const where = `model '${e.name}' (Sequential)`;
  const list = own(e.config, 'layers');
  if (!Array.isArray(list)) throw fail(ctx, `${where} has no list of layers`);
  const model = inLayer(ctx, where, () => new Sequential({ name: e.name }));
  const order: Layer[] = [];
  const entries = list.map((raw, i) => entryOf(ctx, raw, `${where}, layer ${i}`));
  // Keras 3 may give the input shape only in build_config: the input comes first, so that every
  // layer is checked before it is built
  const firstDeclares = entries.length > 0 && (entries[0].className === 'InputLayer' || MODEL_CLASSES.has(entries[0].className) || declaredShape(ctx, `layer '${entries[0].name}'`, entries[0].config) !== undefined);
  const buildShape = firstDeclares ? undefined : modelBuildShape(ctx, e);
  if (buildShape) inLayer(ctx, `${where}, build shape`, () => model.add(input({ shape: buildShape, name: `${e.name}_input` })));
  let first = true;
  let start = buildShape;
  entries.forEach((le) => {
    if (le.className === 'InputLayer') {
      if (!first || buildShape) throw fail(ctx, `${where}: InputLayer '${le.name}' is not the first layer`);
      const { shape, dtype } = inputLayerSpec(ctx, le);
      start = shape;
      inLayer(ctx, `${where}, input '${le.name}'`, () => model.add(input({ shape, name: `${le.name}`, ...(dtype ? { dtype } : {}) })));
      first = false;
      return;
    }
    const shape = first && !MODEL_CLASSES.has(le.className) && model.inputs.length === 0 && !buildShape ? declaredShape(ctx, `layer '${le.name}'`, le.config) : undefined;
    const layer = anyFromEntry(ctx, le, shape);
    const inShape = model.outputs.length > 0 ? model.outputs[0].perSampleShape : shape ?? start;
    if (inShape) precheck(ctx, layer, [inShape]);
    inLayer(ctx, `${where}, layer '${le.name}'`, () => model.add(layer));
    order.push(layer);
    first = false;
  });
  const trainable = own(e.config, 'trainable');
  if (trainable === false) model.trainable = false;
  kerasOrder.set(model, order);
  return model;
}

function inputLayerSpec(ctx: Ctx, e: Entry): { shape: number[]; dtype?: DType } {
  const where = `input layer '${e.name}'`;
  const k = new Keys(ctx, e.config, 'InputLayer', e.name);
  k.only('sparse', isFalse, 'false');
  k.only('ragged', isFalse, 'false');
  k.get('batch_size');
  let shape = declaredShape(ctx, where, e.config);
  k.get('batch_input_shape');
  k.get('batch_shape');
  const is = k.get('input_shape');
  if (!shape && is !== undefined && is !== null) shape = perSample(ctx, where, 'input_shape', [null, ...(Array.isArray(is) ? is : [is])]);
  if (!shape) throw fail(ctx, `${where} has no batch_input_shape or batch_shape`);
  const dtype = dtypeOf(ctx, where, k.get('dtype'));
  k.finish();
  return { shape, ...(dtype ? { dtype } : {}) };
}

interface Ref {
  layer: string;
  node: number;
  tensor: number;
}

function refOf(ctx: Ctx, where: string, v: unknown): Ref {
  if (Array.isArray(v) && v.length >= 3 && v.length <= 4 && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2]) && (v[1] as number) >= 0 && (v[2] as number) >= 0) {
    if (v.length === 4 && v[3] !== null && !(isObject(v[3]) && Object.keys(v[3]).every((kk) => kk === 'training' || (kk === 'mask' && isNullish((v[3] as Json).mask))))) {
      throw fail(ctx, `${where}: call arguments ${show(v[3])} are not supported`);
    }
    return { layer: v[0], node: v[1] as number, tensor: v[2] as number };
  }
  throw fail(ctx, `${where} must be [layer_name, node_index, tensor_index], got ${show(v)}`);
}

/** A Keras 3 `__keras_tensor__` argument. */
function kerasTensorRef(ctx: Ctx, where: string, v: unknown): Ref {
  if (isObject(v) && own(v, 'class_name') === '__keras_tensor__' && isObject(own(v, 'config'))) {
    return refOf(ctx, where, own(own(v, 'config') as Json, 'keras_history'));
  }
  throw fail(ctx, `${where} must be a __keras_tensor__, got ${show(v)}`);
}

/** One call of a layer: the tensors it reads. */
function parseNode(ctx: Ctx, where: string, nd: unknown): Ref[] {
  if (Array.isArray(nd)) return nd.map((r, i) => refOf(ctx, `${where} input ${i}`, r));
  if (isObject(nd) && Array.isArray(own(nd, 'args'))) {
    const args = own(nd, 'args') as unknown[];
    const kwargs = own(nd, 'kwargs');
    if (kwargs !== undefined && !(isObject(kwargs) && Object.keys(kwargs).every((kk) => kk === 'training' || (kk === 'mask' && isNullish(kwargs.mask))))) {
      throw fail(ctx, `${where}: call arguments ${show(kwargs)} are not supported`);
    }
    if (args.length !== 1) throw fail(ctx, `${where}: a call with ${args.length} positional arguments is not supported`);
    const a = args[0];
    return Array.isArray(a) ? a.map((t, i) => kerasTensorRef(ctx, `${where} input ${i}`, t)) : [kerasTensorRef(ctx, `${where} input 0`, a)];
  }
  throw fail(ctx, `${where} must be a list of inputs or { args, kwargs }, got ${show(nd)}`);
}

function refList(ctx: Ctx, where: string, v: unknown): Ref[] {
  if (!Array.isArray(v)) throw fail(ctx, `${where} must be a list, got ${show(v)}`);
  // Keras 3 writes a single input or output as one [name, node, index]
  if (typeof v[0] === 'string') return [refOf(ctx, where, v)];
  return v.map((r, i) => refOf(ctx, `${where}[${i}]`, r));
}

function functionalFrom(ctx: Ctx, e: Entry): Model {
  const where = `model '${e.name}' (${e.className})`;
  const list = own(e.config, 'layers');
  if (!Array.isArray(list)) throw fail(ctx, `${where} has no list of layers`);
  const entries = list.map((raw, i) => entryOf(ctx, raw, `${where}, layer ${i}`));
  const byName = new Map<string, { entry: Entry; layer: Layer; nodes: Ref[][] }>();
  const order: Layer[] = [];
  for (const le of entries) {
    if (byName.has(le.name)) throw fail(ctx, `${where} has two layers named '${le.name}'`);
    let layer: Layer;
    if (le.className === 'InputLayer') {
      const { shape, dtype } = inputLayerSpec(ctx, le);
      layer = inLayer(ctx, `input layer '${le.name}'`, () => new InputLayer({ shape, name: le.name, ...(dtype ? { dtype } : {}) }));
    } else {
      layer = anyFromEntry(ctx, le);
      order.push(layer);
    }
    const inbound = own(le.raw, 'inbound_nodes') ?? [];
    if (!Array.isArray(inbound)) throw fail(ctx, `layer '${le.name}': inbound_nodes must be a list, got ${show(inbound)}`);
    const nodes = inbound.map((nd, i) => parseNode(ctx, `layer '${le.name}' call ${i}`, nd));
    if (layer instanceof InputLayer && nodes.length > 0) throw fail(ctx, `input layer '${le.name}' has inbound nodes`);
    byName.set(le.name, { entry: le, layer, nodes });
  }
  const inputRefs = refList(ctx, `${where} input_layers`, own(e.config, 'input_layers'));
  const outputRefs = refList(ctx, `${where} output_layers`, own(e.config, 'output_layers'));
  // tf.keras and Keras 3 number a nested model's calls from 1 (node 0 is its own graph); tfjs from 0
  const offset = new Map<string, number>();
  const seenRefs = new Map<string, number[]>();
  const allRefs = [...[...byName.values()].flatMap((v) => v.nodes.flat()), ...inputRefs, ...outputRefs];
  for (const r of allRefs) {
    const l = seenRefs.get(r.layer) ?? [];
    l.push(r.node);
    seenRefs.set(r.layer, l);
  }
  for (const [name, v] of byName) {
    const idx = seenRefs.get(name) ?? [];
    offset.set(name, v.layer instanceof Model && idx.length > 0 && Math.min(...idx) === 1 && Math.max(...idx) === v.nodes.length ? 1 : 0);
  }
  const made = new Map<string, SymbolicTensor[]>();
  for (const [name, v] of byName) if (v.layer instanceof InputLayer) made.set(`${name}:0`, [v.layer.output]);
  const lookup = (r: Ref, at: string): SymbolicTensor | undefined => {
    if (!byName.has(r.layer)) throw fail(ctx, `${at} refers to layer '${r.layer}', which is not in ${where}`);
    return made.get(`${r.layer}:${r.node}`)?.[r.tensor];
  };
  // Keras' order: each layer's calls in turn, a call waiting until its inputs exist
  const next = new Map<string, number>();
  let pending = [...byName.values()].reduce((n, v) => n + v.nodes.length, 0);
  while (pending > 0) {
    let progress = false;
    for (const [name, v] of byName) {
      let k = next.get(name) ?? 0;
      while (k < v.nodes.length) {
        const at = `layer '${name}' call ${k}`;
        const ins = v.nodes[k].map((r) => lookup(r, at));
        if (ins.some((t) => t === undefined)) break;
        precheck(ctx, v.layer, (ins as SymbolicTensor[]).map((t) => t.perSampleShape));
        const outs = inLayer(ctx, at, () => v.layer.applyAll(ins as SymbolicTensor[]));
        made.set(`${name}:${k + offset.get(name)!}`, outs);
        k++;
        pending--;
        progress = true;
      }
      next.set(name, k);
    }
    if (!progress) {
      const stuck = [...byName.entries()].find(([n, v]) => (next.get(n) ?? 0) < v.nodes.length)!;
      const k = next.get(stuck[0]) ?? 0;
      const missing = stuck[1].nodes[k].find((r) => lookup(r, '') === undefined)!;
      throw fail(ctx, `layer '${stuck[0]}' call ${k} reads ${show([missing.layer, missing.node, missing.tensor])}, which no call in ${where} makes (or the graph has a cycle)`);
    }
  }
  const resolve = (refs: Ref[], what: string) => refs.map((r, i) => {
    const t = lookup(r, `${where} ${what}[${i}]`);
    if (!t) throw fail(ctx, `${where} ${what}[${i}] refers to ${show([r.layer, r.node, r.tensor])}, which no call makes`);
    return t;
  });
  const inputs = resolve(inputRefs, 'input_layers');
  const outputs = resolve(outputRefs, 'output_layers');
  const model = inLayer(ctx, where, () => new Model({ inputs, outputs, name: e.name }));
  if (own(e.config, 'trainable') === false) model.trainable = false;
  kerasOrder.set(model, order.filter((l) => model.layers.includes(l)));
  return model;
}

/**
 * A gradlab model from a Keras model config: `{ class_name, config }` as tf.keras 2.x's
 * `model_config` or TensorFlow.js' `modelTopology` (also wrapped as `{ model_config, keras_version,
 * backend }`), or Keras 3's config.json. `source` names the file in error messages.
 */
export function modelFromKerasConfig(config: unknown, source: string, fn = 'modelFromKerasConfig', maxWeights = MAX_WEIGHTS): Model {
  const ctx: Ctx = { fn, source: typeof source === 'string' && source !== '' ? source : 'config', keras3: false, tfjs: false, depth: 0, weights: 0, maxWeights };
  let c = config;
  if (typeof c === 'string') {
    try {
      c = JSON.parse(c) as unknown;
    } catch (e) {
      throw fail(ctx, `the model config is not JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(c)) throw fail(ctx, `the model config must be an object { class_name, config }, got ${show(c)}`);
  const version = own(c, 'keras_version');
  if (isObject(own(c, 'model_config'))) c = own(c, 'model_config') as Json;
  else if (typeof own(c, 'model_config') === 'string') return modelFromKerasConfig(own(c, 'model_config'), source, fn, maxWeights);
  if (!isObject(c)) throw fail(ctx, 'the model config is not an object');
  ctx.tfjs = typeof version === 'string' && version.startsWith('tfjs');
  ctx.keras3 = (typeof version === 'string' && /^3\./.test(version)) || own(c, 'module') !== undefined || own(c, 'registered_name') !== undefined;
  const top = own(c, 'class_name');
  if (typeof top !== 'string' || !MODEL_CLASSES.has(top)) throw fail(ctx, `the top-level class is ${show(top)}, not Sequential, Functional or Model`);
  const e = entryOf(ctx, c, 'the model');
  return modelFromEntry(ctx, e);
}

// ---------- weights ----------

/** One weight array as a Keras file stores it. */
export interface KerasWeightArray {
  /** Its name in the file, e.g. `kernel:0`, `dense/kernel:0`, `block1_conv1/kernel:0`. */
  name: string;
  shape: number[];
  data: Float32Array | Float64Array;
}

/** The weights a Keras file stores for one (top-level) layer. */
export interface KerasLayerWeights {
  layerName: string;
  arrays: KerasWeightArray[];
}

export interface AssignKerasWeightsOptions {
  /** Match layers by name (Keras' by_name); layers the file lacks keep their weights. */
  byName?: boolean;
  /** With byName: skip layers whose weights differ in count or shape. */
  skipMismatch?: boolean;
}

const ASSIGN_KEYS = optionKeys<AssignKerasWeightsOptions>({ byName: true, skipMismatch: true });

/** Keras' weight names of a layer, in Keras' order: kernel, bias, gamma, beta, moving_mean, ... */
export function kerasWeightNames(layer: Layer): string[] {
  return layer.weights.map((w) => w.role);
}

/** A model's top-level layers in Keras' order (the file's order for a model read from a config). */
export function kerasLayers(model: Model): Layer[] {
  return kerasOrder.get(model) ?? model.layers.filter((l) => !(l instanceof InputLayer));
}

/** The top-level layers that have weights, in Keras' order: what a Keras .h5 file lists. */
export function kerasWeightedLayers(model: Model): Layer[] {
  return kerasLayers(model).filter((l) => l.weights.length > 0);
}

/** A layer's weights as Keras lists them: trainable ones first, then the rest (Keras' legacy order for nested models). */
export function kerasWeightOrder(layer: Layer): LayerWeight[] {
  const split = (l: Layer): [LayerWeight[], LayerWeight[]] => {
    if (l instanceof Model) {
      const tr: LayerWeight[] = [];
      const nt: LayerWeight[] = [];
      for (const sub of kerasLayers(l)) {
        const [a, b] = split(sub);
        tr.push(...a.map((w) => ({ ...w, role: `${sub.name}/${w.role}` })));
        nt.push(...b.map((w) => ({ ...w, role: `${sub.name}/${w.role}` })));
      }
      return l.trainable ? [tr, nt] : [[], [...tr, ...nt]];
    }
    return l.trainable ? [l.weights.filter((w) => w.trainable), l.weights.filter((w) => !w.trainable)] : [[], [...l.weights]];
  };
  const [tr, nt] = split(layer);
  const seen = new Set<unknown>();
  return [...tr, ...nt].filter((w) => (seen.has(w.tensor) ? false : (seen.add(w.tensor), true)));
}

/** `block1_conv1/kernel:0` -> ['block1_conv1', 'kernel']. */
function nameParts(name: string): string[] {
  return name.replace(/:\d+$/, '').split('/').filter((p) => p !== '');
}

/** The file's arrays for a nested model matched to its weights by inner layer and weight name; null when the names do not say. */
function matchByNames(targets: LayerWeight[], arrays: readonly KerasWeightArray[]): LayerWeight[] | null {
  const byPath = new Map<string, LayerWeight[]>();
  for (const t of targets) {
    const p = nameParts(t.role);
    const key = p.slice(-2).join('/');
    byPath.set(key, [...(byPath.get(key) ?? []), t]);
  }
  const out: LayerWeight[] = [];
  const used = new Set<LayerWeight>();
  for (const a of arrays) {
    const p = nameParts(a.name);
    if (p.length < 2) return null;
    const cands = byPath.get(p.slice(-2).join('/'));
    if (!cands || cands.length !== 1 || used.has(cands[0])) return null;
    used.add(cands[0]);
    out.push(cands[0]);
  }
  return out;
}

/**
 * Copies Keras weight arrays into a model: one entry per Keras layer (a nested model is one entry
 * holding all its layers' weights). By default in Keras' order, the file's layers with weights
 * matched to the model's and the counts equal; with byName by layer name. Everything is checked
 * before any weight is written.
 */
export function assignKerasWeights(model: Model, entries: readonly KerasLayerWeights[], options: AssignKerasWeightsOptions = {}, source = 'weights', fn = 'assignKerasWeights'): void {
  if (!(model instanceof Model)) throw new ValueError(`${fn}: model must be a gradlab Model, got ${describeValue(model)}`);
  const o = checkOptions(fn, options, ASSIGN_KEYS);
  const byName = booleanOption(fn, 'options.byName', o.byName ?? false);
  const skipMismatch = booleanOption(fn, 'options.skipMismatch', o.skipMismatch ?? false);
  const ctx: Ctx = { fn, source, keras3: false, tfjs: false, depth: 0, weights: 0, maxWeights: MAX_WEIGHTS };
  if (!Array.isArray(entries)) throw fail(ctx, `entries must be a list, got ${show(entries)}`);
  entries.forEach((e, i) => {
    if (!isObject(e) || typeof e.layerName !== 'string' || !Array.isArray(e.arrays)) throw fail(ctx, `entry ${i} must be { layerName, arrays }, got ${show(e)}`);
  });
  const fileLayers = entries.filter((e) => e.arrays.length > 0);
  const targets = kerasWeightedLayers(model);
  const pairs: [Layer, KerasLayerWeights][] = [];
  if (byName) {
    const seen = new Set<string>();
    for (const e of fileLayers) {
      if (seen.has(e.layerName)) throw fail(ctx, `layer '${e.layerName}' appears twice`);
      seen.add(e.layerName);
      const l = kerasLayers(model).find((x) => x.name === e.layerName);
      if (l) pairs.push([l, e]);
    }
  } else {
    if (fileLayers.length !== targets.length) {
      throw fail(ctx, `holds weights for ${fileLayers.length} layers (${fileLayers.slice(0, 6).map((e) => `'${e.layerName}'`).join(', ')}${fileLayers.length > 6 ? ', ...' : ''}) but model '${model.name}' has ${targets.length} layers with weights (${targets.slice(0, 6).map((l) => `'${l.name}'`).join(', ')}${targets.length > 6 ? ', ...' : ''})`);
    }
    targets.forEach((l, i) => pairs.push([l, fileLayers[i]]));
  }
  const writes: [LayerWeight, KerasWeightArray][] = [];
  for (const [layer, e] of pairs) {
    const want = layer instanceof Model ? kerasWeightOrder(layer) : [...layer.weights];
    const mismatch = (msg: string) => {
      if (skipMismatch) return true;
      throw fail(ctx, msg);
    };
    if (want.length !== e.arrays.length) {
      if (mismatch(`layer '${e.layerName}' has ${e.arrays.length} weights (${e.arrays.map((a) => a.name).join(', ')}) but gradlab's '${layer.name}' (${layer.className}) needs ${want.length} (${want.map((w) => w.role).join(', ')})`)) continue;
    }
    const order = layer instanceof Model ? matchByNames(want, e.arrays) ?? want : want;
    const here: [LayerWeight, KerasWeightArray][] = [];
    let skip = false;
    for (let i = 0; i < order.length; i++) {
      const w = order[i];
      const a = e.arrays[i];
      if (!Array.isArray(a.shape) || !(a.data instanceof Float32Array || a.data instanceof Float64Array)) throw fail(ctx, `layer '${e.layerName}' weight '${a.name}' is malformed`);
      const size = a.shape.reduce((p, d) => p * d, 1);
      if (size !== a.data.length) throw fail(ctx, `layer '${e.layerName}' weight '${a.name}' has shape ${fmtShape(a.shape)} but ${a.data.length} values`);
      const ws = w.tensor.shape;
      if (a.shape.length !== ws.length || a.shape.some((d, j) => d !== ws[j])) {
        if (mismatch(`layer '${e.layerName}' weight '${a.name}' has shape ${fmtShape(a.shape)} in the file but gradlab's '${layer.name}' ${w.role} needs ${fmtShape(ws)}`)) { skip = true; break; }
      }
      here.push([w, a]);
    }
    if (!skip) writes.push(...here);
  }
  for (const [w, a] of writes) w.tensor.data.set(a.data);
}

/** The weights of a model as a Keras file lists them: per weighted top-level layer, Keras names and arrays. */
export function kerasWeightEntries(model: Model): KerasLayerWeights[] {
  return kerasWeightedLayers(model).map((l) => ({
    layerName: l.name,
    arrays: (l instanceof Model ? kerasWeightOrder(l) : [...l.weights]).map((w) => ({
      name: `${l instanceof Model ? '' : `${l.name}/`}${w.role}`, shape: [...w.tensor.shape], data: w.tensor.data as Float32Array | Float64Array,
    })),
  }));
}

// ---------- gradlab to Keras ----------

/** gradlab's activation names as tf.keras 2.x and tfjs spell them; the others have no equal there. */
const TO_KERAS_ACTIVATION: Record<string, string> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh', relu6: 'relu6', swish: 'swish', silu: 'swish',
  gelu: 'gelu', elu: 'elu', selu: 'selu', softplus: 'softplus', log_softmax: 'log_softmax',
};

function kerasActivation(fn: string, layer: Layer, name: string): string {
  if (!hasOwn(TO_KERAS_ACTIVATION, name)) {
    throw new ValueError(`${fn}: layer '${layer.name}' (${layer.className}) uses activation '${name}', which tf.keras 2.x and TensorFlow.js do not have with the same meaning`);
  }
  return TO_KERAS_ACTIVATION[name];
}

const pair = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v, v] : [...v]);

/** The Keras config of one non-model layer, tf.keras 2.x style (snake_case keys). */
function kerasLayerConfig(fn: string, l: Layer): { className: string; config: Json } {
  const base: Json = { name: l.name, trainable: l.trainable, dtype: l.dtype };
  const act = (a: string) => kerasActivation(fn, l, a);
  const noFull = (p: string) => {
    if (p === 'full') throw new ValueError(`${fn}: layer '${l.name}' (${l.className}) uses padding 'full', which Keras does not have`);
    return p;
  };
  const cl = { data_format: 'channels_last' };
  if (l instanceof Dense) return { className: 'Dense', config: { ...base, units: l.units, activation: act(l.activation), use_bias: l.useBias } };
  if (l instanceof Conv2D) {
    return { className: 'Conv2D', config: {
      ...base, filters: l.filters, kernel_size: pair(l.kernelSize), strides: pair(l.strides), padding: noFull(l.padding), ...cl, dilation_rate: pair(l.dilationRate),
      ...(l.groups !== 1 ? { groups: l.groups } : {}), activation: act(l.activation), use_bias: l.useBias,
    } };
  }
  if (l instanceof Conv1D) {
    return { className: 'Conv1D', config: {
      ...base, filters: l.filters, kernel_size: [l.kernelSize], strides: [l.strides], padding: noFull(l.padding), ...cl, dilation_rate: [l.dilationRate],
      activation: act(l.activation), use_bias: l.useBias,
    } };
  }
  if (l instanceof MaxPooling2D || l instanceof AveragePooling2D) {
    return { className: l.className, config: { ...base, pool_size: pair(l.poolSize), strides: pair(l.strides), padding: l.padding, ...cl } };
  }
  if (l instanceof MaxPooling1D || l instanceof AveragePooling1D) {
    return { className: l.className, config: { ...base, pool_size: [l.poolSize], strides: [l.strides], padding: l.padding, ...cl } };
  }
  if (l instanceof GlobalAveragePooling2D || l instanceof GlobalMaxPooling2D || l instanceof GlobalAveragePooling1D || l instanceof GlobalMaxPooling1D) {
    return { className: l.className, config: { ...base, ...cl, ...(l.keepdims ? { keepdims: true } : {}) } };
  }
  if (l instanceof Flatten) return { className: 'Flatten', config: { ...base, ...cl } };
  if (l instanceof Reshape) return { className: 'Reshape', config: { ...base, target_shape: [...l.targetShape] } };
  if (l instanceof Dropout) return { className: 'Dropout', config: { ...base, rate: l.rate, noise_shape: null, seed: l.seed ?? null } };
  if (l instanceof Activation) return { className: 'Activation', config: { ...base, activation: act(l.activation) } };
  if (l instanceof BatchNormalization) {
    return { className: 'BatchNormalization', config: { ...base, axis: -1, momentum: l.momentum, epsilon: l.epsilon, center: l.center, scale: l.scale } };
  }
  if (l instanceof Concatenate) return { className: 'Concatenate', config: { ...base, axis: l.axis } };
  if (l instanceof Add || l instanceof Subtract || l instanceof Multiply || l instanceof Average || l instanceof Maximum || l instanceof Minimum) {
    return { className: l.className, config: base };
  }
  if (l instanceof ZeroPadding2D) return { className: 'ZeroPadding2D', config: { ...base, padding: l.padding.map((p) => [...p]), ...cl } };
  if (l instanceof Cropping2D) return { className: 'Cropping2D', config: { ...base, cropping: l.cropping.map((p) => [...p]), ...cl } };
  if (l instanceof Rescaling) return { className: 'Rescaling', config: { ...base, scale: l.scale, offset: l.offset } };
  if (l instanceof ReLU) return { className: 'ReLU', config: { ...base, max_value: l.maxValue, negative_slope: l.negativeSlope, threshold: l.threshold } };
  if (l instanceof LeakyReLU) return { className: 'LeakyReLU', config: { ...base, alpha: l.negativeSlope } };
  if (l instanceof ELU) return { className: 'ELU', config: { ...base, alpha: l.alpha } };
  if (l instanceof Softmax) return { className: 'Softmax', config: { ...base, axis: l.axis } };
  if (l instanceof LayerNormalization) {
    return { className: 'LayerNormalization', config: { ...base, axis: l.axis.length === 1 ? l.axis[0] : [...l.axis], epsilon: l.epsilon, center: l.center, scale: l.scale } };
  }
  if (l instanceof UpSampling2D) return { className: 'UpSampling2D', config: { ...base, size: [...l.size], ...cl, interpolation: l.interpolation } };
  if (l instanceof Resizing) {
    return { className: 'Resizing', config: { ...base, height: l.height, width: l.width, interpolation: l.interpolation, crop_to_aspect_ratio: false } };
  }
  if (l instanceof SeparableConv2D) {
    return { className: 'SeparableConv2D', config: {
      ...base, filters: l.filters, kernel_size: pair(l.kernelSize), strides: pair(l.strides), padding: l.padding, ...cl, dilation_rate: pair(l.dilationRate),
      depth_multiplier: l.depthMultiplier, activation: act(l.activation), use_bias: l.useBias,
    } };
  }
  if (l instanceof DepthwiseConv2D) {
    return { className: 'DepthwiseConv2D', config: {
      ...base, kernel_size: pair(l.kernelSize), strides: pair(l.strides), padding: l.padding, depth_multiplier: l.depthMultiplier, ...cl,
      dilation_rate: pair(l.dilationRate), activation: act(l.activation), use_bias: l.useBias,
    } };
  }
  if (l instanceof Conv2DTranspose) {
    return { className: 'Conv2DTranspose', config: {
      ...base, filters: l.filters, kernel_size: pair(l.kernelSize), strides: pair(l.strides), padding: l.padding,
      output_padding: l.outputPadding ? [...l.outputPadding] : null, ...cl, dilation_rate: pair(l.dilationRate), activation: act(l.activation), use_bias: l.useBias,
    } };
  }
  if (l instanceof RandomFlip) return { className: 'RandomFlip', config: { ...base, mode: l.mode, seed: l.seed } };
  const fill = (x: RandomRotation | RandomZoom | RandomTranslation) => ({ fill_mode: x.fillMode, fill_value: x.fillValue, interpolation: x.interpolation, seed: x.seed });
  if (l instanceof RandomRotation) return { className: 'RandomRotation', config: { ...base, factor: [...l.factor], ...fill(l) } };
  if (l instanceof RandomZoom) return { className: 'RandomZoom', config: { ...base, height_factor: [...l.heightFactor], width_factor: l.widthFactor ? [...l.widthFactor] : null, ...fill(l) } };
  if (l instanceof RandomTranslation) return { className: 'RandomTranslation', config: { ...base, height_factor: [...l.heightFactor], width_factor: [...l.widthFactor], ...fill(l) } };
  throw new ValueError(`${fn}: layer '${l.name}' is a ${l.className}, which has no Keras config here`);
}

/** One layer's entry in a Keras `layers` list (a nested model included). */
function kerasEntry(fn: string, l: Layer): Json {
  if (l instanceof Model) {
    const c = kerasConfigFromModel(l, fn);
    return { class_name: c.class_name, config: c.config };
  }
  const { className, config } = kerasLayerConfig(fn, l);
  return { class_name: className, config };
}

/** Keras numbers a nested model's calls from 1 (its own graph is node 0). */
function kerasNodeIndex(model: Model, node: Node): number {
  return model.nodeIndex(node) + (node.layer instanceof Model ? 1 : 0);
}

/**
 * The Keras config of a gradlab model, as tf.keras 2.x writes `model_config` and TensorFlow.js
 * `modelTopology` (what `tf.loadLayersModel` and `keras.models.model_from_json` read).
 */
export function kerasConfigFromModel(model: Model, fn = 'kerasConfigFromModel'): { class_name: string; config: Json } {
  if (!(model instanceof Model)) throw new ValueError(`${fn}: model must be a gradlab Model, got ${describeValue(model)}`);
  if (model.inputs.length === 0) throw new ValueError(`${fn}: model '${model.name}' is not built (give its first layer an inputShape, or call build)`);
  const dtypeOf2 = (t: SymbolicTensor) => t.dtype;
  if (model instanceof Sequential && !(model.layers[0] instanceof Model)) {
    const layers = model.layers.map((l, i) => {
      const e = kerasEntry(fn, l);
      if (i === 0) (e.config as Json).batch_input_shape = [null, ...model.inputs[0].perSampleShape];
      return e;
    });
    if (model.inputs[0].dtype !== 'float32') (layers[0].config as Json).dtype = dtypeOf2(model.inputs[0]);
    return { class_name: 'Sequential', config: { name: model.name, layers } };
  }
  const inputLayers = model.inputs.map((t) => t.layer as InputLayer);
  const ref = (s: SymbolicTensor) => [s.layer.name, s.layer instanceof InputLayer ? 0 : kerasNodeIndex(model, s.node), s.index];
  // the calls inside this model: every node on a path from the outputs back to the inputs
  const nodesOf = new Map<Layer, Node[]>();
  const seen = new Set<Node>();
  const stack = model.outputs.map((t) => t.node);
  while (stack.length > 0) {
    const nd = stack.pop()!;
    if (seen.has(nd) || nd.layer instanceof InputLayer) continue;
    seen.add(nd);
    nodesOf.set(nd.layer, [...(nodesOf.get(nd.layer) ?? []), nd]);
    for (const s of nd.inputs) stack.push(s.node);
  }
  for (const list of nodesOf.values()) list.sort((a, b) => model.nodeIndex(a) - model.nodeIndex(b));
  const layers: Json[] = [];
  // Keras' layer order (the file's, for a model read from one) is the .h5 weight order
  for (const l of [...inputLayers, ...kerasLayers(model)]) {
    if (l instanceof InputLayer) {
      layers.push({
        name: l.name, class_name: 'InputLayer', config: { batch_input_shape: [null, ...l.inputShapes![0]], dtype: l.dtype, sparse: false, name: l.name }, inbound_nodes: [],
      });
      continue;
    }
    const e = kerasEntry(fn, l);
    layers.push({ name: l.name, ...e, inbound_nodes: (nodesOf.get(l) ?? []).map((nd) => nd.inputs.map((s) => [...ref(s), {}])) });
  }
  return {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: inputLayers.map((l) => [l.name, 0, 0]), output_layers: model.outputs.map(ref) },
  };
}
