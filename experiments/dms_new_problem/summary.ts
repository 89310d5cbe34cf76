/**
 * The DMS new-problem summary (`--out` JSON, the table and the panels read it): per problem the
 * learning curves of both lineages (mean and SEM per outer iteration), the loss before training
 * and the final loss with its paired t-test (core/app/paired_lineages.ts).
 *
 * @module
 */
import { type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import { compareCurves, type CurveComparison, finite } from "../../core/app/paired_lineages.ts";
import { mean } from "../../core/util/stats.ts";
import type { DmsNewProblemConfig } from "./config.ts";
import type { ProblemUnit } from "./run.ts";

/** One problem compared. */
export type ProblemSummary = Omit<CurveComparison, "final"> & {
  /** Mean loss of both lineages before training on the problem. */
  initial: number | null;
  /** Final loss per lineage and the paired t-test. */
  final: CurveComparison["final"];
};

/** The `--out` JSON of dms-new-problem (docs/rl.md). */
export interface DnpSummary {
  /** "dms-new-problem". */
  figure: "dms-new-problem";
  /** Run id. */
  runId: string;
  /** True unless the paper's protocol. */
  reduced: boolean;
  /** The resolved config. */
  config: DmsNewProblemConfig;
  /** Master seed. */
  seed: number;
  /** Per problem with stored units. */
  problems: Record<string, ProblemSummary>;
}

/** Compares the lineages on every problem with stored units. */
export function summarizeProblems(
  c: DmsNewProblemConfig,
  units: UnitEntry[],
): Record<string, ProblemSummary> {
  const out: Record<string, ProblemSummary> = {};
  for (const problem of c.problems) {
    const rows = units.filter((u) => u.key[0] === "problem" && u.key[1] === problem)
      .map((u) => unitMetrics<ProblemUnit>(u));
    if (rows.length === 0) continue;
    const cc = compareCurves({
      pruned: rows.map((r) => r.pruned.lossHistory),
      unpruned: rows.map((r) => r.unpruned.lossHistory),
    });
    out[problem] = {
      n: cc.n,
      iterations: cc.iterations,
      curves: cc.curves,
      initial: finite(
        mean(rows.flatMap((r) => [r.pruned.lossHistory[0], r.unpruned.lossHistory[0]])),
      ),
      final: cc.final,
    };
  }
  return out;
}
