// The command line never shows a stack trace: bad input is one line and exit code 2, a bug one
// line that says so and exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('bad input files give one line and exit code 2, never a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-cli-bad-'));
  const model = join(dir, 'model');
  mkdirSync(model);
  const files: [string, string, RegExp][] = [
    ['bad.json', '[[1,2', /bad\.json is not valid JSON: /],
    ['object.json', '{"a": 1}', /object\.json must hold a non-empty array of samples .*got an object/],
    ['text.json', '[[1, "a"]]', /text\.json: \[0\]\[1\] is the string "a", not a finite number/],
    ['ragged.json', '[[1, 2], [3]]', /tensor: ragged nested array/],
    ['bad.csv', 'a,b\n1,0x1F\n', /bad\.csv, line 2: column "b" holds "0x1F", not a number/],
  ];
  const check = (r: ReturnType<typeof run>, re: RegExp) => {
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.match(r.stderr, re);
  };
  for (const [name, text, re] of files) {
    writeFileSync(join(dir, name), text);
    check(run('predict', model, join(dir, name)), re);
  }
  mkdirSync(join(dir, 'folder.json'));
  check(run('predict', model, join(dir, 'folder.json')), /folder\.json: cannot read: EISDIR/);
  writeFileSync(join(model, 'model.json'), '{"format": ');
  check(run('summary', model), /model\.json is not valid JSON/);
});

test('an error that is not the input\'s is one line too, naming itself a bug', async () => {
  const { describeError, isInputError } = await import('../../src/cli/common.js');
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
  const line = describeError(bug);
  assert.equal(line, "internal error: TypeError: Cannot read properties of undefined (reading 'x') (this is a bug in gradlab; GRADLAB_DEBUG=1 shows the stack trace)");
  assert.equal(isInputError(bug), false);
  const missing = Object.assign(new Error("ENOENT: no such file or directory, open 'x.csv'"), { code: 'ENOENT', syscall: 'open' });
  assert.equal(describeError(missing), "ENOENT: no such file or directory, open 'x.csv'");
  assert.equal(isInputError(missing), true);
});
