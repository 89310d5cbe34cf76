/**
 * Table 1 of Scholl et al. 2021: hidden units left after each of three 50% pruning rounds of the
 * 13 x 70 RBM, per criterion, mean (sd) over seeds, from the paper's Gibbs-200 sampler; beside it
 * the authors' notebook values, which are ONE seed's counts, not means.
 *
 * @module
 */
import { BM_TABLE1_CLAIMS } from "./claims.ts";
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, TableCell, TableColumn } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { BmConfig } from "./config.ts";
import type { BmDataMetrics } from "../../core/bm/protocol.ts";
import {
  aggregatePruning,
  type BmFailure,
  type BmSummaryHeader,
  type CriterionAggregate,
  dataLine,
  loadPruningAggregate,
  protocolLabel,
  summaryHeader,
} from "./aggregate.ts";
import { pruningExperimentBase } from "./run.ts";
import { CRITERIA, type Criterion, criterionLabel } from "../../core/bm/rbm_criteria.ts";

/**
 * The authors' notebook (spec 9 Table 1 and 15): hidden units after rounds 1, 2, 3 of ONE run
 * (CIFAR-10, seed 666, Gibbs-200 samples). RU is not in the notebook: its counts are fixed by
 * design (35, 18, 9), so it has no reference here.
 */
export const TABLE1_NOTEBOOK: Partial<Record<Criterion, number[]>> = {
  "fi-variance": [69, 50, 9],
  "fi-heuristic": [61, 50, 10],
  "fi-eigenvector": [65, 48, 9],
  "magnitude": [70, 62, 35],
  "random-weights": [70, 68, 60],
  "anti-fi": [57, 49, 35],
};

/** Where the reference values come from, printed wherever they are shown. */
export const NOTEBOOK_SOURCE =
  "authors' notebook, ONE seed (CIFAR-10, seed 666): single-run values, not means over seeds " +
  "(spec sections 9 and 15)";

/** The `--out` JSON of bm-table1 (docs/bm.md). */
export type BmTable1Summary = BmSummaryHeader & {
  /** Statistics of the training data. */
  data: BmDataMetrics | null;
  /** Per criterion: units, weights, zero scores and ANTI's top-up per round. */
  criteria: Record<
    string,
    & { label: string }
    & Pick<CriterionAggregate, "hiddenUnits" | "weights" | "zeroScores" | "toppedUp" | "seeds">
    & { perSeedHiddenUnits: CriterionAggregate["perSeedHiddenUnits"] }
  >;
  /** The authors' single-seed notebook values per criterion (rounds 1..3) and their source. */
  notebook: { source: string; hiddenUnits: Partial<Record<Criterion, number[]>> };
  /** Seeds and criteria left out of the statistics (non-finite weights or metrics). */
  failures: BmFailure[];
};

/** Mean (sd) as the table prints it; one seed has no sd. */
function meanSd(mean: number, sd: number, n: number): string {
  return n > 1 ? `${mean.toFixed(1)} (${sd.toFixed(1)})` : mean.toFixed(1);
}

