/**
 * Independent readers for what the plot module writes: a PNG decoder (all five row filters, so it
 * reads resvg's output too, not only our own encoder's) and an XML well-formedness check.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPNG {
  width: number;
  height: number;
  /** Channels per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function hasPNGSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Width and height from the IHDR chunk, which must come first. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (!hasPNGSignature(bytes)) throw new Error('not a PNG: bad signature');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR' || v.getUint32(8) !== 13) throw new Error(`first chunk is ${type}, not IHDR`);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Decodes an 8-bit, non-interlaced PNG. */
export function decodePNG(bytes: Uint8Array): DecodedPNG {
  const { width, height } = pngSize(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const depth = bytes[24];
  const colorType = bytes[25];
  const interlace = bytes[28];
  if (depth !== 8 || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, interlace ${interlace}`);
  const channels = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  if (channels === undefined) throw new Error(`unsupported PNG colour type ${colorType}`);
  const idat: Uint8Array[] = [];
  let off = 8;
  let sawEnd = false;
  while (off < bytes.length) {
    const len = v.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    if (type === 'IDAT') idat.push(bytes.subarray(off + 8, off + 8 + len));
    off += 12 + len;
    if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!sawEnd) throw new Error('PNG has no IEND chunk (truncated)');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== (stride + 1) * height) throw new Error(`PNG data has ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let pred: number;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad PNG row filter ${filter}`);
      }
      row[i] = (src[i] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

/** Decodes a `data:image/png;base64,...` URI. */
export function decodeDataURI(uri: string): DecodedPNG {
  const prefix = 'data:image/png;base64,';
  if (!uri.startsWith(prefix)) throw new Error(`not a PNG data URI: ${uri.slice(0, 40)}`);
  return decodePNG(new Uint8Array(Buffer.from(uri.slice(prefix.length), 'base64')));
}

/** RGB(A) of pixel (x, y) of a decoded PNG, gray expanded to RGB. */
export function pixelAt(img: DecodedPNG, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels;
  const p = Array.from(img.pixels.subarray(i, i + img.channels));
  return img.channels <= 2 ? [p[0], p[0], p[0]] : p.slice(0, 3);
}

/**
 * Throws unless `text` is well-formed XML: one root element, properly nested and closed tags,
 * quoted unique attributes, known entities. Returns the root element's name and attributes.
 */
export function checkXML(text: string): { root: string; attributes: Record<string, string> } {
  const stack: string[] = [];
  let root: { root: string; attributes: Record<string, string> } | null = null;
  let i = 0;
  const name = /^[A-Za-z_:][\w.:-]*/;
  const checkText = (s: string, at: number): void => {
    const amp = /&([^;\s]*);?/g;
    let m: RegExpExecArray | null;
    while ((m = amp.exec(s)) !== null) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]) || !m[0].endsWith(';')) {
        throw new Error(`bad entity '${m[0]}' near offset ${at + m.index}`);
      }
    }
    if (s.includes('<')) throw new Error(`raw '<' in text near offset ${at}`);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt === -1 ? text.slice(i) : text.slice(i, lt);
    if (stack.length === 0 && chunk.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    checkText(chunk, i);
    if (lt === -1) break;
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt);
      if (end === -1) throw new Error('unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end === -1) throw new Error('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt);
      if (end === -1) throw new Error('unterminated CDATA');
      i = end + 3;
    } else if (text.startsWith('<!DOCTYPE', lt)) {
      const end = text.indexOf('>', lt);
      i = end + 1;
    } else if (text.startsWith('</', lt)) {
      const m = name.exec(text.slice(lt + 2));
      if (m === null) throw new Error(`bad closing tag at ${lt}`);
      const end = text.indexOf('>', lt);
      if (text.slice(lt + 2 + m[0].length, end).trim() !== '') throw new Error(`junk in closing tag at ${lt}`);
      const open = stack.pop();
      if (open !== m[0]) throw new Error(`</${m[0]}> at ${lt} closes <${open ?? 'nothing'}>`);
      i = end + 1;
    } else {
      const m = name.exec(text.slice(lt + 1));
      if (m === null) throw new Error(`bad tag at ${lt}`);
      if (stack.length === 0 && root !== null) throw new Error(`second root element <${m[0]}> at ${lt}`);
      let j = lt + 1 + m[0].length;
      const attributes: Record<string, string> = {};
      for (;;) {
        const ws = /^\s*/.exec(text.slice(j))![0].length;
        j += ws;
        if (text.startsWith('/>', j)) {
          j += 2;
          break;
        }
        if (text[j] === '>') {
          j += 1;
          stack.push(m[0]);
          break;
        }
        if (ws === 0) throw new Error(`missing space before attribute at ${j}`);
        const an = name.exec(text.slice(j));
        if (an === null) throw new Error(`bad attribute at ${j}: ${text.slice(j, j + 20)}`);
        j += an[0].length;
        const eq = /^\s*=\s*(["'])/.exec(text.slice(j));
        if (eq === null) throw new Error(`attribute ${an[0]} at ${j} has no quoted value`);
        j += eq[0].length;
        const close = text.indexOf(eq[1], j);
        if (close === -1) throw new Error(`unterminated attribute ${an[0]}`);
        const value = text.slice(j, close);
        checkText(value, j);
        if (an[0] in attributes) throw new Error(`duplicate attribute ${an[0]} at ${j}`);
        attributes[an[0]] = value;
        j = close + 1;
      }
      if (root === null) root = { root: m[0], attributes };
      i = j;
    }
  }
  if (stack.length !== 0) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  if (root === null) throw new Error('no root element');
  return root;
}
