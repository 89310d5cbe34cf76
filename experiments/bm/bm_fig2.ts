/**
 * Fig 2 of Scholl et al. 2021: generative performance of the pruned 13 x 70 RBMs. (A, B)
 * log-probability matching of data and generated patterns, for the initial model and for each
 * criterion after three rounds plus retraining; (C) KL(data || model) after the third round,
 * immediately after pruning and after retraining, mean and sd over seeds.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { BmConfig } from "./config.ts";
import type { BmDataMetrics } from "../../core/bm/protocol.ts";
import { LOGP_BINS, logProbErrors } from "../../core/bm/metrics.ts";
import { CRITERIA, type Criterion, criterionLabel } from "../../core/bm/rbm_criteria.ts";
import {
  aggregatePruning,
  type BmSummaryHeader,
  type CriterionAggregate,
  type MeanSd,
  protocolLabel,
  summaryHeader,
} from "./aggregate.ts";
import { pruningExperimentBase } from "./run.ts";
import { percentile } from "../../core/bm/prune.ts";
import { mean } from "../../core/util/stats.ts";

/** Per-pattern log-probability matching (Fig 2A/B): x = ln pD, mean error and quartiles. */
export interface LogProbMatching {
  /** ln pD(c) of each data pattern (codes present in the data). */
  x: number[];
  /** Mean over seeds of (ln pD - ln pS)^2, over seeds where the code was generated; null if none. */
  mse: (number | null)[];
  /** 25th percentile across those seeds. */
  q25: (number | null)[];
  /** 75th percentile. */
  q75: (number | null)[];
  /** Pattern codes. */
  codes: number[];
}

