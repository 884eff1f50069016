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

/** A value as an error message shows it: `2.5`, `the string "x"`, `an array`, `a Float32Array`, `undefined`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof v === 'string') return `the string ${showJson(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

/** JSON.stringify for error messages: the same text for JSON values, and no throw for a BigInt, a symbol or a cycle. */
export function showJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return describeValue(v);
  }
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

/**
 * Names other libraries use for what gradlab calls otherwise (scikit-learn's random_state, PyTorch's
 * lr): suggested when the gradlab name is one of the known ones. Spellings that differ only in case
 * and underscores (learning_rate, test_size) need no entry: nearestName matches them already.
 */
const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  random_state: 'seed', randomState: 'seed', random_seed: 'seed', randomSeed: 'seed',
  lr: 'learningRate',
  eps: 'epsilon',
  filepath: 'path', file_path: 'path',
};

/** A ValueError for a name that is not one of `known`, suggesting the nearest. */
export function unknownNameError(fn: string, what: string, name: string, known: readonly string[]): ValueError {
  const alias = hasOwn(FOREIGN_NAMES, name) && known.includes(FOREIGN_NAMES[name]) ? FOREIGN_NAMES[name] : null;
  const near = alias ?? nearestName(name, known);
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
    throw new ValueError(`${fn}: ${what} must be an object, got ${describeValue(options)}`);
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

// Predicates: what each validator below accepts, for callers that word their own errors (the
// command line reads text, not numbers).

/** An integer >= 1. */
export const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
/** An integer >= 0. */
export const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
/** Any integer. */
export const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** A finite number > 0. */
export const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v);
/** A finite number. */
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** An integer >= 1. */
export function positiveInt(fn: string, name: string, v: unknown): number {
  if (!isPositiveInt(v)) throw new ValueError(`${fn}: ${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
}

/** An integer >= 0. */
export function nonNegativeInt(fn: string, name: string, v: unknown): number {
  if (!isNonNegativeInt(v)) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
  return v;
}

/** Any integer. */
export function integer(fn: string, name: string, v: unknown): number {
  if (!isInteger(v)) throw new ValueError(`${fn}: ${name} must be an integer, got ${describeValue(v)}`);
  return v;
}

/** An integer in [lo, hi]. */
export function intInRange(fn: string, name: string, v: unknown, lo: number, hi: number): number {
  if (!isInteger(v) || v < lo || v > hi) throw new ValueError(`${fn}: ${name} must be an integer in [${lo}, ${hi}], got ${describeValue(v)}`);
  return v;
}

/** A finite number > 0. */
export function positiveNumber(fn: string, name: string, v: unknown): number {
  if (!isPositiveNumber(v)) throw new ValueError(`${fn}: ${name} must be a positive finite number, got ${describeValue(v)}`);
  return v;
}

/** A finite number >= 0. */
export function nonNegativeNumber(fn: string, name: string, v: unknown): number {
  if (!isFiniteNumber(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a finite number >= 0, got ${describeValue(v)}`);
  return v;
}

/** A finite number. */
export function finiteNumber(fn: string, name: string, v: unknown): number {
  if (!isFiniteNumber(v)) throw new ValueError(`${fn}: ${name} must be a finite number, got ${describeValue(v)}`);
  return v;
}

/** A number in [lo, hi] (or [lo, hi) with `hiOpen`). */
export function numberInRange(fn: string, name: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !(v >= lo) || !(hiOpen ? v < hi : v <= hi)) {
    throw new ValueError(`${fn}: ${name} must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${describeValue(v)}`);
  }
  return v;
}

/** Two finite numbers in increasing order, named `ends` in the message: `[lo, hi] with finite lo < hi`. */
export function orderedPair(fn: string, name: string, v: unknown, ends: readonly [string, string] = ['lo', 'hi']): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !isFiniteNumber(v[0]) || !isFiniteNumber(v[1]) || !(v[0] < v[1])) {
    const shown = Array.isArray(v) ? JSON.stringify(v) : describeValue(v);
    throw new ValueError(`${fn}: ${name} must be [${ends[0]}, ${ends[1]}] with finite ${ends[0]} < ${ends[1]}, got ${shown}`);
  }
  return [v[0], v[1]];
}

export function booleanOption(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: ${name} must be true or false, got ${describeValue(v)}`);
  return v;
}

/** One of the allowed strings. */
export function oneOf<const A extends readonly string[]>(fn: string, name: string, v: unknown, allowed: A): A[number] {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    const near = typeof v === 'string' ? nearestName(v, allowed) : null;
    throw new ValueError(`${fn}: ${name} must be ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describeValue(v)}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return v;
}

/** A string (empty allowed). */
export function stringOption(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string') throw new ValueError(`${fn}: ${name} must be a string, got ${describeValue(v)}`);
  return v;
}

/** A non-empty string. */
export function nonEmptyString(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ValueError(`${fn}: ${name} must be a non-empty string, got ${describeValue(v)}`);
  return v;
}

/** An array of strings; the error names the first element that is not one. */
export function stringArray(fn: string, name: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new ValueError(`${fn}: ${name} must be an array of strings, got ${describeValue(v)}`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new ValueError(`${fn}: ${name}[${i}] is ${describeValue(s)}, not a string`);
  });
  return v as string[];
}

/** A function (a callback option). */
export function functionOption<F extends (...args: never[]) => unknown>(fn: string, name: string, v: unknown): F {
  if (typeof v !== 'function') throw new ValueError(`${fn}: ${name} must be a function, got ${describeValue(v)}`);
  return v as F;
}

/**
 * An optional option: undefined stays undefined, anything else must pass `check`:
 * `optional(fn, 'options.title', o.title, stringOption) ?? 'untitled'`.
 */
export function optional<T>(fn: string, name: string, v: unknown, check: (fn: string, name: string, v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(fn, name, v);
}

/** Whether `name` is an own key of the table: `'constructor'` or `'__proto__'` never are. */
export function hasOwn(table: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, name);
}

// Decimal and exponent notation only: Number() would also take '', ' 1', '0x1F', '0b101' and 'Infinity'.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number written in decimal or exponent notation (as CSV cells and command-line values are), else null; 1e999 overflows: null. */
export function parseDecimal(s: string): number | null {
  if (!DECIMAL.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}
