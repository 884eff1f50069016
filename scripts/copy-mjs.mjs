#!/usr/bin/env node
// tsc compiles only .ts, but the suite also has plain-JavaScript tests (test/**/*.mjs) that call the
// built library as a JavaScript user would. This copies them to the same place under dist/test, so
// that `node --test dist/test/` runs them, and removes copies whose source is gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(repo, 'test');
const dst = path.join(repo, 'dist', 'test');

/** The .mjs files under root, as paths relative to it. */
function mjsFiles(root, dir = root) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return mjsFiles(root, p);
    return e.isFile() && e.name.endsWith('.mjs') ? [path.relative(root, p)] : [];
  });
}

const wanted = new Set(mjsFiles(src));
for (const rel of wanted) {
  const to = path.join(dst, rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(src, rel), to);
}
for (const rel of mjsFiles(dst)) if (!wanted.has(rel)) fs.rmSync(path.join(dst, rel));
console.log(`copy-mjs: ${wanted.size} plain-JavaScript test file${wanted.size === 1 ? '' : 's'} to dist/test`);