/** Builds Fig 2A/B data from per-seed sample pattern counts. */
export function logProbMatching(dataCounts: Int32Array, perSeed: Int32Array[]): LogProbMatching {
  let nd = 0;
  for (let c = 0; c < dataCounts.length; c++) nd += dataCounts[c];
  const errs = perSeed.map((s) => logProbErrors(dataCounts, s));
  const out: LogProbMatching = { x: [], mse: [], q25: [], q75: [], codes: [] };
  for (let c = 0; c < dataCounts.length; c++) {
    if (dataCounts[c] === 0) continue;
    const e = errs.map((r) => r[c]).filter((v) => !Number.isNaN(v));
    out.codes.push(c);
    out.x.push(Math.log(dataCounts[c] / nd));
    out.mse.push(e.length ? mean(e) : null);
    out.q25.push(e.length ? percentile(e, 25) : null);
    out.q75.push(e.length ? percentile(e, 75) : null);
  }
  return out;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function compact(m: LogProbMatching): LogProbMatching {
  const r = (v: number | null): number | null => (v === null ? null : round4(v));
  return {
    x: m.x.map(round4),
    mse: m.mse.map(r),
    q25: m.q25.map(r),
    q75: m.q75.map(r),
    codes: m.codes,
  };
}

/** The `--out` JSON of bm-fig2 (docs/bm.md). */
export type BmFig2Summary = BmSummaryHeader & {
  /** Statistics of the training data. */
  data: BmDataMetrics | null;
  /** The initial models' KL, mean and sd over seeds. */
  initial: { kl: MeanSd; klExact: MeanSd; seeds: number };
  /** Per criterion: KL after the last round and per round. */
  criteria: Record<
    string,
    { label: string } & Pick<CriterionAggregate, "kl" | "klExact" | "klPerRound" | "seeds">
  >;
  /** Fig 2A/B per pattern, for the initial models and after the last retraining. */
  logProbMatching: {
    initial: LogProbMatching | null;
    afterRetraining: Record<string, LogProbMatching>;
  };
  /** What the KL numbers are. */
  notes: string;
};

/** The bm-fig2 experiment. */
export const bmFig2: Experiment<BmConfig, BmFig2Summary> = {
  id: "bm-fig2",
  title: "Fig 2: generative performance of pruned 13x70 RBMs (log-prob matching, KL)",
  paper: "scholl2021",
  ...pruningExperimentBase("bm-fig2"),
  async summarize(run: ExperimentRun<BmConfig>, store: ResultStore): Promise<BmFig2Summary> {
    const units = await store.listUnits(run.id);
    const agg = aggregatePruning(units);
    const dataCounts = await store.getBlob(run.id, ["data"], "counts") as Int32Array | null;
    const blobsOf = async (prefix: string, name: string, c?: Criterion): Promise<Int32Array[]> => {
      const out: Int32Array[] = [];
      for (const u of units) {
        if (u.key[0] !== prefix || (c !== undefined && u.key[2] !== c)) continue;
        const b = await store.getBlob(run.id, u.key, name);
        if (b) out.push(b as Int32Array);
      }
      return out;
    };
    const criteria: BmFig2Summary["criteria"] = {};
    const matching: Record<string, LogProbMatching> = {};
    for (const c of CRITERIA) {
      const a = agg.criteria[c];
      if (!a) continue;
      criteria[c] = {
        label: criterionLabel(c),
        kl: a.kl,
        klExact: a.klExact,
        klPerRound: a.klPerRound,
        seeds: a.seeds,
      };
      if (dataCounts) {
        matching[c] = compact(
          logProbMatching(dataCounts, await blobsOf("criterion", "countsAfter", c)),
        );
      }
    }
    const initialMatching = dataCounts
      ? compact(logProbMatching(dataCounts, await blobsOf("initial", "counts")))
      : null;
    return {
      ...summaryHeader(run, bmFig2),
      data: agg.data,
      initial: { kl: agg.initial.kl, klExact: agg.initial.klExact, seeds: agg.initial.seeds },
      criteria,
      logProbMatching: { initial: initialMatching, afterRetraining: matching },
      notes: "kl = sample-based KL(data||model) over codes present in both, renormalised " +
        "(spec 7.1 DEFAULT); klExact = exact-model KL. After the last pruning round.",
    };
  },
  table(summary: BmFig2Summary): string {
    const crit = summary.criteria;
    const init = summary.initial;
    const f = (k: MeanSd): string => `${k.mean.toFixed(4)} (${k.sd.toFixed(4)})`;
    const rows = Object.values(crit).map((a) => [
      a.label,
      f(a.kl.beforeRetraining),
      f(a.kl.afterRetraining),
      f(a.klExact.beforeRetraining),
      f(a.klExact.afterRetraining),
    ]);
    return [
      `Fig 2C: KL(data||model) after the last round, mean (sd); ${summary.protocol}`,
      `initial model: sample KL ${f(init.kl)}, exact KL ${f(init.klExact)}`,
      formatTable(["criterion", "pruned", "retrained", "exact pruned", "exact retrained"], rows),
    ].join("\n");
  },
  parameters: () => [],
  panels(run: ExperimentRun<BmConfig>, units: UnitEntry[]): Panel[] {
    const config = run.config;
    const agg = aggregatePruning(units);
    const label = protocolLabel(config);
    const names = CRITERIA.filter((c) => agg.criteria[c]);
    const klSeries = (exact: boolean) => [
      {
        label: "initial",
        x: names.map((c) => criterionLabel(c)),
        y: names.map(() => (exact ? agg.initial.klExact : agg.initial.kl).mean),
        color: "grey",
      },
      {
        label: "pruned (before retraining)",
        x: names.map((c) => criterionLabel(c)),
        y: names.map((c) =>
          (exact ? agg.criteria[c]!.klExact : agg.criteria[c]!.kl).beforeRetraining.mean
        ),
        err: names.map((c) =>
          (exact ? agg.criteria[c]!.klExact : agg.criteria[c]!.kl).beforeRetraining.sd
        ),
        color: "pruned",
      },
      {
        label: "retrained",
        x: names.map((c) => criterionLabel(c)),
        y: names.map((c) =>
          (exact ? agg.criteria[c]!.klExact : agg.criteria[c]!.kl).afterRetraining.mean
        ),
        err: names.map((c) =>
          (exact ? agg.criteria[c]!.klExact : agg.criteria[c]!.kl).afterRetraining.sd
        ),
        color: "unpruned",
      },
    ];
    const centres = LOGP_BINS.map((b) => b + 0.5);
    return [
      {
        id: "kl",
        title: "Fig 2C: KL(data || model) after the last round",
        kind: "bar",
        xLabel: "criterion",
        yLabel: "KL (nats)",
        series: klSeries(false),
        logY: true,
        caption:
          `sample-based KL over codes present in data and samples (spec 7.1); mean, error bars = sd over seeds. ${label}`,
      },
      {
        id: "kl-exact",
        title: "Exact-model KL(data || model) after the last round",
        kind: "bar",
        xLabel: "criterion",
        yLabel: "KL (nats)",
        series: klSeries(true),
        logY: true,
        caption: `exact p(v) by enumeration; mean, error bars = sd. ${label}`,
      },
      {
        id: "logp-matching",
        title: "Fig 2A/B: log-probability matching (binned)",
        kind: "line",
        xLabel: "ln pD(pattern) (1-nat bins)",
        yLabel: "mean (ln pD - ln pS)^2",
        logY: true,
        series: [
          { label: "initial", x: centres, y: agg.initial.logpError, color: "grey" },
          ...names.map((c) => ({
            label: `${criterionLabel(c)} retrained`,
            x: centres,
            y: agg.criteria[c]!.logpError,
          })),
        ],
        caption:
          `per-pattern errors averaged within 1-nat bins of ln pD and over seeds; the per-pattern version with 25-75% bars is in --out. ${label}`,
      },
    ];
  },
};
