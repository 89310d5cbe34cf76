/**
 * Table 1 of Scholl et al. 2021: hidden units left after each of three 50% pruning rounds of the
 * 13 x 70 RBM, per criterion, mean (sd) over seeds.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { BmConfig } from "./config.ts";
import type { BmDataMetrics } from "../../core/bm/protocol.ts";
import {
  aggregatePruning,
  type BmSummaryHeader,
  type CriterionAggregate,
  loadPruningAggregate,
  protocolLabel,
  summaryHeader,
} from "./aggregate.ts";
import { pruningExperimentBase } from "./run.ts";
import { CRITERIA, type Criterion, criterionLabel } from "../../core/bm/rbm_criteria.ts";

/** Single-seed reference of the authors' notebook (spec 9, Table 1), rounds 1..3. */
export const TABLE1_REFERENCE: Partial<Record<Criterion, number[]>> = {
  "fi-variance": [69, 50, 9],
  "fi-heuristic": [61, 50, 10],
  "fi-eigenvector": [65, 48, 9],
  "magnitude": [70, 62, 35],
  "random-weights": [70, 68, 60],
  "anti-fi": [57, 49, 35],
  "random-units": [35, 18, 9],
};

/** The `--out` JSON of bm-table1 (docs/bm.md). */
export type BmTable1Summary = BmSummaryHeader & {
  /** Statistics of the training data. */
  data: BmDataMetrics | null;
  /** Per criterion: units, weights and zero scores per round, and the notebook's values. */
  criteria: Record<
    string,
    & { label: string; notebookSingleSeed?: number[] }
    & Pick<CriterionAggregate, "hiddenUnits" | "weights" | "zeroScores" | "seeds">
  >;
};

/** The bm-table1 experiment. */
export const bmTable1: Experiment<BmConfig, BmTable1Summary> = {
  id: "bm-table1",
  title: "Table 1: hidden units left after FI / control pruning of a 13x70 RBM",
  paper: "scholl2021",
  ...pruningExperimentBase("bm-table1"),
  async summarize(run: ExperimentRun<BmConfig>, store: ResultStore): Promise<BmTable1Summary> {
    const agg = await loadPruningAggregate(run, store);
    const criteria: BmTable1Summary["criteria"] = {};
    for (const c of CRITERIA) {
      const a = agg.criteria[c];
      if (!a) continue;
      criteria[c] = {
        label: criterionLabel(c),
        hiddenUnits: a.hiddenUnits,
        weights: a.weights,
        zeroScores: a.zeroScores,
        seeds: a.seeds,
        notebookSingleSeed: TABLE1_REFERENCE[c],
      };
    }
    return {
      ...summaryHeader(run, bmTable1),
      data: agg.data,
      criteria,
    };
  },
  table(summary: BmTable1Summary): string {
    const crit = summary.criteria;
    const names = Object.keys(crit);
    if (names.length === 0) return "no results";
    const rounds = crit[names[0]].hiddenUnits.mean.length;
    const rows = Array.from({ length: rounds }, (_, k) => [
      `${k} n_w~${Math.round(crit[names[0]].weights.mean[k])}`,
      ...names.map((n) => {
        const h = crit[n].hiddenUnits;
        return `${h.mean[k].toFixed(1)} (${h.sd[k].toFixed(1)})`;
      }),
    ]);
    return [
      `Table 1: hidden units left (mean (sd) over seeds); ${summary.protocol}`,
      formatTable(["round", ...names.map((n) => crit[n].label)], rows),
      "notebook single seed, round 3: VAR 9, HEU 10, EIG 9, MAG 35, RW 60, ANTI 35, RU 9",
    ].join("\n");
  },
  parameters: () => [],
  panels(run: ExperimentRun<BmConfig>, units: UnitEntry[]): Panel[] {
    const config = run.config;
    const agg = aggregatePruning(units);
    const label = protocolLabel(config);
    const series = (pick: "hiddenUnits" | "weights") =>
      CRITERIA.filter((c) => agg.criteria[c]).map((c) => {
        const a = agg.criteria[c]!;
        return {
          label: criterionLabel(c),
          x: a[pick].mean.map((_, k) => k),
          y: a[pick].mean,
          err: a[pick].sd,
        };
      });
    return [
      {
        id: "hidden-units",
        title: "Table 1: hidden units left per pruning round",
        kind: "line",
        xLabel: "pruning round",
        yLabel: "hidden units n_h",
        series: series("hiddenUnits"),
        caption: `mean over seeds, error bars = sd (not SEM); round 0 = unpruned. ${label}`,
      },
      {
        id: "weights",
        title: "Weights left per pruning round",
        kind: "line",
        xLabel: "pruning round",
        yLabel: "existing weights n_w",
        series: series("weights"),
        caption: `mean, error bars = sd. ${label}`,
      },
      {
        id: "zero-scores",
        title: "Exactly-zero FI scores among existing weights",
        kind: "line",
        xLabel: "pruning round (scores used for this round)",
        yLabel: "zero scores",
        series: CRITERIA.filter((c) => agg.criteria[c]).flatMap((c) => {
          const z = agg.criteria[c]!.zeroScores;
          const x = z.var.map((_, k) => k + 1);
          return [
            { label: `${criterionLabel(c)}: VAR zeros`, x, y: z.var },
            ...(c === "fi-heuristic" ? [{ label: "HEU: HEU zeros", x, y: z.heu }] : []),
          ];
        }),
        caption: `mean over seeds; depends on the number of samples N=${config.samples}. ${label}`,
      },
    ];
  },
};
