/**
 * Fig 2 of Scholl et al. 2021: generative performance of the pruned 13 x 70 RBMs. (A, B)
 * log-probability matching of data and generated patterns, for the initial model and for each
 * criterion after three rounds plus retraining; (C) KL(data || model) after the third round,
 * immediately after pruning and after retraining, mean and sd over seeds.
 *
 * @module
 */
import { BM_FIG2_CLAIMS } from "./claims.ts";
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { BmConfig } from "./config.ts";
import type { BmDataMetrics } from "../../core/bm/protocol.ts";
import {
  LOGP_BINS,
  type LogProbErrorByFrequency,
  logProbErrorByFrequency,
  logProbErrors,
  weightedLogProbMse,
} from "../../core/bm/metrics.ts";
import { samplerText } from "../../core/bm/protocol.ts";
import { CRITERIA, type Criterion, criterionLabel } from "../../core/bm/rbm_criteria.ts";
import {
  aggregatePruning,
  type BmFailure,
  type BmSummaryHeader,
  type CriterionAggregate,
  dataLine,
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

/** One seed's data-weighted log-probability error (see {@link weightedLogProbMse}). */
export interface PerSeedMse {
  /** Seed index. */
  seed: number;
  /** The error, or null when no data pattern was generated. */
  mse: number | null;
}

/** One seed's log-probability errors of the rarer and the more frequent data patterns. */
export type PerSeedByFrequency = { seed: number } & LogProbErrorByFrequency;

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
  /** The initial models' KL, mean and sd over seeds, and per seed. */
  initial: {
    kl: MeanSd | null;
    klExact: MeanSd;
    seeds: number;
    perSeed: { seed: number; kl: number | null; klExact: number; lostMass: number | null }[];
    perSeedLogpMse: PerSeedMse[];
    /** Per seed: the log-probability error of the rarer and the more frequent data patterns. */
    perSeedLogpByFrequency: PerSeedByFrequency[];
  };
  /** Per criterion: KL after the last round and per round, and per seed after retraining. */
  criteria: Record<
    string,
    & { label: string }
    & Pick<CriterionAggregate, "kl" | "klExact" | "klPerRound" | "seeds" | "perSeedKl">
    & { perSeedLogpMse: PerSeedMse[]; perSeedLogpByFrequency: PerSeedByFrequency[] }
  >;
  /** Seeds and criteria left out of the statistics (non-finite weights or metrics). */
  failures: BmFailure[];
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
  claims: BM_FIG2_CLAIMS,
  ...pruningExperimentBase("bm-fig2", {
    defaultSeeds: 3,
    evaluation: { default: "last-round", paper: "every-round" },
  }),
  async summarize(run: ExperimentRun<BmConfig>, store: ResultStore): Promise<BmFig2Summary> {
    const units = await store.listUnits(run.id);
    const agg = aggregatePruning(units);
    const blob = await store.getBlob(run.id, ["data"], "counts");
    const dataCounts = blob instanceof Int32Array ? blob : null;
    // Failed seeds and criteria are left out here too.
    const failed = new Set(
      agg.failures.map((f) => `${f.seed}/${f.criterion ?? ""}`),
    );
    const usable = (u: UnitEntry): boolean =>
      !failed.has(`${u.key[1]}/`) && !failed.has(`${u.key[1]}/${u.key[2] ?? ""}`);
    const seededBlobs = async (
      prefix: string,
      name: string,
      c?: Criterion,
    ): Promise<{ seed: number; counts: Int32Array }[]> => {
      const out: { seed: number; counts: Int32Array }[] = [];
      for (const u of units) {
        if (u.key[0] !== prefix || (c !== undefined && u.key[2] !== c) || !usable(u)) continue;
        const b = await store.getBlob(run.id, u.key, name);
        if (b instanceof Int32Array) out.push({ seed: Number(u.key[1]), counts: b });
      }
      return out;
    };
    const blobsOf = async (prefix: string, name: string, c?: Criterion): Promise<Int32Array[]> =>
      (await seededBlobs(prefix, name, c)).map((x) => x.counts);
    const perSeedMse = async (prefix: string, name: string, c?: Criterion) =>
      dataCounts
        ? (await seededBlobs(prefix, name, c)).map((x) => ({
          seed: x.seed,
          mse: weightedLogProbMse(dataCounts, x.counts),
        }))
        : [];
    const byFrequency = async (prefix: string, name: string, c?: Criterion) =>
      dataCounts
        ? (await seededBlobs(prefix, name, c)).map((x) => ({
          seed: x.seed,
          ...logProbErrorByFrequency(dataCounts, x.counts),
        }))
        : [];
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
        perSeedKl: a.perSeedKl,
        perSeedLogpMse: await perSeedMse("criterion", "countsAfter", c),
        perSeedLogpByFrequency: await byFrequency("criterion", "countsAfter", c),
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
      initial: {
        kl: agg.initial.kl,
        klExact: agg.initial.klExact,
        seeds: agg.initial.seeds,
        perSeed: agg.initial.perSeed,
        perSeedLogpMse: await perSeedMse("initial", "counts"),
        perSeedLogpByFrequency: await byFrequency("initial", "counts"),
      },
      criteria,
      logProbMatching: { initial: initialMatching, afterRetraining: matching },
      failures: agg.failures,
      notes: "kl = sample-based KL(data||model) over codes present in both, renormalised " +
        "(spec 7.1 DEFAULT), from the samples of `sampling` (Gibbs-200 = the paper's sampler); " +
        "klExact = exact-model KL from the enumerated p(v), an extra analysis that no sampler " +
        "enters. After the last pruning round; sd over seeds; failed seeds left out.",
    };
  },
  table(summary: BmFig2Summary): string {
    const crit = summary.criteria;
    const init = summary.initial;
    const f = (k: MeanSd | null): string => k ? `${k.mean.toFixed(4)} (${k.sd.toFixed(4)})` : "-";
    const rows = Object.values(crit).map((a) => [
      a.label,
      `${a.seeds}`,
      f(a.kl.beforeRetraining),
      f(a.kl.afterRetraining),
      f(a.klExact.beforeRetraining),
      f(a.klExact.afterRetraining),
    ]);
    return [
      `Fig 2C: KL(data||model) after the last round, mean (sd) over seeds; ${summary.protocol}`,
      `sample KL: ${summary.sampling.label}; exact KL: enumerated p(v) (extra analysis)`,
      `initial model (n=${init.seeds}): sample KL ${f(init.kl)}, exact KL ${f(init.klExact)}`,
      formatTable(
        ["criterion", "n", "sample pruned", "sample retrained", "exact pruned", "exact retrained"],
        rows,
      ),
      ...(summary.data ? [dataLine(summary.data)] : []),
      ...(summary.failures.length > 0
        ? [
          `${summary.failures.length} seed/criterion run(s) failed (non-finite values) and are ` +
          `left out; see "failures" in the JSON`,
        ]
        : []),
    ].join("\n");
  },
  parameters: () => [],
  panels(run: ExperimentRun<BmConfig>, units: UnitEntry[]): Panel[] {
    const config = run.config;
    const agg = aggregatePruning(units);
    const label = protocolLabel(config);
    const names = CRITERIA.filter((c) => agg.criteria[c]);
    const pick = (c: Criterion, exact: boolean) =>
      exact ? agg.criteria[c]!.klExact : agg.criteria[c]!.kl;
    const initialKl = (exact: boolean): number | null =>
      exact ? agg.initial.klExact.mean : agg.initial.kl?.mean ?? null;
    const klSeries = (exact: boolean) => [
      {
        // The initial model is one value per seed set, repeated across criteria: a reference.
        label: "initial model",
        x: names.map((c) => criterionLabel(c)),
        y: names.map(() => initialKl(exact)),
        reference: true,
      },
      {
        label: "pruned (before retraining)",
        x: names.map((c) => criterionLabel(c)),
        y: names.map((c) => pick(c, exact).beforeRetraining?.mean ?? null),
        err: names.map((c) => pick(c, exact).beforeRetraining?.sd ?? null),
        n: names.map((c) => pick(c, exact).beforeRetraining?.n ?? null),
        color: "pruned",
      },
      {
        label: "retrained",
        x: names.map((c) => criterionLabel(c)),
        y: names.map((c) => pick(c, exact).afterRetraining?.mean ?? null),
        err: names.map((c) => pick(c, exact).afterRetraining?.sd ?? null),
        n: names.map((c) => pick(c, exact).afterRetraining?.n ?? null),
        color: "unpruned",
      },
    ];
    const sampling = agg.sampler ? samplerText(agg.sampler) : "no sample sets stored yet";
    const centres = LOGP_BINS.map((b) => b + 0.5);
    return [
      {
        id: "kl",
        title: `Fig 2C: sample KL(data || model) after the last round (${
          agg.sampler?.method === "exact" ? "exact samples" : `Gibbs-${agg.sampler?.sweeps ?? 200}`
        })`,
        kind: "bar",
        xLabel: "criterion",
        yLabel: "KL (nats)",
        series: klSeries(false),
        logY: true,
        errorKind: "sd",
        caption: `sample-based KL over codes present in data and samples (spec 7.1), samples: ` +
          `${sampling}; mean, error bars = SD over seeds; dashed: the initial models. ${label}`,
      },
      {
        id: "kl-exact",
        title: "Extra analysis: exact-model KL(data || model) after the last round",
        kind: "bar",
        xLabel: "criterion",
        yLabel: "KL (nats)",
        series: klSeries(true),
        logY: true,
        errorKind: "sd",
        caption: `exact p(v) by enumeration (no sampler; not what the paper plots); mean, error ` +
          `bars = SD over seeds; dashed: the initial models. ${label}`,
      },
      {
        id: "logp-matching",
        title: "Fig 2A/B: log-probability matching (binned)",
        kind: "line",
        xLabel: "ln pD(pattern) (1-nat bins)",
        yLabel: "mean (ln pD - ln pS)^2",
        logY: true,
        series: [
          { label: "initial model (Fig 2A)", x: centres, y: agg.initial.logpError, color: "grey" },
          ...names.map((c) => ({
            label: `${criterionLabel(c)} retrained`,
            x: centres,
            y: agg.criteria[c]!.logpError,
          })),
        ],
        caption:
          `per-pattern errors averaged within 1-nat bins of ln pD and over seeds (samples: ` +
          `${sampling}); the per-pattern version with 25-75% bars is in --out. ${label}`,
      },
    ];
  },
};
