// Keras' image_dataset_from_directory: one subfolder per class, files listed in sorted order,
// shuffled with NumPy's RandomState(seed) exactly as Keras does before the training/validation
// split (so the same seed gives the same split), decoded lazily batch by batch.
import { FormatError, ValueError } from '../core/errors.js';
import {
  booleanOption, checkOptions, intInRange, nonEmptyString, numberInRange, oneOf, optionKeys, positiveInt, stringArray,
} from '../core/validate.js';
import { globalRandom, Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { BatchDataset, type Batch } from './batch-dataset.js';
import { checkImageSize, decodeImageInto, readImageFile, type ImageChannels, type ImageDecodeSettings, type ImageInterpolation } from './images.js';
import { MT19937 } from './mt19937.js';
import { nodeModule } from '../core/env.js';
const fs = nodeModule('fs');
const path = nodeModule('path');

/** How `imageDatasetFromDirectory` gives labels: class indices, one 0/1 column, or one-hot rows. */
export type LabelMode = 'int' | 'binary' | 'categorical';
/** The channels `imageDatasetFromDirectory` decodes images to. */
export type ColorMode = 'rgb' | 'grayscale' | 'rgba';
/** Which part of a split `imageDatasetFromDirectory` returns. */
export type Subset = 'training' | 'validation' | 'both';

/** Options of `imageDatasetFromDirectory(directory, options)` (Keras' image_dataset_from_directory). */
export interface ImageDirectoryOptions {
  /** [height, width] every image is resized to (default [256, 256], as Keras). */
  imageSize?: readonly [number, number];
  /** Default 32. */
  batchSize?: number;
  /** 'int' (default: float32 class indices [b]), 'binary' (float32 [b, 1], two classes), 'categorical' (one-hot [b, classes]) or null (no labels). */
  labelMode?: LabelMode | null;
  /** Fraction of the files held out, in [0, 1) (the last ones after the seeded shuffle, as Keras). Default: none (every file in one set). */
  validationSplit?: number;
  /** Which part to return with validationSplit ('training', 'validation', or 'both': [training, validation]); required with validationSplit, refused without. */
  subset?: Subset;
  /** Seed of the shuffle (NumPy's RandomState, as Keras); required with validationSplit when shuffling. */
  seed?: number;
  /** Shuffle the files (default true); each epoch after the first is reshuffled too. */
  shuffle?: boolean;
  /** The class folders in label order (default: the subfolder names sorted); must name every subfolder. */
  classNames?: readonly string[];
  /** 'rgb' (default, 3 channels), 'grayscale' (1) or 'rgba' (4). */
  colorMode?: ColorMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: ImageInterpolation;
}

const KEYS = optionKeys<ImageDirectoryOptions>({
  imageSize: true, batchSize: true, labelMode: true, validationSplit: true, subset: true, seed: true, shuffle: true, classNames: true, colorMode: true, interpolation: true,
});

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
/** Formats Keras reads but gradlab does not decode: counted in `skippedFiles`. */
const SKIPPED_EXTENSIONS = ['.bmp', '.gif'];
const CHANNELS: Record<ColorMode, ImageChannels> = { rgb: 3, grayscale: 1, rgba: 4 };

interface ImageDatasetInit {
  directory: string;
  files: string[];
  labels: Int32Array;
  classNames: string[];
  batchSize: number;
  labelMode: LabelMode | null;
  shuffle: boolean;
  seed: number | null;
  decode: ImageDecodeSettings;
  skippedFiles: number;
}

/** The images of a folder, decoded batch by batch: `{ x: [b, h, w, c] float32 0-255, y }`. */
export class ImageDataset extends BatchDataset {
  readonly directory: string;
  /** The files in pass 0's order (row i of toTensors() is files[i]). */
  readonly files: readonly string[];
  /** Each file's class index, in the order of `files`. */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  readonly batchSize: number;
  readonly labelMode: LabelMode | null;
  readonly shuffle: boolean;
  /** The seed used (drawn from the global generator when not given). */
  readonly seed: number | null;
  /** [height, width] of every image. */
  readonly imageSize: readonly [number, number];
  readonly channels: ImageChannels;
  /** .bmp and .gif files found and not read. */
  readonly skippedFiles: number;
  private readonly decode: ImageDecodeSettings;
  private order: { epoch: number; perm: Int32Array } | null = null;

  constructor(init: ImageDatasetInit) {
    super();
    this.directory = init.directory;
    this.files = Object.freeze([...init.files]);
    this.labels = init.labels;
    this.classNames = Object.freeze([...init.classNames]);
    this.batchSize = init.batchSize;
    this.labelMode = init.labelMode;
    this.shuffle = init.shuffle;
    this.seed = init.seed;
    this.decode = init.decode;
    this.imageSize = init.decode.size!;
    this.channels = init.decode.channels!;
    this.skippedFiles = init.skippedFiles;
  }

  get size(): number {
    return this.files.length;
  }

  /** Keras' name for the number of files. */
  get fileCount(): number {
    return this.files.length;
  }

  /** Per-sample shape of x: [height, width, channels]. */
  get elementShape(): [number, number, number] {
    return [this.imageSize[0], this.imageSize[1], this.channels];
  }

  /** The file order of a pass: pass 0 is `files`; later passes are seeded permutations of it when shuffling. */
  private permutation(epoch: number): Int32Array | null {
    if (epoch === 0 || !this.shuffle) return null;
    if (this.order?.epoch !== epoch) this.order = { epoch, perm: new Random(((this.seed ?? 0) + Math.imul(epoch, 0x9e3779b1)) >>> 0).permutation(this.size) };
    return this.order.perm;
  }

  protected makeBatch(index: number, epoch: number): Batch {
    const perm = this.permutation(epoch);
    const start = index * this.batchSize;
    const b = Math.min(this.batchSize, this.size - start);
    const [h, w] = this.imageSize;
    const per = h * w * this.channels;
    const x = new Float32Array(b * per);
    const k = this.classNames.length;
    const y = this.labelMode === null ? null : new Float32Array(this.labelMode === 'categorical' ? b * k : b);
    for (let i = 0; i < b; i++) {
      const f = perm ? perm[start + i] : start + i;
      decodeImageInto(readImageFile('ImageDataset', this.files[f]), this.files[f], this.decode, x, i * per);
      if (y) {
        if (this.labelMode === 'categorical') y[i * k + this.labels[f]] = 1;
        else y[i] = this.labels[f];
      }
    }
    const yShape = this.labelMode === 'categorical' ? [b, k] : this.labelMode === 'binary' ? [b, 1] : [b];
    return { x: new Tensor(x, [b, h, w, this.channels]), y: y ? new Tensor(y, yShape) : null };
  }

  override toTensors(): { x: Tensor; y: Tensor | null } {
    const bytes = this.size * this.imageSize[0] * this.imageSize[1] * this.channels * 4;
    if (bytes > 2 ** 31) throw new ValueError(`ImageDataset.toTensors: ${this.size} images of ${this.elementShape.join('x')} take ${(bytes / 2 ** 30).toFixed(1)} GiB; pass the data set to fit/evaluate/predict to stream it instead`);
    return super.toTensors();
  }
}

function listDir(fn: string, dir: string): { name: string; isDir: boolean }[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try { isDir = fs.statSync(path.join(dir, e.name)).isDirectory(); } catch { isDir = false; }
      }
      return { name: e.name, isDir };
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new FormatError(`${fn}: cannot read the folder ${dir}${code ? ` (${code})` : ''}`);
  }
}

