// The one table of kernel op codes shared by the TypeScript side and the compiled kernels: the
// AssemblyScript kernels read assembly/codes.ts and the C kernels native/src/codes.h, both
// generated from this file by `npm run gen:codes` (test/backend/codes.test.ts fails when they
// are stale). Each table lists every op of its kind; a backend may compile only some of them.
import type { BinaryKernel, FusedActivation, ReduceKernel, UnaryKernel } from './backend.js';

export const UNARY_CODES = {
  neg: 0, abs: 1, sqrt: 2, square: 3, relu: 4, step: 5, sign: 6, reciprocal: 7, exp: 8, sigmoid: 9,
  log: 10, tanh: 11, softplus: 12,
} as const satisfies Record<UnaryKernel, number>;

export const BINARY_CODES = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, gt: 6, ge: 7, lt: 8, le: 9, eq: 10, maskPositive: 11,
  pow: 12,
} as const satisfies Record<BinaryKernel, number>;

export const REDUCE_CODES = { sum: 0, max: 1, min: 2 } as const satisfies Record<ReduceKernel, number>;

/** The fused activations of the conv/matmul epilogues and of activationBackward. */
export const ACTIVATION_CODES = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const satisfies Record<FusedActivation, number>;

interface Table { prefix: string; codes: Readonly<Record<string, number>> }

const TABLES: Table[] = [
  { prefix: 'UNARY', codes: UNARY_CODES },
  { prefix: 'BINARY', codes: BINARY_CODES },
  { prefix: 'REDUCE', codes: REDUCE_CODES },
  { prefix: 'ACT', codes: ACTIVATION_CODES },
];

/** maskPositive -> MASK_POSITIVE */
function constName(prefix: string, op: string): string {
  return `${prefix}_${op.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

function entries(): [string, number][] {
  const out: [string, number][] = [];
  for (const t of TABLES) {
    const seen = new Set<number>();
    for (const [op, code] of Object.entries(t.codes)) {
      // two ops with one code would silently run the wrong kernel
      if (seen.has(code)) throw new Error(`codes: ${t.prefix} code ${code} is used twice`);
      // the C side sizes its tables by the count: codes must be 0..count-1
      if (!Number.isInteger(code) || code < 0 || code >= Object.keys(t.codes).length) {
        throw new Error(`codes: ${t.prefix} code ${code} for ${op} is outside 0..${Object.keys(t.codes).length - 1}`);
      }
      seen.add(code);
      out.push([constName(t.prefix, op), code]);
    }
  }
  return out;
}

const HEADER = 'Generated from src/backend/codes.ts by `npm run gen:codes`; do not edit.';

/** The text of assembly/codes.ts. */
export function assemblyScriptCodes(): string {
  // @inline: a compile-time constant, so the kernels specialise their loops per op as with literals
  return `// ${HEADER}\n${entries().map(([n, c]) => `@inline export const ${n}: i32 = ${c};\n`).join('')}`;
}

/** The text of native/src/codes.h. */
export function cHeaderCodes(): string {
  // <KIND>_COUNT sizes the C name tables and bounds-checks codes from JavaScript
  const counts = TABLES.map((t) => `#define GL_${t.prefix}_COUNT ${Object.keys(t.codes).length}\n`).join('');
  return `/* ${HEADER} */\n#ifndef GL_CODES_H\n#define GL_CODES_H\n${entries().map(([n, c]) => `#define GL_${n} ${c}\n`).join('')}${counts}#endif\n`;
}

/** The generated files, by path from the repository root. */
export function generatedCodeFiles(): Record<string, string> {
  return { 'assembly/codes.ts': assemblyScriptCodes(), 'native/src/codes.h': cHeaderCodes() };
}
