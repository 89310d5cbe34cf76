/**
 * The statistics of issue 18 item 4: Wilcoxon signed-rank (exact with ties, normal approximation
 * above n = 50), Holm's adjustment and paired effect sizes with confidence intervals. Checked
 * against published examples (R's wilcox.test help page, SciPy's wilcoxon documentation), against
 * SciPy 1.17 values computed here (the script is quoted next to each), and against brute-force
 * enumeration of all sign patterns.
 */
import assert from "node:assert/strict";
import { holmAdjust, pairedEffect, wilcoxonSignedRank } from "../core/util/stats.ts";
import { assertRel } from "./fixtures/helpers.ts";

Deno.test("Wilcoxon: R's paired example (Hollander and Wolfe depression scores): V = 40, p = 0.03906", () => {
  const x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const r = wilcoxonSignedRank(x, y);
  assert.equal(r.statistic, 40);
  assert.equal(r.n, 9);
  assert.equal(r.exact, true);
  // Exact: 2 * P(V >= 40) = 2 * 10 / 512.
  assertRel(r.p, 20 / 512, 1e-12, "p");
});

Deno.test("Wilcoxon: SciPy's documented example (Darwin's maize, 15 pairs): p = 0.041259765625", () => {
  const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
  const r = wilcoxonSignedRank(d, d.map(() => 0));
  assert.equal(r.statistic, 96); // SciPy reports min(W+, W-) = 24 = 120 - 96
  assertRel(r.p, 0.041259765625, 1e-12, "p");
  assertRel(r.rankBiserial, (96 - 24) / 120, 1e-15, "rank-biserial");
});

/** All 2^n sign patterns of the mid-ranks: the definition of the exact conditional p-value. */
function enumerateP(diffs: number[]): number {
  const d = diffs.filter((v) => v !== 0);
  const abs = d.map(Math.abs);
  const ranks = abs.map((a) => {
    const below = abs.filter((b) => b < a).length;
    const equal = abs.filter((b) => b === a).length;
    return below + (equal + 1) / 2;
  });
  const observed = d.reduce((s, v, i) => s + (v > 0 ? ranks[i] : 0), 0);
  let le = 0, ge = 0;
  const total = 2 ** d.length;
  for (let mask = 0; mask < total; mask++) {
    let w = 0;
    for (let i = 0; i < d.length; i++) if (mask & (1 << i)) w += ranks[i];
    if (w <= observed + 1e-9) le++;
    if (w >= observed - 1e-9) ge++;
  }
  return Math.min(1, 2 * Math.min(le, ge) / total);
}

Deno.test("Wilcoxon: exact p with ties and zeros equals enumeration of all sign patterns", () => {
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + (trial % 12);
    // Values on a coarse grid so ties and zeros are common, as with accuracies at small n.
    const d = Array.from({ length: n }, () => Math.round((rand() - 0.35) * 6) / 2);
    const r = wilcoxonSignedRank(d, d.map(() => 0));
    const want = enumerateP(d);
    if (Number.isNaN(r.p)) {
      assert.equal(d.filter((v) => v !== 0).length, 0);
      continue;
    }
    assertRel(r.p, want, 1e-12, `trial ${trial}: ${d.join(",")}`);
    assert.equal(r.zeros, d.filter((v) => v === 0).length);
  }
  // Hand-checked: |d| ranks 1, 2, 4, 4, 4; W- = 1 is reached by 2 of 32 patterns.
  assertRel(wilcoxonSignedRank([0.5, 0.5, -0.2, 0.5, 0.3], [0, 0, 0, 0, 0]).p, 0.125, 1e-15, "p");
});

Deno.test("Wilcoxon: n = 3 can never reach p < 0.25, and says so through minP", () => {
  const r = wilcoxonSignedRank([3, 2, 5], [1, 1, 1]);
  assertRel(r.p, 0.25, 1e-15, "p");
  assertRel(r.minP, 0.25, 1e-15, "minP");
});

