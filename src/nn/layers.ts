// The core layers: dense, convolutions, pooling, reshaping, dropout, activation, batch norm.
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, numberInRange, positiveInt, positiveNumber, booleanOption, oneOf, requireOption, showJson } from '../core/validate.js';
import { globalRandom, Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  FUSED_ACTIVATIONS, type FusedActivation, add, avgPool1d, avgPool2d, batchNorm, conv1d, conv2d, dense, div, globalAvgPool2d, globalMaxPool2d, matmul, maxPool1d, maxPool2d,
  mean, mul, reshape, sqrt, sub, max,
} from '../ops/index.js';
import { convGeometry } from '../ops/conv.js';
import { kernelOutput } from '../ops/util.js';
import { applyActivation, canonicalActivation, type ActivationName } from './activations.js';
import { initializers, resolveInitializer, type Initializer, type InitializerName } from './initializers.js';
import { LAYER_KEYS, Layer, type LayerArgs, type LayerOutput, type Shape } from './layer.js';
import { sizeOf } from '../tensor/shape.js';

type Pair = number | readonly [number, number];

export function activationOutput(name: string, z: Tensor): LayerOutput {
  return { z, u: applyActivation(name, z) };
}

export function identity(x: Tensor): LayerOutput {
  return { z: x, u: x };
}

/** The option list of a layer: its own keys and every layer's (name, inputShape, trainable, dtype). */
export function layerKeys<T extends object>(own: { readonly [K in Exclude<keyof Required<T>, keyof LayerArgs>]: true }): readonly string[] {
  return Object.freeze([...LAYER_KEYS, ...Object.keys(own)]);
}

/** Checks a layer's options and that the required ones are given. */
export function layerOptions<T extends object>(fn: string, args: T | undefined, keys: readonly string[], required: readonly (keyof T & string)[] = [], example = ''): T {
  const a = checkOptions(fn, args, keys);
  for (const k of required) requireOption(fn, a, k, example || undefined);
  return a;
}

/**
 * A conv or dense layer's output. With an activation its kernel can apply (and z not asked for),
 * u comes from one fused op and z, when read, is recomputed by the separate ops (same values).
 */
export function affineOutput(activation: string, needZ: boolean, preActivation: () => Tensor,
  fused: (activation: FusedActivation) => Tensor): LayerOutput {
  const act = FUSED_ACTIVATIONS.find((a) => a === activation);
  if (needZ || act === undefined) return activationOutput(activation, preActivation());
  const u = fused(act);
  if (act === 'linear') return { z: u, u };
  let z: Tensor | null = null;
  return { u, get z() { return (z ??= preActivation()); } };
}

/** The options every affine layer takes: its activation and bias. */
export interface AffineArgs extends LayerArgs {
  /** Applied to x . kernel + bias, by name ('relu', 'softmax', ...; Keras' snake_case names too). Default: 'linear' (none). */
  activation?: ActivationName;
  /** Add a bias vector of `units` (or `filters`) values. Default: true. */
  useBias?: boolean;
  /** How the bias starts, by name or as an initializer. Default: 'zeros'. */
  biasInitializer?: InitializerName | Initializer;
}

/**
 * A layer computing activation(linear(x) + bias): Dense and the convolutions. Its kernel op can
 * add the bias and apply a fused activation itself (one op, one pass).
 */
export abstract class AffineLayer extends Layer {
  readonly activation: string;
  readonly useBias: boolean;
  protected readonly biasInit: Initializer;
  bias: Tensor | null = null;

  constructor(args: AffineArgs, fn: string, defaultName: string) {
    super(args, defaultName);
    this.activation = canonicalActivation(fn, args.activation);
    this.useBias = booleanOption(fn, 'useBias', args.useBias ?? true);
    this.biasInit = resolveInitializer(fn, args.biasInitializer, initializers.zeros);
  }

  override finalActivation(): string {
    return this.activation;
  }

  /** The linear map, without the bias. */
  protected abstract linear(x: Tensor): Tensor;
  /** activation(linear(x) + bias) as one op. */
  protected abstract linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor;

