/**
 * DBM pruning rules on crafted layers (spec 6.1, 6.4, 6.5, 15): the FI zero rule with the existing
 * count (D18), ANTI's percentile rule with its scheduled random top-up, the random-unit rule of the
 * revision code, single-pass dead-end removal, and the criteria table end to end.
 */
import assert from "node:assert/strict";
import {
  applyKeep,
  keepHighestWithTopUp,
  keepLowest,
  randomUnitsKeep,
  survivingUnits,
} from "../core/bm/dbm/prune.ts";
import { DBM_CRITERIA, dbmCriterion, pruneStep } from "../core/bm/dbm/criteria.ts";
import { scheduledRemovals } from "../core/bm/prune.ts";
import { countOnes } from "../core/bm/dbm/model.ts";
import type { DbmScores } from "../core/bm/dbm/fisher.ts";
import { Rng } from "../core/util/rng.ts";
import { tinyDbm } from "./fixtures/dbm.ts";

const ones = (n: number): Uint8Array => new Uint8Array(n).fill(1);

Deno.test("zero rule (D18): more than THR * existing zeros -> exactly the zeros go; else the percentile rule", () => {
  // 100 existing weights, 20 zero scores, distinct positive others; 10 more not existing.
  const scores = Float64Array.from({ length: 110 }, (_, q) => (q < 20 ? 0 : q));
  const mask = ones(110);
  mask.fill(0, 100);
  // THR 0.10: 20 > 10 -> prune exactly the 20 zeros.
  const a = keepLowest(scores, mask, { fraction: 0.1, zeroRule: true });
  assert.equal(a.zeroRuleApplied, true);
  assert.equal(countOnes(a.keep), 80);
  for (let q = 0; q < 110; q++) assert.equal(a.keep[q], q >= 20 && q < 100 ? 1 : 0);
  // THR 0.25: 20 <= 25 -> percentile rule: Pct at position 24.75 prunes 25 (zeros + 5 lowest).
  const b = keepLowest(scores, mask, { fraction: 0.25, zeroRule: true });
  assert.equal(b.zeroRuleApplied, false);
  assert.equal(countOnes(b.keep), 75);
  // Without the zero rule (MAG) at THR 0.10 the percentile is 0: ties at 0 all go as well.
  const c = keepLowest(scores, mask, { fraction: 0.1, zeroRule: false });
  assert.equal(countOnes(c.keep), 80);
  // 1 zero of 10 at THR 0.10: 1 > 1 is false -> percentile rule, which prunes just the zero.
  const d = keepLowest(Float64Array.from([0, 5, 3, 8, 1, 9, 2, 7, 4, 6]), ones(10), {
    fraction: 0.1,
    zeroRule: true,
  });
  assert.equal(d.zeroRuleApplied, false);
  assert.deepEqual(Array.from(d.keep), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

Deno.test("ANTI: highest scores go; ties at a zero percentile are topped up at random to the scheduled count", () => {
  assert.equal(scheduledRemovals(8836, { fraction: 0.1, iteration: 1 }), 883);
  assert.equal(scheduledRemovals(8836, { fraction: 0.1, iteration: 2 }), 795);
  assert.equal(scheduledRemovals(8836, { fraction: 0.1, iteration: 3 }), 715);
  assert.equal(scheduledRemovals(270400, { fraction: 0.25, iteration: 1 }), 67600);
  // 100 existing, 80 zero scores: Pct(s, 75) = 0, so S > 0 prunes only 20; the schedule wants 25.
  const scores = Float64Array.from({ length: 100 }, (_, q) => (q < 80 ? 0 : q));
  const r = keepHighestWithTopUp(scores, ones(100), {
    fraction: 0.25,
    target: 25,
    rng: new Rng(3),
  });
  assert.equal(r.toppedUp, 5);
  assert.equal(100 - countOnes(r.keep), 25);
  for (let q = 80; q < 100; q++) assert.equal(r.keep[q], 0, `high score ${q} pruned`);
  // Same seed, same choice.
  const again = keepHighestWithTopUp(scores, ones(100), {
    fraction: 0.25,
    target: 25,
    rng: new Rng(3),
  });
  assert.deepEqual(again.keep, r.keep);
  // Distinct scores: the percentile rule alone prunes enough; no top-up.
  const distinct = Float64Array.from({ length: 100 }, (_, q) => q + 1);
  const s = keepHighestWithTopUp(distinct, ones(100), {
    fraction: 0.25,
    target: 25,
    rng: new Rng(3),
  });
  assert.equal(s.toppedUp, 0);
  assert.equal(countOnes(s.keep), 75); // keeps S <= Pct(s, 75) = 75.25
});

Deno.test("random units (spec 15, D16): draw units until the next would exceed floor(THR n); W2 losses of h1 units do not count", () => {
  const m = tinyDbm({ nv: 4, n1: 4, n2: 3 }, new Rng(4));
  // W1 column counts 4, 1, 3, 2 (10 weights); layer 2 dense 4 x 3 (12 weights).
  const cols1 = [4, 1, 3, 2];
  m.m1.fill(0);
  cols1.forEach((c, j) => {
    for (let i = 0; i < c; i++) m.m1[i * 4 + j] = 1;
  });
  const seed = 12;
  const r = randomUnitsKeep(m, { fraction1: 0.5, fraction2: 0.5, rng: new Rng(seed) });
  // Replay the draw order with the same stream.
  const rng = new Rng(seed);
  const order1 = rng.shuffle([0, 1, 2, 3]);
  const expect1: number[] = [];
  let total = 0;
  for (const j of order1) {
    if (total + cols1[j] > 5) break;
    total += cols1[j];
    expect1.push(j);
  }
  assert.deepEqual(r.removed1, expect1);
  const order2 = rng.shuffle([0, 1, 2]);
  const expect2: number[] = [];
  total = 0;
  for (const k of order2) {
    if (total + 4 > 6) break; // every h2 column has 4 weights, removed h1 rows included
    total += 4;
    expect2.push(k);
  }
  assert.deepEqual(r.removed2, expect2);
  for (const j of r.removed1) for (let i = 0; i < 4; i++) assert.equal(r.keep1[i * 4 + j], 0);
  for (const k of r.removed2) for (let j = 0; j < 4; j++) assert.equal(r.keep2[j * 3 + k], 0);
});

Deno.test("dead-end removal (spec 6.4 step 3.4) is a single pass", () => {
  const m = tinyDbm({ nv: 3, n1: 4, n2: 3 }, new Rng(5));
  const keep1 = ones(12);
  const keep2 = ones(12);
  for (let i = 0; i < 3; i++) keep1[i * 4 + 0] = 0; // h1 unit 0: no v-side weights
  for (let k = 0; k < 3; k++) keep2[1 * 3 + k] = 0; // h1 unit 1: no h2-side weights
  for (let j = 0; j < 4; j++) keep2[j * 3 + 2] = 0; // h2 unit 2: no h1-side weights
  // h2 unit 1 keeps only a link to h1 unit 0, which dies now: it survives this pass.
  for (const j of [2, 3]) keep2[j * 3 + 1] = 0;
  const s = survivingUnits(m, { keep1, keep2 });
  assert.deepEqual(s.h1, [2, 3]);
  assert.deepEqual(s.h2, [0, 1]);
  const pruned = applyKeep(m, { keep1, keep2 });
  assert.equal(pruned.n1, 2);
  assert.equal(pruned.n2, 2);
  // h2 unit 1 now has no link at all; the next pass removes it.
  assert.deepEqual(survivingUnits(pruned, { keep1: pruned.m1, keep2: pruned.m2 }).h2, [0]);
});

Deno.test("criteria table: six entries; each prunes a tiny DBM as specified", () => {
  assert.deepEqual(DBM_CRITERIA.map((c) => c.label), ["VAR", "HEU", "ANTI", "MAG", "RW", "RU"]);
  assert.equal(new Set(DBM_CRITERIA.map((c) => c.id)).size, 6);
  assert.equal(dbmCriterion("mag").id, "magnitude");
  assert.throws(() => dbmCriterion("eig"), /unknown criterion/);
  const m = tinyDbm({ nv: 10, n1: 10, n2: 8 }, new Rng(6));
  const rng = new Rng(7);
  const fi: DbmScores = {
    var1: Float64Array.from({ length: 100 }, () => rng.uniform()),
    heu1: Float64Array.from({ length: 100 }, () => rng.uniform()),
    var2: Float64Array.from({ length: 80 }, (_, q) => (q % 2 ? 0 : rng.uniform())),
    heu2: Float64Array.from({ length: 80 }, () => rng.uniform()),
  };
  const settings = {
    fi,
    fraction1: 0.1,
    fraction2: 0.25,
    initialWeights: { nw1: 100, nw2: 80 },
    iteration: 1,
  };
  const by = (id: string): ReturnType<typeof pruneStep> =>
    pruneStep(m, dbmCriterion(id), { ...settings, rng: new Rng(1) });
  const v = by("fi-variance");
  assert.deepEqual(v.report.zeroRule, { layer1: false, layer2: true });
  assert.equal(v.report.zeros?.layer2, 40);
  // Layer 2 loses exactly its 40 zero-score weights: the odd h2 columns, whose units die.
  assert.equal(countOnes(v.model.m2), 40);
  assert.equal(v.model.n2, 4);
  assert.deepEqual(Array.from(v.model.units2), [0, 2, 4, 6]);
  const mag = by("magnitude");
  assert.equal(mag.report.after.nw1, 90);
  assert.equal(mag.report.after.nw2, 60);
  const rw = by("random-weights");
  assert.equal(rw.report.after.nw1, 90);
  assert.equal(rw.report.after.nw2, 60);
  const anti = by("anti-fi");
  assert.equal(anti.report.before.nw2 - countOnes(anti.model.m2), 20);
  const ru = by("random-units");
  assert.ok(ru.report.after.n1 < 10 || ru.report.after.n2 < 8);
  assert.ok(ru.report.after.nw1 >= 90 - 0); // removes at most floor(0.1 * 100) = 10 weights of W1
});
