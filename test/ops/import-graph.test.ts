// The files of src/ops import one another without a cycle: the primitives whose backwards need
// one another (reshape, broadcastTo, sum, sumTo) share one module, primitives.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SRC_OPS = fileURLToPath(new URL('../../../src/ops/', import.meta.url));

/** The relative modules a TypeScript file imports or re-exports (type-only imports included). */
function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\b[^'";]*?['"](\.{1,2}\/[^'"]+)['"]/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) out.push(m[1]);
  return out;
}

/** Every cycle's files (strongly connected groups of more than one file, or a file importing itself). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the cycle finder finds cycles (and only cycles)', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []], ['c', ['a', 'b']]])), []);
  assert.deepEqual(relativeImports("import type { X } from './x.js';\nexport { y } from '../y.js';\nimport './m.js';\nimport { z } from 'node:fs';\nimport {\n  a,\n  b,\n} from './ab.js';"),
    ['./x.js', '../y.js', './m.js', './ab.js']);
});

test('no import cycle between the files of src/ops', () => {
  const files = readdirSync(SRC_OPS).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('primitives.ts') && files.includes('elementwise.ts'), `read ${SRC_OPS}`);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = relativeImports(readFileSync(path.join(SRC_OPS, f), 'utf8'))
      .map((spec) => path.relative(SRC_OPS, path.resolve(SRC_OPS, spec)).replace(/\.js$/, '.ts'));
    graph.set(f, deps);
  }
  assert.deepEqual(cycles(graph), []);
});
