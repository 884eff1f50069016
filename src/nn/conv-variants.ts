// The convolutions of mobile and generative networks: depthwise (MobileNet), separable
// (Xception) and transposed (U-Net decoders, GAN generators).
import { ValueError } from '../core/errors.js';
import { oneOf, positiveInt, showJson } from '../core/validate.js';
import { globalRandom } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type FusedActivation, conv2d, conv2dTranspose, depthwiseConv2d } from '../ops/index.js';
import { convGeometry } from '../ops/conv.js';
import { initializers, resolveInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { Shape } from './layer.js';
import { AffineLayer, asPair, layerKeys, layerOptions, needImage, type AffineArgs } from './layers.js';

type Pair = number | readonly [number, number];

/** Options of `layers.depthwiseConv2d` (Keras' DepthwiseConv2D). */
export interface DepthwiseConv2DArgs extends AffineArgs {
  /** Required: the kernel's height and width, one number for both or [kh, kw]. */
  kernelSize: Pair;
  /** Step between windows, one number or [sh, sw]. Default: 1. */
  strides?: Pair;
  /** 'valid' (no padding) or 'same' (output size = ceil(input / stride)). Default: 'valid'. */
  padding?: 'valid' | 'same';
  /** Filters per input channel (default 1): C * depthMultiplier outputs. */
  depthMultiplier?: number;
  /** Spacing between kernel taps, one number or [dh, dw]. Default: 1. */
  dilationRate?: Pair;
  /** How the depthwise kernel starts, drawn from the global seeded generator. Default: 'glorotUniform'. */
  depthwiseInitializer?: InitializerName | Initializer;
}

const DEPTHWISE_KEYS = layerKeys<DepthwiseConv2DArgs>({
  kernelSize: true, strides: true, padding: true, depthMultiplier: true, dilationRate: true, activation: true, useBias: true,
  depthwiseInitializer: true, biasInitializer: true,
});

/** Each input channel convolved with its own depthMultiplier filters; kernel [kh, kw, C, depthMultiplier] (Keras' DepthwiseConv2D). */
export class DepthwiseConv2D extends AffineLayer {
  readonly className: string = 'DepthwiseConv2D';
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dilationRate: [number, number];
  private readonly depthwiseInit: Initializer;
  depthwiseKernel: Tensor | null = null;

  constructor(args: DepthwiseConv2DArgs, fn = 'layers.depthwiseConv2d', keys = DEPTHWISE_KEYS, defaultName = 'depthwise_conv2d') {
    const a = layerOptions(fn, args, keys, ['kernelSize'], '{ kernelSize: 3 }');
    super(a, fn, defaultName);
    this.kernelSize = asPair(fn, 'kernelSize', a.kernelSize, 3);
    this.strides = asPair(fn, 'strides', a.strides, 1);
    this.padding = oneOf(fn, 'padding', a.padding ?? 'valid', ['valid', 'same'] as const);
    this.depthMultiplier = positiveInt(fn, 'depthMultiplier', a.depthMultiplier ?? 1);
    this.dilationRate = asPair(fn, 'dilationRate', a.dilationRate, 1);
    this.depthwiseInit = resolveInitializer(fn, a.depthwiseInitializer, initializers.glorotUniform);
  }

  protected get convOptions() {
    return { stride: this.strides, padding: this.padding, dilation: this.dilationRate };
  }

  /** Channels out of the depthwise step. */
  protected depthwiseChannels(): number {
    return this.inputShape![2] * this.depthMultiplier;
  }

  protected override buildWeights(s: Shape): void {
    needImage(this, s);
    this.depthwiseKernel = this.addWeight('depthwise_kernel', this.depthwiseInit.init([...this.kernelSize, s[2], this.depthMultiplier], this.dtype, globalRandom));
    this.buildRest(s);
  }

  protected buildRest(s: Shape): void {
    this.addBias(s[2] * this.depthMultiplier);
  }

  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    const g = convGeometry(this.name, [1, ...s[0]], [...this.kernelSize, 1, s[0][2] * this.depthMultiplier], this.convOptions, s[0][2]);
    return [[g.outH, g.outW, this.outputChannels(s[0][2])]];
  }

  protected outputChannels(inChannels: number): number {
    return inChannels * this.depthMultiplier;
  }

  protected linear(x: Tensor): Tensor {
    return depthwiseConv2d(x, this.depthwiseKernel!, this.convOptions);
  }

  protected linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return depthwiseConv2d(x, this.depthwiseKernel!, { ...this.convOptions, bias, activation });
  }

  override multiplications(): number {
    const [oh, ow] = this.outputShape!;
    return oh * ow * this.depthwiseChannels() * this.kernelSize[0] * this.kernelSize[1];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, depthMultiplier: this.depthMultiplier,
      dilationRate: this.dilationRate,
    };
  }
}

/** Options of `layers.separableConv2d` (Keras' SeparableConv2D). */
export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  /** Required: output channels of the 1x1 (pointwise) step, a positive integer. */
  filters: number;
  /** How the pointwise kernel starts, drawn from the global seeded generator. Default: 'glorotUniform'. */
  pointwiseInitializer?: InitializerName | Initializer;
}

const SEPARABLE_KEYS = layerKeys<SeparableConv2DArgs>({
  filters: true, kernelSize: true, strides: true, padding: true, depthMultiplier: true, dilationRate: true, activation: true, useBias: true,
  depthwiseInitializer: true, pointwiseInitializer: true, biasInitializer: true,
});

/**
 * A depthwise convolution, then a 1x1 convolution to `filters` channels (Keras' SeparableConv2D):
 * depthwise_kernel [kh, kw, C, depthMultiplier], pointwise_kernel [1, 1, C * depthMultiplier, filters], bias [filters].
 */
