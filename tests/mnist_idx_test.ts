/**
 * MNIST loading (spec 8.2): the IDX reader on good and corrupt files (raw and gzip fixtures made
 * here), `--data DIR` end to end on a tiny four-file set, the crop and binarisation, and the npm
 * substitute's stratified 8,334 / 1,666 split.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { parseIdx, parseIdxImages, parseIdxLabels } from "../core/data/idx.ts";
import {
  cropAndBinarise,
  loadMnistIdx,
  loadMnistSubstitute,
  MNIST_FILES,
  stratifiedCounts,
} from "../core/data/mnist.ts";
import { UsageError } from "../core/util/errors.ts";
import { idxFile as idx } from "./fixtures/dbm.ts";

function throwsUsage(fn: () => unknown, re: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes("\n"),
  );
}

Deno.test("IDX reader: raw and gzip files parse; corrupt ones give one-line errors naming the file", () => {
  const images = idx([2, 28, 28], new Uint8Array(2 * 784).fill(7));
  const a = parseIdxImages(images, "imgs", { rows: 28, cols: 28 });
  assert.deepEqual(a.dims, [2, 28, 28]);
  assert.equal(a.data[100], 7);
  const gz = parseIdxImages(new Uint8Array(gzipSync(images)), "imgs.gz", { rows: 28, cols: 28 });
  assert.deepEqual(gz.data, a.data);
  const labels = parseIdxLabels(idx([3], Uint8Array.from([0, 9, 4])), "lbls", { classes: 10 });
  assert.deepEqual(Array.from(labels.data), [0, 9, 4]);
  throwsUsage(() => parseIdx(Uint8Array.from([0, 0]), "short"), /^short: 2 bytes/);
  throwsUsage(
    () => parseIdx(idx([3], new Uint8Array(3), { magic0: 0x1f }), "f"),
    /^f: magic number 0x1f000801/,
  );
  throwsUsage(
    () => parseIdx(idx([3], new Uint8Array(3), { type: 0x0d }), "f"),
    /^f: IDX element type 0x0d/,
  );
  throwsUsage(
    () => parseIdx(idx([3], new Uint8Array(2)), "f"),
    /^f: 2 data bytes, but the header \(3\) needs 3/,
  );
  throwsUsage(() => parseIdx(idx([3], new Uint8Array(4)), "f"), /needs 3/);
  throwsUsage(
    () => parseIdxImages(idx([1, 20, 20], new Uint8Array(400)), "f", { rows: 28, cols: 28 }),
    /20 x 20, expected 28 x 28/,
  );
  throwsUsage(
    () => parseIdxImages(idx([3], new Uint8Array(3)), "f", { rows: 28, cols: 28 }),
    /expected 3 for images/,
  );
  throwsUsage(
    () => parseIdxLabels(idx([2], Uint8Array.from([3, 10])), "f", { classes: 10 }),
    /label 10 at index 1/,
  );
  throwsUsage(
    () => parseIdxLabels(idx([1, 1, 1], new Uint8Array(1)), "f", { classes: 10 }),
    /expected 1 for labels/,
  );
  const badGz = new Uint8Array(gzipSync(images)).subarray(0, 30);
  throwsUsage(() => parseIdx(badGz, "bad.gz"), /^bad\.gz: not a readable gzip file/);
});

Deno.test("--data DIR: four IDX files (mixed raw and .gz) load, crop and binarise; problems name the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const img = (n: number): Uint8Array => {
      const d = new Uint8Array(n * 784);
      // Digit s: a bright square at rows/cols 10..13 plus s at pixel (4, 4), the crop's corner.
      for (let s = 0; s < n; s++) {
        for (let r = 10; r < 14; r++) for (let c = 10; c < 14; c++) d[s * 784 + r * 28 + c] = 255;
        d[s * 784 + 4 * 28 + 4] = 255;
        d[s * 784 + 0] = 255; // outside the crop
      }
      return d;
    };
    Deno.writeFileSync(`${dir}/${MNIST_FILES.trainImages}.gz`, gzipSync(idx([6, 28, 28], img(6))));
    Deno.writeFileSync(
      `${dir}/${MNIST_FILES.trainLabels}`,
      idx([6], Uint8Array.from([0, 1, 2, 3, 4, 5])),
    );
    Deno.writeFileSync(`${dir}/${MNIST_FILES.testImages}`, idx([2, 28, 28], img(2)));
    Deno.writeFileSync(
      `${dir}/${MNIST_FILES.testLabels}.gz`,
      gzipSync(idx([2], Uint8Array.from([7, 9]))),
    );
    const d = loadMnistIdx(dir);
    assert.equal(d.substitute, false);
    assert.equal(d.train.n, 6);
    assert.equal(d.test.n, 2);
    assert.equal(d.train.width, 400);
    // 17 bright pixels of 400 per digit: mean 17/400; bright pixels are 1, others 0.
    assert.ok(Math.abs(d.test.threshold - 17 / 400) < 1e-12);
    const digit = Array.from(d.test.bits.subarray(0, 400));
    assert.equal(digit.reduce((a, b) => a + b, 0), 17);
    assert.equal(digit[0], 1); // raw (4, 4) is the crop's (0, 0)
    assert.equal(digit[(10 - 4) * 20 + (10 - 4)], 1);
    assert.deepEqual([...d.train.labels].sort(), [0, 1, 2, 3, 4, 5]); // shuffled, same labels
    Deno.writeFileSync(
      `${dir}/${MNIST_FILES.testLabels}.gz`,
      gzipSync(idx([3], Uint8Array.from([7, 9, 1]))),
    );
    throwsUsage(() => loadMnistIdx(dir), /t10k-labels-idx1-ubyte\.gz: 3 labels for 2 images/);
    Deno.removeSync(`${dir}/${MNIST_FILES.trainLabels}`);
    throwsUsage(
      () => loadMnistIdx(dir),
      /no train-labels-idx1-ubyte \(or train-labels-idx1-ubyte\.gz\)/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("crop rows/cols 4..23 and binarise at the cropped mean (ties -> 1)", () => {
  const grey = new Float64Array(784);
  grey[4 * 28 + 4] = 0.5;
  grey[23 * 28 + 23] = 0.25;
  grey[3 * 28 + 3] = 1; // cropped away
  const d = cropAndBinarise(grey, { n: 1, labels: Uint8Array.from([3]) });
  assert.ok(Math.abs(d.threshold - 0.75 / 400) < 1e-15);
  assert.equal(d.bits[0], 1);
  assert.equal(d.bits[399], 1);
  assert.equal(d.bits.reduce((a, b) => a + b, 0), 2);
  const flat = cropAndBinarise(new Float64Array(784).fill(0.3), {
    n: 1,
    labels: Uint8Array.from([0]),
  });
  assert.equal(flat.bits.reduce((a, b) => a + b, 0), 400); // value == mean -> 1
});

Deno.test("npm substitute: 10,000 digits, stratified 8,334 / 1,666 split, fixed seed, balanced classes", () => {
  assert.deepEqual(stratifiedCounts([3, 3, 4], 5), [2, 1, 2]);
  const d = loadMnistSubstitute();
  assert.equal(d.substitute, true);
  assert.equal(d.train.n, 8334);
  assert.equal(d.test.n, 1666);
  assert.match(d.source, /substitute/);
  const counts = (labels: Uint8Array): number[] => {
    const c = new Array(10).fill(0);
    for (const y of labels) c[y]++;
    return c;
  };
  const tr = counts(d.train.labels);
  const te = counts(d.test.labels);
  for (let c = 0; c < 10; c++) {
    const frac = te[c] / (tr[c] + te[c]);
    assert.ok(Math.abs(frac - 0.1666) < 0.002, `class ${c}: ${te[c]} of ${tr[c] + te[c]} in test`);
  }
  assert.ok(d.train.threshold > 0.1 && d.train.threshold < 0.4, `threshold ${d.train.threshold}`);
  const again = loadMnistSubstitute();
  assert.deepEqual(again.train.labels, d.train.labels);
  assert.deepEqual(again.test.bits, d.test.bits);
});
