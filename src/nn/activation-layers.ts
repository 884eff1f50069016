// Activations as layers with their own options (Keras' ReLU, LeakyReLU, ELU, Softmax), layer
// normalization, and resizing.
import { ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, nonNegativeNumber, oneOf, positiveInt, positiveNumber, showJson } from '../core/validate.js';
import { globalRandom } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { elu, layerNorm, leakyRelu, relu, resize, softmax, upSampling2d } from '../ops/index.js';
import { initializers } from './initializers.js';
import { Layer, type LayerArgs, type LayerOutput, type Shape } from './layer.js';
import { asPair, identity, layerKeys, layerOptions, needImage } from './layers.js';
import { sizeOf } from '../tensor/shape.js';

/** Options of `layers.relu` (Keras' ReLU layer). */
export interface ReLUArgs extends LayerArgs {
  /** The largest output (default none; 6 gives relu6). */
  maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  negativeSlope?: number;
  /** Values below it are damped (default 0). */
  threshold?: number;
}

const RELU_KEYS = layerKeys<ReLUArgs>({ maxValue: true, negativeSlope: true, threshold: true });

/** Keras' ReLU layer: max(x, 0) by default, capped at maxValue, leaky below threshold. */
export class ReLU extends Layer {
  readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(args: ReLUArgs = {}) {
    const fn = 'layers.relu';
    const a = checkOptions(fn, args, RELU_KEYS);
    super(a, 're_lu');
    this.maxValue = a.maxValue === undefined || a.maxValue === null ? null : nonNegativeNumber(fn, 'maxValue', a.maxValue);
    this.negativeSlope = nonNegativeNumber(fn, 'negativeSlope', a.negativeSlope ?? 0);
    this.threshold = nonNegativeNumber(fn, 'threshold', a.threshold ?? 0);
  }
  override finalActivation(): string | null {
    return this.maxValue === null && this.negativeSlope === 0 && this.threshold === 0 ? 'relu' : null;
  }
  forward(x: Tensor): LayerOutput {
    return { z: x, u: relu(x, { maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold }) };
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

/** Options of `layers.leakyRelu`. */
export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0 (default 0.3, as Keras' layer). */
  negativeSlope?: number;
}

const LEAKY_KEYS = layerKeys<LeakyReLUArgs>({ negativeSlope: true });

export class LeakyReLU extends Layer {
  readonly className = 'LeakyReLU';
  readonly negativeSlope: number;
  constructor(args: LeakyReLUArgs = {}) {
    const a = checkOptions('layers.leakyRelu', args, LEAKY_KEYS);
    super(a, 'leaky_re_lu');
    this.negativeSlope = nonNegativeNumber('layers.leakyRelu', 'negativeSlope', a.negativeSlope ?? 0.3);
  }
  forward(x: Tensor): LayerOutput { return { z: x, u: leakyRelu(x, this.negativeSlope) }; }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), negativeSlope: this.negativeSlope }; }
}

/** Options of `layers.elu`. */
export interface ELUArgs extends LayerArgs {
  /** Scale of the negative part (default 1). */
  alpha?: number;
}

const ELU_KEYS = layerKeys<ELUArgs>({ alpha: true });

export class ELU extends Layer {
  readonly className = 'ELU';
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    const a = checkOptions('layers.elu', args, ELU_KEYS);
    super(a, 'elu');
    this.alpha = finiteNumber('layers.elu', 'alpha', a.alpha ?? 1);
  }
  forward(x: Tensor): LayerOutput { return { z: x, u: elu(x, this.alpha) }; }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), alpha: this.alpha }; }
}

/** Options of `layers.softmax`. */
export interface SoftmaxArgs extends LayerArgs {
  /** The axis to normalise over, counting the batch axis (default -1). */
  axis?: number;
}

const SOFTMAX_KEYS = layerKeys<SoftmaxArgs>({ axis: true });

export class Softmax extends Layer {
  readonly className = 'Softmax';
  readonly axis: number;
  constructor(args: SoftmaxArgs = {}) {
    const a = checkOptions('layers.softmax', args, SOFTMAX_KEYS);
    super(a, 'softmax');
    this.axis = a.axis ?? -1;
    if (!Number.isInteger(this.axis) || this.axis === 0) throw new ValueError(`layers.softmax: axis must be a non-zero integer (axis 0 is the batch), got ${showJson(a.axis)}`);
  }
  override finalActivation(): string | null {
    return this.axis === -1 ? 'softmax' : null;
  }
  forward(x: Tensor): LayerOutput { return { z: x, u: softmax(x, this.axis) }; }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), axis: this.axis }; }
}

