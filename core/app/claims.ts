/**
 * The papers' findings as data. Each experiment folder declares the claims its runs test
 * (`experiments/<family>/claims.ts`, exported through the experiment's `claims` field); the
 * scorecard (`deno task claims`), the terminal summaries, the dashboard and docs/reproduction.md
 * read them from there and judge them by the one rule in {@link verdictOf}. A claim is typed in by
 * hand once (its sentence, figure and source); its evidence is always computed from a stored run.
 *
 * @module
 */
import jStat from "jstat";
import {
  nForPairedPower,
  pairedDiffs,
  pairedEffect,
  pairedTTest,
  pearson,
  sd,
  wilcoxonSignedRank,
} from "../util/stats.ts";

/** The two papers. */
export type Paper = "averbeck2022" | "scholl2021";

/** How a run's evidence stands against a claim. */
export type Verdict = "reproduced" | "direction" | "not-reproduced" | "not-run";

/** The verdicts, from best to worst, in the order tables list them. */
export const VERDICTS: readonly Verdict[] = [
  "reproduced",
  "direction",
  "not-reproduced",
  "not-run",
];

/**
 * What one run says about one claim. `effect` is signed so that a positive value is the paper's
 * direction (e.g. pruned minus unpruned probe accuracy, or unpruned minus pruned maximal LE).
 */
export interface ClaimEvidence {
  /** What was compared, in words, e.g. "probe accuracy at 0.7, pruned - unpruned". */
  metric: string;
  /** Independent observations behind the test (lineage pairs, seeds). */
  n: number;
  /** The effect in the paper's direction (positive = as the paper says). */
  effect: number;
  /** 99% confidence interval of `effect`. */
  ci99: [number, number];
  /** Two-sided p of the test; null where the claim has no test (e.g. n < 2). */
  p: number | null;
  /** The test behind `p` and `ci99`, e.g. "paired t-test over lineage pairs". */
  test: string;
  /**
   * Standard deviation of the paired differences (or of the observations of a one-sample test),
   * from which the n for 80% power is computed; omit where the test is not a t-test.
   */
  sdDiff?: number;
  /** Anything a reader needs to interpret the number (e.g. "3 of 16 retrainings hit the cap"). */
  note?: string;
  /**
   * The n for 80% power when the test is not a paired t-test (e.g. a correlation), computed by the
   * evaluate; when absent it follows from `sdDiff`.
   */
  nFor80Power?: number | null;
}

/**
 * One finding of a paper as the catalogue states it (experiments/claims_catalogue.ts): typed in by
 * hand once, never its evidence.
 */
export interface ClaimSpec {
  /** Stable id, e.g. "averbeck2022/5A/probe-accuracy". */
  id: string;
  /** Which paper states it. */
  paper: Paper;
  /** Figure or table, e.g. "Fig 5A" or "Table 1". */
  figure: string;
  /** The finding as the paper states it (one sentence). */
  claim: string;
  /** Where it is stated: "legend", "abstract", "results", or "spec §10 [INFERRED]". */
  source: string;
  /** The paper's significance level for this finding (Averbeck: 0.01). */
  alpha: number;
  /** Id of the experiment whose runs test it (e.g. "fig5"). */
  experiment: string;
  /**
   * What a run compares to test it, in words (the evaluate's contract, and what the scorecard
   * says for a claim no run has tested yet).
   */
  measure: string;
}

/** One finding of a paper, and how a run of one experiment tests it. */
export interface Claim<S extends object = object> extends ClaimSpec {
  /**
   * Computes the evidence from a finished run's summary; null when that run cannot test the
   * claim (e.g. the level it needs was not run).
   */
  evaluate(summary: S): ClaimEvidence | null;
}

/** A claim judged against one run (or against none). */
export interface ClaimResult {
  /** The claim's paper. */
  paper: Paper;
  /** Figure or table. */
  figure: string;
  /** The finding. */
  claim: string;
  /** The claim's id. */
  id: string;
  /** The run whose evidence was used; null when not run. */
  runId: string | null;
  /** What was compared; null when not run. */
  metric: string | null;
  /** n of the test; null when not run. */
  n: number | null;
  /** Effect in the paper's direction; null when not run. */
  effect: number | null;
  /** 99% CI of the effect; null when not run. */
  ci99: [number, number] | null;
  /** Two-sided p; null when not run or untested. */
  p: number | null;
  /** The verdict by {@link verdictOf}. */
  verdict: Verdict;
  /** n (same design) for 80% power at the claim's alpha, from the run's own variance. */
  nFor80Power: number | null;
  /** The test used. */
  test: string | null;
  /** Reader's note from the evidence, or why the claim was not run. */
  note: string | null;
}

