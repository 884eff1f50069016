// GRADLAB_BACKEND, as importing gradlab reads it (each case in a fresh process, since the choice
// is made at import): a loaded name selects that backend, one that did not load is an error
// naming those that did, an unknown name is a ValueError, unset is the fastest that loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));

function importWith(backend: string | undefined): { status: number | null; out: string; err: string } {
  const env = { ...process.env };
  delete env.GRADLAB_BACKEND;
  if (backend !== undefined) env.GRADLAB_BACKEND = backend;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const gl = await import(${JSON.stringify(index)}); console.log(gl.getBackend() + ' ' + gl.listBackends().join(','));`],
  { env, encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

test('GRADLAB_BACKEND selects a loaded backend, and unset means the fastest', () => {
  const dflt = importWith(undefined);
  assert.equal(dflt.status, 0, dflt.err);
  const [name, list] = dflt.out.split(' ');
  const available = list.split(',');
  assert.ok(available.includes('js') && available.includes('wasm'), dflt.out);
  assert.equal(name, available.includes('native') ? 'native' : 'wasm');
  for (const b of available) {
    const r = importWith(b);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.split(' ')[0], b);
  }
  assert.equal(importWith('').out.split(' ')[0], name, 'empty is unset');
});

test('GRADLAB_BACKEND naming a backend that did not load, or no backend, fails the import', () => {
  const dflt = importWith(undefined);
  if (!dflt.out.split(' ')[1].split(',').includes('native')) {
    const r = importWith('native');
    assert.notEqual(r.status, 0);
    assert.match(r.err, /GRADLAB_BACKEND=native, but the native backend did not load \(available: js, wasm\)/);
  }
  const bad = importWith('gpu');
  assert.notEqual(bad.status, 0);
  assert.match(bad.err, /ValueError: GRADLAB_BACKEND: expected 'native', 'wasm', 'js' or unset, got 'gpu'/);
});
