import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCsv, parseCsv } from '../../src/data/csv.js';
import { FormatError, ValueError } from '../../src/core/errors.js';

test('CSV with a header and a numeric label column by name', () => {
  const d = parseCsv('a,b,target\n1,2,0\n3.5,-4,1\n\n5,6e2,1\n', { label: 'target' });
  assert.deepEqual(d.columns, ['a', 'b']);
  assert.equal(d.labelColumn, 'target');
  assert.deepEqual(d.x.shape, [3, 2]);
  assert.deepEqual(d.x.toArray(), [[1, 2], [3.5, -4], [5, 600]]);
  assert.deepEqual(d.y?.toArray(), [0, 1, 1]);
  assert.deepEqual([...(d.labels ?? [])], [0, 1, 1]);
  assert.equal(d.classes, undefined);
});

test('CSV without a header: auto-detected, label by negative index, other delimiter, CRLF', () => {
  const d = parseCsv('1;2;3\r\n4;5;6\r\n', { label: -1, delimiter: ';' });
  assert.deepEqual(d.columns, ['0', '1']);
  assert.equal(d.labelColumn, '2');
  assert.deepEqual(d.x.toArray(), [[1, 2], [4, 5]]);
  assert.deepEqual(d.y?.toArray(), [3, 6]);
  // header: false keeps a first row of numbers as data; with header: true it becomes names.
  assert.deepEqual(parseCsv('1,2\n3,4\n', { header: false }).x.shape, [2, 2]);
  const named = parseCsv('1,2\n3,4\n', { header: true });
  assert.deepEqual(named.columns, ['1', '2']);
  assert.deepEqual(named.x.toArray(), [[3, 4]]);
  assert.equal(named.y, undefined);
});

test('text labels become sorted class indices; quoted fields keep delimiters and quotes', () => {
  const d = parseCsv('x,"na,me"\n1,"virginica"\n2,setosa\n3,"ver""sicolor"\n4,setosa\n', { label: 'na,me', dtype: 'float64' });
  assert.deepEqual(d.classes, ['setosa', 'ver"sicolor', 'virginica']);
  assert.deepEqual([...(d.labels ?? [])], [2, 0, 1, 0]);
  assert.equal(d.y?.dtype, 'float64');
  assert.deepEqual(d.y?.toArray(), [2, 0, 1, 0]);
  assert.deepEqual(d.x.toArray(), [[1], [2], [3], [4]]);
});

test('loadCsv reads a file; malformed files give FormatError with the line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-csv-'));
  const file = path.join(dir, 'data.csv');
  fs.writeFileSync(file, '\ufeffh1,h2\n0.5,1\n');
  const d = loadCsv(file, { label: 'h2' });
  assert.deepEqual(d.x.toArray(), [[0.5]]);
  assert.deepEqual(d.columns, ['h1']);
  const errs: [string, RegExp][] = [
    ['a,b\n1,2\n3\n', /line 3: 1 fields where the header has 2/],
    ['a,b\n1,2\n3,x\n', /line 3: column "b" holds "x", not a number/],
    ['a,b\n1,\n', /line 2: column "b" holds an empty field/],
    ['a,b\n1,"2\n', /a quoted field is never closed/],
    ['', /no rows/],
  ];
  for (const [text, pattern] of errs) {
    fs.writeFileSync(file, text);
    assert.throws(() => loadCsv(file), (e: unknown) => e instanceof FormatError && e.message.includes(file) && pattern.test(e.message), text);
  }
  assert.throws(() => loadCsv(path.join(dir, 'missing.csv')), /missing\.csv: file not found/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad options are ValueErrors', () => {
  assert.throws(() => parseCsv('a\n1\n', { label: 'b' }), /no column named "b" \(columns: a\)/);
  assert.throws(() => parseCsv('1,2\n', { label: 5 }), ValueError);
  assert.throws(() => parseCsv('1,2\n', { delimiter: ',,' }), /delimiter/);
  assert.throws(() => loadCsv('/does/not/matter.csv', { header: 'yes' as unknown as boolean }), ValueError);
});

