// Image files to tensors: PNG (pngjs) and JPEG (jpeg-js), sniffed from their magic bytes, as
// [h, w, c] float32 in 0-255, optionally resized as tf.image.resize (Keras' image loaders).
//
// The bytes are untrusted: the header's width and height are read and checked against a pixel
// limit before either decoder allocates, and every decoder exception becomes a FormatError naming
// the file.
import { FormatError, GradlabError, ValueError } from '../core/errors.js';
import { checkOptions, describeValue, oneOf, optionKeys, positiveInt, positiveNumber, showJson } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { resize } from '../ops/resize.js';
import { nodeModule } from '../core/env.js';

// pngjs and jpeg-js are CommonJS packages, loaded on first decode (Node only: they need Buffer)
const require = (id: string): unknown => nodeModule('module').createRequire(import.meta.url)(id);

interface PngImage { width: number; height: number; data: Uint8Array; colorType: number; alpha: boolean; color: boolean; palette: boolean }
interface PngModule { PNG: { sync: { read(buffer: Buffer, options?: { skipRescale?: boolean }): PngImage } } }
interface JpegModule { decode(data: Uint8Array, options: Record<string, unknown>): { width: number; height: number; data: Uint8Array } }

let png: PngModule | null = null;
let jpeg: JpegModule | null = null;
const pngjs = (): PngModule => (png ??= require('pngjs') as PngModule);
const jpegjs = (): JpegModule => (jpeg ??= require('jpeg-js') as JpegModule);

/** An image file format gradlab decodes. */
export type ImageFormat = 'png' | 'jpeg';
/** Channels of a decoded image: 1 gray, 3 RGB, 4 RGBA. */
export type ImageChannels = 1 | 3 | 4;
/** How images are resized: bilinear (tf.image.resize without antialias) or nearest neighbour. */
export type ImageInterpolation = 'bilinear' | 'nearest';

/** Options of `loadImage(path | bytes, options)`. */
export interface LoadImageOptions {
  /** Resize to [height, width] (default: keep the file's size). */
  size?: readonly [number, number];
  /** 1 (gray), 3 (RGB) or 4 (RGBA); default the file's own: 4 with alpha (or a PNG tRNS chunk), 1 for gray, else 3. */
  channels?: ImageChannels;
  /** 'bilinear' (default, tf.image.resize without antialias) or 'nearest'. */
  interpolation?: ImageInterpolation;
  /** Refuse images larger than this many megapixels before decoding (default 40). */
  maxMegapixels?: number;
}

export const LOAD_IMAGE_KEYS = optionKeys<LoadImageOptions>({ size: true, channels: true, interpolation: true, maxMegapixels: true });

/** An image's format and size from its header, without decoding it. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** The channels the file holds naturally (1, 3 or 4). */
  channels: ImageChannels;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format from the magic bytes: PNG's 8-byte signature or JPEG's SOI marker FF D8 FF. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

