// Layers that move or rescale pixels: zero padding, cropping, rescaling.
import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, finiteNumber, showJson } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul, pad, slice } from '../ops/index.js';
import { Layer, type LayerArgs, type LayerOutput, type Shape } from './layer.js';
import { identity, layerKeys, layerOptions, needImage } from './layers.js';
import { sizeOf } from '../tensor/shape.js';

/** Keras' forms: n (every side), [h, w] (symmetric per axis) or [[top, bottom], [left, right]]. */
export type Margins2D = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

function margins(fn: string, arg: string, v: Margins2D | undefined, dflt: number): [[number, number], [number, number]] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (v === undefined) return [[dflt, dflt], [dflt, dflt]];
  if (ok(v)) return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    if (ok(v[0]) && ok(v[1])) return [[v[0], v[0]], [v[1], v[1]]];
    const [h, w] = v as readonly unknown[];
    if (Array.isArray(h) && Array.isArray(w) && h.length === 2 && w.length === 2 && [...h, ...w].every(ok)) {
      return [[h[0], h[1]], [w[0], w[1]]];
    }
  }
  throw new ValueError(`${fn}: ${arg} must be a non-negative integer, [h, w] or [[top, bottom], [left, right]], got ${showJson(v)}`);
}

/** Options of `layers.zeroPadding2d`. */
export interface ZeroPadding2DArgs extends LayerArgs {
  /** Zeros added around each image (default 1 on every side). */
  padding?: Margins2D;
}

const ZERO_PADDING_KEYS = layerKeys<ZeroPadding2DArgs>({ padding: true });

/** Adds rows and columns of zeros around each image (NHWC). */
export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly padding: [[number, number], [number, number]];
  constructor(args: ZeroPadding2DArgs = {}) {
    const a = checkOptions('layers.zeroPadding2d', args, ZERO_PADDING_KEYS);
    super(a, 'zero_padding2d');
    this.padding = margins('layers.zeroPadding2d', 'padding', a.padding, 1);
  }
  protected override buildWeights(s: Shape): void { needImage(this, s); }
  forward(x: Tensor): LayerOutput { return identity(pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]])); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), padding: this.padding }; }
}

/** Options of `layers.cropping2d`. */
export interface Cropping2DArgs extends LayerArgs {
  /** Rows and columns removed from each image's edges (default 0). */
  cropping?: Margins2D;
}

const CROPPING_KEYS = layerKeys<Cropping2DArgs>({ cropping: true });

/** Removes rows and columns at the edges of each image (NHWC). */
export class Cropping2D extends Layer {
  readonly className = 'Cropping2D';
  readonly cropping: [[number, number], [number, number]];
  constructor(args: Cropping2DArgs = {}) {
    const a = checkOptions('layers.cropping2d', args, CROPPING_KEYS);
    super(a, 'cropping2d');
    this.cropping = margins('layers.cropping2d', 'cropping', a.cropping, 0);
  }
  protected override buildWeights(s: Shape): void {
    needImage(this, s);
    const [[t, b], [l, r]] = this.cropping;
    if (t + b >= s[0] || l + r >= s[1]) {
      throw new ShapeError(`${this.name}: cropping ${showJson(this.cropping)} leaves nothing of a ${s[0]}x${s[1]} image`);
    }
  }
  forward(x: Tensor): LayerOutput {
    const [[t, b], [l, r]] = this.cropping;
    const [n, h, w, c] = x.shape;
    return identity(slice(x, [0, t, l, 0], [n, h - t - b, w - l - r, c]));
  }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), cropping: this.cropping }; }
}

/** Options of `layers.rescaling`. */
export interface RescalingArgs extends LayerArgs {
  /** Required: multiplies every value, e.g. 1 / 255. */
  scale: number;
  /** Added after scaling (default 0). */
  offset?: number;
}

const RESCALING_KEYS = layerKeys<RescalingArgs>({ scale: true, offset: true });

/** x * scale + offset (Keras' Rescaling: pixels from [0, 255] to [0, 1] or [-1, 1]). */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;
  constructor(args: RescalingArgs) {
    const a = layerOptions('layers.rescaling', args, RESCALING_KEYS, ['scale'], '{ scale: 1 / 255 }');
    super(a, 'rescaling');
    this.scale = finiteNumber('layers.rescaling', 'scale', a.scale);
    this.offset = finiteNumber('layers.rescaling', 'offset', a.offset ?? 0);
  }
  forward(x: Tensor): LayerOutput {
    const y = mul(x, this.scale);
    return identity(this.offset === 0 ? y : add(y, this.offset));
  }
  override multiplications(): number { return sizeOf(this.inputShape!); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), scale: this.scale, offset: this.offset }; }
}
