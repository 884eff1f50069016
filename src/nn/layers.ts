import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { globalRandom, Random } from '../tensor/random.js';
import { Tensor, noGrad } from '../tensor/tensor.js';
import {
  FUSED_ACTIVATIONS, type FusedActivation, add, avgPool1d, avgPool2d, conv1d, conv2d, dense, div, globalAvgPool2d, globalMaxPool2d, matmul, maxPool1d, maxPool2d,
  mean, mul, reshape, sqrt, square, sub,
} from '../ops/index.js';
import { applyActivation, canonicalActivation, type ActivationName } from './activations.js';
import { initializers, resolveInitializer, type Initializer, type InitializerName } from './initializers.js';
import { Layer, type LayerArgs, type LayerOutput } from './layer.js';

type Pair = number | readonly [number, number];

function activationOutput(name: string, z: Tensor): LayerOutput {
  return { z, u: applyActivation(name, z) };
}

function identity(x: Tensor): LayerOutput {
  return { z: x, u: x };
}

/**
 * A conv or dense layer's output. With an activation its kernel can apply (and z not asked for),
 * u comes from one fused op and z, when read, is recomputed by the separate ops (same values).
 */
function affineOutput(activation: string, needZ: boolean, preActivation: () => Tensor,
  fused: (activation: FusedActivation) => Tensor): LayerOutput {
  const act = FUSED_ACTIVATIONS.find((a) => a === activation);
  if (needZ || act === undefined) return activationOutput(activation, preActivation());
  const u = fused(act);
  if (act === 'linear') return { z: u, u };
  let z: Tensor | null = null;
  return { u, get z() { return (z ??= preActivation()); } };
}

// ---------- Dense ----------

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

/** u = activation(x . kernel + bias) over the last axis; kernel [in, units]. */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: string;
  readonly useBias: boolean;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(args: DenseArgs) {
    super(args, 'dense');
    if (!Number.isInteger(args.units) || args.units <= 0) throw new ValueError(`dense: units must be a positive integer, got ${args.units}`);
    this.units = args.units;
    this.activation = canonicalActivation('dense', args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInit = resolveInitializer('dense', args.kernelInitializer, initializers.glorotUniform);
    this.biasInit = resolveInitializer('dense', args.biasInitializer, initializers.zeros);
  }

  protected override buildWeights(s: readonly number[]): void {
    if (s.length < 1) throw new ShapeError(`${this.name}: Dense needs inputs with a feature axis, got per-sample shape ${fmtShape(s)}`);
    const inDim = s[s.length - 1];
    this.kernel = this.addWeight('kernel', this.kernelInit.init([inDim, this.units], 'float32', globalRandom));
    if (this.useBias) this.bias = this.addWeight('bias', this.biasInit.init([this.units], 'float32', globalRandom));
  }

  forward(x: Tensor, _training = false, needZ = false): LayerOutput {
    if (x.shape[x.rank - 1] !== this.kernel!.shape[0]) {
      throw new ShapeError(`${this.name}: input ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features but the kernel expects ${this.kernel!.shape[0]}`);
    }
    const pre = (): Tensor => {
      const z = matmul(x, this.kernel!);
      return this.bias ? add(z, this.bias) : z;
    };
    return affineOutput(this.activation, needZ, pre, (act) => dense(x, this.kernel!, this.bias, act));
  }

  override multiplications(): number {
    const s = this.inputShape!;
    return s.slice(0, -1).reduce((a, b) => a * b, 1) * s[s.length - 1] * this.units;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: this.activation, useBias: this.useBias };
  }
}

// ---------- convolutions ----------

interface ConvCommonArgs extends LayerArgs {
  filters: number;
  padding?: 'valid' | 'same' | 'full';
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

export interface Conv2DArgs extends ConvCommonArgs {
  kernelSize: Pair;
  strides?: Pair;
  dilationRate?: Pair;
}

export interface Conv1DArgs extends ConvCommonArgs {
  kernelSize: number;
  strides?: number;
  dilationRate?: number;
}

function asPair(fn: string, arg: string, v: Pair | undefined, dflt: number): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`${fn}: ${arg} must be a positive integer or [h, w], got ${JSON.stringify(v)}`);
  return p as [number, number];
}

