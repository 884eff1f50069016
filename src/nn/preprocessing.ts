// Keras' random augmentation layers: RandomFlip, RandomRotation, RandomZoom, RandomTranslation.
// They act only in training (fit); in inference (predict, evaluate, apply) they pass x through.
//
// Each training call draws one transform per image from the layer's own seeded generator and
// resamples the batch as TensorFlow's ImageProjectiveTransformV3 does (Keras' transforms): output
// pixel (x, y) reads input point (a0 x + a1 y + a2, b0 x + b1 y + b2), mapped back inside by the
// fill mode ('reflect' dcba|abcd|dcba, 'wrap', 'nearest' edge, 'constant' fillValue), and read
// by nearest (round half away from zero) or bilinear interpolation. The resampling is linear in
// x, so gradients flow to the input through its adjoint (first order only; the transforms are
// drawn, not learned).
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, describeValue, finiteNumber, intInRange, oneOf, showJson } from '../core/validate.js';
import { globalRandom, Random } from '../tensor/random.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { Layer, type LayerArgs, type LayerOutput, type Shape } from './layer.js';
import { identity, layerKeys, needImage } from './layers.js';

/** How the random image layers fill points that fall outside the image (Keras' fill_mode). */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
/** How the random image layers sample between pixels. */
export type TransformInterpolation = 'bilinear' | 'nearest';
/** A factor as Keras takes it: f means [-f, f]; [lower, upper] as given. */
export type Factor = number | readonly [number, number];

const FILL_MODES = ['reflect', 'wrap', 'constant', 'nearest'] as const;
const INTERPOLATIONS = ['bilinear', 'nearest'] as const;

/** TensorFlow's MapCoordinate: an input coordinate outside [0, len - 1] brought back inside by the fill mode. */
function mapCoordinate(c: number, len: number, mode: FillMode): number {
  if (mode === 'constant') return c;
  if (mode === 'nearest') return Math.min(Math.max(c, 0), len - 1);
  let v = c;
  if (mode === 'reflect') {
    if (v < 0) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        if (v < sz2) v = sz2 * Math.trunc(-v / sz2) + v;
        v = v < -len ? v + sz2 : -v - 1;
      }
    } else if (v > len - 1) {
      if (len <= 1) v = 0;
      else {
        const sz2 = 2 * len;
        v -= sz2 * Math.trunc(v / sz2);
        if (v >= len) v = sz2 - v - 1;
      }
    }
  } else if (v < 0) {
    v = len <= 1 ? 0 : v + len * (Math.trunc(-v / (len - 1)) + 1);
  } else if (v > len - 1) {
    v = len <= 1 ? 0 : v - len * Math.trunc(v / (len - 1));
  }
  return Math.min(Math.max(v, 0), len - 1);
}

/** C++'s std::round: halves away from zero. */
const roundHalfAway = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));

/**
 * Calls `tap(outPixel, inPixel, weight)` for every input pixel each output pixel reads, and
 * `fill(outPixel, weight)` for the weight of reads outside the image (constant mode's fillValue).
 */
function forEachTap(n: number, H: number, W: number, m: Float64Array, mode: FillMode, interp: TransformInterpolation,
  tap: (o: number, i: number, w: number) => void, fill: (o: number, w: number) => void): void {
  const base = n * H * W;
  const a = m.subarray(n * 6, n * 6 + 6);
  const read = (o: number, y: number, x: number, w: number) => {
    if (w === 0) return;
    if (y >= 0 && y < H && x >= 0 && x < W) tap(o, base + y * W + x, w);
    else fill(o, w);
  };
  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < W; ox++) {
      const o = base + oy * W + ox;
      const x = mapCoordinate(a[0] * ox + a[1] * oy + a[2], W, mode);
      const y = mapCoordinate(a[3] * ox + a[4] * oy + a[5], H, mode);
      if (interp === 'nearest') {
        read(o, roundHalfAway(y), roundHalfAway(x), 1);
        continue;
      }
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      read(o, y0, x0, (1 - fy) * (1 - fx));
      read(o, y0, x0 + 1, (1 - fy) * fx);
      read(o, y0 + 1, x0, fy * (1 - fx));
      read(o, y0 + 1, x0 + 1, fy * fx);
    }
  }
}

/**
 * Resamples images x [N, H, W, C] with one affine transform per image (matrices: N rows of
 * [a0, a1, a2, b0, b1, b2], output pixel to input point, as TensorFlow's ImageProjectiveTransformV3).
 */
