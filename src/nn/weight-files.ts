// The checks a weights file's tensor passes before it is copied into a layer's weight: present,
// same shape, same dtype as written (F32 for float32, F64 for float64: a retyped header is not
// converted), and finite unless asked otherwise.
import { FormatError, fmtShape } from '../core/errors.js';
import { hasOwn } from '../core/validate.js';
import type { Tensor } from '../tensor/tensor.js';

/** What a weight role names in a file's map (own properties only: never 'constructor' or '__proto__'), or undefined. */
export function fileTensor<T>(map: Readonly<Record<string, T>>, role: string): T | undefined {
  return hasOwn(map, role) ? map[role] : undefined;
}

export function shapeMatches(t: Tensor, target: Tensor): boolean {
  return t.rank === target.rank && t.shape.every((d, i) => d === target.shape[i]);
}

/** Throws a FormatError unless `t` (from `file`, dtype `fileDType` there) can be `target`'s value. */
export function checkFileTensor(fn: string, file: string, role: string, t: Tensor, fileDType: string | undefined, target: Tensor, allowNonFinite: boolean): void {
  if (!shapeMatches(t, target)) throw new FormatError(`${fn}: '${role}' has shape ${fmtShape(t.shape)} in ${file} but the layer needs ${fmtShape(target.shape)}`);
  const want = target.dtype === 'float64' ? 'F64' : 'F32';
  if (fileDType !== want) throw new FormatError(`${fn}: '${role}' is ${fileDType ?? t.dtype} in ${file} but the layer's weights are ${target.dtype} (${want})`);
  if (!allowNonFinite) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        throw new FormatError(`${fn}: '${role}' in ${file} holds ${d[i]} at index ${i} (pass { allowNonFinite: true } to load non-finite weights)`);
      }
    }
  }
}
