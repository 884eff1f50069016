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
/** A file-system operation that failed (a folder that is a file, no permission, a full disk): the path and what was being done. */
export class IOError extends GradlabError {
  constructor(message: string, readonly path: string, readonly action: 'read' | 'write' | 'remove', readonly code?: string) {
    super(message);
  }
}

/** An IOError from a raw file-system error: `fn: cannot write <what> <path> (ENOTDIR: ...)`. GradlabErrors pass through. */
export function ioError(fn: string, action: 'read' | 'write' | 'remove', what: string, path: string, err: unknown): GradlabError {
  if (err instanceof GradlabError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  return new IOError(`${fn}: cannot ${action} ${what} ${path}: ${detail}`, path, action, typeof code === 'string' ? code : undefined);
}

export function fmtShape(shape: readonly number[]): string {
  // A bad shape from a caller may hold anything: the message must not throw on a symbol.
  return `[${shape.map((d) => (typeof d === 'number' || typeof d === 'string' ? String(d) : typeof d)).join(',')}]`;
}