export function transformImages(x: Tensor, matrices: Float64Array, fillMode: FillMode, interpolation: TransformInterpolation, fillValue: number): Tensor {
  if (!(x instanceof Tensor) || x.rank !== 4) throw new ShapeError(`transformImages: x must be a Tensor [N,H,W,C], got ${x instanceof Tensor ? fmtShape(x.shape) : describeValue(x)}`);
  if (!(matrices instanceof Float64Array) || matrices.length !== 6 * x.shape[0]) throw new ValueError(`transformImages: matrices must be a Float64Array of 6 values per image (${6 * x.shape[0]}), got ${describeValue(matrices)}`);
  oneOf('transformImages', 'fillMode', fillMode, FILL_MODES);
  oneOf('transformImages', 'interpolation', interpolation, INTERPOLATIONS);
  finiteNumber('transformImages', 'fillValue', fillValue);
  const [N, H, W, C] = x.shape;
  const out = new Tensor(new (x.data.constructor as Float32ArrayConstructor)(x.size), x.shape);
  const xd = x.data;
  const yd = out.data;
  for (let n = 0; n < N; n++) {
    forEachTap(n, H, W, matrices, fillMode, interpolation,
      (o, i, w) => { for (let c = 0; c < C; c++) yd[o * C + c] += w * xd[i * C + c]; },
      (o, w) => { for (let c = 0; c < C; c++) yd[o * C + c] += w * fillValue; });
  }
  return recordOp(out, 'transformImages', [x], (g) => {
    // The adjoint: each output pixel's gradient goes back to the pixels it read, with their weights.
    const dx = new Tensor(new (g.data.constructor as Float32ArrayConstructor)(g.size), g.shape);
    const gd = g.data;
    const d = dx.data;
    for (let n = 0; n < N; n++) {
      forEachTap(n, H, W, matrices, fillMode, interpolation, (o, i, w) => { for (let c = 0; c < C; c++) d[i * C + c] += w * gd[o * C + c]; }, () => {});
    }
    return [dx];
  });
}

/** Keras' factor: f gives [-f, f], a pair is [lower, upper] with lower <= upper, each within `limit` in size when given. */
function checkFactor(fn: string, name: string, v: unknown, limit: number | null): [number, number] {
  let lo: number;
  let hi: number;
  if (typeof v === 'number') {
    finiteNumber(fn, name, v);
    if (v < 0) throw new ValueError(`${fn}: ${name} as one number must be >= 0 (it means [-${name}, ${name}]), got ${v}`);
    [lo, hi] = [-v, v];
  } else if (Array.isArray(v) && v.length === 2) {
    lo = finiteNumber(fn, `${name}[0]`, v[0]);
    hi = finiteNumber(fn, `${name}[1]`, v[1]);
    if (hi < lo) throw new ValueError(`${fn}: ${name} [lower, upper] needs lower <= upper, got ${showJson(v)}`);
  } else {
    throw new ValueError(`${fn}: ${name} must be a number or [lower, upper], got ${describeValue(v)}`);
  }
  if (limit !== null && (Math.abs(lo) > limit || Math.abs(hi) > limit)) throw new ValueError(`${fn}: ${name} must lie in [-${limit}, ${limit}], got ${showJson(v)}`);
  return [lo, hi];
}

interface SeededArgs extends LayerArgs {
  /** Seed of the layer's generator (default: drawn from the global one, so gl.manualSeed makes runs reproducible). */
  seed?: number;
}

/** What the random layers share: a seeded generator, training-only action, images [N, H, W, C]. */
abstract class RandomImageLayer extends Layer {
  readonly seed: number;
  protected rng: Random;
  constructor(fn: string, a: SeededArgs, defaultName: string) {
    super(a, defaultName);
    this.seed = a.seed === undefined ? globalRandom.int(0, 2 ** 31) : intInRange(fn, 'seed', a.seed, 0, 2 ** 32 - 1);
    this.rng = new Random(this.seed);
  }
  protected override buildWeights(s: Shape): void {
    needImage(this, s);
  }
  protected override computeOutputShapes(s: readonly Shape[]): number[][] {
    return [[...s[0]]];
  }
  /** One transform matrix per image of a batch with this height and width. */
  protected abstract draw(n: number, H: number, W: number): Float64Array;
  protected abstract readonly fillMode: FillMode;
  protected abstract readonly interpolation: TransformInterpolation;
  protected abstract readonly fillValue: number;
  forward(x: Tensor, training: boolean): LayerOutput {
    if (!training) return identity(x);
    const [N, H, W] = x.shape;
    return identity(transformImages(x, this.draw(N, H, W), this.fillMode, this.interpolation, this.fillValue));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seed };
  }
}

