/**
 * The evaluate functions of the claims against hand-computed numbers: the evidence builders of
 * core/app/claims.ts (paired t with its 99% interval, from a summary's mean and p, the
 * intersection-union test, Pearson with Fisher's z), fig5's claims on a crafted store read back
 * through its own summary, the example figures' claims on crafted population curves, and
 * dms-new-problem's learning-from-own-start measure. With 3 pairs the t distribution has df 2,
 * whose two-sided p is 1 - |t| / sqrt(2 + t^2) in closed form.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  correlationEvidence,
  everyEvidence,
  nForCorrelationPower,
  pairedEvidence,
  pairedEvidenceFromP,
} from "../core/app/claims.ts";
import { experimentRun } from "../core/app/experiment.ts";
import { openStore } from "../core/store/store.ts";
import type { Fig5Config } from "../experiments/fig5/config.ts";
import { FIG5_CLAIMS } from "../experiments/fig5/claims.ts";
import { summarizeFig5 } from "../experiments/fig5/summary.ts";
import {
  exampleProbeEvidence,
  EXAMPLES_CLAIMS,
  populationAt,
} from "../experiments/dms_examples/claims.ts";
import { DNP_CLAIMS } from "../experiments/dms_new_problem/claims.ts";
import { DNP_DEFAULT } from "../experiments/dms_new_problem/config.ts";
import { learningOf, summarizeProblems } from "../experiments/dms_new_problem/summary.ts";
import { withTempDir } from "./fixtures/helpers.ts";
import { CRAFTED, craftFig5Run } from "./fixtures/crafted_fig5.ts";

/** Two-sided p of a t statistic with 2 degrees of freedom (closed form). */
function pDf2(t: number): number {
  return 1 - Math.abs(t) / Math.sqrt(2 + t * t);
}

/** Mean, sd and the df-2 t-test p of three differences, computed by hand. */
function byHand(d: number[]): { mean: number; sd: number; p: number } {
  const m = (d[0] + d[1] + d[2]) / 3;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
  return { mean: m, sd, p: pDf2(m / (sd / Math.sqrt(3))) };
}

const close = (a: number, b: number, tol = 1e-9, what = ""): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("evidence builders: paired t, from mean and p, every x, Pearson", () => {
  // Diffs 1, 2, 3: mean 2, sd 1, t = 2 sqrt(3), p = 0.0741799 (R: t.test(c(1,2,3))).
  const ev = pairedEvidence([2, 4, 6], [1, 2, 3], { metric: "m" })!;
  close(ev.effect, 2);
  close(ev.p!, 0.07417990022744858);
  close(ev.sdDiff!, 1);
  // 99% interval: 2 -/+ t(0.995, 2) / sqrt(3), t(0.995, 2) = 9.924843200918272.
  // (jstat's t quantile is good to about 1e-9.)
  close(ev.ci99[0], 2 - 9.924843200918272 / Math.sqrt(3), 1e-7);
  close(ev.ci99[1], 2 + 9.924843200918272 / Math.sqrt(3), 1e-7);
  assert.match(ev.note!, /3 of 3 pairs/);
  assert.match(ev.note!, /Wilcoxon signed-rank p = 0\.25/, "exact: 2 / 2^3");
  assert.equal(pairedEvidence([1], [0], { metric: "m" }), null, "n < 2");

  // The same test rebuilt from its mean, p and n gives the same interval and sd.
  const back = pairedEvidenceFromP({ meanDiff: 2, p: ev.p!, n: 3 }, { metric: "m" })!;
  close(back.ci99[0], ev.ci99[0], 1e-7);
  close(back.sdDiff!, 1, 1e-7);
  assert.equal(pairedEvidenceFromP({ meanDiff: 2, p: NaN, n: 3 }, { metric: "m" }), null);

  // Every x: the weakest x's effect and the largest p.
  const weak = pairedEvidence([1.5, 2, 2.5], [1, 1, 1], { metric: "weak" })!;
  const all = everyEvidence([{ label: "a", evidence: ev }, { label: "b", evidence: weak }], {
    metric: "x",
  })!;
  close(all.effect, 1);
  close(all.p!, Math.max(ev.p!, weak.p!));
  assert.match(all.metric, /weakest: b/);
  assert.equal(everyEvidence([{ label: "a", evidence: null }], { metric: "x" }), null);

  // x = 1..4, y = 2, 1, 4, 3: r = 0.6, t = 0.6 sqrt(2 / 0.64), p = 0.4 (R: cor.test).
  const r = correlationEvidence([1, 2, 3, 4], [2, 1, 4, 3], { metric: "r", sign: 1, alpha: 0.05 })!;
  close(r.effect, 0.6);
  close(r.p!, 0.4, 1e-12);
  // Fisher's z: tanh(atanh(0.6) -/+ z(0.995) / sqrt(1)).
  close(r.ci99[0], Math.tanh(Math.atanh(0.6) - 2.5758293035489004), 1e-9);
  const neg = correlationEvidence([1, 2, 3, 4], [2, 1, 4, 3], {
    metric: "r",
    sign: -1,
    alpha: 0.05,
  })!;
  close(neg.effect, -0.6);
  close(neg.ci99[1], -r.ci99[0], 1e-12);
  // ((z(0.975) + z(0.8)) / atanh(0.3))^2 + 3 = 84.93: 85 pairs.
  assert.equal(nForCorrelationPower(0.3, { alpha: 0.05 }), 85);
  assert.equal(nForCorrelationPower(-0.3, { alpha: 0.05 }), null);
});

