/**
 * Magnitude pruning (spec 6.1): exact integer prune counts, cumulative pruning, a mask that covers
 * only A, and the ordering criterion.
 */
import assert from "node:assert/strict";
import { DMS_SHAPE, paramLayout, RL_SHAPE } from "../core/rnn/network.ts";
import { countZerosA, magnitudePrune, pruneCount } from "../core/rnn/prune.ts";
import { Rng } from "../core/util/rng.ts";
import { randomWeights } from "./fixtures/helpers.ts";

Deno.test("pruneCount: exact integers where floor(p * total) in floats is off by one", () => {
  assert.equal(0.57 * 100, 56.99999999999999, "the float product really is below 57");
  assert.equal(pruneCount(0.57, 100), 57);
  assert.equal(pruneCount(0.7, 900), 630);
  assert.equal(pruneCount(0.1, 900), 90);
  assert.equal(pruneCount(0.09999999999999998, 900), 90);
  assert.equal(pruneCount(0.30000000000000004, 900), 270);
  assert.equal(pruneCount(0, 900), 0);
  assert.equal(pruneCount(0.5, 7), 3, "floor, not round");
});

Deno.test("pruneCount: the paper's 18 DMS levels give 90, 135, ..., 855", () => {
  // Levels as a user or a preset would write them: 0.1, 0.15, ..., 0.95.
  const levels = Array.from({ length: 18 }, (_, i) => Number((0.1 + 0.05 * i).toFixed(2)));
  assert.deepEqual(
    levels.map((p) => pruneCount(p, 900)),
    Array.from({ length: 18 }, (_, i) => 45 * (i + 2)),
  );
  // Also when the levels come from accumulated float arithmetic.
  let p = 0.1;
  for (let i = 0; i < 18; i++, p += 0.05) assert.equal(pruneCount(p, 900), 45 * (i + 2));
});

Deno.test("pruneCount: RL levels 0.1..0.9 of 400 entries give 40, 120, 200, 280, 360", () => {
  assert.deepEqual([0.1, 0.3, 0.5, 0.7, 0.9].map((p) => pruneCount(p, 400)), [
    40,
    120,
    200,
    280,
    360,
  ]);
});

Deno.test("magnitudePrune: zeros the smallest |A| entries only, mask covers only A", () => {
  const rng = new Rng(1);
  const w = randomWeights(DMS_SHAPE, rng, 0.3);
  const L = paramLayout(DMS_SHAPE);
  const pr = magnitudePrune(DMS_SHAPE, w, 0.3);
  assert.equal(pr.pruned, 270);
  assert.equal(countZerosA(DMS_SHAPE, pr.w), 270);
  assert.equal(pr.mask.length, L.size);
  let maskZeros = 0;
  for (let k = 0; k < L.size; k++) {
    if (k < L.a || k >= L.c) {
      assert.equal(pr.mask[k], 1, `entry ${k} outside A is masked`);
      assert.equal(pr.w[k], w[k]);
    } else if (pr.mask[k] === 0) {
      maskZeros++;
      assert.equal(pr.w[k], 0);
      assert.ok(Math.abs(w[k]) <= pr.largestPruned);
    } else {
      assert.equal(pr.w[k], w[k]);
      assert.ok(Math.abs(w[k]) >= pr.smallestKept);
    }
  }
  assert.equal(maskZeros, 270);
  assert.ok(pr.largestPruned <= pr.smallestKept);
  // Input untouched (magnitudePrune returns a copy).
  assert.equal(countZerosA(DMS_SHAPE, w), 0);
});

Deno.test("magnitudePrune: cumulative levels keep previous zeros and add only the increment", () => {
  const rng = new Rng(2);
  let w = randomWeights(DMS_SHAPE, rng, 0.3);
  const L = paramLayout(DMS_SHAPE);
  let prevMask: Uint8Array | null = null;
  for (const level of [0.1, 0.15, 0.5, 0.7, 0.95]) {
    // Retraining moves the kept weights; perturb them so the order changes between levels.
    for (let k = L.a; k < L.c; k++) if (w[k] !== 0) w[k] += 0.05 * rng.normal();
    const pr = magnitudePrune(DMS_SHAPE, w, level);
    assert.equal(countZerosA(DMS_SHAPE, pr.w), pruneCount(level, 900));
    if (prevMask) {
      for (let k = L.a; k < L.c; k++) {
        if (prevMask[k] === 0) assert.equal(pr.mask[k], 0, `level ${level}: entry ${k} regrew`);
      }
    }
    prevMask = pr.mask;
    w = pr.w;
  }
});

Deno.test("magnitudePrune: diagonal entries are candidates too; RL shape with output bias", () => {
  const L = paramLayout(RL_SHAPE);
  const w = new Float64Array(L.size).fill(1);
  // Make the diagonal the smallest entries of A.
  for (let i = 0; i < RL_SHAPE.n; i++) w[L.a + i + RL_SHAPE.n * i] = 0.01 * (i + 1);
  const pr = magnitudePrune(RL_SHAPE, w, 0.05);
  assert.equal(pr.pruned, 20);
  for (let i = 0; i < RL_SHAPE.n; i++) assert.equal(pr.mask[L.a + i + RL_SHAPE.n * i], 0);
  // The bias column of C stays trainable.
  for (let k = L.c; k < L.size; k++) assert.equal(pr.mask[k], 1);
});

Deno.test("magnitudePrune: rejects levels outside [0, 1)", () => {
  const w = new Float64Array(paramLayout(DMS_SHAPE).size);
  for (const bad of [-0.1, 1, 1.5, NaN]) {
    assert.throws(() => magnitudePrune(DMS_SHAPE, w, bad), RangeError);
  }
});