/** The run a scorecard row was judged on. */
export interface ClaimRun {
  /** Run id. */
  id: string;
  /** Preset the run was made with ("default", "paper", "validate", "custom", ...). */
  preset: string;
  /** True unless the paper's full protocol. */
  reduced: boolean;
  /** Master seed. */
  seed: number;
  /** ISO end time of the run (null while it runs). */
  endedAt: string | null;
  /** Run status: a run named with `--run` may be unfinished, and is judged on its units so far. */
  status: "running" | "done" | "failed" | "interrupted";
  /** Finished and total work units of the run. */
  progress: { done: number; total: number };
}

/** One row of the scorecard: a judged claim with its catalogue entry and run. */
export interface ClaimRow extends ClaimResult {
  /** Where the paper states it. */
  source: string;
  /** The paper's significance level used for the verdict. */
  alpha: number;
  /** The experiment whose runs test it. */
  experiment: string;
  /** What a run compares to test it. */
  measure: string;
  /** The run judged (null when not run). */
  run: ClaimRun | null;
}

/**
 * The one verdict rule. `reproduced`: the effect is in the paper's direction and significant at
 * the paper's alpha; `direction`: in the paper's direction but not significant (or untestable);
 * `not-reproduced`: zero or opposite; `not-run`: no run could test it.
 */
export function verdictOf(evidence: ClaimEvidence | null, alpha: number): Verdict {
  if (!evidence || !Number.isFinite(evidence.effect)) return "not-run";
  if (!(evidence.effect > 0)) return "not-reproduced";
  if (evidence.p !== null && evidence.p < alpha) return "reproduced";
  return "direction";
}

/** Options of {@link judgeClaim}. */
export interface JudgeOptions {
  /** Id of the run the evidence comes from (null when none). */
  runId: string | null;
  /** Note to show when there is no evidence (e.g. "no finished fig5 run in the store"). */
  notRunNote?: string;
}

/** Judges one claim against one piece of evidence (or none). */
export function judgeClaim(
  claim: Pick<Claim, "id" | "paper" | "figure" | "claim" | "alpha">,
  evidence: ClaimEvidence | null,
  options: JudgeOptions,
): ClaimResult {
  const verdict = verdictOf(evidence, claim.alpha);
  const base = { paper: claim.paper, figure: claim.figure, claim: claim.claim, id: claim.id };
  if (!evidence || verdict === "not-run") {
    return {
      ...base,
      runId: null,
      metric: null,
      n: null,
      effect: null,
      ci99: null,
      p: null,
      verdict: "not-run",
      nFor80Power: null,
      test: null,
      note: options.notRunNote ?? null,
    };
  }
  const power = evidence.nFor80Power !== undefined
    ? evidence.nFor80Power
    : evidence.sdDiff !== undefined
    ? nForPairedPower(evidence.effect, evidence.sdDiff, { alpha: claim.alpha, power: 0.8 })
    : null;
  return {
    ...base,
    runId: options.runId,
    metric: evidence.metric,
    n: evidence.n,
    effect: evidence.effect,
    ci99: evidence.ci99.every(Number.isFinite) ? evidence.ci99 : null,
    p: evidence.p !== null && Number.isFinite(evidence.p) ? evidence.p : null,
    verdict,
    nFor80Power: power,
    test: evidence.test,
    note: evidence.note ?? null,
  };
}

/** Options shared by the evidence builders. */
export interface EvidenceOptions {
  /** What is compared, in words. */
  metric: string;
  /** Reader's note (appended to what the builder says). */
  note?: string;
}

/** Below this many pairs a paired evidence also reports the exact Wilcoxon signed-rank p. */
export const SMALL_N = 30;

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const kept = notes.filter((n): n is string => Boolean(n));
  return kept.length > 0 ? kept.join("; ") : undefined;
}