  /** Adds the bias weight of `units` values, when the layer has one. */
  protected addBias(units: number): void {
    if (this.useBias) this.bias = this.addWeight('bias', this.biasInit.init([units], this.dtype, globalRandom));
  }

  forward(x: Tensor, _training = false, needZ = false): LayerOutput {
    const pre = (): Tensor => {
      const z = this.linear(x);
      return this.bias ? add(z, this.bias) : z;
    };
    return affineOutput(this.activation, needZ, pre, (act) => this.linearFused(x, this.bias, act));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation, useBias: this.useBias };
  }
}

/** Layers on images need per-sample [H,W,C]. */
export function needImage(layer: Layer, s: Shape): void {
  if (s.length !== 3) throw new ShapeError(`${layer.name}: ${layer.className} needs per-sample input [H,W,C], got ${fmtShape(s)}`);
}

// ---------- Dense ----------

/** Options of `layers.dense` (Keras' Dense). */
export interface DenseArgs extends AffineArgs {
  /** Required: the size of the output's last axis, a positive integer. */
  units: number;
  /** How the kernel [in, units] starts, drawn from the global seeded generator. Default: 'glorotUniform'. */
  kernelInitializer?: InitializerName | Initializer;
}

const DENSE_KEYS = layerKeys<DenseArgs>({ units: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true });

/** u = activation(x . kernel + bias) over the last axis; kernel [in, units]. */
export class Dense extends AffineLayer {
  readonly className = 'Dense';
  readonly units: number;
  private readonly kernelInit: Initializer;
  kernel: Tensor | null = null;

  constructor(args: DenseArgs) {
    const a = layerOptions('layers.dense', args, DENSE_KEYS, ['units'], '{ units: 10 }');
    super(a, 'layers.dense', 'dense');
    this.units = positiveInt('layers.dense', 'units', a.units);
    this.kernelInit = resolveInitializer('layers.dense', a.kernelInitializer, initializers.glorotUniform);
  }

  protected override buildWeights(s: Shape): void {
    if (s.length < 1) throw new ShapeError(`${this.name}: Dense needs inputs with a feature axis, got per-sample shape ${fmtShape(s)}`);
    this.kernel = this.addWeight('kernel', this.kernelInit.init([s[s.length - 1], this.units], this.dtype, globalRandom));
    this.addBias(this.units);
  }

  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[...s[0].slice(0, -1), this.units]];
  }

  protected linear(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.kernel!.shape[0]) {
      throw new ShapeError(`${this.name}: input ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features but the kernel expects ${this.kernel!.shape[0]}`);
    }
    return matmul(x, this.kernel!);
  }

  protected linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return dense(x, this.kernel!, bias, activation);
  }

  override multiplications(): number {
    const s = this.inputShape!;
    return sizeOf(s.slice(0, -1)) * s[s.length - 1] * this.units;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units };
  }
}

// ---------- convolutions ----------

export interface ConvCommonArgs extends AffineArgs {
  /** Required: output channels, a positive integer. */
  filters: number;
  /** 'valid' (no padding), 'same' (output size = ceil(input / stride)) or 'full' (every overlap). Default: 'valid'. */
  padding?: 'valid' | 'same' | 'full';
  /** How the kernel starts, drawn from the global seeded generator. Default: 'glorotUniform'. */
  kernelInitializer?: InitializerName | Initializer;
}

/** Options of `layers.conv2d` (Keras' Conv2D). */
export interface Conv2DArgs extends ConvCommonArgs {
  /** Required: the kernel's height and width, one number for both or [kh, kw]. */
  kernelSize: Pair;
  /** Step between windows, one number or [sh, sw]. Default: 1. */
  strides?: Pair;
  /** Spacing between kernel taps (atrous convolution), one number or [dh, dw]. Default: 1. */
  dilationRate?: Pair;
  /** Channel groups: input and output channels in `groups` blocks, block g seeing block g only (default 1). */
  groups?: number;
}

/** Options of `layers.conv1d` (Keras' Conv1D). */
export interface Conv1DArgs extends ConvCommonArgs {
  /** Required: the kernel's length, a positive integer. */
  kernelSize: number;
  /** Step between windows. Default: 1. */
  strides?: number;
  /** Spacing between kernel taps. Default: 1. */
  dilationRate?: number;
}

