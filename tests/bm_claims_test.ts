/**
 * Family-A claims: evidence recomputed by hand from crafted summaries (the paired t-test over 3
 * seeds has a closed-form p for 2 degrees of freedom), the intersection-union rule over criteria,
 * and no evidence from a run that did not sample with the paper's Gibbs-200 chains.
 */
import assert from "node:assert/strict";
import { judgeClaim } from "../core/app/claims.ts";
import { BM_FIG1_CLAIMS, BM_FIG2_CLAIMS, BM_TABLE1_CLAIMS } from "../experiments/bm/claims.ts";
import { bmTable1, type BmTable1Summary } from "../experiments/bm/bm_table1.ts";
import type { BmFig1Summary } from "../experiments/bm/bm_fig1.ts";
import type { BmFig2Summary } from "../experiments/bm/bm_fig2.ts";
import type { BmSummaryHeader } from "../experiments/bm/aggregate.ts";
import { pDf2, summaryHeader } from "./fixtures/claims.ts";

function header(comparable: boolean): BmSummaryHeader {
  const config = structuredClone(bmTable1.presets.default);
  if (!comparable) config.sampler = "exact";
  return {
    ...summaryHeader("bm-table1", config),
    sampling: {
      method: comparable ? "gibbs" : "exact",
      sweeps: comparable ? 200 : null,
      n: 90000,
      comparableWithPaper: comparable,
      label: "",
    },
  };
}

function table1(units: Record<string, number[]>, comparable = true): BmTable1Summary {
  const criteria: BmTable1Summary["criteria"] = {};
  for (const [c, last] of Object.entries(units)) {
    criteria[c] = {
      label: c,
      hiddenUnits: { mean: [], sd: [] },
      weights: { mean: [], sd: [] },
      zeroScores: { var: [], heu: [] },
      toppedUp: [],
      seeds: last.length,
      perSeedHiddenUnits: last.map((u, seed) => ({ seed, units: [70, 50, u] })),
    };
  }
  return {
    ...header(comparable),
    data: null,
    criteria,
    notebook: { source: "", hiddenUnits: {} },
    failures: [],
  };
}

Deno.test("Table 1 orderings: intersection-union over FI criteria, paired over seeds", () => {
  const s = table1({
    "fi-variance": [9, 11, 10],
    "fi-heuristic": [12, 10, 13],
    "fi-eigenvector": [10, 9, 12],
    "magnitude": [30, 25, 33],
    "anti-fi": [28, 35, 31],
    "random-weights": [58, 60, 57],
  });
  const [magClaim] = BM_TABLE1_CLAIMS;
  assert.equal(magClaim.id, "scholl2021/table1/fi-fewer-units-than-mag");
  const ev = magClaim.evaluate(s)!;
  // MAG - VAR = [21, 14, 23], MAG - HEU = [18, 15, 20], MAG - EIG = [20, 16, 21]: weakest HEU.
  assert.equal(ev.n, 3);
  assert.ok(Math.abs(ev.effect - 53 / 3) < 1e-12);
  const ps = [[21, 14, 23], [18, 15, 20], [20, 16, 21]].map(pDf2);
  assert.ok(Math.abs(ev.p! - Math.max(...ps)) < 1e-9, `${ev.p} vs ${Math.max(...ps)}`);
  assert.match(ev.test, /intersection-union test over 3 comparisons/);
  assert.match(ev.metric, /MAG minus each of VAR, HEU, EIG/);
  assert.equal(judgeClaim(magClaim, ev, { runId: "r" }).verdict, "reproduced");
  // RW keeps more units than every weight criterion.
  assert.ok(BM_TABLE1_CLAIMS[2].evaluate(s)!.effect > 0);
  // An exact-sampling run (the extra analysis) tests nothing.
  for (const c of BM_TABLE1_CLAIMS) assert.equal(c.evaluate(table1({}, false)), null);
  const exact = table1({ "magnitude": [30, 25, 33], "fi-variance": [9, 11, 10] }, false);
  assert.equal(magClaim.evaluate(exact), null);
});

