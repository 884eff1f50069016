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
