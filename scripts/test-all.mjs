#!/usr/bin/env node
// `npm test`: the suite (dist/test, built) once per fast backend that loads here: first with the
// default backend (GRADLAB_BACKEND unset), then with GRADLAB_BACKEND set to each other one
// ('native' once build/Release/gradlab_native.node loads, and wasm). The js reference is not a
// pass of its own: every backend's suite already compares against it. The later passes leave
// out the folders GRADLAB_BACKEND cannot change: test/backend/ (its suites build and check each
// backend themselves), test/browser/ and test/web/ (the page runs its own wasm or js backend),
// and test/structure/ (reads source, computes nothing).
// Extra arguments go to node --test (e.g. --test-concurrency=1).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const testDir = join(root, 'dist', 'test');
const index = join(root, 'dist', 'src', 'index.js');

/** The default backend and every backend that loaded, as a fresh import of gradlab sees them. */
function backends() {
  const env = { ...process.env };
  delete env.GRADLAB_BACKEND;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const gl = await import(${JSON.stringify(index)}); console.log(JSON.stringify([gl.getBackend(), gl.listBackends()]));`],
  { env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error('test-all: importing the built gradlab failed (run npm run build)');
  }
  const [dflt, all] = JSON.parse(r.stdout.trim().split('\n').pop());
  return { dflt, others: all.filter((b) => b !== dflt && b !== 'js') };
}

/**
 * The files `node --test dir` runs (every .js/.mjs/.cjs below a folder named test, helpers
 * included, as node 20 matches them), minus those under skip.
 */
function testFiles(dir, skip) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.[mc]?js$/.test(e.name))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((p) => !skip.some((s) => !relative(s, p).startsWith('..')))
    .sort();
}

const LATER_SKIP = ['backend', 'browser', 'web', 'structure'];
const extra = process.argv.slice(2);
const { dflt, others } = backends();
const passes = [{ backend: dflt, env: {}, files: [testDir] },
  ...others.map((b) => ({ backend: b, env: { GRADLAB_BACKEND: b }, files: testFiles(testDir, LATER_SKIP.map((d) => join(testDir, d))) }))];
console.log(`test-all: ${passes.length} pass${passes.length > 1 ? 'es' : ''}: ${passes.map((p, i) => `${p.backend}${i === 0 ? ' (default)' : ''}`).join(', ')}`);

const t0 = performance.now();
const results = [];
for (const p of passes) {
  console.log(`\ntest-all: the suite on the ${p.backend} backend${p.env.GRADLAB_BACKEND ? ` (GRADLAB_BACKEND=${p.backend}, without test/{${LATER_SKIP.join(',')}}/)` : ' (default)'}`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...extra, ...p.files],
    { stdio: 'inherit', env: { ...process.env, ...p.env } });
  const s = (performance.now() - t) / 1000;
  results.push({ backend: p.backend, ok: r.status === 0, s });
  console.log(`test-all: ${p.backend}: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status ?? r.signal})`} in ${s.toFixed(1)} s`);
}
const total = (performance.now() - t0) / 1000;
console.log(`\ntest-all: ${results.map((r) => `${r.backend} ${r.ok ? 'passed' : 'FAILED'} (${r.s.toFixed(1)} s)`).join(', ')}; total ${total.toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