function pngHeader(bytes: Uint8Array, file: string): ImageHeader {
  // IHDR must be the first chunk: length 13 at offset 8, type at 12, then width, height, depth, color type.
  if (bytes.length < 33) throw new FormatError(`${file}: PNG file is truncated (${bytes.length} bytes; the header needs 33)`);
  if (u32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new FormatError(`${file}: PNG file does not start with an IHDR chunk of 13 bytes (offset 8)`);
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (![1, 2, 4, 8, 16].includes(depth)) throw new FormatError(`${file}: PNG bit depth ${depth} is not 1, 2, 4, 8 or 16 (offset 24)`);
  if (![0, 2, 3, 4, 6].includes(colorType)) throw new FormatError(`${file}: PNG color type ${colorType} is not 0, 2, 3, 4 or 6 (offset 25)`);
  const { idat, trns } = scanChunks(bytes);
  // pngjs would "decode" a file without pixel data from uninitialised memory
  if (idat === 0) throw new FormatError(`${file}: PNG has no IDAT chunk (no pixel data)`);
  // a tRNS chunk gives a palette, gray or RGB image an alpha channel (as libpng's tRNS_to_alpha)
  const channels: ImageChannels = colorType === 4 || colorType === 6 || trns ? 4 : colorType === 0 ? 1 : 3;
  // deflate expands at most ~1032x: pixel data larger than that for the IDAT bytes is a lying header
  const samples = [1, 0, 3, 1, 2, 0, 4][colorType];
  const raw = height * (1 + Math.ceil((width * samples * depth) / 8));
  if (raw > idat * 1040 + 4096) throw new FormatError(`${file}: PNG header says ${width}x${height} (${raw} bytes of pixel data) but its IDAT chunks hold only ${idat} compressed bytes; truncated or lying header`);
  return { format: 'png', width, height, channels };
}

/** The total length of the IDAT chunks and whether a tRNS chunk is there, walking the chunk list within the file. */
function scanChunks(bytes: Uint8Array): { idat: number; trns: boolean } {
  let idat = 0;
  let trns = false;
  for (let o = 8; o + 8 <= bytes.length;) {
    const len = u32(bytes, o);
    const type = String.fromCharCode(bytes[o + 4], bytes[o + 5], bytes[o + 6], bytes[o + 7]);
    if (type === 'IDAT') idat += Math.min(len, bytes.length - o - 8);
    else if (type === 'tRNS') trns = true;
    if (len > bytes.length) break;
    o += 12 + len;
  }
  return { idat, trns };
}

function jpegHeader(bytes: Uint8Array, file: string): ImageHeader {
  // Walk the markers to the first start-of-frame (SOF0-SOF15 but DHT C4, JPG C8, DAC CC).
  let o = 2;
  while (o + 4 <= bytes.length) {
    if (bytes[o] !== 0xff) throw new FormatError(`${file}: JPEG marker expected at offset ${o}, found byte 0x${bytes[o].toString(16)}`);
    const m = bytes[o + 1];
    if (m === 0xff) { o++; continue; } // fill byte
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { o += 2; continue; }
    if (m === 0xd9 || m === 0xda) break; // end of image or start of scan before any frame
    const len = u16(bytes, o + 2);
    if (len < 2 || o + 2 + len > bytes.length) throw new FormatError(`${file}: JPEG segment 0x${m.toString(16)} at offset ${o} claims ${len} bytes, past the end of the file (${bytes.length} bytes)`);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (len < 8) throw new FormatError(`${file}: JPEG frame header at offset ${o} is too short (${len} bytes)`);
      const height = u16(bytes, o + 5);
      const width = u16(bytes, o + 7);
      const comps = bytes[o + 9];
      if (comps !== 1 && comps !== 3 && comps !== 4) throw new FormatError(`${file}: JPEG has ${comps} color components (offset ${o + 9}); 1, 3 or 4 are supported`);
      if (len < 8 + 3 * comps) throw new FormatError(`${file}: JPEG frame header at offset ${o} is too short for ${comps} components`);
      // Every 8x8 block of every component costs at least one bit of entropy-coded data (its DC
      // code): a header asking for more blocks than the file has bits is lying (this check keeps
      // the decoder from allocating for a huge image it cannot fill).
      let hMax = 1, vMax = 1, perMcu = 0;
      for (let k = 0; k < comps; k++) {
        const hv = bytes[o + 11 + 3 * k];
        const hs = hv >> 4, vs = hv & 15;
        if (hs < 1 || hs > 4 || vs < 1 || vs > 4) throw new FormatError(`${file}: JPEG component ${k} has sampling factors ${hs}x${vs} (offset ${o + 11 + 3 * k}); 1-4 expected`);
        hMax = Math.max(hMax, hs);
        vMax = Math.max(vMax, vs);
        perMcu += hs * vs;
      }
      const blocks = Math.ceil(width / (8 * hMax)) * Math.ceil(height / (8 * vMax)) * perMcu;
      if (blocks / 16 > bytes.length) throw new FormatError(`${file}: JPEG header says ${width}x${height} (${blocks} blocks) but the file has only ${bytes.length} bytes; truncated or lying header`);
      // FF D9 cannot occur inside entropy-coded data (an FF there is followed by 00 or a restart
      // marker): without it after the frame the file is cut short (TensorFlow and Pillow refuse those too).
      if (!hasEndMarker(bytes, o + 2 + len)) throw new FormatError(`${file}: JPEG has no end-of-image marker (FF D9) after its frame header; the file is truncated`);
      return { format: 'jpeg', width, height, channels: comps === 1 ? 1 : 3 };
    }
    o += 2 + len;
  }
  throw new FormatError(`${file}: JPEG file has no frame header (SOF marker) before offset ${Math.min(o, bytes.length)}; it is truncated or not a JPEG`);
}

