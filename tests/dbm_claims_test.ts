/**
 * Family-B claims (experiments/dbm/claims.ts) on crafted bm-fig3 / bm-fig4 summaries: evidence
 * recomputed by hand (the one-sample t-test over 3 seeds has a closed-form p for 2 degrees of
 * freedom), the intersection-union rule over criteria, one seed giving an untested effect (verdict
 * at most `direction`), and claims that need more iterations than the run made returning null.
 */
import assert from "node:assert/strict";
import { judgeClaim, verdictOf } from "../core/app/claims.ts";
import { DBM_FIG3_CLAIMS, DBM_FIG4_CLAIMS } from "../experiments/dbm/claims.ts";
import { bmFig3, bmFig4 } from "../experiments/dbm/experiment.ts";
import type { DbmSummary, SeedPoint } from "../experiments/dbm/summary.ts";
import { pDf2, summaryHeader } from "./fixtures/claims.ts";

const close = (a: number, b: number, what: string): void =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

function point(iteration: number, over: Partial<SeedPoint> = {}): SeedPoint {
  return {
    iteration,
    remainingWeights: 279236,
    weightsLayer2: 270400,
    unitsH1: 400,
    unitsH2: 676,
    classifierError: 0.1,
    quality: 0.8,
    qualityPerClass: 0.8,
    entropy: 2.25,
    activity: { h1: 0.4, h2: 0.01 },
    ...over,
  };
}

/**
 * A summary whose criterion c and seed s follow `f(c, s, k)` at iterations 0..rounds (iteration 0
 * shared by all criteria as in a real run); `disconnected(c, s)` after the last iteration.
 */
function summary(options: {
  seeds: number;
  rounds: number;
  f: (c: string, s: number, k: number) => Partial<SeedPoint>;
  disconnected?: (c: string, s: number) => number[];
  baselineSubset?: number;
}): DbmSummary {
  const config = structuredClone(bmFig3.presets.default);
  config.protocol.prune.iterations = options.rounds;
  const criteria: DbmSummary["criteria"] = {};
  for (const c of config.criteria) {
    criteria[c] = {
      label: c,
      iterations: [],
      stopped: [],
      disconnectedMap: [],
      perSeed: Array.from({ length: options.seeds }, (_, s) => ({
        seed: s,
        points: Array.from(
          { length: options.rounds + 1 },
          (_, k) => point(k, k === 0 ? options.f("initial", s, 0) : options.f(c, s, k)),
        ),
        disconnected: options.disconnected?.(c, s) ?? [],
      })),
    };
  }
  const ref = { quality: 0.6, qualityPerClass: 0.52, entropy: 2.0, classCounts: [] };
  return {
    ...summaryHeader("bm-fig3", config),
    data: null,
    reference: { testDigits: { ...ref, qualityPerClass: 0.88 }, randomPatterns: ref },
    baselineError: 0.1,
    baselineSubset: options.baselineSubset === undefined
      ? null
      : { digits: 1000, error: options.baselineSubset },
    criteria,
    samples: {},
  };
}

const byId = (id: string) => [...DBM_FIG3_CLAIMS, ...DBM_FIG4_CLAIMS].find((c) => c.id === id)!;

Deno.test("every family-B claim of the catalogue has an evaluate on its experiment", () => {
  assert.equal(bmFig3.claims?.length, 12);
  assert.equal(bmFig4.claims?.length, 5);
  for (const c of bmFig3.claims!) assert.equal(c.experiment, "bm-fig3", c.id);
  for (const c of bmFig4.claims!) assert.equal(c.experiment, "bm-fig4", c.id);
});

Deno.test("encoding beats raw: against the subset-trained baseline, one-sample t-test over seeds", () => {
  const err = [0.1, 0.12, 0.11];
  const s = summary({
    seeds: 3,
    rounds: 3,
    f: (_c, seed) => ({ classifierError: err[seed] }),
    baselineSubset: 0.15,
  });
  const ev = byId("scholl2021/fig3/encoding-beats-raw").evaluate(s)!;
  const diffs = err.map((e) => 0.15 - e);
  assert.equal(ev.n, 3);
  close(ev.effect, 0.04, "effect");
  close(ev.p!, pDf2(diffs), "p");
  assert.equal(verdictOf(ev, 0.05), "reproduced");
  // Without a subset the full baseline (0.1) is the reference: every error is above it.
  const full = byId("scholl2021/fig3/encoding-beats-raw").evaluate({ ...s, baselineSubset: null })!;
  assert.ok(full.effect < 0);
});

