import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import { UsageError } from "../core/app/experiment.ts";
import {
  CIFAR_RECORD,
  cifarTiles,
  embeddedTiles,
  listDataFiles,
  localTiles,
} from "../core/data/images.ts";
import {
  circleOffsets,
  extractPatches,
  greyMedian,
  patchCentres,
  patchStatistics,
  trainingSubset,
} from "../core/data/patches.ts";

Deno.test("circle pixel counts by radius and patch centres (spec 8.1)", () => {
  const counts: [number, number][] = [
    [1, 5],
    [1.5, 9],
    [2, 13],
    [2.1, 13],
    [2.3, 21],
    [2.5, 21],
    [2.9, 25],
    [3, 29],
    [3.2, 37],
    [3.5, 37],
    [4, 49],
  ];
  for (const [r, n] of counts) assert.equal(circleOffsets(r).length, n, `radius ${r}`);
  assert.deepEqual(patchCentres(2.1), [3, 8, 13, 18, 23, 28]);
  const rows = circleOffsets(2.1).map(([dr]) => dr);
  assert.deepEqual([-2, -1, 0, 1, 2].map((d) => rows.filter((x) => x === d).length), [
    1,
    3,
    5,
    3,
    1,
  ]);
});

Deno.test("global median follows NumPy; ties at the median binarise to 1", () => {
  assert.equal(greyMedian(Uint16Array.from([1, 5, 3])), 3);
  assert.equal(greyMedian(Uint16Array.from([1, 2, 3, 4])), 2.5);
  const grey = new Uint16Array(3 * 1024);
  grey.fill(100, 0, 1024);
  grey.fill(300, 1024);
  grey[0] = 200;
  const p = extractPatches({ count: 3, grey, source: "t", images: 3 }, 2.1);
  assert.equal(p.n, 108);
  assert.equal(p.median, 300); // two thirds of the pixels are 300: ties at the median go to 1
  const ones = p.bits.reduce((a, b) => a + b, 0);
  assert.equal(ones, 2 * 36 * 13);
});

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "bm_data_test" });
}

Deno.test("CIFAR-10 binary batches: grey sum of the R, G, B planes", async () => {
  const dir = await tempDir();
  const bytes = new Uint8Array(2 * CIFAR_RECORD);
  for (let k = 0; k < 2; k++) {
    bytes[k * CIFAR_RECORD] = k;
    for (let p = 0; p < 3072; p++) bytes[k * CIFAR_RECORD + 1 + p] = (p + k) % 251;
  }
  await Deno.writeFile(`${dir}/data_batch_1.bin`, bytes);
  const t = localTiles(dir);
  assert.equal(t.count, 2);
  assert.equal(t.grey[5], 5 + (1024 + 5) % 251 + (2048 + 5) % 251);
  assert.deepEqual(
    Array.from(cifarTiles(bytes, "x").subarray(0, 3)),
    Array.from(t.grey.subarray(0, 3)),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad --data paths give a one-line UsageError", async () => {
  const dir = await tempDir();
  assert.throws(
    () => listDataFiles(`${dir}/missing`),
    (e) => e instanceof UsageError && /does not exist/.test(e.message),
  );
  assert.throws(
    () => listDataFiles(dir),
    (e) => e instanceof UsageError && /no CIFAR-10/.test(e.message),
  );
  await Deno.writeFile(`${dir}/data_batch_1.bin`, new Uint8Array(100));
  assert.throws(
    () => listDataFiles(dir),
    (e) => e instanceof UsageError && /not a multiple/.test(e.message),
  );
  await Deno.remove(`${dir}/data_batch_1.bin`);
  await Deno.writeTextFile(`${dir}/photo.jpg`, "not really a jpeg");
  assert.throws(
    () => listDataFiles(dir),
    (e) => e instanceof UsageError && /not a JPEG or PNG/.test(e.message),
  );
  for (const e of [() => listDataFiles(`${dir}/missing`), () => listDataFiles(dir)]) {
    try {
      e();
    } catch (err) {
      assert.ok(!(err as Error).message.includes("\n"));
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a folder of PNG images is tiled into 32x32 grey sums", async () => {
  const dir = await tempDir();
  const width = 70;
  const height = 40;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.fill(p % 200, p * 3, p * 3 + 3);
  await Deno.writeFile(`${dir}/a.png`, encodePng({ width, height, data, channels: 3, depth: 8 }));
  const t = localTiles(dir);
  assert.equal(t.count, 2); // floor(70/32) x floor(40/32)
  assert.equal(t.grey[0], 0);
  assert.equal(t.grey[1024 + 1], 3 * (33 % 200));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("embedded photographs give natural-image-like patch statistics", () => {
  const tiles = embeddedTiles();
  assert.ok(tiles.count > 2500, `${tiles.count} tiles`);
  const pool = extractPatches(tiles, 2.1);
  const train = trainingSubset(pool, 90000);
  assert.equal(train.n, 90000);
  const s = patchStatistics(train, 2.1);
  assert.ok(Math.abs(s.meanRate - 0.5) < 0.05);
  assert.ok(s.neighbourCorrelation > 0.5);
  const topCodes = s.top.slice(0, 2).map((t) => t.code).sort((a, b) => a - b);
  assert.deepEqual(topCodes, [0, 8191]);
  assert.deepEqual(trainingSubset(pool, 50).bits, trainingSubset(pool, 50).bits);
});
