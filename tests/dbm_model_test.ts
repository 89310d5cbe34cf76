/**
 * The DBM model (spec 2.2, 6.4 step 3.5): receptive-field mask, rebuild after pruning, checkpoints.
 */
import assert from "node:assert/strict";
import {
  cloneDbm,
  countOnes,
  dbmFromJson,
  dbmToJson,
  disconnectedVisibles,
  receptiveFieldMask,
  restrictDbm,
} from "../core/bm/dbm/model.ts";
import { stack } from "../core/bm/dbm/pretrain.ts";
import { Rng } from "../core/util/rng.ts";
import { tinyDbm } from "./fixtures/dbm.ts";

Deno.test("receptive-field mask: 8,836 weights, window sizes 9..25, corner pixel in 9 windows", () => {
  const mask = receptiveFieldMask(20, 2);
  assert.equal(mask.length, 400 * 400);
  assert.equal(countOnes(mask), 8836);
  const sizes = new Set<number>();
  for (let j = 0; j < 400; j++) {
    let s = 0;
    for (let i = 0; i < 400; i++) s += mask[i * 400 + j];
    sizes.add(s);
  }
  assert.deepEqual([...sizes].sort((a, b) => a - b), [9, 12, 15, 16, 20, 25]);
  let corner = 0;
  for (let j = 0; j < 400; j++) corner += mask[0 * 400 + j];
  assert.equal(corner, 9);
  // Unit (10, 10) sees pixels (8..12, 8..12) and nothing else.
  const unit = 10 * 20 + 10;
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      const inside = Math.abs(r - 10) <= 2 && Math.abs(c - 10) <= 2 ? 1 : 0;
      assert.equal(mask[(r * 20 + c) * 400 + unit], inside);
    }
  }
});

Deno.test("restrictDbm keeps the listed units, masks pruned weights and keeps biases", () => {
  const m = tinyDbm({ nv: 3, n1: 4, n2: 3 }, new Rng(1));
  const keep1 = m.m1.slice();
  keep1[0 * 4 + 1] = 0; // v0-h1 unit 1 pruned
  const keep2 = m.m2.slice();
  keep2[2 * 3 + 0] = 0; // h1 unit 2 - h2 unit 0 pruned
  const r = restrictDbm(m, { keep1, keep2 }, { h1: [1, 2, 3], h2: [0, 2] });
  assert.equal(r.n1, 3);
  assert.equal(r.n2, 2);
  assert.deepEqual(Array.from(r.units1), [1, 2, 3]);
  assert.deepEqual(Array.from(r.units2), [0, 2]);
  assert.equal(r.w1[0 * 3 + 0], 0);
  assert.equal(r.m1[0 * 3 + 0], 0);
  assert.equal(r.w1[1 * 3 + 2], m.w1[1 * 4 + 3]);
  assert.equal(r.w2[1 * 2 + 0], 0); // old (2, 0)
  assert.equal(r.w2[2 * 2 + 1], m.w2[3 * 3 + 2]);
  assert.deepEqual(Array.from(r.b1), [m.b1[1], m.b1[2], m.b1[3]]);
  assert.deepEqual(Array.from(r.b2), [m.b2[0], m.b2[2]]);
  assert.deepEqual(Array.from(r.bv), Array.from(m.bv));
  // Original indices compose across two rebuilds.
  const r2 = restrictDbm(r, { keep1: r.m1, keep2: r.m2 }, { h1: [2], h2: [1] });
  assert.deepEqual(Array.from(r2.units1), [3]);
  assert.deepEqual(Array.from(r2.units2), [2]);
});

Deno.test("disconnected visibles, JSON round trip and stacking (spec 3.4)", () => {
  const m = tinyDbm({ nv: 3, n1: 2, n2: 2 }, new Rng(2));
  m.m1[1 * 2 + 0] = 0;
  m.m1[1 * 2 + 1] = 0;
  assert.deepEqual(disconnectedVisibles(m), [1]);
  const back = dbmFromJson(JSON.parse(JSON.stringify(dbmToJson(m))));
  assert.deepEqual(back, cloneDbm(m));
  const mask1 = new Uint8Array(6).fill(1);
  const rbm1 = {
    nv: 3,
    nh: 2,
    w: new Float32Array([1, 2, 3, 4, 5, 6]),
    bv: new Float32Array([0.1, 0.2, 0.3]),
    bh: new Float32Array([-1, -3]),
    mask: mask1,
  };
  const rbm2 = {
    nv: 2,
    nh: 1,
    w: new Float32Array([7, 8]),
    bv: new Float32Array([1, 1]),
    bh: new Float32Array([-2]),
    mask: null,
  };
  const s = stack(rbm1, rbm2);
  assert.deepEqual(Array.from(s.b1), [0, -1]);
  assert.deepEqual(Array.from(s.b2), [-2]);
  assert.deepEqual(Array.from(s.w2), [7, 8]);
  assert.deepEqual(Array.from(s.bv), [0.1, 0.2, 0.3].map(Math.fround));
});
