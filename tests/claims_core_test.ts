/**
 * The scorecard's core: the verdict rule and the n for 80% power of a paired t-test (checked against
 * G*Power's one-sample t-test values).
 */
import assert from "node:assert/strict";
import { judgeClaim, verdictOf } from "../core/app/claims.ts";
import { nForPairedPower, pairedPower } from "../core/util/stats.ts";

Deno.test("power of the paired t-test matches G*Power's table (d = 0.5, alpha 0.05)", () => {
  // G*Power 3.1, t tests - means: difference from constant (one sample), two tails.
  assert.ok(Math.abs(pairedPower(0.5, 1, { n: 34, alpha: 0.05 }) - 0.8078) < 1e-4);
  assert.deepEqual(nForPairedPower(0.5, 1, { alpha: 0.05 }), 34);
  // d = 0.8 needs 15 pairs at alpha 0.05 (G*Power: power 0.8213 at n = 15, 0.7813 at n = 14).
  assert.deepEqual(nForPairedPower(0.8, 1, { alpha: 0.05 }), 15);
});

Deno.test("n for 80% power: monotone in the effect, null without an effect in the paper's direction", () => {
  const a = nForPairedPower(0.05, 0.18)!;
  const b = nForPairedPower(0.1, 0.18)!;
  assert.deepEqual(a > b, true);
  assert.deepEqual(pairedPower(0.1, 0.18, { n: b, alpha: 0.01 }) >= 0.8, true);
  assert.deepEqual(pairedPower(0.1, 0.18, { n: b - 1, alpha: 0.01 }) < 0.8, true);
  assert.deepEqual(nForPairedPower(0, 0.18), null);
  assert.deepEqual(nForPairedPower(-0.1, 0.18), null);
  assert.deepEqual(nForPairedPower(0.1, 0), 2);
});

Deno.test("verdict rule: significant in the paper's direction, direction only, opposite, not run", () => {
  const ev = (effect: number, p: number | null) => ({
    metric: "m",
    n: 8,
    effect,
    ci99: [effect - 1, effect + 1] as [number, number],
    p,
    test: "paired t-test",
  });
  assert.deepEqual(verdictOf(ev(0.1, 0.001), 0.01), "reproduced");
  assert.deepEqual(verdictOf(ev(0.1, 0.02), 0.01), "direction");
  assert.deepEqual(verdictOf(ev(0.1, null), 0.01), "direction");
  assert.deepEqual(verdictOf(ev(-0.1, 0.001), 0.01), "not-reproduced");
  assert.deepEqual(verdictOf(ev(0, 1), 0.01), "not-reproduced");
  assert.deepEqual(verdictOf(null, 0.01), "not-run");
  const claim = {
    id: "x",
    paper: "averbeck2022" as const,
    figure: "Fig 5A",
    claim: "c",
    alpha: 0.01,
  };
  const notRun = judgeClaim(claim, null, { runId: null, notRunNote: "no run" });
  assert.deepEqual([notRun.verdict, notRun.note, notRun.n], ["not-run", "no run", null]);
  const run = judgeClaim(claim, { ...ev(0.09, 0.2), sdDiff: 0.175 }, { runId: "fig5-1" });
  assert.deepEqual([run.verdict, run.runId, run.nFor80Power], ["direction", "fig5-1", 48]);
});
