#!/usr/bin/env node
// Lists the import cycles among the TypeScript files of a folder (default src/): static imports and
// re-exports, and import('...') calls. `import type`, `export type` and imports whose every name is
// `type X` vanish from the JavaScript, so they are left out unless --types is given (a type-only
// cycle does not run, but still ties the modules together).
//
//   node scripts/import-cycles.mjs [folder] [--types] [--json]
//
// Prints each group of files that reach each other (a strongly connected component of the import
// graph) with, for each of its files, the shortest cycle through it; exits 1 when there is any.
// The test suite imports findImportCycles from here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REGEX_AFTER = new Set([
  'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await',
]);

/**
 * The tokens of a TypeScript file that matter for imports: words, punctuation and string literals
 * (with their value). Comments, template literals and regular expressions are skipped, so an
 * `import` inside any of them is not read as one.
 */
export function tokenize(text) {
  const tokens = [];
  const templates = []; // brace depth at each open `${`
  let depth = 0;
  let i = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0; // a shebang line
  const n = text.length;
  const prev = () => tokens[tokens.length - 1];
  const skipTemplate = () => {
    // From just after a backquote or a closing `}` of `${...}`: to the closing backquote or the next `${`.
    while (i < n) {
      const c = text[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '`') { i++; tokens.push({ kind: 'template' }); return; }
      if (c === '$' && text[i + 1] === '{') { i += 2; templates.push(depth); depth++; tokens.push({ kind: 'punct', value: '${' }); return; }
      i++;
    }
  };
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const end = text.indexOf('*/', i + 2); i = end < 0 ? n : end + 2; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < n && text[j] !== c && text[j] !== '\n') {
        if (text[j] === '\\') { value += text[j + 1] ?? ''; j += 2; continue; }
        value += text[j++];
      }
      tokens.push({ kind: 'string', value });
      i = j + 1;
      continue;
    }
    if (c === '`') { i++; skipTemplate(); continue; }
    if (c === '/') {
      const p = prev();
      const division = p !== undefined && (
        p.kind === 'string' || p.kind === 'template' || p.kind === 'number' ||
        (p.kind === 'word' && !REGEX_AFTER.has(p.value)) || (p.kind === 'punct' && (p.value === ')' || p.value === ']' || p.value === '}')));
      if (!division) {
        let j = i + 1;
        let inClass = false;
        while (j < n && text[j] !== '\n') {
          const d = text[j];
          if (d === '\\') { j += 2; continue; }
          if (d === '[') inClass = true;
          else if (d === ']') inClass = false;
          else if (d === '/' && !inClass) break;
          j++;
        }
        if (text[j] === '/') {
          j++;
          while (j < n && /[a-z]/i.test(text[j])) j++; // flags
        }
        tokens.push({ kind: 'regex' });
        i = j;
        continue;
      }
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(text[j])) j++;
      tokens.push({ kind: 'word', value: text.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(text[j])) j++;
      tokens.push({ kind: 'number' });
      i = j;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      if (templates.length > 0 && templates[templates.length - 1] === depth - 1) {
        templates.pop();
        depth--;
        i++;
        skipTemplate();
        continue;
      }
      depth--;
    }
    tokens.push({ kind: 'punct', value: c });
    i++;
  }
  return tokens;
}

const isWord = (t, w) => t !== undefined && t.kind === 'word' && (w === undefined || t.value === w);
const isPunct = (t, p) => t !== undefined && t.kind === 'punct' && t.value === p;