Deno.test("fig5 claims on a crafted run, read back through its summary", async () => {
  await withTempDir(async (dir) => {
    const store = await openStore(join(dir, "s.kv"));
    await craftFig5Run(store);
    const { id, d, le, correct } = CRAFTED;
    const s = await summarizeFig5(experimentRun<Fig5Config>((await store.getRun(id))!), store);
    await store.close();
    const judge = (key: string) => FIG5_CLAIMS.find((k) => k.id.includes(key))!.evaluate(s)!;

    // 5A: per pair, pruned - unpruned averaged over 0.5 and 0.7: 0.15, 0.25, 0.35.
    const a = byHand([0.15, 0.25, 0.35]);
    const e5a = judge("5A/");
    close(e5a.effect, a.mean, 1e-12, "5A effect");
    close(e5a.p!, a.p, 1e-9, "5A p");
    assert.equal(e5a.n, 3);
    // 5B: onset 36 is the weakest (diffs d/2), p the same as the other onsets (same t).
    const b = byHand(d.map((x) => x / 2));
    const e5b = judge("5B/");
    close(e5b.effect, b.mean, 1e-12, "5B effect");
    close(e5b.p!, b.p, 1e-9, "5B p");
    assert.match(e5b.metric, /weakest: onset 36/);
    // 5C: every strength's difference is the mean over onsets, 11 d / 12.
    const e5c = judge("5C/");
    close(e5c.effect, 0.2 * 11 / 12, 1e-12, "5C effect");
    close(e5c.p!, byHand(d).p, 1e-9, "5C p");
    // 5D: unpruned - pruned LE averaged over the levels.
    const dd = [0, 1, 2].map((i) =>
      ((le.unpruned[i][0] - le.pruned[i][0]) + (le.unpruned[i][1] - le.pruned[i][1])) / 2
    );
    const e5d = judge("5D/");
    close(e5d.effect, byHand(dd).mean, 1e-12, "5D effect");
    close(e5d.p!, byHand(dd).p, 1e-9, "5D p");
    // 5E (code): -r of conditions correct and LE at 0.7 over both lineages' six networks.
    const x = [...correct.pruned, ...correct.unpruned];
    const y = [...le.pruned.map((r) => r[1]), ...le.unpruned.map((r) => r[1])];
    const mx = x.reduce((p, v) => p + v) / 6;
    const my = y.reduce((p, v) => p + v) / 6;
    const sxy = x.reduce((p, v, k) => p + (v - mx) * (y[k] - my), 0);
    const sxx = x.reduce((p, v) => p + (v - mx) ** 2, 0);
    const syy = y.reduce((p, v) => p + (v - my) ** 2, 0);
    const e5e = judge("le-by-correct-code");
    close(e5e.effect, -sxy / Math.sqrt(sxx * syy), 1e-12, "5E r");
    assert.equal(e5e.n, 6);
    assert.ok(e5e.nFor80Power !== undefined);
    // 5F: unpruned networks have 10%, 20%, 30% of their weights at 0.05, pruned ones none.
    const e5f = judge("5F/");
    close(e5f.effect, 0.2, 1e-12, "5F effect");
    close(e5f.p!, byHand(d).p, 1e-9, "5F p");

    // The summary's added fields: converged counts and both 5E groupings.
    assert.deepEqual(s.converged.levels.unpruned.converged, [2, 2]);
    assert.deepEqual(s.converged.levels.pruned.fraction, [1, 1]);
    assert.deepEqual(s.atLevel.leByCorrect.pruned.n, [0, 0, 1, 2]);
    // Legend grouping: pruned 0.7, 0.8, 0.9 -> quarters 3, 3, 4; unpruned 0.5 -> 2.
    assert.deepEqual(s.atLevel.leByCorrectAllTrials.pruned.n, [0, 0, 2, 1]);
    assert.deepEqual(s.atLevel.leByCorrectAllTrials.unpruned.n, [0, 3, 0, 0]);
    close(s.effects.probeAccuracy[1].meanDiff!, 0.3, 1e-12, "effect at 0.7");
    assert.equal(s.effects.probeAccuracy[1].wilcoxonP, 0.25);
  });
});

