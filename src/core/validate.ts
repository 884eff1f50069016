// Run-time checks of user arguments, shared by every layer: plain-JavaScript callers get the
// same errors as TypeScript ones, thrown before any work is done.
import { ValueError } from './errors.js';

/**
 * The keys an options object of type T may hold. Listing them as a record makes the compiler
 * demand every key of T, so the run-time list cannot fall behind the interface.
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ? `a ${(v as object).constructor.name}` : 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) return String(v);
  return typeof v;
}

const normalize = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The known name closest to `name` (Keras' snake_case spelling of a camelCase key counts as exact), or null. */
export function nearestName(name: string, known: readonly string[]): string | null {
  const n = normalize(name);
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = normalize(k) === n ? 0 : editDistance(n, normalize(k));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(n.length / 3)) ? best : null;
}

/** A ValueError for a name that is not one of `known`, suggesting the nearest. */
export function unknownNameError(fn: string, what: string, name: string, known: readonly string[]): ValueError {
  const near = nearestName(name, known);
  const hint = near !== null ? ` (did you mean '${near}'?)` : known.length > 0 ? ` (known: ${known.map((k) => `'${k}'`).join(', ')})` : '';
  return new ValueError(`${fn}: unknown ${what} '${name}'${hint}`);
}

/**
 * Checks an options object: undefined means {}, anything but a plain object is an error, and so is
 * any key not in `known`: `layers.conv2d: unknown option 'kernel_size' (did you mean 'kernelSize'?)`.
 */
export function checkOptions<T extends object>(fn: string, options: T | undefined | null, known: readonly string[], what = 'options'): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${fn}: ${what} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw unknownNameError(fn, 'option', key, known);
  }
  return options;
}

/** The value of a required option, or an error saying it is missing. */
export function requireOption<T extends object, K extends keyof T & string>(fn: string, options: T, key: K, example?: string): NonNullable<T[K]> {
  const v = options[key];
  if (v === undefined || v === null) {
    throw new ValueError(`${fn}: option '${key}' is required${example ? `, e.g. ${example}` : ''}`);
  }
  return v as NonNullable<T[K]>;
}

/** An integer >= 1. */
export function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ValueError(`${fn}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

/** An integer >= 0. */
export function nonNegativeInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${describe(v)}`);
  return v;
}

/** A finite number > 0. */
export function positiveNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ValueError(`${fn}: ${name} must be a positive finite number, got ${describe(v)}`);
  return v;
}

/** A finite number. */
export function finiteNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
  return v;
}

/** A number in [lo, hi] (or [lo, hi) with `hiOpen`). */
export function numberInRange(fn: string, name: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !(v >= lo) || !(hiOpen ? v < hi : v <= hi)) {
    throw new ValueError(`${fn}: ${name} must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${describe(v)}`);
  }
  return v;
}

export function booleanOption(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** One of the allowed strings. */
export function oneOf<const A extends readonly string[]>(fn: string, name: string, v: unknown, allowed: A): A[number] {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    const near = typeof v === 'string' ? nearestName(v, allowed) : null;
    throw new ValueError(`${fn}: ${name} must be ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describe(v)}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return v;
}

/** A non-empty string. */
export function nonEmptyString(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ValueError(`${fn}: ${name} must be a non-empty string, got ${describe(v)}`);
  return v;
}

/** Whether `name` is an own key of the table: `'constructor'` or `'__proto__'` never are. */
export function hasOwn(table: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, name);
}