const CONV_COMMON = { filters: true, padding: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true, kernelSize: true, strides: true, dilationRate: true } as const;
const CONV2D_KEYS = layerKeys<Conv2DArgs>({ ...CONV_COMMON, groups: true });
const CONV1D_KEYS = layerKeys<Conv1DArgs>(CONV_COMMON);

export function asPair(fn: string, arg: string, v: Pair | undefined, dflt: number): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`${fn}: ${arg} must be a positive integer or [h, w], got ${showJson(v)}`);
  return p as [number, number];
}

export function asInt(fn: string, arg: string, v: number | undefined, dflt: number): number {
  const d = v ?? dflt;
  if (!Number.isInteger(d) || d <= 0) throw new ValueError(`${fn}: ${arg} must be a positive integer, got ${showJson(v)}`);
  return d;
}

/** What Conv1D and Conv2D share: filters, padding, weights [...kernel, in, filters]. */
abstract class Convolution extends AffineLayer {
  readonly filters: number;
  readonly padding: 'valid' | 'same' | 'full';
  private readonly kernelInit: Initializer;
  kernel: Tensor | null = null;

  constructor(args: ConvCommonArgs, fn: string, defaultName: string, private readonly spatialRank: number) {
    super(args, fn, defaultName);
    this.filters = positiveInt(fn, 'filters', args.filters);
    this.padding = oneOf(fn, 'padding', args.padding ?? 'valid', ['valid', 'same', 'full'] as const);
    this.kernelInit = resolveInitializer(fn, args.kernelInitializer, initializers.glorotUniform);
  }

  /** The kernel's spatial extent ([kh, kw] or [k]). */
  protected abstract get kernelExtent(): number[];
  /** Input channels the kernel sees per output channel (C, or C / groups). */
  protected kernelInputChannels(inChannels: number): number {
    return inChannels;
  }
  /** The per-sample output shape, computed from the geometry (no dry run). */
  protected abstract outputShapeFor(s: Shape): number[];

  protected override buildWeights(s: Shape): void {
    if (s.length !== this.spatialRank + 1) {
      throw new ShapeError(`${this.name}: ${this.className} needs per-sample input ${this.spatialRank === 2 ? '[H,W,C]' : '[L,C]'}, got ${fmtShape(s)}`);
    }
    const inC = this.kernelInputChannels(s[s.length - 1]);
    this.kernel = this.addWeight('kernel', this.kernelInit.init([...this.kernelExtent, inC, this.filters], this.dtype, globalRandom));
    this.addBias(this.filters);
  }

  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [this.outputShapeFor(s[0])];
  }

  override multiplications(): number {
    const out = sizeOf(this.outputShape!);
    const inC = this.kernelInputChannels(this.inputShape![this.inputShape!.length - 1]);
    return out * sizeOf(this.kernelExtent) * inC;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, padding: this.padding };
  }
}

/** 2-D convolution layer on NHWC input with kernel [kh, kw, in, filters]. */
export class Conv2D extends Convolution {
  readonly className = 'Conv2D';
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly groups: number;

  constructor(args: Conv2DArgs) {
    const a = layerOptions('layers.conv2d', args, CONV2D_KEYS, ['filters', 'kernelSize'], '{ filters: 8, kernelSize: 3 }');
    super(a, 'layers.conv2d', 'conv2d', 2);
    this.kernelSize = asPair('layers.conv2d', 'kernelSize', a.kernelSize, 3);
    this.strides = asPair('layers.conv2d', 'strides', a.strides, 1);
    this.dilationRate = asPair('layers.conv2d', 'dilationRate', a.dilationRate, 1);
    this.groups = positiveInt('layers.conv2d', 'groups', a.groups ?? 1);
    if (this.filters % this.groups !== 0) throw new ValueError(`layers.conv2d: filters (${this.filters}) must be divisible by groups (${this.groups})`);
  }

  protected get kernelExtent(): number[] { return this.kernelSize; }

  protected override kernelInputChannels(inChannels: number): number {
    if (inChannels % this.groups !== 0) throw new ShapeError(`${this.name}: input has ${inChannels} channels, not divisible by groups ${this.groups}`);
    return inChannels / this.groups;
  }