/**
 * Paired evidence: per-pair values `a` and `b` (e.g. pruned and unpruned of each lineage pair),
 * ordered so that a - b > 0 is the paper's direction. Two-sided paired t-test over complete pairs,
 * the mean difference with its 99% t interval and the sd of the differences (for the n that 80%
 * power needs). Below {@link SMALL_N} pairs the note adds the exact Wilcoxon signed-rank p. Null
 * with fewer than two complete pairs.
 */
export function pairedEvidence(
  a: readonly (number | null | undefined)[],
  b: readonly (number | null | undefined)[],
  options: EvidenceOptions,
): ClaimEvidence | null {
  const e = pairedEffect(a, b, { level: 0.99 });
  if (e.n < 2 || !Number.isFinite(e.meanDiff)) return null;
  const t = pairedTTest(a, b);
  const diffs = pairedDiffs(a, b);
  const wilcoxon = e.n < SMALL_N ? wilcoxonSignedRank(a, b) : null;
  const positive = diffs.filter((d) => d > 0).length;
  return {
    metric: options.metric,
    n: e.n,
    effect: e.meanDiff,
    ci99: e.meanDiffCi,
    p: Number.isFinite(t.p) ? t.p : null,
    test: `paired t-test over ${e.n} pairs (two-sided)`,
    sdDiff: sd(diffs),
    note: joinNotes(
      `in the paper's direction in ${positive} of ${e.n} pairs`,
      wilcoxon && Number.isFinite(wilcoxon.p)
        ? `Wilcoxon signed-rank p = ${formatP(wilcoxon.p)} (exact${
          wilcoxon.zeros ? `, ${wilcoxon.zeros} zero differences dropped` : ""
        })`
        : undefined,
      options.note,
    ),
  };
}

/**
 * Evidence of a paired t-test from its summary numbers only (mean difference, two-sided p and n),
 * for summaries that keep means and p but not the pairs: |t| from p, then the sd of the
 * differences and the 99% interval. Null when p or the difference is not finite, or n < 2.
 */
export function pairedEvidenceFromP(
  at: { meanDiff: number; p: number; n: number },
  options: EvidenceOptions,
): ClaimEvidence | null {
  const { meanDiff, p, n } = at;
  if (!(n >= 2) || !Number.isFinite(meanDiff) || !Number.isFinite(p)) return null;
  const df = n - 1;
  const t = p > 0 ? jStat.studentt.inv(1 - Math.min(1, p) / 2, df) : Infinity;
  const se = t > 0 && Number.isFinite(t) ? Math.abs(meanDiff) / t : 0;
  const half = jStat.studentt.inv(0.995, df) * se;
  return {
    metric: options.metric,
    n,
    effect: meanDiff,
    ci99: [meanDiff - half, meanDiff + half],
    p,
    test: `paired t-test over ${n} pairs (two-sided; interval from the summary's mean and p)`,
    ...(se > 0 ? { sdDiff: se * Math.sqrt(n) } : {}),
    note: options.note,
  };
}

/**
 * The claim "at every x" from the evidence at each x: an intersection-union test, which holds at
 * level alpha when every x is significant at alpha, so its p is the largest p and its effect,
 * interval and n are those of the weakest x. Null when any x cannot be tested.
 */
export function everyEvidence(
  parts: readonly { label: string; evidence: ClaimEvidence | null }[],
  options: EvidenceOptions,
): ClaimEvidence | null {
  if (parts.length === 0 || parts.some((p) => p.evidence === null)) return null;
  const all = parts as readonly { label: string; evidence: ClaimEvidence }[];
  let weakest = all[0];
  for (const p of all) if (p.evidence.effect < weakest.evidence.effect) weakest = p;
  const ps = all.map((p) => p.evidence.p);
  const p = ps.some((v) => v === null) ? null : Math.max(...(ps as number[]));
  return {
    metric: `${options.metric}; weakest: ${weakest.label}`,
    n: weakest.evidence.n,
    effect: weakest.evidence.effect,
    ci99: weakest.evidence.ci99,
    p,
    test: `intersection-union test over ${all.length} paired t-tests (holds at every x when ` +
      `the largest p is below alpha)`,
    ...(weakest.evidence.sdDiff !== undefined ? { sdDiff: weakest.evidence.sdDiff } : {}),
    note: joinNotes(
      all.map((x) => `${x.label}: ${x.evidence.effect.toFixed(3)} (p ${formatP(x.evidence.p)})`)
        .join(", "),
      options.note,
    ),
  };
}