Deno.test("example-figure claims: population curves and the example probe", () => {
  const curves = {
    pruned: { mean: [0.2, 0.4], n: [5, 5] },
    unpruned: { mean: [0.3, 0.9], n: [5, 4] },
  };
  const ev = populationAt(curves, { i: 1, p: 0.01, metric: "m" })!;
  close(ev.effect, 0.5);
  assert.equal(ev.n, 4, "the smaller lineage count");
  assert.equal(ev.p, 0.01);
  assert.equal(populationAt(curves, { i: -1, p: 0.01, metric: "m" }), null);
  const good = {
    probedCorrect: [true, true, true, true],
    unprobedCorrect: [true, true, true, true],
  };
  const bad = {
    probedCorrect: [true, true, true, false],
    unprobedCorrect: [true, true, true, true],
  };
  const meta = { probeScore: 0.5, method: "rule" as const };
  assert.equal(exampleProbeEvidence({ ...good, ...meta }, { ...bad, ...meta })!.effect, 1);
  assert.equal(exampleProbeEvidence({ ...bad, ...meta }, { ...good, ...meta })!.effect, -1);
  const unclean = { ...good, unprobedCorrect: [true, true, true, false], ...meta };
  assert.equal(exampleProbeEvidence(unclean, { ...bad, ...meta })!.effect, 0);
  assert.deepEqual(
    EXAMPLES_CLAIMS.map((c) => c.experiment).sort(),
    ["fig2", "fig2", "fig3", "fig4"],
  );
});

Deno.test("dms-new-problem claims: learning measured from each network's own start", () => {
  // Start 0.1, curve 0.05 then 0.025 (end): learning = mean(log 0.5, log 0.25).
  const l = learningOf({
    lossHistory: [0.1, 0.05],
    endLoss: 0.025,
    outerIterations: 2,
    converged: false,
    emergencySteps: 0,
  })!;
  close(l.learning, (Math.log(0.5) + Math.log(0.25)) / 2, 1e-15);
  close(l.endChange, Math.log(0.25), 1e-15);
  // Pruned networks start lower but halve their loss as the unpruned ones do: not slower.
  const unit = (problem: string, i: number, k: { p: number; u: number }) => ({
    key: ["problem", problem, i],
    record: {
      metrics: {
        problem,
        network: i,
        source: "fig5-x",
        pruned: {
          lossHistory: [0.05, 0.05 * k.p],
          outerIterations: 1,
          converged: false,
          emergencySteps: 0,
        },
        unpruned: {
          lossHistory: [0.1, 0.1 * k.u],
          outerIterations: 1,
          converged: false,
          emergencySteps: 0,
        },
      },
      blobs: [],
    },
  });
  const units = [
    unit("combined", 0, { p: 0.5, u: 0.5 }),
    unit("combined", 1, { p: 0.6, u: 0.5 }),
    unit("combined", 2, { p: 0.7, u: 0.5 }),
    unit("reversal", 0, { p: 0.4, u: 0.5 }),
    unit("reversal", 1, { p: 0.4, u: 0.6 }),
    unit("reversal", 2, { p: 0.4, u: 0.7 }),
    { key: ["problem", "newChannels", 0], record: { metrics: { skipped: "failed" }, blobs: [] } },
  ];
  const problems = summarizeProblems({ ...DNP_DEFAULT, networks: 3 }, units);
  assert.deepEqual(Object.keys(problems), ["combined", "reversal"]);
  const slow = [Math.log(0.5 / 0.5), Math.log(0.6 / 0.5), Math.log(0.7 / 0.5)];
  const s = {
    problems,
    figure: "dms-new-problem" as const,
    runId: "r",
    reduced: true,
    config: DNP_DEFAULT,
    seed: 1,
  };
  const combined = DNP_CLAIMS[0].evaluate(s)!;
  close(combined.effect, byHand(slow).mean, 1e-12, "combined slowing");
  close(combined.p!, byHand(slow).p, 1e-9, "combined p");
  const faster = [Math.log(0.4 / 0.5), Math.log(0.4 / 0.6), Math.log(0.4 / 0.7)];
  const reversal = DNP_CLAIMS[1].evaluate(s)!;
  close(reversal.effect, byHand(faster).mean, 1e-12, "reversal: pruned faster");
  assert.equal(DNP_CLAIMS[2].evaluate(s), null, "new channels: every pair skipped");
  // Not all: the least slowed problem (reversal), sign turned.
  const notAll = DNP_CLAIMS[3].evaluate(s)!;
  close(notAll.effect, -byHand(faster).mean, 1e-12, "not-all effect");
  assert.match(notAll.metric, /problem 'reversal'/);
});