function hasEndMarker(bytes: Uint8Array, from: number): boolean {
  for (let i = bytes.length - 2; i >= from; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

/** The format, size and natural channels of an image from its first bytes; a FormatError when it is neither PNG nor JPEG. */
export function readImageHeader(bytes: Uint8Array, file = 'image'): ImageHeader {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`readImageHeader: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  const format = sniffImageFormat(bytes);
  if (format === null) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(`${file}: not a PNG or JPEG image (first bytes: ${head || 'none'}); BMP, GIF and other formats are not supported`);
  }
  const h = format === 'png' ? pngHeader(bytes, file) : jpegHeader(bytes, file);
  if (h.width === 0 || h.height === 0) throw new FormatError(`${file}: ${format.toUpperCase()} header gives an empty image (${h.width}x${h.height})`);
  return h;
}

/** Decodes to interleaved 8-bit pixels with `src` channels per pixel (PNG: RGBA; JPEG: RGB). */
function decodePixels(bytes: Uint8Array, h: ImageHeader, file: string, maxMegapixels: number): { data: Uint8Array; src: 3 | 4 } {
  const mp = (h.width * h.height) / 1e6;
  if (mp > maxMegapixels) throw new FormatError(`${file}: ${h.width}x${h.height} image (${mp.toFixed(1)} megapixels) is larger than maxMegapixels ${maxMegapixels}`);
  try {
    if (h.format === 'png') {
      const img = pngjs().PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (img.width !== h.width || img.height !== h.height || img.data.length !== h.width * h.height * 4) throw new FormatError(`${file}: PNG decoder gave ${img.width}x${img.height} for a ${h.width}x${h.height} header`);
      return { data: img.data, src: 4 };
    }
    // jpeg-js counts its own allocations against maxMemoryUsageInMB: coefficients and output.
    const limitMB = Math.max(16, Math.ceil((h.width * h.height * 16) / 1e6));
    const img = jpegjs().decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: true, maxResolutionInMP: maxMegapixels, maxMemoryUsageInMB: limitMB });
    if (img.width !== h.width || img.height !== h.height || img.data.length !== h.width * h.height * 3) throw new FormatError(`${file}: JPEG decoder gave ${img.width}x${img.height} for a ${h.width}x${h.height} header`);
    return { data: img.data, src: 3 };
  } catch (e) {
    if (e instanceof GradlabError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new FormatError(`${file}: corrupt or unsupported ${h.format.toUpperCase()} data (${h.width}x${h.height}): ${msg}`);
  }
}

/** Checked options of loadImage (shared with imageDatasetFromDirectory). */
export interface ImageDecodeSettings {
  size: readonly [number, number] | null;
  channels: ImageChannels | null;
  interpolation: ImageInterpolation;
  maxMegapixels: number;
}

export function checkImageSize(fn: string, name: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new ValueError(`${fn}: ${name} must be [height, width], got ${Array.isArray(v) ? showJson(v) : describeValue(v)}`);
  return [positiveInt(fn, `${name}[0] (height)`, v[0]), positiveInt(fn, `${name}[1] (width)`, v[1])];
}

export function imageSettings(fn: string, options: LoadImageOptions | undefined): ImageDecodeSettings {
  const o = checkOptions(fn, options, LOAD_IMAGE_KEYS);
  const size = o.size === undefined ? null : checkImageSize(fn, 'size', o.size);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3 && o.channels !== 4) throw new ValueError(`${fn}: channels must be 1, 3 or 4, got ${describeValue(o.channels)}`);
  const interpolation = oneOf(fn, 'interpolation', o.interpolation ?? 'bilinear', ['bilinear', 'nearest'] as const);
  const maxMegapixels = positiveNumber(fn, 'maxMegapixels', o.maxMegapixels ?? 40);
  return { size, channels: o.channels ?? null, interpolation, maxMegapixels };
}

/**
 * Decodes into `out` at `offset` as [h, w, c] float32 0-255 (resized when settings.size is set);
 * returns the tensor written (a view of `out` when it is given).
 */
export function decodeImageInto(bytes: Uint8Array, file: string, s: ImageDecodeSettings, out?: Float32Array, offset = 0): Tensor {
  const h = readImageHeader(bytes, file);
  const { data, src } = decodePixels(bytes, h, file, s.maxMegapixels);
  const c = s.channels ?? h.channels;
  const n = h.width * h.height;
  const [oh, ow] = s.size ?? [h.height, h.width];
  const resizing = oh !== h.height || ow !== h.width;
  const target = !resizing && out ? out.subarray(offset, offset + n * c) : new Float32Array(n * c);
  if (c === 1) {
    // ITU-R 601 luma as tf.image.rgb_to_grayscale, rounded as an 8-bit decoder would give it.
    for (let i = 0, p = 0; i < n; i++, p += src) target[i] = Math.round(0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]);
  } else if (c === 3 || src === 3) {
    // RGB, or RGBA from a JPEG (opaque); RGBA to RGB drops alpha without blending, as TensorFlow's decoders do.
    for (let i = 0, p = 0, q = 0; i < n; i++, p += src, q += c) {
      target[q] = data[p];
      target[q + 1] = data[p + 1];
      target[q + 2] = data[p + 2];
      if (c === 4) target[q + 3] = 255;
    }
  } else {
    for (let i = 0; i < n * 4; i++) target[i] = data[i];
  }
  let t = new Tensor(target, [h.height, h.width, c]);
  if (resizing) {
    t = resize(t, [oh, ow], { method: s.interpolation });
    if (out) {
      out.set(t.data as Float32Array, offset);
      t = new Tensor(out.subarray(offset, offset + oh * ow * c), [oh, ow, c]);
    }
  }
  return t;
}

/**
 * An image file (a path) or its bytes as a [height, width, channels] float32 tensor with values
 * in 0-255. PNG (gray, RGB, palette, with alpha, 1-16 bits) and JPEG (baseline and progressive,
 * gray or color) are told apart by their magic bytes, not the file name. `size` resizes as
 * tf.image.resize does (bilinear without antialias by default), as Keras' image loaders do.
 */
export function loadImage(source: string | Uint8Array, options?: LoadImageOptions): Tensor {
  const fn = 'loadImage';
  const s = imageSettings(fn, options);
  let bytes: Uint8Array;
  let file: string;
  if (typeof source === 'string') {
    if (source === '') throw new ValueError(`${fn}: path must be a non-empty string`);
    file = source;
    bytes = readImageFile(fn, source);
  } else if (source instanceof Uint8Array) {
    file = 'image bytes';
    bytes = source;
  } else {
    throw new ValueError(`${fn}: source must be a file path or a Uint8Array of the file's bytes, got ${describeValue(source)}`);
  }
  return decodeImageInto(bytes, file, s);
}

/** A file's bytes; a missing or unreadable file is a FormatError naming it. */
export function readImageFile(fn: string, path: string): Uint8Array {
  try {
    return nodeModule('fs').readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new FormatError(`${fn}: cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}