/**
 * Correlation evidence: Pearson r of complete (x, y) pairs with its two-sided t-test p, the 99%
 * interval from Fisher's z, and the n for 80% power at `alpha` from Fisher's z. `sign` -1 makes a
 * negative correlation the paper's direction (effect = -r). Null with fewer than 4 pairs.
 */
export function correlationEvidence(
  x: readonly (number | null | undefined)[],
  y: readonly (number | null | undefined)[],
  options: EvidenceOptions & { sign: 1 | -1; alpha: number },
): ClaimEvidence | null {
  const n = pairedDiffs(x, y).length;
  const r = pearson(x, y);
  if (n < 4 || !Number.isFinite(r)) return null;
  const rr = Math.max(-0.999999999, Math.min(0.999999999, r));
  const t = rr * Math.sqrt((n - 2) / (1 - rr * rr));
  const p = 2 * (1 - jStat.studentt.cdf(Math.abs(t), n - 2));
  const z = Math.atanh(rr);
  const half = jStat.normal.inv(0.995, 0, 1) / Math.sqrt(n - 3);
  const lo = Math.tanh(z - half);
  const hi = Math.tanh(z + half);
  const effect = options.sign * r;
  const ci99: [number, number] = options.sign > 0 ? [lo, hi] : [-hi, -lo];
  return {
    metric: options.metric,
    n,
    effect,
    ci99,
    p,
    test: `Pearson correlation over ${n} networks (t-test, two-sided; 99% interval by Fisher's z)`,
    nFor80Power: nForCorrelationPower(effect, { alpha: options.alpha }),
    note: options.note,
  };
}

/**
 * The n for which a two-sided test of a correlation r (> 0) at `alpha` reaches 80% power, by
 * Fisher's z approximation: ((z_{1-alpha/2} + z_{0.8}) / atanh(r))^2 + 3. Null when r <= 0.
 */
export function nForCorrelationPower(r: number, options: { alpha: number }): number | null {
  if (!(r > 0) || !(r < 1)) return null;
  const za = jStat.normal.inv(1 - options.alpha / 2, 0, 1);
  const zb = jStat.normal.inv(0.8, 0, 1);
  return Math.ceil(((za + zb) / Math.atanh(r)) ** 2 + 3);
}

/**
 * Evidence from one observation per side (an example network, a single model): the effect with no
 * test, so the verdict can be at most `direction`. The interval is [effect, effect] and p null.
 */
export function singleEvidence(effect: number, options: EvidenceOptions): ClaimEvidence | null {
  if (!Number.isFinite(effect)) return null;
  return {
    metric: options.metric,
    n: 1,
    effect,
    ci99: [effect, effect],
    p: null,
    test: "none (one observation: no test possible)",
    note: options.note,
  };
}

/**
 * One-sample evidence over seeds (the independent observations of a run) that
 * `value - reference` > 0, `reference` 0 unless given: the paired builder against the constant,
 * relabelled as a one-sample t-test; null values (a seed that lacks the value) are left out. One
 * seed gives the effect without a test (verdict at most `direction`) and says how to get one.
 */
export function oneSampleEvidence(
  values: readonly (number | null)[],
  options: EvidenceOptions & { reference?: number },
): ClaimEvidence | null {
  const reference = options.reference ?? 0;
  const v = values.filter((x): x is number => x !== null);
  if (v.length === 0) return null;
  if (v.length === 1) {
    return singleEvidence(v[0] - reference, {
      metric: options.metric,
      note: joinNotes(options.note, "one seed: no test; run --networks 3 or more"),
    });
  }
  const ev = pairedEvidence(v, v.map(() => reference), {
    metric: options.metric,
    note: options.note,
  });
  return ev && {
    ...ev,
    test: `one-sample t-test over ${ev.n} seeds against ${reference} (two-sided)`,
  };
}

/** A p-value for notes: three significant figures, "<1e-4" below. */
export function formatP(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return "-";
  if (p < 1e-4) return "<1e-4";
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}