Deno.test("FI's first iteration on h2: intersection-union over VAR and HEU, weakest effect", () => {
  const removed: Record<string, number[]> = {
    "fi-variance": [0.34, 0.3, 0.4],
    "fi-heuristic": [0.5, 0.45, 0.35],
  };
  const s = summary({
    seeds: 3,
    rounds: 3,
    f: (c, seed, k) =>
      k === 1 ? { weightsLayer2: 270400 * (1 - (removed[c]?.[seed] ?? 0.25)) } : {},
  });
  const ev = byId("scholl2021/fig3/fi-first-iteration-h2").evaluate(s)!;
  // VAR - 0.25 = [0.09, 0.05, 0.15] (mean 0.0967) is weaker than HEU's (mean 0.1833).
  close(ev.effect, (0.09 + 0.05 + 0.15) / 3, "effect");
  close(ev.p!, Math.max(pDf2([0.09, 0.05, 0.15]), pDf2([0.25, 0.2, 0.1])), "p");
});

Deno.test("one seed: the effect without a test, so at most 'direction'", () => {
  const s = summary({
    seeds: 1,
    rounds: 3,
    f: (c, _s, k) => (k > 0 && c === "anti-fi" ? { qualityPerClass: 0.3 } : {}),
  });
  const ev = byId("scholl2021/fig4/anti-quality-worst").evaluate(s)!;
  assert.equal(ev.n, 1);
  close(ev.effect, 0.5, "effect");
  assert.equal(ev.p, null);
  assert.equal(
    judgeClaim(byId("scholl2021/fig4/anti-quality-worst"), ev, { runId: "r" }).verdict,
    "direction",
  );
});

Deno.test("claims about iterations 4, 6 and 10 need a run that made them", () => {
  const short = summary({ seeds: 3, rounds: 3, f: () => ({}) });
  for (const id of ["var-dip", "fi-fewer-iterations", "mag-error-low"]) {
    assert.equal(byId(`scholl2021/fig3/${id}`).evaluate(short), null, id);
  }
  // Ten rounds: MAG/RW keep 90%/75% per round, VAR/HEU lose twice as fast.
  const nw = (c: string, k: number): number =>
    Math.round(279236 * (c.startsWith("fi-") ? 0.6 : 0.8) ** k);
  const long = summary({
    seeds: 3,
    rounds: 10,
    f: (c, s, k) => ({ remainingWeights: nw(c, k) + s }),
  });
  const ev = byId("scholl2021/fig3/fi-fewer-iterations").evaluate(long)!;
  close(ev.effect, nw("magnitude", 10) - nw("fi-variance", 6), "effect");
});

Deno.test("MAG and RW keep units: no unit and at most one pixel is a positive margin", () => {
  const ok = summary({
    seeds: 3,
    rounds: 3,
    f: () => ({}),
    disconnected: (c, s) => (c === "magnitude" && s === 0 ? [0] : []),
  });
  const ev = byId("scholl2021/fig3/mag-rw-keep-units").evaluate(ok)!;
  close(ev.effect, (0.5 + 0.5 + 0.5) / 3, "effect");
  const lost = summary({
    seeds: 3,
    rounds: 3,
    f: (c, _s, k) => (c === "random-weights" && k === 3 ? { unitsH2: 670 } : {}),
  });
  assert.ok(byId("scholl2021/fig3/mag-rw-keep-units").evaluate(lost)!.effect < 0);
});

Deno.test("pixels: FI disconnects border pixels, ANTI central ones", () => {
  const border = [0, 19, 380, 399];
  const centre = [189, 190, 209, 210];
  const s = summary({
    seeds: 3,
    rounds: 3,
    f: () => ({}),
    disconnected: (c, seed) =>
      c.startsWith("fi-") ? border.slice(0, 2 + seed) : c === "anti-fi" ? centre : [],
  });
  const ev = byId("scholl2021/fig3/pixels").evaluate(s)!;
  const corner = Math.hypot(9.5, 9.5);
  close(ev.effect, corner - Math.hypot(0.5, 0.5), "effect");
});

Deno.test("Fig 4: entropy of the unpruned models, FI diversity and quality against random patterns", () => {
  const s = summary({
    seeds: 3,
    rounds: 3,
    f: (c, seed, k) =>
      k === 0
        ? { entropy: [2.25, 2.28, 2.26][seed] }
        : { entropy: c.startsWith("fi-") ? 1.5 : 2.0, qualityPerClass: 0.7 + 0.01 * seed },
  });
  const unpruned = byId("scholl2021/fig4/unpruned-diverse").evaluate(s)!;
  close(unpruned.effect, (0.05 + 0.08 + 0.06) / 3, "entropy effect");
  const div = byId("scholl2021/fig4/fi-diversity").evaluate(s)!;
  close(div.effect, 0.5, "diversity effect");
  const q = byId("scholl2021/fig4/fi-mag-quality").evaluate(s)!;
  close(q.effect, 0.71 - 0.52, "quality effect");
});
