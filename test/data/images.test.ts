// gl.data.loadImage and gl.data.imageDatasetFromDirectory on PNG and JPEG files written here with
// pngjs and jpeg-js, and the streaming of such data sets through fit, evaluate and predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../../src/index.js';
import { numpyShufflePermutation } from '../../src/data/mt19937.js';

const require = createRequire(import.meta.url);
interface PngWrite { width: number; height: number; data: Buffer }
const { PNG } = require('pngjs') as { PNG: { sync: { write(img: PngWrite, o?: { colorType?: number; inputColorType?: number; bitDepth?: number; inputHasAlpha?: boolean }): Buffer } } };
const jpeg = require('jpeg-js') as { encode(img: { width: number; height: number; data: Uint8Array }, quality: number): { data: Buffer } };

const fixtures = fileURLToPath(new URL('../../../test/data/fixtures/', import.meta.url));

/** A w x h RGBA test pattern whose pixels depend on (x, y, seed). */
function pattern(w: number, h: number, seed: number, smooth = false): Buffer {
  const d = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      d[i] = smooth ? Math.round(255 * x / Math.max(1, w - 1)) : (x * 37 + y * 11 + seed * 53) % 256;
      d[i + 1] = smooth ? Math.round(255 * y / Math.max(1, h - 1)) : (x * 5 + y * 71 + seed * 17) % 256;
      d[i + 2] = smooth ? (seed * 40) % 256 : (x * y + seed) % 256;
      d[i + 3] = 200 + ((x + y) % 50);
    }
  }
  return d;
}

const pngRgba = (w: number, h: number, seed: number) => PNG.sync.write({ width: w, height: h, data: pattern(w, h, seed) });
/** pngjs blends a translucent input onto white when it writes no alpha: opaque input keeps the values. */
const opaque = (d: Buffer) => { for (let i = 3; i < d.length; i += 4) d[i] = 255; return d; };
const pngRgb = (w: number, h: number, seed: number) => PNG.sync.write({ width: w, height: h, data: opaque(pattern(w, h, seed)) }, { colorType: 2 });
const pngGray = (w: number, h: number, seed: number) => PNG.sync.write({ width: w, height: h, data: opaque(pattern(w, h, seed)) }, { colorType: 0 });
const jpg = (w: number, h: number, seed: number, q = 95) => jpeg.encode({ width: w, height: h, data: pattern(w, h, seed, true) }, q).data;