export class SeparableConv2D extends DepthwiseConv2D {
  override readonly className: string = 'SeparableConv2D';
  readonly filters: number;
  private readonly pointwiseInit: Initializer;
  pointwiseKernel: Tensor | null = null;

  constructor(args: SeparableConv2DArgs) {
    const fn = 'layers.separableConv2d';
    const a = layerOptions(fn, args, SEPARABLE_KEYS, ['filters', 'kernelSize'], '{ filters: 32, kernelSize: 3 }');
    const { filters, pointwiseInitializer, ...depthwise } = a;
    super(depthwise, fn, SEPARABLE_KEYS, 'separable_conv2d');
    this.filters = positiveInt(fn, 'filters', filters);
    this.pointwiseInit = resolveInitializer(fn, pointwiseInitializer, initializers.glorotUniform);
  }

  protected override buildRest(s: Shape): void {
    this.pointwiseKernel = this.addWeight('pointwise_kernel', this.pointwiseInit.init([1, 1, s[2] * this.depthMultiplier, this.filters], this.dtype, globalRandom));
    this.addBias(this.filters);
  }

  protected override outputChannels(): number {
    return this.filters;
  }

  protected override linear(x: Tensor): Tensor {
    return conv2d(depthwiseConv2d(x, this.depthwiseKernel!, this.convOptions), this.pointwiseKernel!);
  }

  protected override linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv2d(depthwiseConv2d(x, this.depthwiseKernel!, this.convOptions), this.pointwiseKernel!, { bias, activation });
  }

  override multiplications(): number {
    const [oh, ow] = this.outputShape!;
    return super.multiplications() + oh * ow * this.depthwiseChannels() * this.filters;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters };
  }
}

/** Options of `layers.conv2dTranspose` (Keras' Conv2DTranspose). */
export interface Conv2DTransposeArgs extends AffineArgs {
  /** Required: output channels, a positive integer. */
  filters: number;
  /** Required: the kernel's height and width, one number for both or [kh, kw]. */
  kernelSize: Pair;
  /** Upsampling factor (the stride of the convolution it inverts), one number or [sh, sw]. Default: 1. */
  strides?: Pair;
  /** 'valid' (output (in - 1) * stride + max(kernel, stride), as Keras) or 'same' (output in * stride). Default: 'valid'. */
  padding?: 'valid' | 'same';
  /** Extra output rows/columns, each below the stride (Keras' output_padding; default none). */
  outputPadding?: Pair | null;
  /** Spacing between kernel taps, one number or [dh, dw]. Default: 1. */
  dilationRate?: Pair;
  /** How the kernel starts, drawn from the global seeded generator. Default: 'glorotUniform'. */
  kernelInitializer?: InitializerName | Initializer;
}

const TRANSPOSE_KEYS = layerKeys<Conv2DTransposeArgs>({
  filters: true, kernelSize: true, strides: true, padding: true, outputPadding: true, dilationRate: true, activation: true, useBias: true,
  kernelInitializer: true, biasInitializer: true,
});

/** The adjoint of a convolution, upsampling by its strides; kernel [kh, kw, filters, C] (Keras' Conv2DTranspose). */
export class Conv2DTranspose extends AffineLayer {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly outputPadding: [number, number] | null;
  readonly dilationRate: [number, number];
  private readonly kernelInit: Initializer;
  kernel: Tensor | null = null;

  constructor(args: Conv2DTransposeArgs) {
    const fn = 'layers.conv2dTranspose';
    const a = layerOptions(fn, args, TRANSPOSE_KEYS, ['filters', 'kernelSize'], '{ filters: 16, kernelSize: 3, strides: 2 }');
    super(a, fn, 'conv2d_transpose');
    this.filters = positiveInt(fn, 'filters', a.filters);
    this.kernelSize = asPair(fn, 'kernelSize', a.kernelSize, 3);
    this.strides = asPair(fn, 'strides', a.strides, 1);
    this.padding = oneOf(fn, 'padding', a.padding ?? 'valid', ['valid', 'same'] as const);
    const op = a.outputPadding;
    this.outputPadding = op === undefined || op === null ? null
      : typeof op === 'number' ? [op, op] : Array.isArray(op) && op.length === 2 ? [op[0], op[1]] : null;
    if (op !== undefined && op !== null && (this.outputPadding === null || !this.outputPadding.every((v, i) => Number.isInteger(v) && v >= 0 && v < this.strides[i]))) {
      throw new ValueError(`${fn}: outputPadding must be a non-negative integer or [h, w], each below the strides ${showJson(this.strides)}, got ${showJson(op)}`);
    }
    this.dilationRate = asPair(fn, 'dilationRate', a.dilationRate, 1);
    this.kernelInit = resolveInitializer(fn, a.kernelInitializer, initializers.glorotUniform);
  }

  private get convOptions() {
    return { stride: this.strides, padding: this.padding, dilation: this.dilationRate, outputPadding: this.outputPadding };
  }

  protected override buildWeights(s: Shape): void {
    needImage(this, s);
    this.kernel = this.addWeight('kernel', this.kernelInit.init([...this.kernelSize, this.filters, s[2]], this.dtype, globalRandom));
    this.addBias(this.filters);
  }

  protected linear(x: Tensor): Tensor {
    return conv2dTranspose(x, this.kernel!, this.convOptions);
  }

  protected linearFused(x: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
    return conv2dTranspose(x, this.kernel!, { ...this.convOptions, bias, activation });
  }

  override multiplications(): number {
    const [h, w, c] = this.inputShape!;
    return h * w * c * this.kernelSize[0] * this.kernelSize[1] * this.filters;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding,
      outputPadding: this.outputPadding, dilationRate: this.dilationRate,
    };
  }
}