/** Files under `dir` in Keras' order: folders walked sorted by path, each one's files sorted. */
function walkFiles(fn: string, dir: string): string[] {
  const roots: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    roots.push(d);
    for (const e of listDir(fn, d)) if (e.isDir && !e.name.startsWith('.')) stack.push(path.join(d, e.name));
    if (roots.length > 100_000) throw new ValueError(`${fn}: more than 100,000 folders under ${dir}`);
  }
  roots.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return roots.flatMap((r) => listDir(fn, r).filter((e) => !e.isDir).map((e) => e.name).sort().map((n) => path.join(r, n)));
}

const hasExtension = (file: string, exts: readonly string[]) => exts.some((x) => file.toLowerCase().endsWith(x));

/**
 * A data set of the images in `directory`, one subfolder per class (Keras'
 * image_dataset_from_directory). Classes are the subfolder names sorted (or `classNames`); files
 * are .png, .jpg and .jpeg, found recursively, sorted, then shuffled with the seed before the
 * split. Images are decoded and resized only when a batch is read, so folders that do not fit in
 * memory stream through `model.fit(ds)`, `model.evaluate(ds)` and `model.predict(ds)`.
 */
export function imageDatasetFromDirectory(directory: string, options: ImageDirectoryOptions & { subset: 'both' }): [ImageDataset, ImageDataset];
export function imageDatasetFromDirectory(directory: string, options?: ImageDirectoryOptions): ImageDataset;
export function imageDatasetFromDirectory(directory: string, options?: ImageDirectoryOptions): ImageDataset | [ImageDataset, ImageDataset] {
  const fn = 'imageDatasetFromDirectory';
  nonEmptyString(fn, 'directory', directory);
  const o = checkOptions(fn, options, KEYS);
  const imageSize = checkImageSize(fn, 'imageSize', o.imageSize ?? [256, 256]);
  const batchSize = positiveInt(fn, 'batchSize', o.batchSize ?? 32);
  const labelMode = o.labelMode === null ? null : oneOf(fn, 'labelMode', o.labelMode ?? 'int', ['int', 'binary', 'categorical'] as const);
  const colorMode = oneOf(fn, 'colorMode', o.colorMode ?? 'rgb', ['rgb', 'grayscale', 'rgba'] as const);
  const interpolation = oneOf(fn, 'interpolation', o.interpolation ?? 'bilinear', ['bilinear', 'nearest'] as const);
  const shuffle = booleanOption(fn, 'shuffle', o.shuffle ?? true);
  const seedGiven = o.seed === undefined ? undefined : intInRange(fn, 'seed', o.seed, 0, 2 ** 32 - 1);
  const split = o.validationSplit === undefined ? undefined : numberInRange(fn, 'validationSplit', o.validationSplit, 0, 1, true);
  const subset = o.subset === undefined ? undefined : oneOf(fn, 'subset', o.subset, ['training', 'validation', 'both'] as const);
  if (split !== undefined && split > 0 && subset === undefined) throw new ValueError(`${fn}: validationSplit needs subset: 'training', 'validation' or 'both'`);
  if (subset !== undefined && !(split !== undefined && split > 0)) throw new ValueError(`${fn}: subset '${subset}' needs a validationSplit in (0, 1)`);
  if (split !== undefined && split > 0 && shuffle && seedGiven === undefined) {
    throw new ValueError(`${fn}: with validationSplit and shuffling, pass a seed so that the training and validation subsets do not overlap (as Keras requires)`);
  }
  const classNamesGiven = o.classNames === undefined ? undefined : stringArray(fn, 'classNames', o.classNames);

  const subdirs = listDir(fn, directory).filter((e) => e.isDir && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (subdirs.length === 0) throw new ValueError(`${fn}: ${directory} has no subfolders; put each class's images in a subfolder named after the class`);
  let classNames = subdirs;
  if (classNamesGiven) {
    const dup = classNamesGiven.find((c, i) => classNamesGiven.indexOf(c) !== i);
    if (dup !== undefined) throw new ValueError(`${fn}: classNames names '${dup}' twice`);
    const missing = subdirs.filter((s) => !classNamesGiven.includes(s));
    const extra = classNamesGiven.filter((c) => !subdirs.includes(c));
    if (missing.length > 0 || extra.length > 0) {
      throw new ValueError(`${fn}: classNames must name every subfolder of ${directory} (${subdirs.map((s) => `'${s}'`).join(', ')})${extra.length ? `; no subfolder ${extra.map((s) => `'${s}'`).join(', ')}` : ''}${missing.length ? `; missing ${missing.map((s) => `'${s}'`).join(', ')}` : ''}`);
    }
    classNames = [...classNamesGiven];
  }
  if (labelMode === 'binary' && classNames.length !== 2) throw new ValueError(`${fn}: labelMode 'binary' needs exactly 2 classes, found ${classNames.length} (${classNames.join(', ')})`);

  const files: string[] = [];
  const labelList: number[] = [];
  let skippedFiles = 0;
  classNames.forEach((c, k) => {
    const all = walkFiles(fn, path.join(directory, c));
    const images = all.filter((f) => hasExtension(f, IMAGE_EXTENSIONS));
    skippedFiles += all.filter((f) => hasExtension(f, SKIPPED_EXTENSIONS)).length;
    if (images.length === 0) throw new ValueError(`${fn}: class '${c}' (${path.join(directory, c)}) has no .png, .jpg or .jpeg images`);
    files.push(...images);
    for (let i = 0; i < images.length; i++) labelList.push(k);
  });
  const labels = Int32Array.from(labelList);
  const seed = shuffle ? (seedGiven ?? globalRandom.int(0, 1_000_000)) : seedGiven ?? null;
  if (shuffle) {
    // Keras: RandomState(seed).shuffle on the paths, and a fresh RandomState(seed) on the labels: one permutation.
    new MT19937(seed!).shuffle(files);
    new MT19937(seed!).shuffle(labels);
  }
  const channels = CHANNELS[colorMode];
  const decode: ImageDecodeSettings = { size: imageSize, channels, interpolation, maxMegapixels: 40 };
  const make = (f: string[], l: Int32Array) => new ImageDataset({ directory, files: f, labels: l, classNames, batchSize, labelMode, shuffle, seed, decode, skippedFiles });
  if (split === undefined || split === 0) return make(files, labels);
  const nVal = Math.floor(split * files.length);
  if (nVal === 0 || nVal === files.length) throw new ValueError(`${fn}: validationSplit ${split} of ${files.length} files leaves ${nVal === 0 ? 'no validation' : 'no training'} images`);
  const nTrain = files.length - nVal;
  const train = make(files.slice(0, nTrain), labels.slice(0, nTrain));
  const val = make(files.slice(nTrain), labels.slice(nTrain));
  if (subset === 'both') return [train, val];
  return subset === 'training' ? train : val;
}

