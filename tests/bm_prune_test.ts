import assert from "node:assert/strict";
import { Rng } from "../core/util/rng.ts";
import {
  applyKeep,
  percentile,
  pruneStep,
  randomUnitsKeep,
  randomWeightsKeep,
  scheduledRemovals,
  thresholdKeep,
  topUpKeep,
} from "../core/bm/prune.ts";
import { initRbm, type Rbm, weightCount } from "../core/bm/rbm.ts";
import { CRITERIA, rbmCriterion } from "../core/bm/rbm_criteria.ts";
import { trainCd1 } from "../core/bm/cd1.ts";
import { exactSamples } from "../core/bm/sampler.ts";
import { computeScores, failureOf, runCriterion } from "../core/bm/protocol.ts";
import { CpuBmSampler } from "../core/bm/sampler.ts";
import { defaultConfig } from "../experiments/bm/config.ts";
import type { BmData } from "../core/bm/protocol.ts";
import { codeCounts, patchStatistics, patternCodes } from "../core/data/patches.ts";

const sum = (m: Uint8Array): number => m.reduce((a, b) => a + b, 0);

Deno.test("Pct matches NumPy's linear interpolation", () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([0, 0, 0, 5], 10), 0);
  assert.equal(percentile([1, 2, 3], 25), 1.5);
  assert.equal(percentile([4, 1, 3, 2], 100), 4);
});

Deno.test("threshold rule on 910 distinct scores: 455 -> 227 -> 113, ANTI 455 -> 228 -> 114", () => {
  const rng = new Rng(1);
  const scores = Float64Array.from({ length: 910 }, () => rng.uniform());
  for (
    const [prune, expected] of [["lowest", [455, 227, 113]], ["highest", [455, 228, 114]]] as const
  ) {
    let mask: Uint8Array = new Uint8Array(910).fill(1);
    const kept: number[] = [];
    for (let k = 0; k < 3; k++) {
      mask = thresholdKeep(scores, mask, { fraction: 0.5, prune });
      kept.push(sum(mask));
    }
    assert.deepEqual(kept, expected);
  }
});