/** The n_w of a round over criteria: one number, or the range where criteria differ. */
function weightsRange(summary: BmTable1Summary, round: number): string {
  const ws = Object.values(summary.criteria).map((c) => Math.round(c.weights.mean[round]));
  const lo = Math.min(...ws);
  const hi = Math.max(...ws);
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

/** Table 1 as a terminal table: ours (mean (sd) over seeds), then the notebook's single seed. */
export function table1Text(summary: BmTable1Summary): string {
  const names = Object.keys(summary.criteria) as Criterion[];
  if (names.length === 0) return "no results";
  const rounds = summary.criteria[names[0]].hiddenUnits.mean.length - 1;
  const labels = names.map((n) => summary.criteria[n].label);
  const n = Math.min(...names.map((c) => summary.criteria[c].seeds));
  const ours = Array.from({ length: rounds }, (_, r) => [
    `${r + 1}`,
    weightsRange(summary, r + 1),
    ...names.map((c) => {
      const h = summary.criteria[c].hiddenUnits;
      return meanSd(h.mean[r + 1], h.sd[r + 1], summary.criteria[c].seeds);
    }),
  ]);
  const notebook = Array.from({ length: rounds }, (_, r) => [
    `${r + 1}`,
    "",
    ...names.map((c) => `${summary.notebook.hiddenUnits[c]?.[r] ?? "-"}`),
  ]);
  const lines = [
    `Table 1: hidden units left after each round, mean (sd) over ${n} seed(s); ${summary.protocol}`,
    formatTable(["round", "n_w", ...labels], ours),
    "",
    `paper reference, ${summary.notebook.source}:`,
    formatTable(["round", "", ...labels], notebook),
  ];
  const topped = names.filter((c) => summary.criteria[c].toppedUp.some((t) => t > 0));
  for (const c of topped) {
    lines.push(
      `${summary.criteria[c].label}: random top-up removed ${
        summary.criteria[c].toppedUp.map((t) => t.toFixed(1)).join(" / ")
      } weights per round (mean over seeds; ties at the threshold, spec 15)`,
    );
  }
  if (summary.data) lines.push(dataLine(summary.data));
  if (summary.failures.length > 0) {
    lines.push(
      `${summary.failures.length} seed/criterion run(s) failed (non-finite values) and are ` +
        `left out; see "failures" in the JSON`,
    );
  }
  return lines.join("\n");
}

/** Table 1 as a dashboard table: rounds x criteria, each beside the notebook's value. */
export function table1Panel(
  agg: ReturnType<typeof aggregatePruning>,
  label: string,
): Panel | null {
  const names = CRITERIA.filter((c) => agg.criteria[c]);
  if (names.length === 0) return null;
  const rounds = agg.criteria[names[0]]!.hiddenUnits.mean.length - 1;
  const columns: TableColumn[] = [
    { label: "round", role: "label" },
    { label: "n_w (mean over criteria)", role: "value", digits: 0 },
  ];
  for (const c of names) {
    columns.push({ label: criterionLabel(c), role: "value", digits: 1 });
    if (TABLE1_NOTEBOOK[c]) columns.push({ label: `${criterionLabel(c)} (paper)`, role: "paper" });
  }
  const rows: TableCell[][] = Array.from({ length: rounds }, (_, r) => {
    const ws = names.map((c) => agg.criteria[c]!.weights.mean[r + 1]);
    const row: TableCell[] = [
      { value: `round ${r + 1}` },
      { value: ws.reduce((a, b) => a + b, 0) / ws.length },
    ];
    for (const c of names) {
      const h = agg.criteria[c]!.hiddenUnits;
      row.push({ value: h.mean[r + 1], err: agg.criteria[c]!.seeds > 1 ? h.sd[r + 1] : null });
      if (TABLE1_NOTEBOOK[c]) row.push({ value: TABLE1_NOTEBOOK[c]![r] ?? null });
    }
    return row;
  });
  const n = Math.min(...names.map((c) => agg.criteria[c]!.seeds));
  return {
    id: "table1",
    title: `Table 1: hidden units left per round, mean (sd) over ${n} seed(s)`,
    kind: "table",
    xLabel: "",
    yLabel: "",
    series: [],
    errorKind: "sd",
    table: { columns, rows, paperSource: NOTEBOOK_SOURCE },
    caption: `Ours: mean (sd) over seeds. The (paper) columns are the ${NOTEBOOK_SOURCE}; RU's ` +
      `counts are fixed by design (35, 18, 9). ${label}`,
  };
}

/** The bm-table1 experiment. */
export const bmTable1: Experiment<BmConfig, BmTable1Summary> = {
  id: "bm-table1",
  title: "Table 1: hidden units left after FI / control pruning of a 13x70 RBM",
  paper: "scholl2021",
  claims: BM_TABLE1_CLAIMS,
  ...pruningExperimentBase("bm-table1", {
    defaultSeeds: 3,
    evaluation: { default: "none", paper: "none" },
  }),
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
        toppedUp: a.toppedUp,
        seeds: a.seeds,
        perSeedHiddenUnits: a.perSeedHiddenUnits,
      };
    }
    return {
      ...summaryHeader(run, bmTable1),
      data: agg.data,
      criteria,
      notebook: { source: NOTEBOOK_SOURCE, hiddenUnits: TABLE1_NOTEBOOK },
      failures: agg.failures,
    };
  },
  table: table1Text,
  parameters: () => [],
  panels(run: ExperimentRun<BmConfig>, units: UnitEntry[]): Panel[] {
    const config = run.config;
    const agg = aggregatePruning(units);
    const label = protocolLabel(config);
    const names = CRITERIA.filter((c) => agg.criteria[c]);
    const series = (pick: "hiddenUnits" | "weights") =>
      names.map((c) => {
        const a = agg.criteria[c]!;
        return {
          label: criterionLabel(c),
          x: a[pick].mean.map((_, k) => k),
          y: a[pick].mean,
          err: a[pick].sd,
          n: a[pick].mean.map(() => a.seeds),
        };
      });
    const table = table1Panel(agg, label);
    const failed = agg.failures.length > 0
      ? ` ${agg.failures.length} failed seed/criterion run(s) left out.`
      : "";
    return [
      ...(table ? [table] : []),
      {
        id: "hidden-units",
        title: "Table 1 as curves: hidden units left per pruning round",
        kind: "line",
        xLabel: "pruning round",
        yLabel: "hidden units n_h",
        series: series("hiddenUnits"),
        errorKind: "sd",
        caption: `mean over seeds, error bars = SD; round 0 = unpruned.${failed} ${label}`,
      },
      {
        id: "weights",
        title: "Weights left per pruning round",
        kind: "line",
        xLabel: "pruning round",
        yLabel: "existing weights n_w",
        series: series("weights"),
        errorKind: "sd",
        caption: `mean, error bars = SD. ANTI is topped up with random weights to the scheduled ` +
          `count where ties leave too few (spec 15). ${label}`,
      },
      {
        id: "zero-scores",
        title: "Exactly-zero FI scores among existing weights",
        kind: "line",
        xLabel: "pruning round (scores used for this round)",
        yLabel: "zero scores",
        series: names.filter((c) => agg.criteria[c]!.zeroScores.var.some((z) => z !== null))
          .flatMap((c) => {
            const z = agg.criteria[c]!.zeroScores;
            const x = z.var.map((_, k) => k + 1);
            return [
              { label: `${criterionLabel(c)}: VAR zeros`, x, y: z.var },
              ...(c === "fi-heuristic" ? [{ label: "HEU: HEU zeros", x, y: z.heu }] : []),
            ];
          }),
        caption: `mean over seeds; depends on the number of samples N=${config.samples}; ` +
          `criteria that prune without scores draw no samples after round 1. ${label}`,
      },
    ];
  },
};