  private get options() {
    return { stride: this.strides, padding: this.padding, dilation: this.dilationRate, ...(this.groups !== 1 ? { groups: this.groups } : {}) };
  }

  protected outputShapeFor(s: Shape): number[] {
    const g = convGeometry('conv2d', [1, ...s], [...this.kernelSize, this.kernelInputChannels(s[2]), this.filters], this.options, this.groups);
    return [g.outH, g.outW, g.outC];
  }

  protected linear(x: Tensor): Tensor {
    return conv2d(x, this.kernel!, this.options);
  }

  protected linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv2d(x, this.kernel!, { ...this.options, bias, activation });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, groups: this.groups };
  }
}

/** 1-D convolution layer on [batch, length, channels] with kernel [k, in, filters]. */
export class Conv1D extends Convolution {
  readonly className = 'Conv1D';
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;

  constructor(args: Conv1DArgs) {
    const a = layerOptions('layers.conv1d', args, CONV1D_KEYS, ['filters', 'kernelSize'], '{ filters: 8, kernelSize: 3 }');
    super(a, 'layers.conv1d', 'conv1d', 1);
    this.kernelSize = asInt('layers.conv1d', 'kernelSize', a.kernelSize, 3);
    this.strides = asInt('layers.conv1d', 'strides', a.strides, 1);
    this.dilationRate = asInt('layers.conv1d', 'dilationRate', a.dilationRate, 1);
  }

  protected get kernelExtent(): number[] { return [this.kernelSize]; }

  private get options() {
    return { stride: this.strides, padding: this.padding, dilation: this.dilationRate };
  }

  protected outputShapeFor(s: Shape): number[] {
    const g = convGeometry('conv1d', [1, 1, ...s], [1, this.kernelSize, s[1], this.filters], {
      stride: [1, this.strides], padding: this.padding, dilation: [1, this.dilationRate],
    });
    return [g.outW, g.outC];
  }

  protected linear(x: Tensor): Tensor {
    return conv1d(x, this.kernel!, this.options);
  }

  protected linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv1d(x, this.kernel!, { ...this.options, bias, activation });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate };
  }
}

// ---------- pooling ----------

/** Options of `layers.maxPooling2d` and `layers.averagePooling2d`. */
export interface Pooling2DArgs extends LayerArgs {
  /** Window height and width, one number or [ph, pw]. Default: 2. */
  poolSize?: Pair;
  /** Step between windows, one number or [sh, sw]. Default: poolSize (windows do not overlap). */
  strides?: Pair;
  /** 'valid' (only whole windows) or 'same' (output size = ceil(input / stride)). Default: 'valid'. */
  padding?: 'valid' | 'same';
}

/** Options of `layers.maxPooling1d` and `layers.averagePooling1d`. */
export interface Pooling1DArgs extends LayerArgs {
  /** Window length. Default: 2. */
  poolSize?: number;
  /** Step between windows. Default: poolSize (windows do not overlap). */
  strides?: number;
  /** 'valid' (only whole windows) or 'same' (output length = ceil(input / stride)). Default: 'valid'. */
  padding?: 'valid' | 'same';
}

const POOL2D_KEYS = layerKeys<Pooling2DArgs>({ poolSize: true, strides: true, padding: true });
const POOL1D_KEYS = layerKeys<Pooling1DArgs>({ poolSize: true, strides: true, padding: true });