function asInt(fn: string, arg: string, v: number | undefined, dflt: number): number {
  const d = v ?? dflt;
  if (!Number.isInteger(d) || d <= 0) throw new ValueError(`${fn}: ${arg} must be a positive integer, got ${JSON.stringify(v)}`);
  return d;
}

/** What Conv1D and Conv2D share: filters, bias, activation, weights [...kernel, in, filters]. */
abstract class Convolution extends Layer {
  readonly filters: number;
  readonly padding: 'valid' | 'same' | 'full';
  readonly activation: string;
  readonly useBias: boolean;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(args: ConvCommonArgs, fn: string, private readonly spatialRank: number) {
    super(args, fn);
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw new ValueError(`${fn}: filters must be a positive integer, got ${args.filters}`);
    this.filters = args.filters;
    const p = args.padding ?? 'valid';
    if (p !== 'valid' && p !== 'same' && p !== 'full') throw new ValueError(`${fn}: padding must be 'valid', 'same' or 'full', got ${JSON.stringify(args.padding)}`);
    this.padding = p;
    this.activation = canonicalActivation(fn, args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInit = resolveInitializer(fn, args.kernelInitializer, initializers.glorotUniform);
    this.biasInit = resolveInitializer(fn, args.biasInitializer, initializers.zeros);
  }

  /** The kernel's spatial extent ([kh, kw] or [k]). */
  protected abstract get kernelExtent(): number[];
  protected abstract convolve(x: Tensor, kernel: Tensor): Tensor;
  /** activation(convolve(x, kernel) + bias) as one op. */
  protected abstract convolveFused(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor;

  protected override buildWeights(s: readonly number[]): void {
    if (s.length !== this.spatialRank + 1) {
      throw new ShapeError(`${this.name}: ${this.className} needs per-sample input ${this.spatialRank === 2 ? '[H,W,C]' : '[L,C]'}, got ${fmtShape(s)}`);
    }
    this.kernel = this.addWeight('kernel', this.kernelInit.init([...this.kernelExtent, s[s.length - 1], this.filters], 'float32', globalRandom));
    if (this.useBias) this.bias = this.addWeight('bias', this.biasInit.init([this.filters], 'float32', globalRandom));
  }

  forward(x: Tensor, _training = false, needZ = false): LayerOutput {
    const pre = (): Tensor => {
      const z = this.convolve(x, this.kernel!);
      return this.bias ? add(z, this.bias) : z;
    };
    return affineOutput(this.activation, needZ, pre, (act) => this.convolveFused(x, this.kernel!, this.bias, act));
  }

  override multiplications(): number {
    const out = this.outputShape!.reduce((a, b) => a * b, 1);
    const inC = this.inputShape![this.inputShape!.length - 1];
    return out * this.kernelExtent.reduce((a, b) => a * b, 1) * inC;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, padding: this.padding, activation: this.activation, useBias: this.useBias };
  }
}

/** 2-D convolution layer on NHWC input with kernel [kh, kw, in, filters]. */
export class Conv2D extends Convolution {
  readonly className = 'Conv2D';
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];

  constructor(args: Conv2DArgs) {
    super(args, 'conv2d', 2);
    this.kernelSize = asPair('conv2d', 'kernelSize', args.kernelSize, 3);
    this.strides = asPair('conv2d', 'strides', args.strides, 1);
    this.dilationRate = asPair('conv2d', 'dilationRate', args.dilationRate, 1);
  }

  protected get kernelExtent(): number[] { return this.kernelSize; }

  protected convolve(x: Tensor, kernel: Tensor): Tensor {
    return conv2d(x, kernel, { stride: this.strides, padding: this.padding, dilation: this.dilationRate });
  }

  protected convolveFused(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv2d(x, kernel, { stride: this.strides, padding: this.padding, dilation: this.dilationRate, bias, activation });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate };
  }
}

/** 1-D convolution layer on [batch, length, channels] with kernel [k, in, filters]. */
export class Conv1D extends Convolution {
  readonly className = 'Conv1D';
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;

  constructor(args: Conv1DArgs) {
    super(args, 'conv1d', 1);
    this.kernelSize = asInt('conv1d', 'kernelSize', args.kernelSize, 3);
    this.strides = asInt('conv1d', 'strides', args.strides, 1);
    this.dilationRate = asInt('conv1d', 'dilationRate', args.dilationRate, 1);
  }

