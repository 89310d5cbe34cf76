/**
 * The papers' findings as data. Each experiment folder declares the claims its runs test
 * (`experiments/<family>/claims.ts`, exported through the experiment's `claims` field); the
 * scorecard (`deno task claims`), the terminal summaries, the dashboard and docs/reproduction.md
 * read them from there and judge them by the one rule in {@link verdictOf}. A claim is typed in by
 * hand once (its sentence, figure and source); its evidence is always computed from a stored run.
 *
 * @module
 */
import { nForPairedPower } from "../util/stats.ts";

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
}

/** One finding of a paper, and how a run of one experiment tests it. */
export interface Claim<S extends object = object> {
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
  const power = evidence.sdDiff !== undefined
    ? nForPairedPower(evidence.effect, evidence.sdDiff, { alpha: claim.alpha, power: 0.8 })
    : null;
  return {
    ...base,
    runId: options.runId,
    metric: evidence.metric,
    n: evidence.n,
    effect: evidence.effect,
    ci99: evidence.ci99,
    p: evidence.p,
    verdict,
    nFor80Power: power,
    test: evidence.test,
    note: evidence.note ?? null,
  };
}
