// The modules a page loads (from src/browser.ts, and the pool thread's worker-browser.ts) import
// no node: module: file access, wasm loading and threads reach Node only through core/env's
// adapter, whose page implementation '#env' names under the 'browser' condition (package.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Script {
  importGraph(root: string, options?: { types?: boolean }): { succ: Map<string, string[]> };
  importsOf(text: string): { specifier: string; kind: 'static' | 'dynamic' | 'type' }[];
}

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(repo, 'src');
const load = async (): Promise<Script> => (await import(new URL('../../../scripts/import-cycles.mjs', import.meta.url).href)) as Script;

/** What '#env' is under each condition, read from package.json (dist/src/x.js -> src/x.ts). */
function envTarget(condition: 'browser' | 'default'): string {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { imports: Record<string, Record<string, string>> };
  return join(repo, pkg.imports['#env'][condition].replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
}

test("no module reachable from the browser entry imports a node: module (type-only imports aside)", async () => {
  const { importGraph, importsOf } = await load();
  const { succ } = importGraph(src, { types: false });
  const roots = [join(src, 'browser.ts'), join(src, 'backend', 'wasm', 'worker-browser.ts')];
  const seen = new Set<string>();
  const offenders: string[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const deps = [...(succ.get(f) ?? [])];
    for (const { specifier, kind } of importsOf(readFileSync(f, 'utf8'))) {
      if (kind === 'type') continue;
      if (specifier.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'zlib', 'worker_threads', 'v8', 'module', 'url'].includes(specifier)) {
        offenders.push(`${relative(src, f)} imports '${specifier}'`);
      }
      if (specifier === '#env') deps.push(envTarget('browser'));
    }
    stack.push(...deps);
  }
  assert.ok(seen.size > 80, `only ${seen.size} modules reached from src/browser.ts`);
  assert.ok(seen.has(envTarget('browser')), "the page's adapter is reached through '#env'");
  assert.ok(!seen.has(envTarget('default')), "Node's adapter is not reached from the browser entry");
  assert.ok(seen.has(join(src, 'backend', 'wasm', 'index.ts')) && seen.has(join(src, 'nn', 'model.ts')) && seen.has(join(src, 'plot', 'charts.ts')));
  assert.deepEqual(offenders, []);
});

test('the finder sees a node: import (a check that can fail)', async () => {
  const { importsOf } = await load();
  const kinds = importsOf("import { x } from 'node:fs';\nimport type { Y } from 'node:os';\nconst z = await import('node:zlib');\n");
  assert.deepEqual(kinds.map((k) => [k.specifier, k.kind]), [['node:fs', 'static'], ['node:os', 'type'], ['node:zlib', 'dynamic']]);
});