/** Options of `layers.layerNormalization` (Keras' LayerNormalization). */
export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes to normalise over, counting the batch axis (default -1). */
  axis?: number | readonly number[];
  /** Added to the variance before its square root, > 0 (default 1e-3, as Keras). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
}

const LAYER_NORM_KEYS = layerKeys<LayerNormalizationArgs>({ axis: true, epsilon: true, center: true, scale: true });

/** Normalises each sample over `axis` by its own mean and variance, then gamma * xhat + beta (Keras' LayerNormalization). */
export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  constructor(args: LayerNormalizationArgs = {}) {
    const fn = 'layers.layerNormalization';
    const a = checkOptions(fn, args, LAYER_NORM_KEYS);
    super(a, 'layer_normalization');
    const axes = typeof a.axis === 'number' || a.axis === undefined ? [a.axis ?? -1] : Array.isArray(a.axis) ? [...a.axis] : null;
    if (!axes || axes.length === 0 || !axes.every((d) => Number.isInteger(d) && d !== 0)) {
      throw new ValueError(`${fn}: axis must be a non-zero integer or a list of them (axis 0 is the batch), got ${showJson(a.axis)}`);
    }
    this.axis = axes;
    this.epsilon = positiveNumber(fn, 'epsilon', a.epsilon ?? 1e-3);
    this.center = booleanOption(fn, 'center', a.center ?? true);
    this.scale = booleanOption(fn, 'scale', a.scale ?? true);
  }
  /** The normalised axes of the full tensor, ascending. */
  private axesFor(rank: number): number[] {
    const out = this.axis.map((d) => (d < 0 ? d + rank : d));
    if (out.some((d) => d <= 0 || d >= rank) || new Set(out).size !== out.length) {
      throw new ValueError(`${this.name}: axis ${showJson(this.axis)} does not name distinct per-sample axes of inputs of rank ${rank} (batch included)`);
    }
    return out.sort((p, q) => p - q);
  }
  protected override buildWeights(s: Shape): void {
    const axes = this.axesFor(s.length + 1);
    const shape = axes.map((d) => s[d - 1]);
    if (this.scale) this.gamma = this.addWeight('gamma', initializers.ones().init(shape, this.dtype, globalRandom));
    if (this.center) this.beta = this.addWeight('beta', initializers.zeros().init(shape, this.dtype, globalRandom));
  }
  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[...s[0]]];
  }
  forward(x: Tensor): LayerOutput {
    return identity(layerNorm(x, { axis: this.axesFor(x.rank), epsilon: this.epsilon, gamma: this.gamma, beta: this.beta }));
  }
  override multiplications(): number {
    return sizeOf(this.inputShape!) * (this.scale ? 2 : 1);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis.length === 1 ? this.axis[0] : this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

/** Options of `layers.upSampling2d` (Keras' UpSampling2D). */
export interface UpSampling2DArgs extends LayerArgs {
  /** Factor per axis: a number or [h, w] (default 2). */
  size?: number | readonly [number, number];
  /** 'nearest' (default, as Keras) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
}

const UPSAMPLING_KEYS = layerKeys<UpSampling2DArgs>({ size: true, interpolation: true });

/** Repeats rows and columns (nearest) or interpolates (bilinear, as tf.image.resize) by integer factors. */
export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(args: UpSampling2DArgs = {}) {
    const fn = 'layers.upSampling2d';
    const a = checkOptions(fn, args, UPSAMPLING_KEYS);
    super(a, 'up_sampling2d');
    this.size = asPair(fn, 'size', a.size, 2);
    this.interpolation = oneOf(fn, 'interpolation', a.interpolation ?? 'nearest', ['nearest', 'bilinear'] as const);
  }
  protected override buildWeights(s: Shape): void {
    needImage(this, s);
  }
  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[s[0][0] * this.size[0], s[0][1] * this.size[1], s[0][2]]];
  }
  forward(x: Tensor): LayerOutput { return identity(upSampling2d(x, { size: this.size, interpolation: this.interpolation })); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), size: this.size, interpolation: this.interpolation }; }
}

/** Options of `layers.resizing` (Keras' Resizing). */
export interface ResizingArgs extends LayerArgs {
  /** Required: the output height in pixels. */
  height: number;
  /** Required: the output width in pixels. */
  width: number;
  /** 'bilinear' (default, as Keras) or 'nearest'. */
  interpolation?: 'nearest' | 'bilinear';
}

const RESIZING_KEYS = layerKeys<ResizingArgs>({ height: true, width: true, interpolation: true });

/** Resizes every image to height x width (Keras' Resizing, tf.image.resize). */
export class Resizing extends Layer {
  readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(args: ResizingArgs) {
    const fn = 'layers.resizing';
    const a = layerOptions(fn, args, RESIZING_KEYS, ['height', 'width'], '{ height: 224, width: 224 }');
    super(a, 'resizing');
    this.height = positiveInt(fn, 'height', a.height);
    this.width = positiveInt(fn, 'width', a.width);
    this.interpolation = oneOf(fn, 'interpolation', a.interpolation ?? 'bilinear', ['nearest', 'bilinear'] as const);
  }
  protected override buildWeights(s: Shape): void {
    needImage(this, s);
  }
  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[this.height, this.width, s[0][2]]];
  }
  forward(x: Tensor): LayerOutput { return identity(resize(x, [this.height, this.width], { method: this.interpolation })); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), height: this.height, width: this.width, interpolation: this.interpolation }; }
}
