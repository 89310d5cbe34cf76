/**
 * The family-B claims of Scholl et al. 2021 (catalogue: experiments/claims_catalogue.ts), judged
 * from the `--out` summary of bm-fig3 and bm-fig4 ({@link DbmSummary}). Seeds are the
 * independent observations: a seed trains its own initial model, shared by all its criteria, so
 * comparisons between criteria are paired over seeds (`perSeed` of each criterion). With one seed
 * (the REDUCED default) a claim gets its effect without a test, so its verdict is at most
 * `direction`; `--networks 3` or more gives a test.
 *
 * A claim whose statement needs more pruning iterations than the run made (e.g. "after iteration
 * 10") returns null: the scorecard says not-run rather than judging a shorter run. An ordering
 * over several criteria is an intersection-union test (one test per pair, the largest p), as in
 * experiments/bm/claims.ts. "After retraining" means each seed's last retrained iteration.
 *
 * @module
 */
import {
  type Claim,
  type ClaimEvidence,
  everyEvidence,
  oneSampleEvidence,
} from "../../core/app/claims.ts";
import type { DbmCriterionId } from "../../core/bm/dbm/criteria.ts";
import { claim } from "../claims_catalogue.ts";
import type { DbmSummary, SeedPoint, SeedTrace } from "./summary.ts";

/** The FI criteria (VAR, HEU). */
const FI: readonly DbmCriterionId[] = ["fi-variance", "fi-heuristic"];

/** Chance error of a 10-class classifier. */
const CHANCE_ERROR = 0.9;

/**
 * "No better than chance" read as an error within this margin of chance (a margin of ours; the
 * paper gives none).
 */
export const CHANCE_MARGIN = 0.05;

/** The entropy "near the maximum" of Fig 4B: 2.2 nats (ln 10 = 2.303), the catalogue's bound. */
const NEAR_MAX_ENTROPY = 2.2;

const LABEL: Record<string, string> = {
  "fi-variance": "VAR",
  "fi-heuristic": "HEU",
  "anti-fi": "ANTI",
  "magnitude": "MAG",
  "random-weights": "RW",
  "random-units": "RU",
};

const label = (c: string): string => LABEL[c] ?? c;

/** Seed indices of the run (those with an unpruned model), sorted. */
function seedsOf(s: DbmSummary): number[] {
  const all = Object.values(s.criteria).flatMap((c) => c.perSeed.map((t) => t.seed));
  return [...new Set(all)].sort((a, b) => a - b);
}

function trace(s: DbmSummary, c: string, seed: number): SeedTrace | undefined {
  return s.criteria[c]?.perSeed.find((t) => t.seed === seed);
}

/** A seed's point at iteration k under criterion c (k = "last": its last retrained one). */
function at(s: DbmSummary, c: string, seed: number, k: number | "last"): SeedPoint | null {
  const t = trace(s, c, seed);
  if (!t || t.points.length === 0) return null;
  if (k === "last") return t.points.length > 1 ? t.points[t.points.length - 1] : null;
  return t.points.find((p) => p.iteration === k) ?? null;
}