const uniform = (rng: Random, [lo, hi]: readonly [number, number]) => (lo === hi ? lo : rng.uniform(lo, hi));

// ---------- RandomFlip ----------

/** Which flips `layers.randomFlip` draws. */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

/** Options of `layers.randomFlip` (Keras' RandomFlip). */
export interface RandomFlipArgs extends SeededArgs {
  /** Default 'horizontal_and_vertical' (Keras): each image flips left-right and up-down with probability 1/2 each. */
  mode?: FlipMode;
}

const FLIP_KEYS = layerKeys<RandomFlipArgs>({ mode: true, seed: true });

/** Keras' RandomFlip: in training each image is flipped with probability 1/2 (per direction). */
export class RandomFlip extends RandomImageLayer {
  readonly className = 'RandomFlip';
  readonly mode: FlipMode;
  protected readonly fillMode = 'nearest';
  protected readonly interpolation = 'nearest';
  protected readonly fillValue = 0;
  constructor(args: RandomFlipArgs = {}) {
    const fn = 'layers.randomFlip';
    const a = checkOptions(fn, args, FLIP_KEYS);
    super(fn, a, 'random_flip');
    this.mode = oneOf(fn, 'mode', a.mode ?? 'horizontal_and_vertical', ['horizontal', 'vertical', 'horizontal_and_vertical'] as const);
  }
  protected draw(n: number, H: number, W: number): Float64Array {
    const m = new Float64Array(n * 6);
    for (let i = 0; i < n; i++) {
      const h = this.mode !== 'vertical' && this.rng.random() < 0.5;
      const v = this.mode !== 'horizontal' && this.rng.random() < 0.5;
      m.set([h ? -1 : 1, 0, h ? W - 1 : 0, 0, v ? -1 : 1, v ? H - 1 : 0], i * 6);
    }
    return m;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode };
  }
}

// ---------- the affine ones ----------

interface FilledArgs extends SeededArgs {
  /** How points outside the image are filled: 'reflect' (default), 'wrap', 'constant' (fillValue) or 'nearest'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: TransformInterpolation;
  /** The value of 'constant' fill (default 0). */
  fillValue?: number;
}

abstract class AffineImageLayer extends RandomImageLayer {
  readonly fillMode: FillMode;
  readonly interpolation: TransformInterpolation;
  readonly fillValue: number;
  constructor(fn: string, a: FilledArgs, defaultName: string) {
    super(fn, a, defaultName);
    this.fillMode = oneOf(fn, 'fillMode', a.fillMode ?? 'reflect', FILL_MODES);
    this.interpolation = oneOf(fn, 'interpolation', a.interpolation ?? 'bilinear', INTERPOLATIONS);
    this.fillValue = finiteNumber(fn, 'fillValue', a.fillValue ?? 0);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue };
  }
}

/** Options of `layers.randomRotation` (Keras' RandomRotation). */
export interface RandomRotationArgs extends FilledArgs {
  /** Required: fraction of a full turn (2 pi): f rotates by an angle drawn in [-f 2pi, f 2pi]; [lo, hi] in [lo 2pi, hi 2pi]. Positive is counter-clockwise. */
  factor: Factor;
}

const ROTATION_KEYS = layerKeys<RandomRotationArgs>({ factor: true, fillMode: true, interpolation: true, seed: true, fillValue: true });

/** Keras' RandomRotation: in training each image turns about its centre by a random angle. */
export class RandomRotation extends AffineImageLayer {
  readonly className = 'RandomRotation';
  readonly factor: [number, number];
  constructor(args: RandomRotationArgs) {
    const fn = 'layers.randomRotation';
    const a = checkOptions(fn, args, ROTATION_KEYS);
    if (a.factor === undefined) throw new ValueError(`${fn}: option 'factor' is required, e.g. { factor: 0.1 } (up to 36 degrees either way)`);
    super(fn, a, 'random_rotation');
    this.factor = checkFactor(fn, 'factor', a.factor, null);
  }
  protected draw(n: number, H: number, W: number): Float64Array {
    const m = new Float64Array(n * 6);
    for (let i = 0; i < n; i++) {
      const angle = uniform(this.rng, this.factor) * 2 * Math.PI;
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      // Keras' get_rotation_matrix: about the centre ((W - 1) / 2, (H - 1) / 2).
      const xOff = (W - 1 - (cos * (W - 1) - sin * (H - 1))) / 2;
      const yOff = (H - 1 - (sin * (W - 1) + cos * (H - 1))) / 2;
      m.set([cos, -sin, xOff, sin, cos, yOff], i * 6);
    }
    return m;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: [...this.factor] };
  }
}

