#!/usr/bin/env node
// Lists the properties of gradlab's public options interfaces whose doc comment says neither the
// default nor that the option is required. It reads the declaration files tsc writes (dist/src),
// so it needs a build but neither TypeDoc nor the network; the test suite imports it.
//
//   node scripts/doc-coverage.mjs [dist/src] [--json]
//
// Public: reachable from index.d.ts (and browser.d.ts) through their exports (`export *`, `export * as ns`, named
// re-exports), plus the interfaces they extend. Options interfaces: those whose name ends in
// Options, Args, Config or Spec (and ModelFactory). A doc comment passes when it has `@defaultValue`,
// "default" opening a sentence or clause ("Default 32.", "(default 1)", "; default none"),
// "default: ...", "default <value>", "defaults to", "by default" or "required"; a "default" inside
// a sentence ("no default", "the default depends on ...") does not count.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// ModelFactory is GridSearchCV's estimator argument for Keras-style models: options by another name.
export const OPTIONS_NAME = /(Options|Args|Config|Spec)$|^ModelFactory$/;
// Named like options, but records gradlab writes and reads back, not arguments a caller fills in.
export const NOT_OPTIONS = new Set([
  'CompileConfig', // what model.compileConfig() returns and model.json stores
  'TfjsWeightSpec', // one entry of a TF.js model.json weights manifest
  'OnnxNodeConfig', // the config the ONNX importer gives an OnnxNode layer and model.json stores
]);
export const STATES_DEFAULT = /@defaultValue|(^|[(.;,*])\s*defaults?\b|\bdefault(:|\s+(['"`[{\-\d]|true\b|false\b|null\b|none\b|undefined\b))|\bdefaults? (to|is)\b|\bby default\b|\brequired\b/i;

/** Tokens of a declaration file: words, punctuation, strings and doc comments (other comments dropped). */
export function tokenize(text) {
  const tokens = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      if (text[i + 2] === '*' && text[i + 3] !== '/') tokens.push({ kind: 'doc', value: text.slice(i + 3, stop - 2) });
      i = stop;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < n && text[j] !== c) {
        if (text[j] === '\\') { value += text[j + 1] ?? ''; j += 2; continue; }
        value += text[j++];
      }
      tokens.push({ kind: 'string', value });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z_$0-9]/.test(text[j])) j++;
      tokens.push({ kind: 'word', value: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '=' && text[i + 1] === '>') { tokens.push({ kind: 'punct', value: '=>' }); i += 2; continue; }
    tokens.push({ kind: 'punct', value: c });
    i++;
  }
  return tokens;
}

const OPEN = { '{': '}', '(': ')', '[': ']', '<': '>' };
const CLOSE = new Set(['}', ')', ']', '>']);

/** Index just past the bracket that closes the one at tokens[start]. */
function skipGroup(tokens, start) {
  let depth = 0;
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'punct') continue;
    if (t.value in OPEN) depth++;
    else if (CLOSE.has(t.value)) { depth--; if (depth === 0) return k + 1; }
  }
  return tokens.length;
}

/** `{ a, type b as c }` starting at the `{`: [[exported name, local name]], and the index after `}`. */
function readNames(tokens, k) {
  const names = [];
  k++;
  while (k < tokens.length && tokens[k].value !== '}') {
    if (tokens[k].value === ',') { k++; continue; }
    if (tokens[k].value === 'type' && tokens[k + 1]?.kind === 'word' && tokens[k + 1].value !== 'as') k++;
    const local = tokens[k].value;
    let outer = local;
    if (tokens[k + 1]?.value === 'as') { outer = tokens[k + 2].value; k += 2; }
    names.push([outer, local]);
    k++;
  }
  return { names, next: k + 1 };
}