/** What the pooling layers share: padding and the config keys. */
abstract class Pooling extends Layer {
  readonly padding: 'valid' | 'same';
  constructor(args: LayerArgs & { padding?: string }, fn: string, defaultName: string) {
    super(args, defaultName);
    this.padding = oneOf(fn, 'padding', args.padding ?? 'valid', ['valid', 'same'] as const);
  }
  abstract readonly poolSize: number | [number, number];
  abstract readonly strides: number | [number, number];
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

abstract class Pooling2D extends Pooling {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  constructor(args: Pooling2DArgs, fn: string, defaultName: string) {
    const a = checkOptions(fn, args, POOL2D_KEYS);
    super(a, fn, defaultName);
    this.poolSize = asPair(fn, 'poolSize', a.poolSize, 2);
    this.strides = asPair(fn, 'strides', a.strides ?? this.poolSize, 1);
  }
  protected get options() { return { size: this.poolSize, stride: this.strides, padding: this.padding }; }
}

abstract class Pooling1D extends Pooling {
  readonly poolSize: number;
  readonly strides: number;
  constructor(args: Pooling1DArgs, fn: string, defaultName: string) {
    const a = checkOptions(fn, args, POOL1D_KEYS);
    super(a, fn, defaultName);
    this.poolSize = asInt(fn, 'poolSize', a.poolSize, 2);
    this.strides = asInt(fn, 'strides', a.strides ?? this.poolSize, 1);
  }
  protected get options() { return { size: this.poolSize, stride: this.strides, padding: this.padding }; }
}

/** The largest value of each window of an NHWC image (Keras' MaxPooling2D). */
export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) { super(args, 'layers.maxPooling2d', 'max_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(maxPool2d(x, this.options)); }
}

/** The mean of each window of an NHWC image (Keras' AveragePooling2D). */
export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) { super(args, 'layers.averagePooling2d', 'average_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(avgPool2d(x, this.options)); }
}

/** The largest value of each window of a sequence [batch, length, channels] (Keras' MaxPooling1D). */
export class MaxPooling1D extends Pooling1D {
  readonly className = 'MaxPooling1D';
  constructor(args: Pooling1DArgs = {}) { super(args, 'layers.maxPooling1d', 'max_pooling1d'); }
  forward(x: Tensor): LayerOutput { return identity(maxPool1d(x, this.options)); }
}

/** The mean of each window of a sequence [batch, length, channels] (Keras' AveragePooling1D). */
export class AveragePooling1D extends Pooling1D {
  readonly className = 'AveragePooling1D';
  constructor(args: Pooling1DArgs = {}) { super(args, 'layers.averagePooling1d', 'average_pooling1d'); }
  forward(x: Tensor): LayerOutput { return identity(avgPool1d(x, this.options)); }
}

/** Options of the global pooling layers. */
export interface GlobalPoolingArgs extends LayerArgs {
  /** Keep the pooled axes as size 1 (Keras' keepdims). Default: false. */
  keepdims?: boolean;
}

const GLOBAL_POOL_KEYS = layerKeys<GlobalPoolingArgs>({ keepdims: true });

abstract class GlobalPooling extends Layer {
  readonly keepdims: boolean;
  constructor(args: GlobalPoolingArgs, fn: string, defaultName: string, private readonly spatialRank: 1 | 2) {
    const a = checkOptions(fn, args, GLOBAL_POOL_KEYS);
    super(a, defaultName);
    this.keepdims = booleanOption(fn, 'keepdims', a.keepdims ?? false);
  }
  protected abstract pool(x: Tensor): Tensor;
  forward(x: Tensor): LayerOutput {
    const want = this.spatialRank + 2;
    if (x.rank !== want) throw new ShapeError(`${this.name}: ${this.className} needs per-sample input ${this.spatialRank === 2 ? '[H,W,C]' : '[L,C]'}, got ${fmtShape(x.shape.slice(1))}`);
    const y = this.pool(x);
    return identity(this.keepdims ? reshape(y, [x.shape[0], ...new Array<number>(this.spatialRank).fill(1), x.shape[x.rank - 1]]) : y);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}

/** The mean over height and width of each channel: [batch, channels] (Keras' GlobalAveragePooling2D). */
export class GlobalAveragePooling2D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: GlobalPoolingArgs = {}) { super(args, 'layers.globalAveragePooling2d', 'global_average_pooling2d', 2); }
  protected pool(x: Tensor): Tensor { return globalAvgPool2d(x); }
}

/** The largest value over height and width of each channel: [batch, channels] (Keras' GlobalMaxPooling2D). */
export class GlobalMaxPooling2D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling2D';
  constructor(args: GlobalPoolingArgs = {}) { super(args, 'layers.globalMaxPooling2d', 'global_max_pooling2d', 2); }
  protected pool(x: Tensor): Tensor { return globalMaxPool2d(x); }
}