/** The module specifiers a file imports: { specifier, kind: 'static' | 'type' | 'dynamic' }. */
export function importsOf(text) {
  const t = tokenize(text);
  const out = [];
  for (let k = 0; k < t.length; k++) {
    const tok = t[k];
    if (!isWord(tok, 'import') && !isWord(tok, 'export')) continue;
    const before = t[k - 1];
    if (isPunct(before, '.')) continue; // a property named import
    if (isWord(tok, 'import') && isPunct(t[k + 1], '(')) {
      if (t[k + 2]?.kind !== 'string' || !isPunct(t[k + 3], ')')) continue; // import(variable)
      const after = t[k + 4];
      const member = isPunct(after, '.') && isWord(t[k + 5]) && !['then', 'catch', 'finally'].includes(t[k + 5].value);
      out.push({ specifier: t[k + 2].value, kind: isWord(before, 'typeof') || member ? 'type' : 'dynamic' });
      continue;
    }
    // A declaration: import ... from 'x', import 'x', export ... from 'x'.
    if (isWord(tok, 'import') && t[k + 1]?.kind === 'string') {
      out.push({ specifier: t[k + 1].value, kind: 'static' });
      continue;
    }
    let j = k + 1;
    let typeOnly = isWord(t[j], 'type') && !isWord(t[j + 1], 'from') && !isPunct(t[j + 1], ',');
    if (typeOnly) j++;
    let names = 0;
    let typeNames = 0;
    let sawBrace = false;
    let sawOther = false;
    let ok = false;
    for (; j < t.length; j++) {
      const x = t[j];
      if (isPunct(x, ';') || x.kind === 'string') break;
      if (isWord(x, 'from')) { ok = t[j + 1]?.kind === 'string'; j++; break; }
      if (isPunct(x, '{')) {
        sawBrace = true;
        let expectName = true;
        for (j++; j < t.length && !isPunct(t[j], '}'); j++) {
          if (isPunct(t[j], ',')) { expectName = true; continue; }
          if (expectName && isWord(t[j])) {
            names++;
            if (t[j].value === 'type' && isWord(t[j + 1]) && t[j + 1].value !== 'as') typeNames++;
            expectName = false;
          }
        }
        continue;
      }
      if (isPunct(x, '*') || (isWord(x) && x.value !== 'as')) sawOther = true;
      if (isPunct(x, '=') || isPunct(x, '(') || isPunct(x, ')')) break; // export const x = ..., export function f(
    }
    if (!ok) continue;
    const allTypes = sawBrace && !sawOther && names > 0 && names === typeNames;
    out.push({ specifier: t[j].value, kind: typeOnly || allTypes ? 'type' : 'static' });
  }
  return out;
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (/\.(ts|mts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** './x.js' from a.ts -> the .ts file it compiles from, or null when it is not a file under the folder. */
function resolve(from, specifier, known) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(m?js|jsx?|tsx?)$/, '');
  for (const c of [`${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, base, path.join(base, 'index.ts')]) if (known.has(c)) return c;
  return null;
}

function shortestCycle(start, succ, inGroup) {
  // Breadth-first from start's successors back to start, inside the group.
  const parent = new Map();
  const queue = [];
  for (const s of succ.get(start) ?? []) {
    if (!inGroup.has(s) || parent.has(s)) continue;
    parent.set(s, start);
    queue.push(s);
  }
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    if (v === start) break;
    for (const w of succ.get(v) ?? []) {
      if (!inGroup.has(w) || parent.has(w)) continue;
      parent.set(w, v);
      queue.push(w);
    }
  }
  if (!parent.has(start)) return null;
  const cycle = [start];
  for (let v = parent.get(start); v !== start; v = parent.get(v)) cycle.push(v);
  return cycle.reverse().map((_, i, a) => a[(i + a.length - 1) % a.length]);
}

/**
 * The import graph under `root`: for each file (an absolute path), the files it imports, and how
 * each link is made ('static', 'dynamic', 'type').
 */
export function importGraph(root, options = {}) {
  const kinds = new Set(options.types ? ['static', 'dynamic', 'type'] : ['static', 'dynamic']);
  const files = listFiles(root);
  const known = new Set(files);
  const succ = new Map();
  const edgeKind = new Map();
  for (const f of files) {
    const targets = new Set();
    for (const { specifier, kind } of importsOf(fs.readFileSync(f, 'utf8'))) {
      if (!kinds.has(kind)) continue;
      const to = resolve(f, specifier, known);
      if (to === null) continue;
      targets.add(to);
      const key = `${f}\0${to}`;
      edgeKind.set(key, [...new Set([...(edgeKind.get(key) ?? []), kind])]);
    }
    succ.set(f, [...targets].sort());
  }
  return { succ, edgeKind };
}

/**
 * The import cycles under `root`: groups of files that import each other, directly or through
 * others. Each group lists its files and the distinct shortest cycles through them, as paths
 * relative to `root`; `edges` says how each link of a cycle is made.
 */
export function findImportCycles(root, options = {}) {
  const { succ, edgeKind } = importGraph(root, options);
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of succ.get(v)) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); group.push(w); } while (w !== v);
      if (group.length > 1 || succ.get(v).includes(v)) groups.push(group.sort());
    }
  };
  for (const f of succ.keys()) if (!idx.has(f)) visit(f);
  const rel = (f) => path.relative(root, f).split(path.sep).join('/');
  return groups.map((group) => {
    const inGroup = new Set(group);
    const seen = new Set();
    const cycles = [];
    for (const f of group) {
      const c = shortestCycle(f, succ, inGroup);
      if (c === null) continue;
      const m = c.indexOf([...c].sort()[0]);
      const canon = [...c.slice(m), ...c.slice(0, m)];
      const key = canon.join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(canon.map(rel));
    }
    const edges = {};
    for (const a of group) for (const b of succ.get(a)) if (inGroup.has(b)) edges[`${rel(a)} -> ${rel(b)}`] = edgeKind.get(`${a}\0${b}`);
    return { files: group.map(rel), cycles, edges };
  }).sort((a, b) => a.files[0].localeCompare(b.files[0]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const root = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'src');
  const groups = findImportCycles(root, { types: args.includes('--types') });
  if (args.includes('--json')) {
    console.log(JSON.stringify(groups, null, 2));
  } else if (groups.length === 0) {
    console.log(`no import cycles under ${path.relative(process.cwd(), root) || '.'}`);
  } else {
    console.log(`${groups.length} group${groups.length === 1 ? '' : 's'} of files in import cycles under ${path.relative(process.cwd(), root) || '.'}:`);
    for (const g of groups) {
      console.log(`\n${g.files.join(', ')}`);
      for (const c of g.cycles) {
        const links = c.map((f, i) => {
          const to = c[(i + 1) % c.length];
          const how = g.edges[`${f} -> ${to}`].filter((k) => k !== 'static');
          return `${f} -${how.length ? `(${how.join(', ')})` : ''}->`;
        });
        console.log(`  ${links.join(' ')} ${c[0]}`);
      }
    }
  }
  process.exitCode = groups.length > 0 ? 1 : 0;
}
