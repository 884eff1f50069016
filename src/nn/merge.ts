// Merge layers: several inputs, one output (Keras' Add, Subtract, Multiply, Average, Maximum,
// Minimum, Concatenate). Elementwise merges broadcast as NumPy does.
import { ValueError } from '../core/errors.js';
import { checkOptions, showJson } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, concat, div, maximum, minimum, mul, sub } from '../ops/index.js';
import { LAYER_KEYS, Layer, type LayerArgs, type LayerOutput, type Shape } from './layer.js';
import { identity, layerKeys } from './layers.js';
import { sizeOf } from '../tensor/shape.js';

/** Base of the merge layers: they take a list of inputs, never one tensor. */
export abstract class Merge extends Layer {
  override get inputCount(): number | 'many' {
    return 'many';
  }

  forward(): LayerOutput {
    throw new ValueError(`${this.name} (${this.className}): takes a list of inputs, e.g. layers.${this.className.charAt(0).toLowerCase()}${this.className.slice(1)}().apply([a, b])`);
  }

  protected override run(inputs: readonly Tensor[]): LayerOutput[] {
    return [identity(this.merge(inputs))];
  }

  protected abstract merge(inputs: readonly Tensor[]): Tensor;

  /** Output values per sample (for multiplications()). */
  protected outputSize(): number {
    return sizeOf(this.outputShape!);
  }
}

/** The elementwise sum of its inputs (ResNet's skip connection). */
export class Add extends Merge {
  readonly className = 'Add';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.add', args, LAYER_KEYS), 'add'); }
  protected merge(xs: readonly Tensor[]): Tensor { return xs.slice(1).reduce((s, x) => add(s, x), xs[0]); }
}

/** inputs[0] - inputs[1]; exactly two inputs. */
export class Subtract extends Merge {
  readonly className = 'Subtract';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.subtract', args, LAYER_KEYS), 'subtract'); }
  override get inputCount(): number { return 2; }
  protected merge(xs: readonly Tensor[]): Tensor { return sub(xs[0], xs[1]); }
}

/** The elementwise product of its inputs. */
export class Multiply extends Merge {
  readonly className = 'Multiply';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.multiply', args, LAYER_KEYS), 'multiply'); }
  protected merge(xs: readonly Tensor[]): Tensor { return xs.slice(1).reduce((s, x) => mul(s, x), xs[0]); }
  override multiplications(): number { return this.outputSize() * (this.inputShapes!.length - 1); }
}

/** The elementwise mean of its inputs. */
export class Average extends Merge {
  readonly className = 'Average';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.average', args, LAYER_KEYS), 'average'); }
  protected merge(xs: readonly Tensor[]): Tensor { return div(xs.slice(1).reduce((s, x) => add(s, x), xs[0]), xs.length); }
  override multiplications(): number { return this.outputSize(); }
}

/** The elementwise maximum of its inputs. */
export class Maximum extends Merge {
  readonly className = 'Maximum';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.maximum', args, LAYER_KEYS), 'maximum'); }
  protected merge(xs: readonly Tensor[]): Tensor { return xs.slice(1).reduce((s, x) => maximum(s, x), xs[0]); }
}

/** The elementwise minimum of its inputs. */
export class Minimum extends Merge {
  readonly className = 'Minimum';
  constructor(args: LayerArgs = {}) { super(checkOptions('layers.minimum', args, LAYER_KEYS), 'minimum'); }
  protected merge(xs: readonly Tensor[]): Tensor { return xs.slice(1).reduce((s, x) => minimum(s, x), xs[0]); }
}

/** Options of `layers.concatenate`. */
export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along, counting the batch axis as Keras does (default -1: channels). */
  axis?: number;
}

const CONCATENATE_KEYS = layerKeys<ConcatenateArgs>({ axis: true });

/** Joins its inputs along `axis` (Inception's branches along channels). */
export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    const a = checkOptions('layers.concatenate', args, CONCATENATE_KEYS);
    super(a, 'concatenate');
    this.axis = a.axis ?? -1;
    if (!Number.isInteger(this.axis) || this.axis === 0) {
      throw new ValueError(`layers.concatenate: axis must be a non-zero integer (axis 0 is the batch), got ${showJson(a.axis)}`);
    }
  }

  protected override buildWeights(shapes: Shape | readonly Shape[]): void {
    const list = shapes as readonly Shape[];
    const rank = list[0].length + 1;
    const a = this.axis < 0 ? this.axis + rank : this.axis;
    if (a <= 0 || a >= rank) throw new ValueError(`${this.name}: axis ${this.axis} is outside the per-sample axes of inputs of rank ${rank} (batch included)`);
  }

  protected merge(xs: readonly Tensor[]): Tensor { return concat(xs, this.axis); }
  override getConfig(): Record<string, unknown> { return { ...super.getConfig(), axis: this.axis }; }
}
