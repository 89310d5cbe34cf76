/**
 * Aggregation of a family-A pruning run (bm-fig2, bm-table1) from unit metrics only: per
 * criterion and round the hidden units, weights, KL divergences, zero-score counts and
 * log-probability errors, mean and sd over seeds; and the `--out` header every BM figure shares.
 *
 * @module
 */
import { type ExperimentRun, type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import type { BmDataMetrics, RoundMetrics, SetMetrics } from "../../core/bm/protocol.ts";
import { CRITERIA, type Criterion } from "../../core/bm/rbm_criteria.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { mean, sd } from "../../core/util/stats.ts";
import type { BmConfig } from "./config.ts";

/** Mean and sd over seeds. */
export interface MeanSd {
  /** Mean. */
  mean: number;
  /** Sample standard deviation (n - 1). */
  sd: number;
  /** Number of seeds. */
  n: number;
}

function ms(values: number[]): MeanSd {
  return { mean: mean(values), sd: values.length > 1 ? sd(values) : 0, n: values.length };
}

/** Aggregated results of one criterion. */
export interface CriterionAggregate {
  /** Hidden units per round (round 0 = unpruned), mean/sd over seeds. */
  hiddenUnits: { mean: number[]; sd: number[] };
  /** Existing weights per round (round 0 = unpruned). */
  weights: { mean: number[]; sd: number[] };
  /** Sample KL after the last round, before and after retraining. */
  kl: { beforeRetraining: MeanSd; afterRetraining: MeanSd };
  /** Exact-model KL after the last round. */
  klExact: { beforeRetraining: MeanSd; afterRetraining: MeanSd };
  /** Sample KL per round, before and after retraining (means). */
  klPerRound: { beforeRetraining: number[]; afterRetraining: number[] };
  /** Mean count of exactly-zero VAR and HEU scores among existing weights, per round. */
  zeroScores: { var: number[]; heu: number[] };
  /** Binned log-probability error after the last round's retraining, mean over seeds. */
  logpError: (number | null)[];
  /** Seeds contributing. */
  seeds: number;
}

/** Everything a pruning run's summaries and panels need, from unit metrics only. */
export interface PruningAggregate {
  /** Data statistics. */
  data: BmDataMetrics | null;
  /** Initial model metrics over seeds. */
  initial: { kl: MeanSd; klExact: MeanSd; nh: MeanSd; logpError: (number | null)[]; seeds: number };
  /** Per criterion. */
  criteria: Partial<Record<Criterion, CriterionAggregate>>;
}

function meanColumns(rows: (number | null)[][]): (number | null)[] {
  if (rows.length === 0) return [];
  return rows[0].map((_, b) => {
    const xs = rows.map((r) => r[b]).filter((x): x is number => x !== null);
    return xs.length ? mean(xs) : null;
  });
}

/** Aggregates unit metrics (no blobs). */
export function aggregatePruning(units: UnitEntry[]): PruningAggregate {
  let data: BmDataMetrics | null = null;
  const initial: SetMetrics[] = [];
  const byCriterion = new Map<Criterion, RoundMetrics[][]>();
  for (const u of units) {
    if (u.key[0] === "data") data = unitMetrics<BmDataMetrics>(u);
    else if (u.key[0] === "initial") initial.push(unitMetrics<SetMetrics>(u));
    else if (u.key[0] === "criterion") {
      const c = u.key[2] as Criterion;
      const list = byCriterion.get(c) ?? [];
      list.push(u.record.metrics.rounds as RoundMetrics[]);
      byCriterion.set(c, list);
    }
  }
  const h0 = initial.length ? initial[0].nh : 0;
  const w0 = initial.length ? initial[0].nw : 0;
  const criteria: Partial<Record<Criterion, CriterionAggregate>> = {};
  for (const c of CRITERIA) {
    const runs = byCriterion.get(c);
    if (!runs || runs.length === 0) continue;
    const nr = runs[0].length;
    const perRound = (
      f: (r: RoundMetrics) => number,
      first: number,
    ): { mean: number[]; sd: number[] } => {
      const m = [first];
      const s = [0];
      for (let k = 0; k < nr; k++) {
        const v = ms(runs.map((r) => f(r[k])));
        m.push(v.mean);
        s.push(v.sd);
      }
      return { mean: m, sd: s };
    };
    const last = (f: (r: RoundMetrics) => number): MeanSd => ms(runs.map((r) => f(r[nr - 1])));
    criteria[c] = {
      hiddenUnits: perRound((r) => r.before.nh, h0),
      weights: perRound((r) => r.before.nw, w0),
      kl: {
        beforeRetraining: last((r) => r.before.klSample),
        afterRetraining: last((r) => r.after.klSample),
      },
      klExact: {
        beforeRetraining: last((r) => r.before.klExact),
        afterRetraining: last((r) => r.after.klExact),
      },
      klPerRound: {
        beforeRetraining: Array.from(
          { length: nr },
          (_, k) => mean(runs.map((r) => r[k].before.klSample)),
        ),
        afterRetraining: Array.from(
          { length: nr },
          (_, k) => mean(runs.map((r) => r[k].after.klSample)),
        ),
      },
      zeroScores: {
        var: Array.from({ length: nr }, (_, k) => mean(runs.map((r) => r[k].zeroScores.var))),
        heu: Array.from({ length: nr }, (_, k) => mean(runs.map((r) => r[k].zeroScores.heu))),
      },
      logpError: meanColumns(runs.map((r) => r[nr - 1].after.logpError)),
      seeds: runs.length,
    };
  }
  return {
    data,
    initial: {
      kl: ms(initial.map((m) => m.klSample)),
      klExact: ms(initial.map((m) => m.klExact)),
      nh: ms(initial.map((m) => m.nh)),
      logpError: meanColumns(initial.map((m) => m.logpError)),
      seeds: initial.length,
    },
    criteria,
  };
}

/** Reads and aggregates a run. */
export async function loadPruningAggregate(
  run: ExperimentRun<BmConfig>,
  store: ResultStore,
): Promise<PruningAggregate> {
  return aggregatePruning(await store.listUnits(run.id));
}

/** Label put on every output of a reduced run. */
export function protocolLabel(c: BmConfig): string {
  return c.reduced
    ? `REDUCED PROTOCOL (${c.seeds} seed(s), ${
      c.sampler === "exact" ? "exact sampling" : `${c.sweeps} Gibbs sweeps`
    }, N=${c.samples})`
    : "paper protocol";
}

/** The `--out` keys every family-A figure starts with. */
export interface BmSummaryHeader {
  /** Experiment id. */
  figure: string;
  /** Experiment title. */
  title: string;
  /** Run id. */
  runId: string;
  /** Preset name. */
  preset: string;
  /** True unless the paper's protocol. */
  reduced: boolean;
  /** The protocol label ({@link protocolLabel}). */
  protocol: string;
  /** The resolved config. */
  config: BmConfig;
  /** Master seed. */
  seed: number;
}

/** The `--out` keys every family-A figure starts with (figure, run, preset, protocol, config). */
export function summaryHeader(
  run: ExperimentRun<BmConfig>,
  experiment: { id: string; title: string },
): BmSummaryHeader {
  const config = run.config;
  return {
    figure: experiment.id,
    title: experiment.title,
    runId: run.id,
    preset: run.preset,
    reduced: run.reduced,
    protocol: protocolLabel(config),
    config,
    seed: run.seed,
  };
}
