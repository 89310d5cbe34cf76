/**
 * Statistics of the population figures (spec 8.8): mean, sd, SEM, per-column mean/SEM, the
 * two-sided paired t-test against hand-computed cases, and missing values.
 */
import assert from "node:assert/strict";
import { mean, meanSem, pairedTTest, pearson, sd, sem } from "../core/util/stats.ts";
import { assertRel } from "./fixtures/helpers.ts";

/** Student-t cdf for 3 degrees of freedom in closed form (an independent reference). */
function tCdf3(t: number): number {
  const r = t / Math.sqrt(3);
  return 0.5 + (r / (1 + r * r) + Math.atan(r)) / Math.PI;
}

Deno.test("mean, sd (n - 1) and sem of a known sample", () => {
  const x = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(x), 5);
  assertRel(sd(x), Math.sqrt(32 / 7), 1e-15, "sd");
  assertRel(sem(x), Math.sqrt(32 / 7) / Math.sqrt(8), 1e-15, "sem");
});

Deno.test("missing values (null, undefined, NaN, Infinity) are dropped", () => {
  const x = [1, null, 3, NaN, 5, undefined, Infinity];
  assert.equal(mean(x), 3);
  assert.equal(sd(x), 2);
  assertRel(sem(x), 2 / Math.sqrt(3), 1e-15, "sem");
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(mean([null, NaN])));
  assert.ok(Number.isNaN(sd([4])));
  assert.ok(Number.isNaN(sem([4])));
});

Deno.test("meanSem: one mean/sem per column, ragged rows and missing cells", () => {
  const rows = [
    [1, 10, null],
    [3, 20, 7],
    [5],
  ];
  const { mean: m, sem: s } = meanSem(rows);
  assert.deepEqual(m, [3, 15, 7]);
  assertRel(s[0], 2 / Math.sqrt(3), 1e-15, "sem col 0");
  assertRel(s[1], Math.sqrt(50) / Math.sqrt(2), 1e-15, "sem col 1");
  assert.ok(Number.isNaN(s[2]));
});

Deno.test("pairedTTest: diffs [1, 2, 3, 4] -> t = 3.873, df 3, p = 0.0305", () => {
  const a = [11, 22, 33, 44];
  const b = [10, 20, 30, 40];
  const r = pairedTTest(a, b);
  // mean 2.5, sd sqrt(5/3) = 1.29099, sem 0.645497, t = 2.5 / 0.645497 = 3.872983
  const t = 2.5 / (Math.sqrt(5 / 3) / 2);
  assertRel(r.t, t, 1e-14, "t");
  assertRel(r.t, 3.872983346, 1e-9, "t (decimal)");
  assert.equal(r.df, 3);
  assert.equal(r.n, 4);
  assertRel(r.p, 2 * (1 - tCdf3(t)), 1e-9, "p vs closed-form t(3) cdf");
  assertRel(r.p, 0.03047, 1e-3, "p (decimal)");
  // Sign: a - b.
  assertRel(pairedTTest(b, a).t, -t, 1e-14, "reversed t");
  assertRel(pairedTTest(b, a).p, r.p, 1e-14, "two-sided p");
});

Deno.test("pairedTTest: incomplete pairs are dropped pairwise", () => {
  const a = [11, null, 22, 33, NaN, 44, 100];
  const b = [10, 5, 20, 30, 1, 40, undefined];
  const r = pairedTTest(a, b);
  assert.equal(r.n, 4);
  assertRel(r.t, 3.872983346, 1e-9, "t");
});

Deno.test("pairedTTest: degenerate cases", () => {
  const one = pairedTTest([1], [0]);
  assert.equal(one.n, 1);
  assert.ok(Number.isNaN(one.p));
  const same = pairedTTest([1, 2, 3], [1, 2, 3]);
  assert.ok(Number.isNaN(same.p), "no difference at all: p undefined");
  const constShift = pairedTTest([2, 3, 4], [1, 2, 3]);
  assert.equal(constShift.p, 0);
  assert.equal(constShift.t, Infinity);
});

Deno.test("pearson: perfect and known correlations", () => {
  assertRel(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1, 1e-15, "r = 1");
  assertRel(pearson([1, 2, 3, 4], [8, 6, 4, 2]), -1, 1e-15, "r = -1");
  // x = 1..5, y = [2, 1, 4, 3, 5]: sxy = 8, sxx = 10, syy = 10 -> r = 0.8
  assertRel(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8, 1e-14, "r = 0.8");
  assert.ok(Number.isNaN(pearson([1, 2], [1, 2])));
});
