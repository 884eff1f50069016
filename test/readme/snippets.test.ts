// Every code block of the README that a user would paste runs as written, in order, in a fresh
// folder where `gradlab` resolves to this build (node_modules/gradlab -> the repository, so the
// package's own "exports" are what is tested). No block is skipped: the test counts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block { lang: string; code: string; line: number }

/** The fenced blocks of a Markdown text with their language and first line number. */
function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(md); m !== null; m = re.exec(md)) {
    out.push({ lang: m[1], code: m[2], line: md.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** A fresh project folder whose node_modules/gradlab is this repository. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-readme-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'gradlab'), 'dir');
  return dir;
}

const node = (dir: string, file: string) => spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 240_000 });

test('the README\'s code blocks: only sh, ts and the CommonJS js, none unlabelled', () => {
  const all = blocks(readme);
  const langs = all.map((b) => b.lang);
  assert.ok(all.length >= 14, `${all.length} blocks`);
  for (const b of all) assert.ok(['sh', 'ts', 'js'].includes(b.lang), `README line ${b.line}: block language '${b.lang}'`);
  for (const b of all.filter((x) => x.lang === 'js')) assert.match(b.code, /^\/\/ \S+\.cjs\n/, `README line ${b.line}: a js block names its .cjs file`);
  console.log(`README: ${all.length} blocks (${langs.filter((l) => l === 'ts').length} ts, ${langs.filter((l) => l === 'js').length} js, ${langs.filter((l) => l === 'sh').length} sh)`);
});

test('every ts block of the README runs, in order, as one ES module', { timeout: 240_000 }, () => {
  const ts = blocks(readme).filter((b) => b.lang === 'ts');
  assert.ok(ts.length >= 11, `${ts.length} ts blocks`);
  assert.match(ts[0].code, /^import \* as gl from 'gradlab';$/m, 'the first block imports the package by its name');
  const dir = project();
  // A marker after each block proves it ran to its end.
  const source = ts.map((b, i) => `// README line ${b.line}\n${b.code}console.log('@@block ${i} done');\n`).join('\n');
  writeFileSync(join(dir, 'tour.mjs'), source);
  const r = node(dir, 'tour.mjs');
  const done = [...r.stdout.matchAll(/^@@block (\d+) done$/gm)].length;
  console.log(`README: ${done} of ${ts.length} ts blocks ran (${r.status === 0 ? 'exit 0' : `exit ${r.status}`})`);
  assert.equal(r.status, 0, `a block failed after ${done} of ${ts.length} ran (README line ${ts[done]?.line}):\n${r.stderr.slice(-3000)}`);
  assert.equal(done, ts.length);
  // What the blocks say they print, they print.
  // The A1 block's comment shows the tensor it prints.
  const shown = /console\.log\(Z\.toString\(\)\);\n((?:\/\/ .*\n)+)/.exec(ts[0].code);
  assert.ok(shown !== null, 'the A1 block shows its output');
  assert.ok(r.stdout.includes(shown[1].replace(/^\/\/ /gm, '')), `A1 prints\n${r.stdout.slice(0, 400)}`);
  assert.match(r.stdout, /^6 -6$/m);
  assert.match(r.stdout, /^\[ 'one', 'zero' \] 20 4$/m);
  assert.match(r.stdout, /^\[ 1, 2 \]$/m);
  const score = /^(0\.\d+)$/m.exec(r.stdout);
  assert.ok(score !== null, 'the SVC block prints its accuracy');
  const claimed = /console\.log\(svc\.score\(xTest, yTest\)\); \/\/ accuracy: (0\.\d+)/.exec(readme);
  assert.ok(claimed !== null, 'the README states the SVC accuracy');
  assert.equal(score[1], claimed[1], 'the accuracy the README states is the one the block prints');
});

test('the CommonJS block runs as a .cjs file, require and import() alike', () => {
  const js = blocks(readme).filter((b) => b.lang === 'js');
  assert.equal(js.length, 1);
  const dir = project();
  const name = /^\/\/ (\S+\.cjs)\n/.exec(js[0].code)![1];
  writeFileSync(join(dir, name), js[0].code);
  const r = node(dir, name);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'tensor([2., 4., 6.])\ntrue\n');
});

test('the README points only at files in the repository', () => {
  assert.doesNotMatch(readme, /\.\.\/shared|COURSE [A-E]\d/);
  for (const m of readme.matchAll(/\]\(([^)#]+)\)/g)) {
    if (/^https?:/.test(m[1])) continue;
    assert.ok(readFileSync(join(root, m[1]), 'utf8').length > 0, `README links ${m[1]}`);
  }
  assert.match(readme, /\]\(docs\/course\.md\)/);
  assert.match(readme, /\]\(docs\/architecture\.md\)/);
});

test('the ts blocks type-check as one strict TypeScript module against the package\'s types', { timeout: 60_000 }, () => {
  const ts = blocks(readme).filter((b) => b.lang === 'ts');
  const dir = project();
  mkdirSync(join(dir, 'node_modules', '@types'));
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['tour.ts'],
  }));
  writeFileSync(join(dir, 'tour.ts'), ts.map((b) => `// README line ${b.line}\n${b.code}`).join('\n'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
  // The check can fail: a wrong type in the same file is reported.
  writeFileSync(join(dir, 'tour.ts'), `${ts[0].code}\nconst wrong: string = gl.tensor([1]);\n`);
  const bad = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout + bad.stderr, /TS2322/);
});