test('loadImage: PNG pixels exactly (RGBA, RGB, gray), channel conversions, sniffed from bytes not names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-img-'));
  try {
    const src = pattern(5, 3, 2);
    const rgba = gl.data.loadImage(pngRgba(5, 3, 2));
    assert.deepEqual(rgba.shape, [3, 5, 4]);
    assert.deepEqual(Array.from(rgba.data), Array.from(src));
    const rgb = gl.data.loadImage(pngRgb(5, 3, 2));
    assert.deepEqual(rgb.shape, [3, 5, 3]);
    assert.deepEqual(Array.from(rgb.data), Array.from(src).filter((_, i) => i % 4 !== 3));
    // RGBA asked as RGB drops alpha; RGB asked as RGBA is opaque
    assert.deepEqual(Array.from(gl.data.loadImage(pngRgba(5, 3, 2), { channels: 3 }).data), Array.from(rgb.data));
    const opaque = gl.data.loadImage(pngRgb(5, 3, 2), { channels: 4 });
    assert.deepEqual(Array.from(opaque.data).filter((_, i) => i % 4 === 3), new Array(15).fill(255));
    // a gray PNG is one channel; as RGB its value is repeated
    const gray = gl.data.loadImage(pngGray(5, 3, 2));
    assert.deepEqual(gray.shape, [3, 5, 1]);
    const grayAsRgb = gl.data.loadImage(pngGray(5, 3, 2), { channels: 3 });
    for (let i = 0; i < 15; i++) for (let c = 0; c < 3; c++) assert.equal(grayAsRgb.data[3 * i + c], gray.data[i]);
    // RGB to gray: ITU-R 601 luma, rounded
    const g = gl.data.loadImage(pngRgb(5, 3, 2), { channels: 1 });
    for (let i = 0; i < 15; i++) assert.equal(g.data[i], Math.round(0.299 * src[4 * i] + 0.587 * src[4 * i + 1] + 0.114 * src[4 * i + 2]));
    // the name does not matter: a PNG called .jpg and a JPEG called .png
    writeFileSync(join(dir, 'a.jpg'), pngRgb(5, 3, 2));
    writeFileSync(join(dir, 'b.png'), jpg(8, 8, 1));
    assert.deepEqual(Array.from(gl.data.loadImage(join(dir, 'a.jpg')).data), Array.from(rgb.data));
    assert.deepEqual(gl.data.loadImage(join(dir, 'b.png')).shape, [8, 8, 3]);
    assert.equal(gl.data.readImageHeader(readFileSync(join(dir, 'b.png'))).format, 'jpeg');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadImage: palette and 16-bit PNGs (written by hand) decode to 8-bit values', () => {
  // 2x1 palette image: pixel 0 -> red, pixel 1 -> blue; and a 1x1 16-bit gray of 0x8000.
  const crc = (b: Buffer) => {
    let c = ~0;
    for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
    return (~c) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const { deflateSync } = require('node:zlib') as typeof import('node:zlib');
  const png = (w: number, h: number, depth: number, color: number, raw: Buffer, extra: Buffer[] = []) => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = depth; ihdr[9] = color;
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  };
  const pal = png(2, 1, 8, 3, Buffer.from([0, 0, 1]), [chunk('PLTE', Buffer.from([255, 0, 0, 0, 0, 255]))]);
  const p = gl.data.loadImage(pal);
  assert.deepEqual(p.shape, [1, 2, 3]);
  assert.deepEqual(Array.from(p.data), [255, 0, 0, 0, 0, 255]);
  const g16 = gl.data.loadImage(png(1, 1, 16, 0, Buffer.from([0, 0x80, 0x00])));
  assert.deepEqual(g16.shape, [1, 1, 1]);
  assert.ok(Math.abs(g16.data[0] - 128) <= 1, `16-bit 0x8000 read as ${g16.data[0]}`);
});

test('loadImage: JPEG within codec tolerance, gray JPEG has one channel, resize to [h, w] as gl.resize', () => {
  const src = pattern(32, 24, 3, true);
  const img = gl.data.loadImage(jpg(32, 24, 3));
  assert.deepEqual(img.shape, [24, 32, 3]);
  let worst = 0;
  for (let i = 0; i < 32 * 24; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(img.data[3 * i + c] - src[4 * i + c]));
  assert.ok(worst <= 12, `JPEG quality 95 of a smooth image differs by ${worst}`);
  const header = gl.data.readImageHeader(jpg(32, 24, 3));
  assert.deepEqual(header, { format: 'jpeg', width: 32, height: 24, channels: 3 });
  // resize: the same as resizing the full-size tensor with gl.resize (bilinear, half-pixel centres)
  const small = gl.data.loadImage(pngRgb(9, 7, 4), { size: [4, 5] });
  const full = gl.data.loadImage(pngRgb(9, 7, 4));
  assert.deepEqual(small.shape, [4, 5, 3]);
  assert.deepEqual(Array.from(small.data), Array.from(gl.resize(full, [4, 5]).data));
  const nearest = gl.data.loadImage(pngRgb(9, 7, 4), { size: [14, 18], interpolation: 'nearest' });
  // nearest 2x upsampling repeats each pixel
  for (let y = 0; y < 14; y++) for (let x = 0; x < 18; x++) for (let c = 0; c < 3; c++) {
    assert.equal(nearest.data[(y * 18 + x) * 3 + c], full.data[(Math.floor(y / 2) * 9 + Math.floor(x / 2)) * 3 + c]);
  }
});