  protected get kernelExtent(): number[] { return [this.kernelSize]; }

  protected convolve(x: Tensor, kernel: Tensor): Tensor {
    return conv1d(x, kernel, { stride: this.strides, padding: this.padding, dilation: this.dilationRate });
  }

  protected convolveFused(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv1d(x, kernel, { stride: this.strides, padding: this.padding, dilation: this.dilationRate, bias, activation });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate };
  }
}

// ---------- pooling ----------

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: Pair;
  strides?: Pair;
  padding?: 'valid' | 'same';
}

export interface Pooling1DArgs extends LayerArgs {
  poolSize?: number;
  strides?: number;
  padding?: 'valid' | 'same';
}

/** What the pooling layers share: padding and the config keys. */
abstract class Pooling extends Layer {
  readonly padding: 'valid' | 'same';
  constructor(args: LayerArgs & { padding?: string }, fn: string) {
    super(args, fn);
    const p = args.padding ?? 'valid';
    if (p !== 'valid' && p !== 'same') throw new ValueError(`${fn}: padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
    this.padding = p;
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
  constructor(args: Pooling2DArgs, fn: string) {
    super(args, fn);
    this.poolSize = asPair(fn, 'poolSize', args.poolSize, 2);
    this.strides = asPair(fn, 'strides', args.strides ?? this.poolSize, 1);
  }
  protected get options() { return { size: this.poolSize, stride: this.strides, padding: this.padding }; }
}

abstract class Pooling1D extends Pooling {
  readonly poolSize: number;
  readonly strides: number;
  constructor(args: Pooling1DArgs, fn: string) {
    super(args, fn);
    this.poolSize = asInt(fn, 'poolSize', args.poolSize, 2);
    this.strides = asInt(fn, 'strides', args.strides ?? this.poolSize, 1);
  }
  protected get options() { return { size: this.poolSize, stride: this.strides, padding: this.padding }; }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) { super(args, 'max_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(maxPool2d(x, this.options)); }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) { super(args, 'average_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(avgPool2d(x, this.options)); }
}

export class MaxPooling1D extends Pooling1D {
  readonly className = 'MaxPooling1D';
  constructor(args: Pooling1DArgs = {}) { super(args, 'max_pooling1d'); }
  forward(x: Tensor): LayerOutput { return identity(maxPool1d(x, this.options)); }
}

export class AveragePooling1D extends Pooling1D {
  readonly className = 'AveragePooling1D';
  constructor(args: Pooling1DArgs = {}) { super(args, 'average_pooling1d'); }
  forward(x: Tensor): LayerOutput { return identity(avgPool1d(x, this.options)); }
}

export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: LayerArgs = {}) { super(args, 'global_average_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(globalAvgPool2d(x)); }
}

export class GlobalMaxPooling2D extends Layer {
  readonly className = 'GlobalMaxPooling2D';
  constructor(args: LayerArgs = {}) { super(args, 'global_max_pooling2d'); }
  forward(x: Tensor): LayerOutput { return identity(globalMaxPool2d(x)); }
}

// ---------- shape, dropout, activation ----------

/** Keeps the batch axis and flattens the rest. */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs = {}) { super(args, 'flatten'); }
  forward(x: Tensor): LayerOutput { return identity(reshape(x, [x.shape[0], -1])); }
}

export interface ReshapeArgs extends LayerArgs {
  targetShape: readonly number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    super(args, 'reshape');
    if (!Array.isArray(args.targetShape)) throw new ValueError(`reshape: targetShape must be an array, got ${JSON.stringify(args.targetShape)}`);
    this.targetShape = [...args.targetShape];
  }
  forward(x: Tensor): LayerOutput { return identity(reshape(x, [x.shape[0], ...this.targetShape])); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), targetShape: this.targetShape }; }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Zeroes a fraction `rate` of inputs in training and scales the rest by 1/(1-rate); identity in inference. */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;
  private readonly rng: Random;
  constructor(args: DropoutArgs) {
    super(args, 'dropout');
    if (!(args.rate >= 0 && args.rate < 1)) throw new ValueError(`dropout: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
    this.rng = args.seed === undefined ? globalRandom : new Random(args.seed);
  }
  forward(x: Tensor, training: boolean): LayerOutput {
    if (!training || this.rate === 0) return identity(x);
    const mask = new Tensor(new (x.data.constructor as Float32ArrayConstructor)(x.size), x.shape);
    const scale = 1 / (1 - this.rate);
    for (let i = 0; i < mask.size; i++) mask.data[i] = this.rng.random() < this.rate ? 0 : scale;
    return identity(mul(x, mask));
  }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), rate: this.rate, seed: this.seed }; }
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: string;
  constructor(args: ActivationArgs) {
    super(args, 'activation');
    this.activation = canonicalActivation('activation', args.activation);
  }
  forward(x: Tensor): LayerOutput { return activationOutput(this.activation, x); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), activation: this.activation }; }
}