test('a numeric label column with one text or empty cell is an error naming the line, column and value', () => {
  const rows = [...Array(12).keys()].map((i) => `${i},${i}`);
  const good = parseCsv(`a,label\n${rows.join('\n')}\n`, { label: 'label' });
  assert.deepEqual([...(good.labels ?? [])], [...Array(12).keys()]);
  assert.throws(() => parseCsv(`a,label\n${rows.join('\n')}\n5,?\n`, { label: 'label' }),
    (e: unknown) => e instanceof FormatError && /line 14: label column "label" holds "\?", not a finite number, while the column's other labels are numbers \(line 2: 0\); .*labelType: 'string'/.test(e.message));
  assert.throws(() => parseCsv(`a,label\n${rows.join('\n')}\n5,\n`, { label: 'label' }), /line 14: label column "label" holds an empty field/);
  assert.throws(() => parseCsv('a,label\n1,setosa\n2,\n', { label: 'label' }), /line 3: label column "label" holds an empty field/);
  assert.throws(() => parseCsv('a,label\n1,2\n2,x\n', { label: 'label', labelType: 'number' }), /line 3: label column "label" holds "x", not a finite number;/);
  // text labels on request: numbers among them are class names too, sorted as strings
  const text = parseCsv(`a,label\n${rows.join('\n')}\n5,?\n`, { label: 'label', labelType: 'string' });
  assert.deepEqual(text.classes, ['0', '1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9', '?']);
  assert.deepEqual([...(text.labels ?? [])], [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 2, 3, 12]);
  assert.deepEqual(parseCsv('a,c\n1,b\n2,a\n', { label: 'c' }).classes, ['a', 'b'], 'an all-text column needs no option');
  assert.throws(() => parseCsv('a,c\n1,b\n', { label: 'c', labelType: 'text' as 'string' }), /labelType must be 'auto', 'number', 'string'/);
  assert.throws(() => parseCsv('a,c\n1,b\n', { labelType: 'string' }), /labelType 'string' needs a label column/);
});

test('numbers parse strictly: decimal and exponent notation, finite', () => {
  for (const [s, v] of [['1', 1], ['-2.5', -2.5], ['+3', 3], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['-1.5E-2', -0.015], ['"7"', 7]] as const) {
    assert.equal(parseCsv(`a\n${s}\n`, { dtype: 'float64' }).x.data[0], v, s);
  }
  for (const s of ['0x1F', '0b101', '0o7', 'Infinity', '-Infinity', '1e999', '1_000', '" 1"', '1e', 'e5', '--1', '1.2.3']) {
    assert.throws(() => parseCsv(`a,b\n1,${s}\n`), (e: unknown) => e instanceof FormatError && /line 2: column "b" holds .*not a number/.test(e.message), s);
    assert.throws(() => parseCsv(`a,b\n1,1\n2,${s}\n`, { label: 'b', labelType: 'number' }), FormatError, s);
  }
  assert.ok(Number.isNaN(parseCsv('a\nNaN\n').x.data[0]), "'NaN' marks a missing feature (fit refuses it until imputed)");
  assert.throws(() => parseCsv('1,Infinity\n2,3\n'), /line 1: "Infinity" is neither a decimal number nor a column name; pass header: true or false/);
});

/** A small deterministic generator for the fuzz tests. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('fuzz: mutated CSV text gives a typed error or the same or a detectably different table', { timeout: 20_000 }, () => {
  const lines = ['f1,f2,"f 3",label'];
  const r0 = lcg(7);
  for (let i = 0; i < 40; i++) lines.push(`${(r0() * 10).toFixed(3)},${(r0() * -5).toExponential(2)},"${i}",${i % 4}`);
  const valid = lines.join('\n') + '\n';
  const ref = parseCsv(valid, { label: 'label' });
  const r = lcg(11);
  const pieces = ['"', ',', '\n', '\r', '?', '', '0x1F', 'Infinity', '1e999', 'NaN', '__proto__', 'constructor', '-', 'e', '.', ' ', '\u0000', '""', '1e-400'];
  const counts = { mutations: 0, typedErrors: 0, acceptedIdentical: 0, acceptedDifferent: 0, untyped: 0 };
  for (let k = 0; k < 400; k++) {
    let text = valid;
    const kind = k % 4;
    const at = Math.floor(r() * text.length);
    if (kind === 0) text = text.slice(0, at);
    else if (kind === 1) text = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << Math.floor(r() * 7))) + text.slice(at + 1);
    else if (kind === 2) text = text.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + text.slice(at);
    else text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 5));
    counts.mutations++;
    try {
      const d = parseCsv(text, { label: k % 8 < 4 ? 'label' : -1 });
      const same = d.x.size === ref.x.size && d.x.data.every((v, i) => Object.is(v, ref.x.data[i])) && d.y !== undefined
        && d.y.data.every((v, i) => v === ref.y!.data[i]) && d.classes === undefined;
      if (same) counts.acceptedIdentical++;
      else {
        counts.acceptedDifferent++;
        // what is accepted is numbers only: no infinity, and labels that are all numbers or all text
        assert.ok(Array.from(d.x.data).every((v) => Number.isFinite(v) || Number.isNaN(v)), text);
        if (d.classes) assert.ok(d.classes.every((c) => c !== '' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(c)), `mixed labels accepted: ${d.classes}`);
      }
    } catch (e) {
      if (e instanceof FormatError || e instanceof ValueError) counts.typedErrors++;
      else { counts.untyped++; assert.fail(`untyped ${String(e)} for mutation ${k}`); }
    }
  }
  console.log(`csv fuzz: ${JSON.stringify(counts)}`);
  assert.equal(counts.untyped, 0);
  assert.ok(counts.typedErrors > 50 && counts.acceptedIdentical > 0);
});
