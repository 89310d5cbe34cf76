import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import { UsageError } from "../core/app/experiment.ts";
import {
  CIFAR_RECORD,
  cifarTiles,
  embeddedTiles,
  listDataFiles,
  localTiles,
  sceneThumbnails,
  SUBSTITUTE_THUMBNAILS,
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
  const p = extractPatches({ count: 3, grey, source: "t", images: 3, substitute: true }, 2.1);
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

Deno.test("thumbnails are k x k box averages of a crop covering half to all of the short side", () => {
  const width = 150;
  const height = 100;
  const grey = Uint16Array.from({ length: width * height }, (_, p) => (p * 37) % 766);
  const image = { width, height, grey };
  // Brute force: every allowed (k, x0, y0) and its box averages; each thumbnail must be one.
  const box = (k: number, x0: number, y0: number): number[] => {
    const out: number[] = [];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        let sum = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) sum += grey[(y0 + y * k + dy) * width + x0 + x * k + dx];
        }
        out.push(Math.round(sum / (k * k)));
      }
    }
    return out;
  };
  const thumbs = sceneThumbnails([image], { count: 4, seed: 5 });
  assert.equal(thumbs.length, 4 * 1024);
  for (let t = 0; t < 4; t++) {
    const got = Array.from(thumbs.subarray(t * 1024, (t + 1) * 1024));
    let found = false;
    // short side 100: k from ceil(100/64) = 2 to floor(100/32) = 3
    for (const k of [2, 3]) {
      for (let y0 = 0; y0 + 32 * k <= height && !found; y0++) {
        for (let x0 = 0; x0 + 32 * k <= width && !found; x0++) {
          if (box(k, x0, y0)[0] !== got[0]) continue;
          found = box(k, x0, y0).every((v, i) => v === got[i]);
        }
      }
    }
    assert.ok(found, `thumbnail ${t} is no allowed crop`);
  }
  // As many photographs as thumbnails: one centred crop of the whole short side each.
  const centred = sceneThumbnails([image], { count: 1, seed: 5 });
  assert.deepEqual(Array.from(centred), box(3, Math.floor((150 - 96) / 2), Math.floor(4 / 2)));
  assert.deepEqual(sceneThumbnails([image], { count: 4, seed: 5 }), thumbs);
  assert.equal(
    sceneThumbnails([{ width: 20, height: 90, grey: new Uint16Array(1800) }], {
      count: 3,
      seed: 1,
    }).length,
    0,
  );
});

Deno.test("a folder of PNG photographs becomes substitute thumbnails", async () => {
  const dir = await tempDir();
  const width = 70;
  const height = 40;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.fill(p % 200, p * 3, p * 3 + 3);
  await Deno.writeFile(`${dir}/a.png`, encodePng({ width, height, data, channels: 3, depth: 8 }));
  const t = localTiles(dir);
  assert.equal(t.count, SUBSTITUTE_THUMBNAILS);
  assert.equal(t.substitute, true);
  assert.match(t.source, /SUBSTITUTE/);
  // k = 1 here (short side 40): every thumbnail is a 32 x 32 window of the grey sums.
  const first = Array.from(t.grey.subarray(0, 1024));
  let found = false;
  for (let y0 = 0; y0 <= height - 32 && !found; y0++) {
    for (let x0 = 0; x0 <= width - 32 && !found; x0++) {
      found = first.every((v, i) =>
        v === 3 * (((y0 + Math.floor(i / 32)) * width + x0 + (i % 32)) % 200)
      );
    }
  }
  assert.ok(found);
  await Deno.remove(dir, { recursive: true });
});

/** The 13 offsets of radius 2.1, written out (independent of circleOffsets). */
const CIRCLE_13: [number, number][] = [
  [-2, 0],
  [-1, -1],
  [-1, 0],
  [-1, 1],
  [0, -2],
  [0, -1],
  [0, 0],
  [0, 1],
  [0, 2],
  [1, -1],
  [1, 0],
  [1, 1],
  [2, 0],
];

Deno.test("embedded substitute: uniform-pattern frequencies against an independent count", () => {
  const tiles = embeddedTiles();
  assert.equal(tiles.substitute, true);
  assert.equal(tiles.count, SUBSTITUTE_THUMBNAILS);
  const pool = extractPatches(tiles, 2.1);
  // Independent count over the whole pool: median by sorting, patches by the offsets above.
  const sorted = tiles.grey.slice().sort();
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  assert.equal(pool.median, median);
  let allOn = 0;
  let allOff = 0;
  for (let t = 0; t < tiles.count; t++) {
    for (const r0 of [3, 8, 13, 18, 23, 28]) {
      for (const c0 of [3, 8, 13, 18, 23, 28]) {
        let on = 0;
        for (const [dr, dc] of CIRCLE_13) {
          if (tiles.grey[t * 1024 + (r0 + dr) * 32 + c0 + dc] >= median) on++;
        }
        if (on === 13) allOn++;
        if (on === 0) allOff++;
      }
    }
  }
  const poolStats = patchStatistics(pool, 2.1);
  assert.equal(poolStats.uniform.allOn, allOn / pool.n);
  assert.equal(poolStats.uniform.allOff, allOff / pool.n);
  // The 90,000 training patches: the numbers docs/bm.md reports beside CIFAR-10's ~0.25 each.
  const train = patchStatistics(trainingSubset(pool, 90000), 2.1);
  assert.equal(train.patterns, 90000);
  assert.equal(train.uniform.allOff.toFixed(3), "0.274");
  assert.equal(train.uniform.allOn.toFixed(3), "0.272");
  assert.ok(Math.abs(train.meanRate - 0.5) < 0.05);
  assert.ok(train.neighbourCorrelation > 0.5);
  assert.deepEqual(train.top.slice(0, 2).map((t) => t.code).sort((a, b) => a - b), [0, 8191]);
  assert.deepEqual(trainingSubset(pool, 50).bits, trainingSubset(pool, 50).bits);
});