// ---------- batch normalization ----------

export interface BatchNormalizationArgs extends LayerArgs {
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

/**
 * Normalises each channel (last axis) by the batch's mean and variance in training, and by the
 * moving averages in inference, then applies gamma and beta (Keras' defaults: momentum 0.99, epsilon 1e-3).
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean: Tensor | null = null;
  movingVariance: Tensor | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`batchNormalization: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new ValueError(`batchNormalization: epsilon must be > 0, got ${this.epsilon}`);
  }

  protected override buildWeights(s: readonly number[]): void {
    const c = s[s.length - 1];
    if (this.scale) this.gamma = this.addWeight('gamma', initializers.ones().init([c], 'float32', globalRandom));
    if (this.center) this.beta = this.addWeight('beta', initializers.zeros().init([c], 'float32', globalRandom));
    this.movingMean = this.addWeight('moving_mean', initializers.zeros().init([c], 'float32', globalRandom), false);
    this.movingVariance = this.addWeight('moving_variance', initializers.ones().init([c], 'float32', globalRandom), false);
  }

  forward(x: Tensor, training: boolean): LayerOutput {
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    let xhat: Tensor;
    if (training) {
      const m = mean(x, axes);
      const centered = sub(x, m);
      const v = mean(square(centered), axes);
      xhat = div(centered, sqrt(add(v, this.epsilon)));
      noGrad(() => {
        const mm = this.movingMean!.data;
        const mv = this.movingVariance!.data;
        for (let i = 0; i < mm.length; i++) {
          mm[i] = mm[i] * this.momentum + m.data[i] * (1 - this.momentum);
          mv[i] = mv[i] * this.momentum + v.data[i] * (1 - this.momentum);
        }
      });
    } else {
      xhat = div(sub(x, this.movingMean!), sqrt(add(this.movingVariance!, this.epsilon)));
    }
    let y = xhat;
    if (this.gamma) y = mul(y, this.gamma);
    if (this.beta) y = add(y, this.beta);
    return identity(y);
  }

  override multiplications(): number {
    return this.inputShape!.reduce((a, b) => a * b, 1) * (this.scale ? 2 : 1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

/** Layer factories with Keras' names. */
export const layers = {
  dense: (args: DenseArgs) => new Dense(args),
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  conv1d: (args: Conv1DArgs) => new Conv1D(args),
  maxPooling2d: (args: Pooling2DArgs = {}) => new MaxPooling2D(args),
  averagePooling2d: (args: Pooling2DArgs = {}) => new AveragePooling2D(args),
  maxPooling1d: (args: Pooling1DArgs = {}) => new MaxPooling1D(args),
  averagePooling1d: (args: Pooling1DArgs = {}) => new AveragePooling1D(args),
  globalAveragePooling2d: (args: LayerArgs = {}) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args: LayerArgs = {}) => new GlobalMaxPooling2D(args),
  flatten: (args: LayerArgs = {}) => new Flatten(args),
  reshape: (args: ReshapeArgs) => new Reshape(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  activation: (args: ActivationArgs) => new Activation(args),
  batchNormalization: (args: BatchNormalizationArgs = {}) => new BatchNormalization(args),
};

/** Rebuilds a layer from its class name and config (for loading saved models). */
export function layerFromConfig(className: string, config: Record<string, unknown>): Layer {
  const ctors: Record<string, new (a: never) => Layer> = {
    Dense, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D,
    GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Reshape, Dropout, Activation, BatchNormalization,
  };
  const C = ctors[className];
  if (!C) throw new ValueError(`loadModel: unknown layer class '${className}'`);
  return new C(config as never);
}