/** Options of `layers.randomZoom` (Keras' RandomZoom). */
export interface RandomZoomArgs extends FilledArgs {
  /** Required: vertical zoom: f draws in [-f, f], a pair in [lo, hi]; the image is scaled by 1 + draw: positive zooms out, negative zooms in (Keras). Within [-1, 1]. */
  heightFactor: Factor;
  /** Horizontal zoom, as heightFactor; default null: the same draw as the height (aspect kept). */
  widthFactor?: Factor | null;
}

const ZOOM_KEYS = layerKeys<RandomZoomArgs>({ heightFactor: true, widthFactor: true, fillMode: true, interpolation: true, seed: true, fillValue: true });

/** Keras' RandomZoom: in training each image is zoomed about its centre. */
export class RandomZoom extends AffineImageLayer {
  readonly className = 'RandomZoom';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number] | null;
  constructor(args: RandomZoomArgs) {
    const fn = 'layers.randomZoom';
    const a = checkOptions(fn, args, ZOOM_KEYS);
    if (a.heightFactor === undefined) throw new ValueError(`${fn}: option 'heightFactor' is required, e.g. { heightFactor: 0.2 }`);
    super(fn, a, 'random_zoom');
    this.heightFactor = checkFactor(fn, 'heightFactor', a.heightFactor, 1);
    this.widthFactor = a.widthFactor === undefined || a.widthFactor === null ? null : checkFactor(fn, 'widthFactor', a.widthFactor, 1);
  }
  protected draw(n: number, H: number, W: number): Float64Array {
    const m = new Float64Array(n * 6);
    for (let i = 0; i < n; i++) {
      const hz = 1 + uniform(this.rng, this.heightFactor);
      const wz = this.widthFactor ? 1 + uniform(this.rng, this.widthFactor) : hz;
      // Keras' get_zoom_matrix: input = zoom * (output - centre) + centre.
      m.set([wz, 0, ((W - 1) / 2) * (1 - wz), 0, hz, ((H - 1) / 2) * (1 - hz)], i * 6);
    }
    return m;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: [...this.heightFactor], widthFactor: this.widthFactor ? [...this.widthFactor] : null };
  }
}

/** Options of `layers.randomTranslation` (Keras' RandomTranslation). */
export interface RandomTranslationArgs extends FilledArgs {
  /** Required: vertical shift as a fraction of the height: f draws in [-f, f], a pair in [lo, hi]; positive moves the image down. Within [-1, 1]. */
  heightFactor: Factor;
  /** Required: horizontal shift as a fraction of the width; positive moves the image right. Within [-1, 1]. */
  widthFactor: Factor;
}

const TRANSLATION_KEYS = layerKeys<RandomTranslationArgs>({ heightFactor: true, widthFactor: true, fillMode: true, interpolation: true, seed: true, fillValue: true });

/** Keras' RandomTranslation: in training each image is shifted by a random fraction of its size. */
export class RandomTranslation extends AffineImageLayer {
  readonly className = 'RandomTranslation';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];
  constructor(args: RandomTranslationArgs) {
    const fn = 'layers.randomTranslation';
    const a = checkOptions(fn, args, TRANSLATION_KEYS);
    if (a.heightFactor === undefined || a.widthFactor === undefined) throw new ValueError(`${fn}: options 'heightFactor' and 'widthFactor' are required, e.g. { heightFactor: 0.1, widthFactor: 0.1 }`);
    super(fn, a, 'random_translation');
    this.heightFactor = checkFactor(fn, 'heightFactor', a.heightFactor, 1);
    this.widthFactor = checkFactor(fn, 'widthFactor', a.widthFactor, 1);
  }
  protected draw(n: number, H: number, W: number): Float64Array {
    const m = new Float64Array(n * 6);
    for (let i = 0; i < n; i++) {
      const dy = uniform(this.rng, this.heightFactor) * H;
      const dx = uniform(this.rng, this.widthFactor) * W;
      // Keras' get_translation_matrix: output (x, y) reads input (x - dx, y - dy).
      m.set([1, 0, -dx, 0, 1, -dy], i * 6);
    }
    return m;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: [...this.heightFactor], widthFactor: [...this.widthFactor] };
  }
}
