/**
 * pairedComparison (core/app/paired_lineages.ts): the series it builds carry the same numbers as the
 * statistics functions computed directly, marks follow the Holm-adjusted p, and the declared test
 * says what was done.
 */
import assert from "node:assert/strict";
import { pairedComparison } from "../core/app/paired_lineages.ts";
import { describeTest } from "../core/app/panels.ts";
import {
  holmAdjust,
  pairedEffect,
  pairedTTest,
  sem,
  wilcoxonSignedRank,
} from "../core/util/stats.ts";
import { assertRel } from "./fixtures/helpers.ts";

// rows[network][level]: level 0 differs strongly, level 1 weakly, level 2 has a missing pair.
const A = [[1.0, 0.50, 0.3], [1.2, 0.52, null], [1.1, 0.47, 0.2], [1.3, 0.55, 0.4]];
const B = [[0.2, 0.49, 0.3], [0.3, 0.50, 0.1], [0.25, 0.48, 0.2], [0.1, 0.51, 0.5]];
const col = (rows: (number | null)[][], c: number): (number | null)[] => rows.map((r) => r[c]);

Deno.test("pairedComparison: t-test p, Holm-adjusted marks, n, effect and SEM per point", () => {
  const { series, test } = pairedComparison(A, B, { x: [0, 0.5, 0.7] });
  const p = [0, 1, 2].map((c) => pairedTTest(col(A, c), col(B, c)).p);
  const adj = holmAdjust(p);
  for (const s of series) {
    assert.deepEqual(s.n, [4, 4, 3]);
    s.p!.forEach((v, i) => assertRel(v!, p[i], 1e-15, `p${i}`));
    s.pAdjusted!.forEach((v, i) => assertRel(v!, adj[i]!, 1e-15, `adjusted p${i}`));
    assert.deepEqual(s.significant, adj.map((v) => v! < 0.01));
  }
  assert.equal(series[0].significant![0], true);
  assert.equal(series[0].significant![1], false);
  assertRel(series[0].err![0]!, sem(col(A, 0)), 1e-15, "sem");
  const e = pairedEffect(col(A, 0), col(B, 0));
  assertRel(series[0].effect![0]!.value, e.meanDiff, 1e-15, "effect");
  assertRel(series[0].effect![0]!.low, e.meanDiffCi[0], 1e-15, "effect low");
  assert.equal(series[0].color, "pruned");
  assert.equal(series[1].label, "unpruned");
  assert.deepEqual(test, {
    test: "paired t-test",
    alpha: 0.01,
    correction: "holm",
    family: 3,
    effect: "mean difference pruned - unpruned, 95% t interval",
  });
  assert.equal(
    describeTest(test),
    "filled markers: p < 0.01, paired t-test, Holm-corrected over 3 tests",
  );
});

Deno.test("pairedComparison: exact Wilcoxon without correction, SD error bars", () => {
  const { series, test } = pairedComparison(A, B, {
    x: ["a", "b", "c"],
    test: "wilcoxon",
    correction: "none",
    errorKind: "sd",
    alpha: 0.05,
  });
  const p0 = wilcoxonSignedRank(col(A, 0), col(B, 0)).p;
  assertRel(series[0].p![0]!, p0, 1e-15, "p");
  // n = 4 cannot reach 0.05 with an exact two-sided signed-rank test (min p = 0.125).
  assert.deepEqual(series[0].significant, [false, false, false]);
  assert.equal(test.test, "Wilcoxon signed-rank test (exact)");
  assert.equal(
    describeTest(test),
    "filled markers: p < 0.05, Wilcoxon signed-rank test (exact), uncorrected",
  );
});