/** The members of an interface body, tokens[start] being its `{`. */
function readMembers(tokens, start) {
  const end = skipGroup(tokens, start) - 1;
  const members = [];
  let k = start + 1;
  while (k < end) {
    let doc = null;
    while (tokens[k]?.kind === 'doc') { doc = tokens[k].value; k++; }
    if (k >= end) break;
    const first = k;
    // Up to the `;` (or `,`) that ends the member at depth 0.
    while (k < end && !(tokens[k].kind === 'punct' && (tokens[k].value === ';' || tokens[k].value === ','))) {
      if (tokens[k].kind === 'punct' && tokens[k].value in OPEN) {
        // `=>` is one token, so a `>` here always closes a `<`.
        k = skipGroup(tokens, k);
        continue;
      }
      k++;
    }
    let j = first;
    while (tokens[j]?.kind === 'word' && tokens[j].value === 'readonly' && (tokens[j + 1]?.kind === 'word' || tokens[j + 1]?.kind === 'string')) j++;
    const t = tokens[j];
    const indexSignature = t?.value === 'readonly' && tokens[j + 1]?.value === '[';
    if (t && (t.kind === 'word' || t.kind === 'string') && j < k && !indexSignature) {
      const optional = tokens[j + 1]?.value === '?';
      members.push({ name: t.value, optional, doc });
    } // index signatures `[key: string]: T` and call signatures have no name
    k++;
  }
  return members;
}

/** The type names an `extends` clause names (Omit<X, ...> and the like count as X). */
function readExtends(tokens, k) {
  const names = [];
  const WRAPPERS = new Set(['Omit', 'Partial', 'Pick', 'Readonly', 'Required']);
  while (k < tokens.length && tokens[k].value !== '{') {
    const t = tokens[k];
    if (t.kind === 'word') {
      if (WRAPPERS.has(t.value) && tokens[k + 1]?.value === '<') { k += 2; continue; }
      names.push(t.value);
      if (tokens[k + 1]?.value === '<') { k = skipGroup(tokens, k + 1); }
      else k++;
      // to the next top-level `,` of the clause
      while (k < tokens.length && tokens[k].value !== ',' && tokens[k].value !== '{') {
        if (tokens[k].value in OPEN && tokens[k].value !== '{') k = skipGroup(tokens, k); else k++;
      }
      continue;
    }
    k++;
  }
  return { names, next: k };
}

/** One declaration file: its imports, exports and interfaces. */
export function parseModule(text) {
  const tokens = tokenize(text);
  const mod = { imports: new Map(), named: new Map(), stars: [], namespaces: new Map(), interfaces: new Map(), locals: new Set() };
  let k = 0;
  let depth = 0;
  while (k < tokens.length) {
    const t = tokens[k];
    if (t.kind === 'punct') {
      if (t.value === '{') depth++;
      else if (t.value === '}') depth--;
      k++;
      continue;
    }
    if (depth > 0 || t.kind !== 'word') { k++; continue; }
    if (t.value === 'import') {
      let j = k + 1;
      if (tokens[j]?.value === 'type') j++;
      if (tokens[j]?.value === '{') {
        const { names, next } = readNames(tokens, j);
        const from = tokens[next + 1]?.value; // from 'x'
        for (const [outer, local] of names) mod.imports.set(outer, { from, name: local });
        k = next + 2;
        continue;
      }
      k = j;
      continue;
    }
    if (t.value === 'export') {
      let j = k + 1;
      if (tokens[j]?.value === 'type' && tokens[j + 1]?.value === '{') j++;
      if (tokens[j]?.value === '*') {
        if (tokens[j + 1]?.value === 'as') {
          mod.namespaces.set(tokens[j + 2].value, tokens[j + 4].value);
          k = j + 5;
        } else {
          mod.stars.push(tokens[j + 2].value);
          k = j + 3;
        }
        continue;
      }
      if (tokens[j]?.value === '{') {
        const { names, next } = readNames(tokens, j);
        const from = tokens[next]?.value === 'from' ? tokens[next + 1].value : null;
        for (const [outer, local] of names) mod.named.set(outer, { from, name: local });
        k = from ? next + 2 : next;
        continue;
      }
    }
    // A declaration: [export] [declare] [abstract] interface|class|type|function|const|... NAME
    let j = k;
    let exported = false;
    if (tokens[j].value === 'export') { exported = true; j++; }
    if (tokens[j]?.value === 'default') { j++; }
    while (tokens[j]?.value === 'declare' || tokens[j]?.value === 'abstract') j++;
    const kind = tokens[j]?.value;
    const name = tokens[j + 1]?.kind === 'word' ? tokens[j + 1].value : null;
    if (name && ['interface', 'class', 'type', 'function', 'const', 'let', 'var', 'enum', 'namespace'].includes(kind)) {
      mod.locals.add(name);
      if (exported) mod.named.set(name, { from: null, name });
      if (kind === 'interface') {
        let m = j + 2;
        if (tokens[m]?.value === '<') m = skipGroup(tokens, m);
        let ext = [];
        if (tokens[m]?.value === 'extends') { const r = readExtends(tokens, m + 1); ext = r.names; m = r.next; }
        const members = readMembers(tokens, m);
        const prev = mod.interfaces.get(name); // declaration merging
        mod.interfaces.set(name, { name, extends: [...(prev?.extends ?? []), ...ext], members: [...(prev?.members ?? []), ...members] });
        k = skipGroup(tokens, m);
        continue;
      }
      k = j + 2;
      continue;
    }
    k++;
  }
  return mod;
}