Deno.test("threshold rule edge cases: ties at the threshold are all pruned, zeros go first", () => {
  const mask = new Uint8Array(10).fill(1);
  assert.equal(
    sum(thresholdKeep(new Float64Array(10).fill(0.3), mask, { fraction: 0.5, prune: "lowest" })),
    0,
  );
  assert.equal(
    sum(thresholdKeep(new Float64Array(10).fill(0.3), mask, { fraction: 0.5, prune: "highest" })),
    10,
  );
  // 7 zeros of 10: the median is 0, so exactly the 3 non-zero scores survive.
  const z = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(thresholdKeep(z, mask, { fraction: 0.5, prune: "lowest" })), [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
  ]);
  // ANTI with many zeros keeps every zero and prunes every non-zero score.
  assert.equal(sum(thresholdKeep(z, mask, { fraction: 0.5, prune: "highest" })), 7);
  // Non-existing weights never come back and are excluded from the percentile.
  const m2 = Uint8Array.from([0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  const s2 = Float64Array.from([9, 9, 1, 2, 3, 4, 9, 9, 9, 9]);
  assert.deepEqual(Array.from(thresholdKeep(s2, m2, { fraction: 0.5, prune: "lowest" })), [
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(sum(thresholdKeep(s2, new Uint8Array(10), { fraction: 0.5, prune: "lowest" })), 0);
});

function model(nh: number, seed: number): Rbm {
  const rng = new Rng(seed);
  const m = initRbm(nh, rng, { pixelRates: new Array(13).fill(0.5) });
  return m;
}

Deno.test("random weights prune floor(n/2); random units go 70 -> 35 -> 18 -> 9", () => {
  const rng = new Rng(3);
  let m = model(70, 1);
  const keep = randomWeightsKeep(m.mask, 0.5, rng);
  assert.equal(sum(keep), 455);
  const counts = [m.nh];
  const weights: number[] = [];
  for (let k = 0; k < 3; k++) {
    m = applyKeep(m, randomUnitsKeep(m, 0.5, rng));
    counts.push(m.nh);
    weights.push(weightCount(m));
  }
  assert.deepEqual(counts, [70, 35, 18, 9]);
  assert.deepEqual(weights, [455, 234, 117]);
});

Deno.test("disconnected hidden units are removed; pruned weights stay 0 through retraining", () => {
  const m = model(4, 2);
  const keep = new Uint8Array(13 * 4).fill(1);
  for (let i = 0; i < 13; i++) keep[i * 4 + 1] = 0; // unit 1 loses everything
  keep[0] = 0; // one weight of unit 0
  const p = applyKeep(m, keep);
  assert.equal(p.nh, 3);
  assert.deepEqual(Array.from(p.bh), [m.bh[0], m.bh[2], m.bh[3]]);
  assert.deepEqual(Array.from(p.bv), Array.from(m.bv));
  assert.equal(p.w[0], 0);
  assert.equal(p.mask[0], 0);
  assert.equal(p.w[1], m.w[2]);
  const rng = new Rng(4);
  const data = Uint8Array.from({ length: 13 * 300 }, () => (rng.uniform() < 0.5 ? 1 : 0));
  trainCd1(p, data, new Rng(5), { epochs: 2, lr: [0.1], momentum: [0.9] });
  assert.equal(p.w[0], 0);
});

function tinyData(): BmData {
  const rng = new Rng(8);
  const n = 400;
  const bits = new Uint8Array(n * 13);
  for (let s = 0; s < n; s++) {
    const on = rng.uniform() < 0.5;
    for (let i = 0; i < 13; i++) bits[s * 13 + i] = (rng.uniform() < 0.85) === on ? 1 : 0;
  }
  const train = { n, nv: 13, bits };
  return {
    train,
    counts: codeCounts(patternCodes(train), 13),
    stats: patchStatistics(train, 2.1),
    source: "synthetic",
    images: 0,
    tiles: 0,
    pool: n,
    median: 0,
    substitute: true,
  };
}

Deno.test("every criterion: prunes half per round, keeps pruned weights 0, deterministic per seed", async () => {
  const data = tinyData();
  const config = {
    ...defaultConfig(1),
    hidden: 12,
    samples: 3000,
    trainPatches: 400,
    epochs: 1,
    sampler: "exact" as const,
    evaluation: "every-round" as const,
  };
  const sampler = new CpuBmSampler();
  const initial = model(12, 6);
  trainCd1(initial, data.train.bits, new Rng(1), { epochs: 1, lr: [0.01], momentum: [0.9] });
  const samples = exactSamples(initial, 3000, new Rng(2));
  for (const c of CRITERIA) {
    const opts = { config, data, master: 5, seedIndex: 0, sampler };
    const a = await runCriterion({ model: initial, samples }, c, opts);
    const b = await runCriterion({ model: initial, samples }, c, opts);
    assert.deepEqual(a.model.w, b.model.w, c);
    assert.deepEqual(a.rounds, b.rounds, c);
    const nw = a.rounds.map((r) => r.before.nw);
    // Ties at the percentile are all pruned by prune-lowest rules; ANTI keeps its ties and is
    // topped up with random weights to the count scheduled from 156: 78, 39, 19 removed.
    if (c === "anti-fi") assert.deepEqual(nw, [78, 39, 20]);
    else if (c === "random-weights") assert.deepEqual(nw, [78, 39, 20]);
    else if (c === "random-units") assert.deepEqual(nw, [78, 39, 26]);
    else assert.ok(nw[0] <= 78 && nw[1] <= nw[0] / 2 && nw[2] <= nw[1] / 2, `${c}: ${nw}`);
    for (let k = 0; k < a.model.mask.length; k++) {
      if (!a.model.mask[k]) assert.equal(a.model.w[k], 0);
    }
    assert.equal(weightCount(a.model), a.rounds[2].after.nw);
    assert.equal(a.failed, null);
    for (const r of a.rounds) {
      assert.ok(Number.isFinite(r.after.klSample) && Number.isFinite(r.after.klExact));
      assert.deepEqual(r.after.sampler, { method: "exact", sweeps: null, n: 3000 });
    }
  }
  // Scores of the eigenvector criterion are |u0| entries: non-negative, one per weight.
  const s = computeScores(initial, samples, "fi-eigenvector");
  assert.equal(s.scores!.length, 13 * 12);
  assert.ok(s.scores!.every((x) => x >= 0));
  const magnitude = computeScores(initial, samples, "magnitude").scores;
  const p = pruneStep(initial, rbmCriterion("magnitude"), {
    fraction: 0.5,
    scores: magnitude,
    rng: new Rng(1),
    schedule: { initialWeights: 156, iteration: 1 },
  });
  assert.equal(weightCount(p.model), 78);
  assert.deepEqual(p.report, { toppedUp: 0, scheduled: null });
});

Deno.test("ANTI's schedule: removals per round from the initial layer size (spec 15)", () => {
  const t = (initial: number, iteration: number): number =>
    scheduledRemovals(initial, { fraction: 0.5, iteration });
  assert.deepEqual([1, 2, 3].map((k) => t(910, k)), [455, 227, 114]);
  assert.deepEqual([1, 2, 3].map((k) => t(20, k)), [10, 5, 2]);
  assert.deepEqual([1, 2].map((k) => scheduledRemovals(8836, { fraction: 0.1, iteration: k })), [
    883,
    795,
  ]);
});

/** 13 x 2 model whose 26 weights all exist. */
function tieModel(): Rbm {
  const m = initRbm(2, new Rng(1), { pixelRates: new Array(13).fill(0.5) });
  return m;
}

Deno.test("ANTI top-up on crafted ties: the scheduled count goes, the extra ones at random", () => {
  const anti = rbmCriterion("anti-fi");
  assert.equal(anti.direction, "highest");
  // 26 weights: 18 tie at the top score 5, 8 lower distinct scores. Pct(s, 50) = 5, so the
  // threshold rule (prune S > 5) removes nothing; the schedule from 26 asks for 13.
  const scores = Float64Array.from({ length: 26 }, (_, k) => (k % 13 < 4 ? k / 100 : 5));
  const ties = new Set(Array.from({ length: 26 }, (_, k) => k).filter((k) => scores[k] === 5));
  assert.equal(ties.size, 18);
  const step = (seed: number, schedule: { initialWeights: number; iteration: number }) =>
    pruneStep(tieModel(), anti, { fraction: 0.5, scores, rng: new Rng(seed), schedule });
  const a = step(3, { initialWeights: 26, iteration: 1 });
  assert.deepEqual(a.report, { toppedUp: 13, scheduled: 13 });
  assert.equal(weightCount(a.model), 13);
  // Independent count of what went: every removed weight was one of the kept (tied) ones here.
  const keepA = topUpKeep(
    thresholdKeep(scores, new Uint8Array(26).fill(1), {
      fraction: 0.5,
      prune: "highest",
    }),
    new Uint8Array(26).fill(1),
    { target: 13, rng: new Rng(3) },
  ).keep;
  assert.equal(keepA.reduce((x, y) => x + y, 0), 13);
  assert.deepEqual(Array.from(a.model.mask), Array.from(keepA));
  // Same seed, same draw; another seed draws other weights.
  assert.deepEqual(step(3, { initialWeights: 26, iteration: 1 }).model.mask, a.model.mask);
  assert.notDeepEqual(step(4, { initialWeights: 26, iteration: 1 }).model.mask, a.model.mask);
  // The count comes from the initial size, not the current one: iteration 2 of a layer that
  // started with 26 removes floor(13 / 2) = 6 even though this model still has 26 weights.
  const b = step(3, { initialWeights: 26, iteration: 2 });
  assert.deepEqual(b.report, { toppedUp: 6, scheduled: 6 });
  assert.equal(weightCount(b.model), 20);
  // Where the threshold already removes enough, nothing is added.
  const distinct = Float64Array.from({ length: 26 }, (_, k) => k);
  const c = pruneStep(tieModel(), anti, {
    fraction: 0.5,
    scores: distinct,
    rng: new Rng(3),
    schedule: { initialWeights: 26, iteration: 1 },
  });
  assert.deepEqual(c.report, { toppedUp: 0, scheduled: 13 });
  assert.equal(weightCount(c.model), 13);
  assert.deepEqual(
    Array.from(c.model.mask),
    Array.from({ length: 26 }, (_, k) => (k < 13 ? 1 : 0)),
  );
});

Deno.test("a criterion whose retraining diverges is marked failed and stops", async () => {
  const data = tinyData();
  const config = {
    ...defaultConfig(1),
    hidden: 12,
    samples: 500,
    trainPatches: 400,
    epochs: 1,
    sampler: "exact" as const,
    evaluation: "every-round" as const,
    lr: [1e308], // overflows to Infinity, then NaN
  };
  const initial = model(12, 6);
  const samples = exactSamples(initial, 500, new Rng(2));
  const res = await runCriterion({ model: initial, samples }, "magnitude", {
    config,
    data,
    master: 5,
    seedIndex: 0,
    sampler: new CpuBmSampler(),
  });
  assert.equal(res.failed, "round 1: non-finite weights");
  assert.equal(res.rounds.length, 1);
  assert.equal(res.rounds[0].after.sampler, null); // no samples drawn from a broken model
  assert.equal(failureOf(initial), null);
});
