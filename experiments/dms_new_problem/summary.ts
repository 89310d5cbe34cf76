/**
 * The DMS new-problem summary (`--out` JSON; the table, panels and claims read it): per problem
 * the learning curves of both lineages (mean and SEM per outer iteration), the loss before
 * training and the final loss with its paired t-test, and, because pruned and unpruned networks
 * start a new problem from different losses, each network's learning measured from its own
 * starting loss: `learning` = the mean over the curve (outer iterations 2.. and the loss after the
 * last one) of log(loss / the network's loss before training), and `endChange` = log(final loss /
 * loss before training). Pruned minus unpruned > 0 means the pruned networks learn more slowly.
 * Statistics from core/app/paired_lineages.ts.
 *
 * @module
 */
import { type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import {
  compareCurves,
  type CurveComparison,
  finite,
  type Lineage,
  LINEAGES,
  pairedColumns,
  type PairedStat,
} from "../../core/app/paired_lineages.ts";
import { mean } from "../../core/util/stats.ts";
import type { DmsNewProblemConfig } from "./config.ts";
import { type Curve, hasCurves, type ProblemUnit } from "./run.ts";

/** One lineage of one network on a problem, measured from its own start. */
export interface NetworkLearning {
  /** Loss before any training on the problem (lossHistory[1]). */
  start: number;
  /** Loss after the last outer iteration (the last lossHistory entry in older runs). */
  end: number;
  /** Mean over the curve of log(loss / start): lower = learns faster. */
  learning: number;
  /** log(end / start). */
  endChange: number;
}

/** One problem compared. */
export type ProblemSummary = Omit<CurveComparison, "final"> & {
  /** Mean loss of both lineages before training on the problem. */
  initial: number | null;
  /** Final loss per lineage and the paired t-test. */
  final: CurveComparison["final"];
  /** Mean loss before training per lineage (pruned networks start lower: compare from there). */
  start: Record<Lineage, number | null>;
  /**
   * Pruned minus unpruned `learning` over pairs (mean difference, 99% t interval, paired t p,
   * exact Wilcoxon p below 30 pairs): > 0 = pruned networks learn more slowly.
   */
  slowing: PairedStat;
  /** Pruned minus unpruned `endChange`, the same statistics. */
  endSlowing: PairedStat;
  /** Pairs skipped because a fig5 lineage had failed. */
  skipped: number;
  /** Per network, both lineages from their own start. */
  networks: ({ network: number } & Record<Lineage, NetworkLearning>)[];
};

/** The `--out` JSON of dms-new-problem (docs/fig5.md). */
export interface DnpSummary {
  /** "dms-new-problem". */
  figure: "dms-new-problem";
  /** Run id. */
  runId: string;
  /** True unless the paper's protocol (on a fig5 run of the paper's protocol). */
  reduced: boolean;
  /** The resolved config (`from`: the fig5 run). */
  config: DmsNewProblemConfig;
  /** Master seed. */
  seed: number;
  /** Per problem with stored units. */
  problems: Record<string, ProblemSummary>;
}

/** A curve measured from its own start (null when the start is not a positive finite loss). */
export function learningOf(c: Curve): NetworkLearning | null {
  const start = c.lossHistory[0];
  if (!(start > 0) || !Number.isFinite(start)) return null;
  const curve = [...c.lossHistory.slice(1), ...(c.endLoss !== undefined ? [c.endLoss] : [])];
  const end = curve.length > 0 ? curve[curve.length - 1] : start;
  if (!(end > 0) || curve.some((v) => !(v > 0) || !Number.isFinite(v))) return null;
  return {
    start,
    end,
    learning: curve.length > 0 ? mean(curve.map((v) => Math.log(v / start))) : 0,
    endChange: Math.log(end / start),
  };
}

/** Compares the lineages on every problem with stored units. */
export function summarizeProblems(
  c: DmsNewProblemConfig,
  units: UnitEntry[],
): Record<string, ProblemSummary> {
  const out: Record<string, ProblemSummary> = {};
  for (const problem of c.problems) {
    const all = units.filter((u) => u.key[0] === "problem" && u.key[1] === problem)
      .map((u) => unitMetrics<ProblemUnit>(u));
    const rows = all.filter(hasCurves);
    if (rows.length === 0) continue;
    const cc = compareCurves({
      pruned: rows.map((r) => r.pruned.lossHistory),
      unpruned: rows.map((r) => r.unpruned.lossHistory),
    });
    const networks: ProblemSummary["networks"] = [];
    for (const r of rows) {
      const p = learningOf(r.pruned);
      const u = learningOf(r.unpruned);
      if (p && u) networks.push({ network: r.network, pruned: p, unpruned: u });
    }
    const column = (pick: (l: NetworkLearning) => number) =>
      Object.fromEntries(LINEAGES.map((l) => [l, networks.map((n) => [pick(n[l])])])) as Record<
        Lineage,
        number[][]
      >;
    const stat = (pick: (l: NetworkLearning) => number): PairedStat => {
      const rowsOf = column(pick);
      return pairedColumns(rowsOf.pruned, rowsOf.unpruned, { columns: 1, level: 0.99 })[0];
    };
    out[problem] = {
      n: cc.n,
      iterations: cc.iterations,
      curves: cc.curves,
      initial: finite(
        mean(rows.flatMap((r) => [r.pruned.lossHistory[0], r.unpruned.lossHistory[0]])),
      ),
      final: cc.final,
      start: {
        pruned: finite(mean(rows.map((r) => r.pruned.lossHistory[0]))),
        unpruned: finite(mean(rows.map((r) => r.unpruned.lossHistory[0]))),
      },
      slowing: stat((l) => l.learning),
      endSlowing: stat((l) => l.endChange),
      skipped: all.length - rows.length,
      networks,
    };
  }
  return out;
}