// The package's entry points: Node's, and the browser's once it exists (a missing one is skipped).
export const ENTRIES = ['index.d.ts', 'browser.d.ts'];

/** Every public interface of the declaration files under root, each once: { key, file, name, publicName, members, parents }. */
export function publicInterfaces(root, entries = ENTRIES) {
  const cache = new Map();
  const load = (file) => {
    if (!cache.has(file)) cache.set(file, fs.existsSync(file) ? parseModule(fs.readFileSync(file, 'utf8')) : null);
    return cache.get(file);
  };
  const target = (from, spec) => path.resolve(path.dirname(from), spec.replace(/\.js$/, '.d.ts'));
  const found = new Map(); // "file#name" -> record
  const seenModules = new Set();
  const visitDecl = (file, name, publicName) => {
    const mod = load(file);
    if (!mod) return null;
    const imp = mod.imports.get(name);
    if (!mod.interfaces.has(name) && imp && imp.from.startsWith('.')) return visitDecl(target(file, imp.from), imp.name, publicName);
    const decl = mod.interfaces.get(name);
    if (!decl) return null;
    const key = `${file}#${name}`;
    if (found.has(key)) return key;
    const record = { key, file, name, publicName, members: decl.members, parents: [] };
    found.set(key, record);
    for (const parent of decl.extends) {
      const p = visitDecl(file, parent, `${publicName} (extends ${parent})`);
      if (p) record.parents.push(p);
    }
    return key;
  };
  const visitModule = (file, prefix) => {
    const key = `${file}@${prefix}`;
    if (seenModules.has(key)) return;
    seenModules.add(key);
    const mod = load(file);
    if (!mod) return;
    for (const [outer, { from, name }] of mod.named) {
      if (from === null) visitDecl(file, name, prefix + outer);
      else if (from.startsWith('.')) visitDecl(target(file, from), name, prefix + outer);
    }
    for (const from of mod.stars) if (from.startsWith('.')) visitModule(target(file, from), prefix);
    for (const [ns, from] of mod.namespaces) if (from.startsWith('.')) visitModule(target(file, from), `${prefix}${ns}.`);
  };
  for (const entry of typeof entries === 'string' ? [entries] : entries) visitModule(path.resolve(root, entry), '');
  return [...found.values()];
}

/** The options properties whose doc comment is missing or says no default: ["publicName.prop (file)"]. */
export function missingOptionDocs(root, entries = ENTRIES) {
  const all = publicInterfaces(root, entries);
  // An options interface's parents are options too, whatever their names.
  const options = new Set();
  const byKey = new Map(all.map((r) => [r.key, r]));
  const mark = (key) => {
    if (options.has(key)) return;
    options.add(key);
    for (const p of byKey.get(key).parents) mark(p);
  };
  for (const r of all) if ((OPTIONS_NAME.test(r.name) || OPTIONS_NAME.test(r.publicName.split('.').pop())) && !NOT_OPTIONS.has(r.name)) mark(r.key);
  const missing = [];
  for (const key of options) {
    const r = byKey.get(key);
    for (const m of r.members) {
      if (m.doc === null || !STATES_DEFAULT.test(m.doc)) {
        missing.push(`${r.publicName}.${m.name} (${path.relative(root, r.file).replace(/\.d\.ts$/, '.ts')}${m.doc === null ? ', no doc comment' : ', no default or "required"'})`);
      }
    }
  }
  return missing.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const root = args.find((a) => !a.startsWith('--')) ?? 'dist/src';
  const missing = missingOptionDocs(root);
  if (args.includes('--json')) console.log(JSON.stringify(missing, null, 2));
  else for (const m of missing) console.log(m);
  if (missing.length > 0) {
    console.error(`${missing.length} options properties lack a doc comment with the default or "required"`);
    process.exit(1);
  }
}