Deno.test("Table 1 ordering against the paper: opposite direction is not reproduced", () => {
  const s = table1({
    "fi-variance": [40, 41, 42],
    "fi-heuristic": [40, 41, 42],
    "fi-eigenvector": [40, 41, 42],
    "anti-fi": [10, 12, 11],
  });
  const ev = BM_TABLE1_CLAIMS[1].evaluate(s)!;
  assert.ok(ev.effect < 0);
  assert.equal(judgeClaim(BM_TABLE1_CLAIMS[1], ev, { runId: "r" }).verdict, "not-reproduced");
});

function fig1(ratios: number[]): BmFig1Summary {
  return {
    ...header(true),
    data: null,
    fim: null,
    model: null,
    seeds: ratios.map((r, seed) => ({
      seed,
      lambda0: r,
      lambda1: 1,
      lambda2: 0.9,
      ratio: r,
      exactRatio: 2,
      eigenvectorTopUnitShare: 0.5 + 0.1 * seed,
      diagonalTopUnitShare: 0.4,
    })),
    failures: [],
  };
}

Deno.test("Fig 1 rank one: log10(lambda0/lambda1) - 1 over seeds; one seed is untested", () => {
  const [rank, sparse] = BM_FIG1_CLAIMS;
  const ev = rank.evaluate(fig1([20, 5, 12]))!;
  const d = [20, 5, 12].map((r) => Math.log10(r) - 1);
  assert.ok(Math.abs(ev.effect - d.reduce((a, b) => a + b, 0) / 3) < 1e-12);
  assert.ok(Math.abs(ev.p! - pDf2(d)) < 1e-9);
  assert.match(ev.test, /one-sample t-test over 3 seeds/);
  const one = rank.evaluate(fig1([20]))!;
  assert.equal(one.p, null);
  assert.equal(one.n, 1);
  assert.equal(judgeClaim(rank, one, { runId: "r" }).verdict, "direction");
  // Concentration: the weaker of |u0| (0.5..0.7) and the diagonal (0.4) against 0.1.
  const sp = sparse.evaluate(fig1([20, 5, 12]))!;
  assert.ok(Math.abs(sp.effect - 0.3) < 1e-12);
});

function fig2(): BmFig2Summary {
  const kl = (before: number[], after: number[]) =>
    before.map((b, seed) => ({
      seed,
      before: b,
      after: after[seed],
      beforeExact: 0,
      afterExact: 0,
      lostBefore: 0,
      lostAfter: 0,
    }));
  const crit = (before: number[], after: number[], mse: number[]) => ({
    label: "",
    kl: { beforeRetraining: null, afterRetraining: null },
    klExact: {
      beforeRetraining: { mean: 0, sd: 0, n: 3 },
      afterRetraining: { mean: 0, sd: 0, n: 3 },
    },
    klPerRound: { beforeRetraining: [], afterRetraining: [] },
    seeds: 3,
    perSeedKl: kl(before, after),
    perSeedLogpMse: mse.map((m, seed) => ({ seed, mse: m })),
    perSeedLogpByFrequency: [],
  });
  return {
    ...header(true),
    data: null,
    initial: {
      kl: null,
      klExact: { mean: 0, sd: 0, n: 3 },
      seeds: 3,
      perSeed: [0.2, 0.3, 0.25].map((k, seed) => ({ seed, kl: k, klExact: 0, lostMass: 0 })),
      perSeedLogpMse: [],
      perSeedLogpByFrequency: [],
    },
    criteria: {
      "fi-variance": crit([1, 2, 1.5], [0.2, 0.31, 0.24], [0.1, 0.2, 0.1]),
      "fi-heuristic": crit([1, 2, 1.6], [0.21, 0.3, 0.25], [0.1, 0.1, 0.2]),
      "fi-eigenvector": crit([1.2, 2, 1.5], [0.2, 0.29, 0.26], [0.2, 0.1, 0.1]),
      "magnitude": crit([0.8, 1, 0.9], [0.22, 0.3, 0.25], [0.1, 0.1, 0.1]),
      "random-weights": crit([3, 4, 5], [0.5, 0.8, 0.6], [1, 2, 1.5]),
      "anti-fi": crit([0.5, 0.6, 0.7], [0.9, 0.7, 0.8], [2, 1, 1.5]),
      "random-units": crit([4, 6, 5], [0.3, 0.35, 0.3], [0.2, 0.2, 0.3]),
    },
    logProbMatching: { initial: null, afterRetraining: {} },
    failures: [],
    notes: "",
  };
}

