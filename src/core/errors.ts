/** Base class of every error gradlab throws on bad input. */
export class GradlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that do not fit together, or a shape an operation cannot take. */
export class ShapeError extends GradlabError {}
/** A value or option that is out of range or of the wrong kind. */
export class ValueError extends GradlabError {}
/** Tensors of different or unsupported dtypes. */
export class DTypeError extends GradlabError {}
/** A file that is missing, truncated or not in the expected format. */
export class FormatError extends GradlabError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
