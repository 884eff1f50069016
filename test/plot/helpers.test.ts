import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePNG } from '../../src/plot/index.js';
import { checkXML, decodePNG, pngSize } from './helpers.js';

// The checks the other plot tests rely on must themselves be able to fail.
test('checkXML accepts well-formed XML and rejects broken documents', () => {
  assert.equal(checkXML('<?xml version="1.0"?><svg a="1"><g><text>a &amp; b</text></g><rect/></svg>').root, 'svg');
  for (const bad of ['<svg><g></svg>', '<svg a=1></svg>', '<svg>a & b</svg>', '<svg></svg><svg></svg>', '<svg a="1" a="2"/>', '<svg>', 'text']) {
    assert.throws(() => checkXML(bad), Error, bad);
  }
});

test('decodePNG reads encodePNG output and rejects truncated files', () => {
  const px = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const png = encodePNG(2, 2, 3, px);
  assert.deepEqual(pngSize(png), { width: 2, height: 2 });
  const d = decodePNG(png);
  assert.equal(d.channels, 3);
  assert.deepEqual(Array.from(d.pixels), Array.from(px));
  assert.throws(() => decodePNG(png.subarray(0, png.length - 12)), /IEND|truncated/);
  assert.throws(() => pngSize(new Uint8Array([1, 2, 3])), /signature/);
  assert.throws(() => encodePNG(2, 2, 1, px), RangeError);
});