/** Per seed of `seeds`: f of the seed, or null. */
function perSeed(
  seeds: readonly number[],
  f: (seed: number) => number | null | undefined,
): (number | null)[] {
  return seeds.map((x) => {
    const v = f(x);
    return v === undefined || v === null || !Number.isFinite(v) ? null : v;
  });
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Intersection-union evidence over parts (each over seeds); one seed: the weakest, untested. */
function allOf(
  parts: { label: string; values: (number | null)[] }[],
  options: { metric: string; note?: string },
): ClaimEvidence | null {
  const judged = parts.map((p) => ({
    label: p.label,
    evidence: oneSampleEvidence(p.values, { metric: `${options.metric}: ${p.label}` }),
  }));
  if (judged.length === 0 || judged.some((p) => p.evidence === null)) return null;
  if (judged.length === 1) {
    const e = judged[0].evidence!;
    return {
      ...e,
      metric: options.metric,
      note: [e.note, options.note].filter(Boolean).join("; "),
    };
  }
  const ev = everyEvidence(judged, options);
  if (!ev) return null;
  const untested = judged.some((p) => p.evidence!.p === null);
  return {
    ...ev,
    test: untested
      ? "none (one seed: the weakest of the comparisons, no test possible)"
      : `intersection-union test over ${parts.length} comparisons, each a one-sample t-test ` +
        "over seeds; holds when the largest p is below alpha",
    note: [ev.note, untested ? "one seed: no test; run --networks 3 or more" : undefined]
      .filter(Boolean).join("; "),
  };
}

/** The criteria of `want` the run has. */
function present(s: DbmSummary, want: readonly string[]): string[] {
  return want.filter((c) => s.criteria[c] !== undefined);
}

/** The raw-digit baseline Fig 3B compares with: trained on the DBM's digits when a subset. */
function baseline(s: DbmSummary): { error: number; note: string } | null {
  if (s.baselineError === null) return null;
  if (s.baselineSubset) {
    return {
      error: s.baselineSubset.error,
      note: `baseline: the raw-digit classifier trained on the DBM's ${s.baselineSubset.digits} ` +
        `digits (${s.baselineSubset.error.toFixed(4)}); on all ${
          s.data?.train ?? "?"
        } training digits it is ${s.baselineError.toFixed(4)}`,
    };
  }
  return { error: s.baselineError, note: `baseline error ${s.baselineError.toFixed(4)}` };
}

/** Pruning iterations the run made. */
function rounds(s: DbmSummary): number {
  return s.config.protocol.prune.iterations;
}

const fmt = (xs: readonly (number | null)[], d = 3): string =>
  xs.map((x) => (x === null ? "-" : x.toFixed(d))).join(", ");

// ---------------------------------------------------------------------------------------------
// Fig 3

function encodingBeatsRaw(s: DbmSummary): ClaimEvidence | null {
  const b = baseline(s);
  const c = Object.keys(s.criteria)[0];
  if (!b || !c) return null;
  const seeds = seedsOf(s);
  const err = perSeed(seeds, (x) => at(s, c, x, 0)?.classifierError);
  return oneSampleEvidence(err.map((e) => (e === null ? null : b.error - e)), {
    metric: "raw-digit classifier test error minus the h2-encoding classifier's, unpruned model",
    note: `encoding error per seed ${fmt(err, 4)}; ${b.note}`,
  });
}

function fiFirstIterationH2(s: DbmSummary): ClaimEvidence | null {
  const fi = present(s, FI);
  if (fi.length === 0) return null;
  const seeds = seedsOf(s);
  const removed = (c: string) =>
    perSeed(seeds, (x) => {
      const a = at(s, c, x, 0);
      const b = at(s, c, x, 1);
      return a && b ? 1 - b.weightsLayer2 / a.weightsLayer2 : null;
    });
  return allOf(
    fi.map((c) => ({
      label: label(c),
      values: removed(c).map((r) => r === null ? null : r - 0.25),
    })),
    {
      metric: "fraction of h1-h2 weights removed in pruning iteration 1, minus 0.25 (more " +
        "than the percentile rule's 25% = the zero rule removed them all)",
      note: fi.map((c) => `${label(c)} removed ${fmt(removed(c))}`).join("; "),
    },
  );
}

const hiddenRemoved = (p: SeedPoint, first: SeedPoint): number =>
  first.unitsH1 + first.unitsH2 - p.unitsH1 - p.unitsH2;

function fiRemovesUnits(s: DbmSummary): ClaimEvidence | null {
  const fi = present(s, FI);
  if (fi.length === 0 || !s.criteria.magnitude) return null;
  const seeds = seedsOf(s);
  const notes: string[] = [];
  const parts = fi.map((c) => ({
    label: `${label(c)} - MAG`,
    values: perSeed(seeds, (x) => {
      const mag = at(s, "magnitude", x, "last");
      const first = at(s, c, x, 0);
      const t = trace(s, c, x);
      if (!mag || !first || !t) return null;
      // The FI model with at least as many weights as MAG's last: FI has removed no more
      // weights there, so more units removed is not a matter of more pruning.
      const cand = t.points.filter((p) =>
        p.iteration > 0 && p.remainingWeights >= mag.remainingWeights
      );
      if (cand.length === 0) return null;
      const p = cand[cand.length - 1];
      notes.push(
        `seed ${x}: ${label(c)} iteration ${p.iteration} (n_w ${p.remainingWeights}) removed ` +
          `${hiddenRemoved(p, first)} units, MAG iteration ${mag.iteration} (n_w ` +
          `${mag.remainingWeights}) ${hiddenRemoved(mag, first)}`,
      );
      return hiddenRemoved(p, first) - hiddenRemoved(mag, first);
    }),
  }));
  return allOf(parts, {
    metric: "hidden units removed by VAR/HEU (their last iteration with at least MAG's final " +
      "n_w) minus those removed by MAG at its last iteration",
    note: notes.join("; "),
  });
}

function magRwKeepUnits(s: DbmSummary): ClaimEvidence | null {
  const crit = present(s, ["magnitude", "random-weights"]);
  if (crit.length === 0) return null;
  const seeds = seedsOf(s);
  const notes: string[] = [];
  // Margin: positive when no hidden unit and at most one pixel went (0.5 and 1.5: counts).
  const parts = crit.map((c) => ({
    label: label(c),
    values: perSeed(seeds, (x) => {
      const last = at(s, c, x, "last");
      const first = at(s, c, x, 0);
      const t = trace(s, c, x);
      if (!last || !first || !t) return null;
      const units = hiddenRemoved(last, first);
      notes.push(`${label(c)} seed ${x}: ${units} units, ${t.disconnected.length} pixels`);
      return Math.min(0.5 - units, 1.5 - t.disconnected.length);
    }),
  }));
  return allOf(parts, {
    metric: "min(0.5 - hidden units removed, 1.5 - pixels disconnected) after the last " +
      "iteration (positive = no unit and at most one pixel)",
    note: `${notes.join("; ")}; after ${rounds(s)} iterations (paper: 10)`,
  });
}

function heuBelowBaseline(s: DbmSummary): ClaimEvidence | null {
  const b = baseline(s);
  if (!b || !s.criteria["fi-heuristic"]) return null;
  const seeds = seedsOf(s);
  const margins = perSeed(seeds, (x) => {
    const t = trace(s, "fi-heuristic", x);
    if (!t || t.points.length < 2) return null;
    const start = t.points[0].remainingWeights;
    const errs = t.points
      .filter((p) => p.iteration > 0 && p.remainingWeights > start / 10)
      .map((p) => p.classifierError);
    if (errs.length === 0 || errs.some((e) => e === null)) return null;
    return b.error - Math.max(...(errs as number[]));
  });
  return oneSampleEvidence(margins, {
    metric: "baseline error minus HEU's largest encoding error over the iterations with n_w " +
      "above a tenth of the start",
    note: `${b.note}; ${rounds(s)} iterations run`,
  });
}

function varDip(s: DbmSummary): ClaimEvidence | null {
  if (rounds(s) < 4 || !s.criteria["fi-variance"]) return null;
  const seeds = seedsOf(s);
  const e3 = perSeed(seeds, (x) => at(s, "fi-variance", x, 3)?.classifierError);
  const e4 = perSeed(seeds, (x) => at(s, "fi-variance", x, 4)?.classifierError);
  return oneSampleEvidence(e4.map((e, i) => (e === null || e3[i] === null ? null : e - e3[i]!)), {
    metric: "VAR's encoding error after iteration 4 minus after iteration 3",
    note: `iteration 3 ${fmt(e3, 4)}, iteration 4 ${fmt(e4, 4)}`,
  });
}

function fiFewerIterations(s: DbmSummary): ClaimEvidence | null {
  if (rounds(s) < 10) return null;
  const slow = present(s, ["magnitude", "random-weights"]);
  const fi = present(s, FI);
  if (slow.length === 0 || fi.length === 0) return null;
  const seeds = seedsOf(s);
  const parts = slow.flatMap((a) =>
    fi.map((f) => ({
      label: `${label(a)}(10) - ${label(f)}(6)`,
      values: perSeed(seeds, (x) => {
        const p = at(s, a, x, 10);
        const q = at(s, f, x, 6);
        return p && q ? p.remainingWeights - q.remainingWeights : null;
      }),
    }))
  );
  return allOf(parts, {
    metric: "n_w of MAG/RW after iteration 10 minus n_w of VAR/HEU after iteration 6",
  });
}

function magErrorLow(s: DbmSummary): ClaimEvidence | null {
  if (rounds(s) < 10 || !s.criteria.magnitude) return null;
  const seeds = seedsOf(s);
  return oneSampleEvidence(
    perSeed(seeds, (x) => {
      const a = at(s, "magnitude", x, 0)?.classifierError;
      const b = at(s, "magnitude", x, 10)?.classifierError;
      return a === null || a === undefined || b === null || b === undefined ? null : a - b;
    }),
    { metric: "MAG's encoding error before pruning minus after iteration 10" },
  );
}

function randomDegrades(s: DbmSummary): ClaimEvidence | null {
  const rand = present(s, ["random-weights", "random-units"]);
  const fi = present(s, FI);
  if (rand.length === 0 || fi.length === 0) return null;
  const seeds = seedsOf(s);
  const parts = rand.map((c) => ({
    label: `${label(c)} - mean(FI)`,
    values: perSeed(seeds, (x) => {
      const diffs: number[] = [];
      for (let k = 1; k <= rounds(s); k++) {
        const e = at(s, c, x, k)?.classifierError;
        const f = fi.map((g) => at(s, g, x, k)?.classifierError);
        if (e === null || e === undefined || f.some((v) => v === null || v === undefined)) continue;
        diffs.push(e - mean(f as number[]));
      }
      return diffs.length > 0 ? mean(diffs) : null;
    }),
  }));
  return allOf(parts, {
    metric: "encoding error of RW and RU minus the mean of VAR and HEU, averaged over the " +
      "iterations both reached",
  });
}

function antiChance(s: DbmSummary): ClaimEvidence | null {
  if (!s.criteria["anti-fi"]) return null;
  const seeds = seedsOf(s);
  const err = perSeed(seeds, (x) => at(s, "anti-fi", x, "last")?.classifierError);
  return oneSampleEvidence(
    err.map((e) => (e === null ? null : e - (CHANCE_ERROR - CHANCE_MARGIN))),
    {
      metric: `ANTI's encoding error after its last iteration minus ${
        CHANCE_ERROR - CHANCE_MARGIN
      } (chance 0.9 less a margin of ${CHANCE_MARGIN}, ours)`,
      note: `ANTI's final error per seed ${fmt(err, 4)} after ${rounds(s)} iterations (paper: 10)`,
    },
  );
}

/** Mean distance of pixels (indices on the 20 x 20 grid) from the image centre. */
function centreDistance(pixels: readonly number[]): number | null {
  if (pixels.length === 0) return null;
  const c = 9.5;
  return mean(pixels.map((i) => Math.hypot(Math.floor(i / 20) - c, (i % 20) - c)));
}

function pixels(s: DbmSummary): ClaimEvidence | null {
  const fi = present(s, FI);
  if (fi.length === 0 || !s.criteria["anti-fi"]) return null;
  const seeds = seedsOf(s);
  const fiD = perSeed(seeds, (x) => {
    const all = fi.flatMap((c) => trace(s, c, x)?.disconnected ?? []);
    return centreDistance(all);
  });
  const antiD = perSeed(seeds, (x) => centreDistance(trace(s, "anti-fi", x)?.disconnected ?? []));
  const count = (c: string) => seeds.map((x) => trace(s, c, x)?.disconnected.length ?? 0);
  return oneSampleEvidence(
    fiD.map((d, i) => (d === null || antiD[i] === null ? null : d - antiD[i]!)),
    {
      metric:
        "mean distance from the image centre (pixels) of the pixels disconnected by VAR/HEU " +
        "minus by ANTI, after the last iteration",
      note: `disconnected per seed: ${
        [...fi, "anti-fi"].map((c) => `${label(c)} ${count(c).join(", ")}`).join("; ")
      }; a seed where either disconnects none is not counted`,
    },
  );
}

function h1LessSparse(s: DbmSummary): ClaimEvidence | null {
  const crit = Object.keys(s.criteria);
  if (crit.length === 0) return null;
  const seeds = seedsOf(s);
  const act = (layer: "h1" | "h2") =>
    perSeed(seeds, (x) => {
      const v = crit.map((c) => at(s, c, x, 1)?.activity[layer]);
      return v.some((a) => a === undefined) ? null : mean(v as number[]);
    });
  const h1 = act("h1");
  const h2 = act("h2");
  return oneSampleEvidence(h1.map((a, i) => (a === null || h2[i] === null ? null : a - h2[i]!)), {
    metric: "mean h1 activity minus mean h2 activity in the samples of iteration 1 (mean over " +
      "the criteria run)",
    note: `h1 ${fmt(h1)}, h2 ${fmt(h2, 4)} (paper: 0.37-0.43 and 0.0006-0.018)`,
  });
}

/** The bm-fig3 claims. */
export const DBM_FIG3_CLAIMS: Claim<DbmSummary>[] = [
  claim("scholl2021/fig3/encoding-beats-raw", encodingBeatsRaw),
  claim("scholl2021/fig3/fi-first-iteration-h2", fiFirstIterationH2),
  claim("scholl2021/fig3/fi-removes-units", fiRemovesUnits),
  claim("scholl2021/fig3/mag-rw-keep-units", magRwKeepUnits),
  claim("scholl2021/fig3/heu-below-baseline", heuBelowBaseline),
  claim("scholl2021/fig3/var-dip", varDip),
  claim("scholl2021/fig3/fi-fewer-iterations", fiFewerIterations),
  claim("scholl2021/fig3/mag-error-low", magErrorLow),
  claim("scholl2021/fig3/random-degrades", randomDegrades),
  claim("scholl2021/fig3/anti-chance", antiChance),
  claim("scholl2021/fig3/pixels", pixels),
  claim("scholl2021/fig3/h1-less-sparse", h1LessSparse),
];

// ---------------------------------------------------------------------------------------------
// Fig 4 (quality is the plotted per-class mean; the plain mean is in the summary)

function quality(s: DbmSummary, c: string, seeds: readonly number[]): (number | null)[] {
  return perSeed(seeds, (x) => at(s, c, x, "last")?.qualityPerClass);
}

function unprunedDiverse(s: DbmSummary): ClaimEvidence | null {
  const c = Object.keys(s.criteria)[0];
  if (!c) return null;
  const seeds = seedsOf(s);
  const h = perSeed(seeds, (x) => at(s, c, x, 0)?.entropy);
  const counts = s.criteria[c].iterations[0]?.classCounts ?? [];
  const total = counts.reduce((a, b) => a + b, 0);
  const shares = counts.map((n) => `${(100 * n / Math.max(1, total)).toFixed(0)}%`).join(" ");
  return oneSampleEvidence(h.map((v) => (v === null ? null : v - NEAR_MAX_ENTROPY)), {
    metric: `entropy (nats) of the unpruned models' generated classes minus ${NEAR_MAX_ENTROPY}`,
    note: `entropy per seed ${fmt(h)}; class shares 0-9 ${shares} (paper: 7-18% each)`,
  });
}

function antiQualityWorst(s: DbmSummary): ClaimEvidence | null {
  if (!s.criteria["anti-fi"]) return null;
  const others = Object.keys(s.criteria).filter((c) => c !== "anti-fi");
  if (others.length === 0) return null;
  const seeds = seedsOf(s);
  const anti = quality(s, "anti-fi", seeds);
  const q = Object.fromEntries(others.map((c) => [c, quality(s, c, seeds)]));
  return oneSampleEvidence(
    seeds.map((_, i) => {
      const o = others.map((c) => q[c][i]);
      return anti[i] === null || o.some((v) => v === null)
        ? null
        : Math.min(...(o as number[])) - anti[i]!;
    }),
    {
      metric: "quality of the next-worst criterion minus ANTI's after retraining (last iteration)",
      note: [...others, "anti-fi"].map((c) => `${label(c)} ${fmt(q[c] ?? anti)}`).join("; "),
    },
  );
}

function randomQuality(s: DbmSummary): ClaimEvidence | null {
  const good = present(s, ["magnitude", ...FI]);
  const rand = present(s, ["random-weights", "random-units"]);
  if (good.length === 0 || rand.length === 0) return null;
  const seeds = seedsOf(s);
  const g = good.map((c) => quality(s, c, seeds));
  const goodMean = seeds.map((_, i) =>
    g.some((v) => v[i] === null) ? null : mean(g.map((v) => v[i]!))
  );
  return allOf(
    rand.map((c) => {
      const r = quality(s, c, seeds);
      return {
        label: `mean(MAG, FI) - ${label(c)}`,
        values: r.map((v, i) => (v === null || goodMean[i] === null ? null : goodMean[i]! - v)),
      };
    }),
    { metric: "quality after retraining: mean of MAG, VAR and HEU minus each of RW and RU" },
  );
}

function fiMagQuality(s: DbmSummary): ClaimEvidence | null {
  const good = present(s, ["magnitude", ...FI]);
  if (good.length === 0 || !s.reference) return null;
  const random = s.reference.randomPatterns.qualityPerClass;
  const seeds = seedsOf(s);
  return allOf(
    good.map((c) => ({
      label: `${label(c)} - random patterns`,
      values: quality(s, c, seeds).map((v) => (v === null ? null : v - random)),
    })),
    {
      metric: "quality after retraining minus the random patterns' quality " +
        `(${random.toFixed(3)}), for MAG, VAR and HEU`,
    },
  );
}

function fiDiversity(s: DbmSummary): ClaimEvidence | null {
  const fi = present(s, FI);
  const others = Object.keys(s.criteria).filter((c) => !FI.includes(c as DbmCriterionId));
  if (fi.length === 0 || others.length === 0) return null;
  const seeds = seedsOf(s);
  const h = (c: string) => perSeed(seeds, (x) => at(s, c, x, "last")?.entropy);
  const f = fi.map(h);
  const fiMean = seeds.map((_, i) =>
    f.some((v) => v[i] === null) ? null : mean(f.map((v) => v[i]!))
  );
  return allOf(
    others.map((c) => ({
      label: `${label(c)} - mean(FI)`,
      values: h(c).map((v, i) => (v === null || fiMean[i] === null ? null : v - fiMean[i]!)),
    })),
    {
      metric: "entropy (nats) after retraining: each other criterion minus the mean of VAR and HEU",
      note: [...fi, ...others].map((c) => `${label(c)} ${fmt(h(c))}`).join("; "),
    },
  );
}

/** The bm-fig4 claims. */
export const DBM_FIG4_CLAIMS: Claim<DbmSummary>[] = [
  claim("scholl2021/fig4/unpruned-diverse", unprunedDiverse),
  claim("scholl2021/fig4/anti-quality-worst", antiQualityWorst),
  claim("scholl2021/fig4/random-quality", randomQuality),
  claim("scholl2021/fig4/fi-mag-quality", fiMagQuality),
  claim("scholl2021/fig4/fi-diversity", fiDiversity),
];