Deno.test("Wilcoxon: normal approximation with ties and continuity correction matches SciPy", () => {
  // numpy default_rng(3).normal(0.3, 1, 60) rounded to 0.1; SciPy 1.17:
  // wilcoxon(d, method='approx', correction=True) -> statistic 530 (= W-), p 0.01854089039592215
  const d = [
    2.3,
    -2.3,
    0.7,
    -0.3,
    -0.2,
    0.1,
    -1.7,
    0.1,
    -0.6,
    3.6,
    0.5,
    -0.1,
    0.0,
    -0.4,
    -0.8,
    -0.1,
    0.8,
    0.1,
    1.3,
    0.1,
    0.3,
    1.8,
    0.8,
    -0.2,
    0.1,
    0.8,
    2.2,
    0.0,
    0.1,
    1.3,
    -0.6,
    0.0,
    1.2,
    0.9,
    0.4,
    1.0,
    -2.5,
    1.3,
    -0.7,
    -1.4,
    0.6,
    1.0,
    -0.1,
    -0.8,
    0.3,
    0.2,
    1.7,
    1.0,
    0.5,
    1.4,
    0.1,
    -0.6,
    0.9,
    0.9,
    0.1,
    -0.5,
    0.5,
    -2.2,
    1.0,
    0.8,
  ];
  const r = wilcoxonSignedRank(d, d.map(() => 0));
  assert.equal(r.exact, false);
  assert.equal(r.n, 57);
  assert.equal(r.zeros, 3);
  assert.equal(57 * 58 / 2 - r.statistic, 530);
  assertRel(r.p, 0.01854089039592215, 1e-9, "p");
});

Deno.test("Holm: step-down adjustment, monotone, capped at 1, missing values kept out", () => {
  // By hand: sorted 0.01, 0.02, 0.03, 0.04, 0.05 -> 5p, 4p, 3p, 2p, p, then running maximum.
  const adj = holmAdjust([0.04, 0.01, 0.05, 0.03, 0.02]);
  const want = [0.09, 0.05, 0.09, 0.09, 0.08];
  adj.forEach((v, i) => assertRel(v as number, want[i], 1e-12, `p${i}`));
  assert.deepEqual(holmAdjust([0.5, null, NaN, 0.6]), [1, null, null, 1]);
  // A missing test does not enlarge the family: two tests, not three.
  const two = holmAdjust([0.01, null, 0.04]);
  assertRel(two[0] as number, 0.02, 1e-12, "family of two");
  assertRel(two[2] as number, 0.04, 1e-12, "family of two");
  assert.deepEqual(holmAdjust([]), []);
});

Deno.test("paired effect: mean difference t interval and exact d_z interval match SciPy", () => {
  // SciPy 1.17 (jstat's t quantile agrees to ~3e-9): t.ppf(0.975, 8); d_z limits by brentq on nct.cdf(t_obs, 8, ncp) = 0.975, 0.025.
  const x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const e = pairedEffect(x, y);
  assert.equal(e.n, 9);
  assert.equal(e.level, 0.95);
  assertRel(e.meanDiff, 0.43188888888888893, 1e-12, "mean difference");
  assertRel(e.meanDiffCi[0], 0.10377871227216856, 1e-7, "mean CI low");
  assertRel(e.meanDiffCi[1], 0.7599990655056093, 1e-7, "mean CI high");
  assertRel(e.dz, 1.0117918052161972, 1e-12, "d_z");
  assertRel(e.dzCi[0], 0.1771476090682205, 1e-6, "d_z CI low");
  assertRel(e.dzCi[1], 1.807169061939394, 1e-6, "d_z CI high");
});

Deno.test("paired effect: degenerate inputs give NaN, not a fake interval", () => {
  const one = pairedEffect([1], [0]);
  assert.equal(one.n, 1);
  assert.ok(Number.isNaN(one.meanDiffCi[0]) && Number.isNaN(one.dz));
  const flat = pairedEffect([2, 3, 4], [1, 2, 3]);
  assert.equal(flat.meanDiff, 1);
  assert.deepEqual(flat.meanDiffCi, [1, 1]);
  assert.ok(Number.isNaN(flat.dz) && Number.isNaN(flat.dzCi[0]));
});