test('loadImage: bad input is a typed error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-img-'));
  try {
    writeFileSync(join(dir, 'x.bmp'), Buffer.from('BM\x00\x00\x00\x00'));
    assert.throws(() => gl.data.loadImage(join(dir, 'x.bmp')), (e: Error) => e instanceof gl.FormatError && e.message.includes('x.bmp') && /not a PNG or JPEG/.test(e.message));
    assert.throws(() => gl.data.loadImage(join(dir, 'missing.png')), (e: Error) => e instanceof gl.FormatError && e.message.includes('missing.png'));
    const trunc = pngRgb(6, 6, 1).subarray(0, 50);
    writeFileSync(join(dir, 'cut.png'), trunc);
    assert.throws(() => gl.data.loadImage(join(dir, 'cut.png')), (e: Error) => e instanceof gl.FormatError && e.message.includes('cut.png'));
    // a header claiming 60000 x 60000 is refused before decoding, by the pixel limit or by the data it would need
    const big = Buffer.from(pngRgb(6, 6, 1));
    big.writeUInt32BE(60000, 16);
    big.writeUInt32BE(60000, 20);
    assert.throws(() => gl.data.loadImage(big), (e: Error) => e instanceof gl.FormatError && /truncated or lying header/.test(e.message));
    assert.throws(() => gl.data.loadImage(big, { maxMegapixels: 1e6 }), (e: Error) => e instanceof gl.FormatError && /IDAT chunks hold only/.test(e.message));
    assert.throws(() => gl.data.loadImage(pngRgb(30, 30, 1), { maxMegapixels: 0.0005 }), (e: Error) => e instanceof gl.FormatError && /megapixels/.test(e.message));
    const bigJpeg = Buffer.from(jpg(8, 8, 1));
    const sof = bigJpeg.indexOf(Buffer.from([0xff, 0xc0]));
    bigJpeg.writeUInt16BE(6000, sof + 5);
    bigJpeg.writeUInt16BE(6000, sof + 7);
    assert.throws(() => gl.data.loadImage(bigJpeg), (e: Error) => e instanceof gl.FormatError && /blocks\) but the file has only/.test(e.message));
    // a PNG whose IDAT chunk was renamed (a flipped bit makes it an unknown ancillary chunk) has no pixel data
    const noIdat = Buffer.from(pngRgb(4, 3, 1));
    noIdat[37] ^= 0x20;
    assert.throws(() => gl.data.loadImage(noIdat), (e: Error) => e instanceof gl.FormatError && /no IDAT chunk/.test(e.message));
    const full = jpg(40, 40, 2);
    assert.throws(() => gl.data.loadImage(full.subarray(0, Math.floor(full.length * 0.8))), (e: Error) => e instanceof gl.FormatError && /no end-of-image marker/.test(e.message));
    assert.throws(() => gl.data.loadImage(pngRgb(6, 6, 1), { size: [0, 3] }), gl.ValueError);
    assert.throws(() => gl.data.loadImage(pngRgb(6, 6, 1), { channels: 2 as 1 }), gl.ValueError);
    assert.throws(() => gl.data.loadImage(pngRgb(6, 6, 1), { target_size: [2, 2] } as never), /unknown option 'target_size'/);
    assert.throws(() => gl.data.loadImage(42 as never), gl.ValueError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: truncated, bit-flipped and lying PNG and JPEG files give a FormatError or an image, never an untyped error', { timeout: 60_000 }, () => {
  const rng = new gl.Random(12);
  const fixture = (n: string) => readFileSync(join(fixtures, 'images', n));
  const pngSeeds = [pngRgb(12, 9, 1), pngRgba(7, 5, 2), pngGray(10, 4, 3), fixture('palette_trns.png'), fixture('gray16.png')];
  const seeds = [...pngSeeds, jpg(16, 16, 4, 80), jpg(24, 8, 5, 50), fixture('progressive.jpg'), fixture('cmyk.jpg'), fixture('gray.jpg')];
  let mutations = 0, typed = 0, identical = 0, different = 0, slowest = 0;
  const differentBy = { png: 0, jpeg: 0 };
  const untyped: string[] = [];
  for (const [k, good] of seeds.entries()) {
    const ref = gl.data.loadImage(good);
    for (let m = 0; m < 80; m++) {
      const b = Buffer.from(good);
      let bytes: Buffer = b;
      const kind = m % 5;
      if (kind === 0) bytes = b.subarray(0, rng.int(0, b.length));
      else if (kind === 1) { const i = rng.int(0, Math.min(40, b.length)); b[i] ^= 1 << rng.int(0, 8); } // header
      else if (kind === 2) { for (let j = 0; j < 3; j++) { const i = rng.int(0, b.length); b[i] ^= 1 << rng.int(0, 8); } } // anywhere
      else if (kind === 3) { const i = rng.int(0, b.length - 4); b.writeUInt32BE(rng.nextUint32(), i); } // a lying length or size
      else { const i = rng.int(8, Math.min(30, b.length - 2)); b[i] = 0xff; b[i + 1] = 0xff; } // huge width/height bytes
      mutations++;
      const t0 = performance.now();
      try {
        const t = gl.data.loadImage(bytes, { maxMegapixels: 1 });
        const same = t.shape.length === ref.shape.length && t.shape.every((d, i) => d === ref.shape[i]) && t.data.every((v, i) => v === ref.data[i]);
        if (same) identical++;
        else { different++; differentBy[k < pngSeeds.length ? 'png' : 'jpeg']++; }
        assert.ok(t.data.every((v) => v >= 0 && v <= 255), 'decoded values stay in 0-255');
        // the same bytes decode the same with other garbage in Node's buffer pool (no uninitialised memory read)
        const junk = Array.from({ length: 1 + (m % 7) * 13 }, (_, j) => Buffer.from([j, 255 - j, m]));
        const again = gl.data.loadImage(Buffer.from(bytes), { maxMegapixels: 1 });
        assert.ok(junk.length > 0 && again.data.every((v, i) => v === t.data[i]), `seed ${k} mutation ${m} decodes differently a second time`);
      } catch (e) {
        if (e instanceof gl.FormatError || e instanceof gl.ValueError) typed++;
        else untyped.push(`seed ${k} mutation ${m}: ${(e as Error).name}: ${(e as Error).message}`);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
  }
  console.log(`image fuzz: ${mutations} mutations, ${typed} typed errors, ${identical} accepted identical, ${different} accepted different (PNG ${differentBy.png}, JPEG ${differentBy.jpeg}: JPEG has no checksum, so flipped bits in its entropy-coded data decode to other pixels), slowest ${slowest.toFixed(0)} ms`);
  assert.deepEqual(untyped, []);
  assert.ok(slowest < 2000, `a mutation took ${slowest.toFixed(0)} ms to decode or refuse`);
});

test('MT19937 shuffle equals NumPy RandomState(seed).shuffle (golden from numpy_shuffle.py)', () => {
  const golden = JSON.parse(readFileSync(join(fixtures, 'numpy_shuffle.json'), 'utf8')) as { cases: { seed: number; n: number; permutation: number[] }[] };
  for (const c of golden.cases) assert.deepEqual(Array.from(numpyShufflePermutation(c.n, c.seed)), c.permutation, `seed ${c.seed}, n ${c.n}`);
});

/** A folder of classes: cats (RGB PNGs of several sizes), dogs (JPEGs), owls (gray PNGs), plus stray files. */
function makeFolder(root: string, perClass: number, size = 8): void {
  for (const c of ['dogs', 'cats', 'owls']) mkdirSync(join(root, c));
  mkdirSync(join(root, 'cats', 'more'));
  for (let i = 0; i < perClass; i++) {
    const s = size + (i % 3);
    writeFileSync(join(root, 'cats', i % 4 === 3 ? join('more', `c${i}.PNG`) : `c${i}.png`), pngRgb(s, s + 1, 100 + i));
    writeFileSync(join(root, 'dogs', `d${i}.${i % 2 ? 'jpeg' : 'jpg'}`), jpg(s + 2, s, 200 + i));
    writeFileSync(join(root, 'owls', `o${i}.png`), pngGray(s, s, 300 + i));
  }
  writeFileSync(join(root, 'cats', 'notes.txt'), 'not an image');
  writeFileSync(join(root, 'dogs', 'old.bmp'), 'BM');
  mkdirSync(join(root, '.hidden'));
}

test('imageDatasetFromDirectory: classes, labels, Keras file order and split, label modes', () => {
  const root = mkdtempSync(join(tmpdir(), 'gradlab-imgdir-'));
  try {
    makeFolder(root, 5);
    const all = gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], batchSize: 4, shuffle: false });
    assert.deepEqual(all.classNames, ['cats', 'dogs', 'owls']);
    assert.equal(all.fileCount, 15);
    assert.equal(all.skippedFiles, 1);
    assert.equal(all.batchCount, 4);
    // Keras' order: class by class, the class folder's files sorted, then its subfolders' files
    assert.deepEqual(all.files.slice(0, 5).map((f) => f.slice(root.length + 1)), ['cats/c0.png', 'cats/c1.png', 'cats/c2.png', 'cats/c4.png', 'cats/more/c3.PNG']);
    assert.deepEqual(Array.from(all.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    const { x, y } = all.toTensors();
    assert.deepEqual(x.shape, [15, 6, 6, 3]);
    assert.deepEqual(Array.from(y!.data), Array.from(all.labels));
    // row i is files[i], loaded and resized alone
    assert.deepEqual(Array.from(x.data.subarray(11 * 108, 12 * 108)), Array.from(gl.data.loadImage(all.files[11], { size: [6, 6], channels: 3 }).data));
    // shuffled with a seed: NumPy's permutation of the sorted list, as Keras
    const shuffled = gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], seed: 1337, batchSize: 4 });
    const perm = numpyShufflePermutation(15, 1337);
    assert.deepEqual(shuffled.files, Array.from(perm, (i) => all.files[i]));
    assert.deepEqual(Array.from(shuffled.labels), Array.from(perm, (i) => all.labels[i]));
    // split: the last floor(0.2 n) of the shuffled files are the validation subset
    const [train, val] = gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], validationSplit: 0.2, subset: 'both', seed: 1337, batchSize: 4 });
    assert.equal(train.fileCount, 12);
    assert.equal(val.fileCount, 3);
    assert.deepEqual([...train.files, ...val.files], shuffled.files);
    assert.deepEqual(gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], validationSplit: 0.2, subset: 'validation', seed: 1337 }).files, val.files);
    // reproducible with the seed, another order with another seed
    const again = gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], validationSplit: 0.2, subset: 'training', seed: 1337, batchSize: 4 });
    assert.deepEqual(again.files, train.files);
    assert.deepEqual(Array.from(again.batch(1, 3).x.data), Array.from(train.batch(1, 3).x.data), 'epoch 3 batch 1 is the same from the same seed');
    assert.notDeepEqual(gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], seed: 7 }).files, shuffled.files);
    assert.notDeepEqual(Array.from(train.batch(0, 1).y!.data), Array.from(train.batch(0, 2).y!.data), 'each epoch has its own order');
    // label modes
    const cat = gl.data.imageDatasetFromDirectory(root, { imageSize: [6, 6], labelMode: 'categorical', shuffle: false, batchSize: 15 });
    const cy = cat.batch(0).y!;
    assert.deepEqual(cy.shape, [15, 3]);
    for (let i = 0; i < 15; i++) assert.deepEqual(Array.from(cy.data.subarray(3 * i, 3 * i + 3)), [0, 1, 2].map((k) => (k === all.labels[i] ? 1 : 0)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('imageDatasetFromDirectory: binary labels, grayscale, classNames order, and option errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'gradlab-imgdir-'));
  try {
    for (const c of ['no', 'yes']) mkdirSync(join(root, c));
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(root, 'no', `${i}.png`), pngRgb(5, 5, i));
      writeFileSync(join(root, 'yes', `${i}.jpg`), jpg(9, 9, i));
    }
    const bin = gl.data.imageDatasetFromDirectory(root, { imageSize: [4, 4], labelMode: 'binary', colorMode: 'grayscale', classNames: ['yes', 'no'], shuffle: false });
    const b = bin.batch(0);
    assert.deepEqual(b.x.shape, [6, 4, 4, 1]);
    assert.deepEqual(b.y!.shape, [6, 1]);
    assert.deepEqual(Array.from(b.y!.data), [0, 0, 0, 1, 1, 1]);
    assert.ok(bin.files[0].endsWith('yes/0.jpg'));
    const none = gl.data.imageDatasetFromDirectory(root, { imageSize: [4, 4], labelMode: null, shuffle: false });
    assert.equal(none.batch(0).y, null);
    const bad = (o: object, re: RegExp) => assert.throws(() => gl.data.imageDatasetFromDirectory(root, o as never), (e: Error) => e instanceof gl.ValueError && re.test(e.message), JSON.stringify(o));
    bad({ image_size: [4, 4] }, /unknown option 'image_size' \(did you mean 'imageSize'\?\)/);
    bad({ imageSize: [4] }, /imageSize must be \[height, width\]/);
    bad({ imageSize: [4, -1] }, /imageSize\[1\]/);
    bad({ batchSize: 0 }, /batchSize/);
    bad({ validationSplit: 0.5 }, /needs subset/);
    bad({ validationSplit: 0.5, subset: 'training' }, /pass a seed/);
    bad({ subset: 'training' }, /needs a validationSplit/);
    bad({ validationSplit: 1.2, subset: 'training', seed: 1 }, /validationSplit/);
    bad({ validationSplit: 0.1, subset: 'training', seed: 1 }, /leaves no validation/);
    bad({ labelMode: 'sparse' }, /labelMode/);
    bad({ colorMode: 'rgbx' }, /colorMode/);
    bad({ interpolation: 'bicubic' }, /interpolation/);
    bad({ classNames: ['yes', 'maybe'] }, /classNames must name every subfolder/);
    mkdirSync(join(root, 'empty'));
    bad({}, /class 'empty' .* has no .png, .jpg or .jpeg images/);
    bad({ labelMode: 'binary' }, /exactly 2 classes, found 3/);
    const flat = mkdtempSync(join(tmpdir(), 'gradlab-flat-'));
    writeFileSync(join(flat, 'a.png'), pngRgb(3, 3, 1));
    assert.throws(() => gl.data.imageDatasetFromDirectory(flat), /has no subfolders/);
    rmSync(flat, { recursive: true, force: true });
    assert.throws(() => gl.data.imageDatasetFromDirectory(join(root, 'nowhere')), gl.FormatError);
    // a corrupt file surfaces when its batch is read, as a FormatError naming it
    rmSync(join(root, 'empty'), { recursive: true });
    writeFileSync(join(root, 'no', 'broken.png'), pngRgb(5, 5, 9).subarray(0, 40));
    const withBroken = gl.data.imageDatasetFromDirectory(root, { imageSize: [4, 4], shuffle: false, batchSize: 2 });
    assert.throws(() => withBroken.toTensors(), (e: Error) => e instanceof gl.FormatError && e.message.includes('broken.png'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('streaming: fit on a folder of 60 images trains, and evaluate/predict equal the same on tensors', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gradlab-imgfit-'));
  try {
    // two classes a network can tell apart: bright left half vs bright top half, with noise
    for (const c of ['left', 'top']) mkdirSync(join(root, c));
    const rng = new gl.Random(3);
    for (let i = 0; i < 30; i++) {
      for (const c of ['left', 'top']) {
        const d = Buffer.alloc(10 * 10 * 4);
        for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) {
          const on = c === 'left' ? x < 5 : y < 5;
          const v = Math.max(0, Math.min(255, (on ? 190 : 60) + rng.int(-50, 50)));
          d.set([v, v, v, 255], 4 * (y * 10 + x));
        }
        writeFileSync(join(root, c, `${i}.png`), PNG.sync.write({ width: 10, height: 10, data: d }, { colorType: 2 }));
      }
    }
    const [train, val] = gl.data.imageDatasetFromDirectory(root, { imageSize: [8, 8], batchSize: 16, validationSplit: 0.25, subset: 'both', seed: 5, colorMode: 'grayscale' });
    gl.manualSeed(4);
    const model = gl.sequential([
      gl.layers.rescaling({ scale: 1 / 255, inputShape: [8, 8, 1] }),
      gl.layers.randomFlip({ mode: 'vertical', seed: 1 }),
      gl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      gl.layers.flatten(),
      gl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const h = await model.fit(train, undefined, { epochs: 8, verbose: 0, validationData: val });
    const loss = h.history.loss;
    assert.ok(loss[loss.length - 1] < 0.6 * loss[0], `loss ${loss.map((v) => v.toFixed(3)).join(' ')}`);
    assert.ok('val_accuracy' in h.history && h.history.val_accuracy.length === 8);
    const { x, y } = val.toTensors();
    const e1 = model.evaluate(val);
    const e2 = model.evaluate(x, y!, { batchSize: 16 });
    assert.ok(Math.abs(e1.loss - e2.loss) < 1e-6 && e1.accuracy === e2.accuracy, `${JSON.stringify(e1)} vs ${JSON.stringify(e2)}`);
    assert.ok(Math.abs(h.history.val_loss[7] - e1.loss) < 1e-6, 'val_loss of the last epoch is evaluate(val)');
    assert.deepEqual(Array.from(model.predict(val).data), Array.from(model.predict(x).data));
    assert.ok(e1.accuracy >= 0.8, `validation accuracy ${e1.accuracy}`);
    // a data set brings its own targets and batch size
    await assert.rejects(model.fit(train, [0, 1] as never, { verbose: 0 }), /pass undefined for y/);
    await assert.rejects(model.fit(train, undefined, { batchSize: 8, verbose: 0 }), /leave batchSize out/);
    await assert.rejects(model.fit(train, undefined, { validationSplit: 0.2, verbose: 0 }), /validationSplit needs tensors/);
    assert.throws(() => model.evaluate(gl.data.imageDatasetFromDirectory(root, { imageSize: [8, 8], labelMode: null, colorMode: 'grayscale' })), /no labels/);
    assert.throws(() => model.predict(gl.data.imageDatasetFromDirectory(root, { imageSize: [9, 9], colorMode: 'grayscale' })), gl.ShapeError);
    // take(n) and the async iterator
    const two = train.take(2);
    assert.equal(two.batchCount, 2);
    let seen = 0;
    for await (const b of two.batches()) seen += b.x.shape[0];
    assert.equal(seen, 32);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('plain-JavaScript junk arguments give typed errors only (symbols, BigInts, prototype names)', () => {
  const junk: unknown[] = [undefined, null, {}, [], Symbol('s'), 1n, '', 'x', -1, 1.5, NaN, [1n, 2], [Symbol('t'), 1], Object.create(null), JSON.parse('{"__proto__": 1}'), { constructor: 1 }, () => 1, new Uint8Array(3), [0, 0]];
  const untyped: string[] = [];
  let calls = 0;
  const call = (name: string, f: () => unknown) => {
    calls++;
    try { f(); } catch (e) { if (!(e instanceof gl.GradlabError)) untyped.push(`${name}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`); }
  };
  const D = gl.data as unknown as Record<string, (...a: unknown[]) => unknown>;
  const layers = gl.layers as unknown as Record<string, (a: unknown) => unknown>;
  const png = pngRgb(4, 4, 1);
  for (const j of junk) {
    call('loadImage', () => D.loadImage(j));
    call('loadImage options', () => D.loadImage(png, j));
    for (const k of ['size', 'channels', 'interpolation', 'maxMegapixels']) call(`loadImage ${k}`, () => D.loadImage(png, { [k]: j }));
    call('readImageHeader', () => D.readImageHeader(j));
    call('imageDatasetFromDirectory', () => D.imageDatasetFromDirectory(j));
    call('imageDatasetFromDirectory options', () => D.imageDatasetFromDirectory('/nonexistent', j));
    for (const k of ['imageSize', 'batchSize', 'labelMode', 'validationSplit', 'subset', 'seed', 'shuffle', 'classNames', 'colorMode', 'interpolation']) {
      call(`imageDatasetFromDirectory ${k}`, () => D.imageDatasetFromDirectory('/nonexistent', { [k]: j }));
    }
    for (const f of ['randomFlip', 'randomRotation', 'randomZoom', 'randomTranslation']) {
      call(f, () => layers[f](j));
      for (const k of ['mode', 'seed', 'factor', 'heightFactor', 'widthFactor', 'fillMode', 'interpolation', 'fillValue']) {
        call(`${f} ${k}`, () => layers[f]({ ...(f === 'randomFlip' ? {} : f === 'randomRotation' ? { factor: 0.1 } : { heightFactor: 0.1, widthFactor: 0.1 }), [k]: j }));
      }
    }
  }
  assert.ok(calls > 1000);
  assert.deepEqual([...new Set(untyped)], []);
});

test("the README's image snippet runs on a generated folder of photos", async () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const from = readme.indexOf("Images, as Keras' `image_dataset_from_directory`");
  assert.ok(from > 0, 'the README has the images section');
  // The block that reads the folder (the one before it makes a folder of MNIST digits).
  const code = [...readme.slice(from).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes('imageDatasetFromDirectory('))!;
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-readme-img-'));
  try {
    for (const c of ['one', 'zero']) mkdirSync(join(dir, 'photos', c), { recursive: true });
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(dir, 'photos', 'one', `${i}.jpg`), jpg(40 + i, 30, i));
      writeFileSync(join(dir, 'photos', 'zero', `${i}.png`), pngRgb(32, 36 + i, i));
    }
    const index = new URL('../../src/index.js', import.meta.url).href;
    const file = join(dir, 'snippet.mjs');
    writeFileSync(file, `import * as gl from '${index}';\n${code.replaceAll("'photos", `'${join(dir, 'photos')}`)}`);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => { lines.push(a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')); };
    try {
      await import(new URL(`file://${file}`).href);
    } finally {
      console.log = log;
    }
    assert.equal(lines[0], '["one","zero"] 16 4');
    assert.match(lines[1], /^\{"loss":[0-9.]+,"accuracy":[0-9.]+\}$/);
    assert.equal(lines[2], '[1,2]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadImage against Pillow (libjpeg, zlib) on the committed fixtures of make_images.py', () => {
  const golden = JSON.parse(readFileSync(join(fixtures, 'images.json'), 'utf8')) as { images: Record<string, { shape: number[]; pixels: number[] }> };
  // JPEG decoders differ by IDCT rounding; chroma upsampling of 4:2:0 differs more (libjpeg's fancy upsampling)
  const tolerance: Record<string, number> = { 'gray.jpg': 2, 'progressive.jpg': 3, 'cmyk.jpg': 3, 'baseline420.jpg': 16, 'palette_trns.png': 0, 'gray_alpha.png': 0, 'gray16.png': 1 };
  const natural: Record<string, number> = { 'gray.jpg': 1, 'progressive.jpg': 3, 'cmyk.jpg': 3, 'baseline420.jpg': 3, 'palette_trns.png': 4, 'gray_alpha.png': 4, 'gray16.png': 1 };
  assert.deepEqual(Object.keys(golden.images).sort(), Object.keys(tolerance).sort());
  for (const [name, { shape, pixels }] of Object.entries(golden.images)) {
    const file = join(fixtures, 'images', name);
    const t = gl.data.loadImage(file);
    assert.deepEqual(t.shape, [shape[0], shape[1], natural[name]], name);
    const c = t.shape[2];
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < shape[0] * shape[1]; i++) {
      for (let k = 0; k < shape[2]; k++) {
        // Pillow's LA is gray and alpha: gradlab gives RGBA with R = G = B
        const ours = shape[2] === 2 ? t.data[i * 4 + (k === 0 ? 0 : 3)] : t.data[i * c + k];
        const d = Math.abs(ours - pixels[i * shape[2] + k]);
        worst = Math.max(worst, d);
        sum += d;
      }
    }
    assert.ok(worst <= tolerance[name], `${name}: worst difference ${worst} > ${tolerance[name]}`);
    assert.ok(sum / pixels.length <= Math.max(0.5, tolerance[name] / 4), `${name}: mean difference ${sum / pixels.length}`);
  }
});