/** The mean over the length of each channel: [batch, channels] (Keras' GlobalAveragePooling1D). */
export class GlobalAveragePooling1D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling1D';
  constructor(args: GlobalPoolingArgs = {}) { super(args, 'layers.globalAveragePooling1d', 'global_average_pooling1d', 1); }
  protected pool(x: Tensor): Tensor { return mean(x, 1); }
}

/** The largest value over the length of each channel: [batch, channels] (Keras' GlobalMaxPooling1D). */
export class GlobalMaxPooling1D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling1D';
  constructor(args: GlobalPoolingArgs = {}) { super(args, 'layers.globalMaxPooling1d', 'global_max_pooling1d', 1); }
  protected pool(x: Tensor): Tensor { return max(x, 1); }
}

// ---------- shape, dropout, activation ----------

/** Keeps the batch axis and flattens the rest. */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.flatten', args, LAYER_KEYS), 'flatten'); }
  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[sizeOf(s[0])]];
  }
  forward(x: Tensor): LayerOutput { return identity(reshape(x, [x.shape[0], -1])); }
}

/** Options of `layers.reshape`. */
export interface ReshapeArgs extends LayerArgs {
  /** Required: the per-sample shape; one entry may be -1 (inferred). */
  targetShape: readonly number[];
}

const RESHAPE_KEYS = layerKeys<ReshapeArgs>({ targetShape: true });

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    const a = layerOptions('layers.reshape', args, RESHAPE_KEYS, ['targetShape'], '{ targetShape: [7, 7, 4] }');
    super(a, 'reshape');
    if (!Array.isArray(a.targetShape) || !a.targetShape.every((d) => d === -1 || (Number.isInteger(d) && d > 0)) || a.targetShape.filter((d) => d === -1).length > 1) {
      throw new ValueError(`layers.reshape: targetShape must be an array of positive integers with at most one -1, got ${showJson(a.targetShape)}`);
    }
    this.targetShape = [...a.targetShape];
  }
  forward(x: Tensor): LayerOutput { return identity(reshape(x, [x.shape[0], ...this.targetShape])); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), targetShape: this.targetShape }; }
}

/** Options of `layers.dropout`. */
export interface DropoutArgs extends LayerArgs {
  /** Required: the fraction of inputs zeroed in training, in [0, 1). */
  rate: number;
  /** Seed of the layer's own generator of masks. Default: none (the global seeded generator, see manualSeed). */
  seed?: number;
}

const DROPOUT_KEYS = layerKeys<DropoutArgs>({ rate: true, seed: true });

/** Zeroes a fraction `rate` of inputs in training and scales the rest by 1/(1-rate); identity in inference. */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;
  private readonly rng: Random;
  constructor(args: DropoutArgs) {
    const a = layerOptions('layers.dropout', args, DROPOUT_KEYS, ['rate'], '{ rate: 0.5 }');
    super(a, 'dropout');
    this.rate = numberInRange('layers.dropout', 'rate', a.rate, 0, 1, true);
    this.seed = a.seed;
    if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new ValueError(`layers.dropout: seed must be an integer, got ${showJson(a.seed)}`);
    this.rng = a.seed === undefined ? globalRandom : new Random(a.seed);
  }
  forward(x: Tensor, training: boolean): LayerOutput {
    if (!training || this.rate === 0) return identity(x);
    const mask = kernelOutput(x.dtype, x.shape);
    this.rng.fillDropMask(mask.data as Float32Array | Float64Array, this.rate, 1 / (1 - this.rate));
    return identity(mul(x, mask));
  }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), rate: this.rate, ...(this.seed !== undefined ? { seed: this.seed } : {}) }; }
}

/** Options of `layers.activation`. */
export interface ActivationArgs extends LayerArgs {
  /** Required: the activation's name ('relu', 'softmax', ...; Keras' snake_case names too). */
  activation: ActivationName;
}