Deno.test("Fig 2 claims: every criterion against the initial KL, orderings, RU recovery", () => {
  const s = fig2();
  const byId = new Map(BM_FIG2_CLAIMS.map((c) => [c.id, c]));
  const rises = byId.get("scholl2021/fig2/kl-rises-after-pruning")!.evaluate(s)!;
  // Weakest: ANTI, [0.5, 0.6, 0.7] - [0.2, 0.3, 0.25] = [0.3, 0.3, 0.45].
  assert.ok(Math.abs(rises.effect - 0.35) < 1e-12);
  assert.match(rises.test, /7 comparisons/);
  const recover = byId.get("scholl2021/fig2/fi-mag-recover")!.evaluate(s)!;
  assert.match(recover.note!, /margin of ours/);
  assert.ok(Number.isFinite(recover.effect));
  const worse = byId.get("scholl2021/fig2/rw-anti-worse")!.evaluate(s)!;
  assert.ok(worse.effect > 0);
  const ru = byId.get("scholl2021/fig2/ru-recovers")!.evaluate(s)!;
  const d = [3.7, 5.65, 4.7];
  assert.ok(Math.abs(ru.effect - d.reduce((a, b) => a + b, 0) / 3) < 1e-12);
  assert.ok(Math.abs(ru.p! - pDf2(d)) < 1e-9);
  const logp = byId.get("scholl2021/fig2/logp-matching")!.evaluate(s)!;
  assert.ok(logp.effect > 0);
  assert.equal(
    byId.get("scholl2021/fig2/ru-recovers")!.evaluate({ ...s, ...header(false) }),
    null,
  );
});

Deno.test("Fig 2A rare patterns: rare minus frequent error paired over seeds, with its notes", () => {
  const row = (seed: number, rare: number, frequent: number) => ({
    seed,
    rare,
    frequent,
    rarePatterns: 100,
    frequentPatterns: 101,
    rareGenerated: 0.8,
    frequentGenerated: 1,
    splitCount: 4,
    noiseFloor: { rare: 0.3, frequent: 0.02 },
  });
  const s = fig2();
  s.initial.perSeedLogpByFrequency = [row(0, 1.2, 0.1), row(1, 0.9, 0.2), row(2, 1.5, 0.15)];
  const c = BM_FIG2_CLAIMS.find((x) => x.id === "scholl2021/fig2/rare-patterns-worse")!;
  const ev = c.evaluate(s)!;
  const d = [1.1, 0.7, 1.35];
  assert.equal(ev.n, 3);
  assert.ok(Math.abs(ev.effect - d.reduce((a, b) => a + b, 0) / 3) < 1e-12);
  assert.ok(Math.abs(ev.p! - pDf2(d)) < 1e-9);
  assert.match(ev.note!, /counting noise alone/);
  assert.match(ev.note!, /rare 1\.200, 0\.900, 1\.500/);
  // One seed: the difference untested; no rows or an exact-sampling run: nothing.
  s.initial.perSeedLogpByFrequency = [row(0, 1.2, 0.1)];
  const one = c.evaluate(s)!;
  assert.equal(one.p, null);
  assert.ok(Math.abs(one.effect - 1.1) < 1e-12);
  s.initial.perSeedLogpByFrequency = [];
  assert.equal(c.evaluate(s), null);
  s.initial.perSeedLogpByFrequency = [row(0, 1.2, 0.1), row(1, 0.9, 0.2)];
  assert.equal(c.evaluate({ ...s, ...header(false) }), null);
});