const ACTIVATION_KEYS = layerKeys<ActivationArgs>({ activation: true });

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: string;
  constructor(args: ActivationArgs) {
    const a = layerOptions('layers.activation', args, ACTIVATION_KEYS, ['activation'], "{ activation: 'relu' }");
    super(a, 'activation');
    this.activation = canonicalActivation('layers.activation', a.activation);
  }
  override finalActivation(): string {
    return this.activation;
  }
  forward(x: Tensor): LayerOutput { return activationOutput(this.activation, x); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), activation: this.activation }; }
}

// ---------- batch normalization ----------

/** Options of `layers.batchNormalization` (Keras' BatchNormalization). */
export interface BatchNormalizationArgs extends LayerArgs {
  /** The channel axis: only the last is supported. Default: -1 (Keras' default for channels-last data). */
  axis?: number;
  /** Weight of the old value in the moving mean and variance, in [0, 1]. Default: 0.99. */
  momentum?: number;
  /** Added to the variance before its square root, > 0. Default: 1e-3. */
  epsilon?: number;
  /** Learn an offset beta. Default: true. */
  center?: boolean;
  /** Learn a scale gamma. Default: true. */
  scale?: boolean;
}

const BATCH_NORM_KEYS = layerKeys<BatchNormalizationArgs>({ axis: true, momentum: true, epsilon: true, center: true, scale: true });

/**
 * Normalises each channel (last axis) by the batch's mean and variance in training, and by the
 * moving averages in inference, then applies gamma and beta (Keras' defaults: momentum 0.99,
 * epsilon 1e-3). A frozen layer (trainable false) always runs in inference mode, as in Keras.
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly axisArg: number;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean: Tensor | null = null;
  movingVariance: Tensor | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    const fn = 'layers.batchNormalization';
    const a = checkOptions(fn, args, BATCH_NORM_KEYS);
    super(a, 'batch_normalization');
    this.axisArg = a.axis ?? -1;
    if (!Number.isInteger(this.axisArg)) throw new ValueError(`${fn}: axis must be an integer, got ${showJson(a.axis)}`);
    this.momentum = numberInRange(fn, 'momentum', a.momentum ?? 0.99, 0, 1);
    this.epsilon = positiveNumber(fn, 'epsilon', a.epsilon ?? 1e-3);
    this.center = booleanOption(fn, 'center', a.center ?? true);
    this.scale = booleanOption(fn, 'scale', a.scale ?? true);
  }

  protected override buildWeights(s: Shape): void {
    if (s.length === 0) throw new ShapeError(`${this.name}: BatchNormalization needs inputs with a channel axis, got per-sample shape []`);
    if (this.axisArg !== -1 && this.axisArg !== s.length) {
      throw new ValueError(`${this.name}: axis ${this.axisArg} is not the channel (last) axis of inputs [batch,${s.join(',')}]; only channels-last (axis -1 or ${s.length}) is supported`);
    }
    const c = s[s.length - 1];
    if (this.scale) this.gamma = this.addWeight('gamma', initializers.ones().init([c], this.dtype, globalRandom));
    if (this.center) this.beta = this.addWeight('beta', initializers.zeros().init([c], this.dtype, globalRandom));
    this.movingMean = this.addWeight('moving_mean', initializers.zeros().init([c], this.dtype, globalRandom), false);
    this.movingVariance = this.addWeight('moving_variance', initializers.ones().init([c], this.dtype, globalRandom), false);
  }

  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[...s[0]]];
  }

  forward(x: Tensor, training: boolean): LayerOutput {
    if (training && this.trainable) {
      return identity(batchNorm(x, {
        gamma: this.gamma, beta: this.beta, epsilon: this.epsilon, momentum: this.momentum,
        movingMean: this.movingMean, movingVariance: this.movingVariance,
      }));
    }
    // inference (or frozen): one scale and shift per channel, made from the [C] weights so their
    // gradients still flow, then two passes over x
    const invStd = div(1, sqrt(add(this.movingVariance!, this.epsilon)));
    const scale = this.gamma ? mul(this.gamma, invStd) : invStd;
    const shift = sub(this.beta ?? 0, mul(this.movingMean!, scale));
    return identity(add(mul(x, scale), shift));
  }

  override multiplications(): number {
    return sizeOf(this.inputShape!) * (this.scale ? 2 : 1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
