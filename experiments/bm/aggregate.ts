/**
 * Aggregation of a family-A pruning run (bm-fig2, bm-table1) from unit metrics only: per
 * criterion and round the hidden units, weights, KL divergences, zero-score counts and
 * log-probability errors, mean and sd over seeds; and the `--out` header every BM figure shares.
 *
 * @module
 */
import { type ExperimentRun, type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import { type SummaryHeader, summaryHeaderOf } from "../../core/app/run_summary.ts";
import {
  type BmDataMetrics,
  comparableWithPaper,
  type RoundMetrics,
  type SamplerTag,
  samplerTag,
  samplerText,
  type SetMetrics,
} from "../../core/bm/protocol.ts";
import type { CriterionUnitMetrics } from "./run.ts";
import { CIFAR_UNIFORM_REFERENCE } from "../../core/data/patches.ts";
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

/** Aggregated results of one criterion over its finished, non-failed seeds. */
export interface CriterionAggregate {
  /** Hidden units per round (round 0 = unpruned), mean/sd over seeds. */
  hiddenUnits: { mean: number[]; sd: number[] };
  /** Existing weights per round (round 0 = unpruned). */
  weights: { mean: number[]; sd: number[] };
  /** Sample KL after the last round, before and after retraining (null: no evaluation sets). */
  kl: { beforeRetraining: MeanSd | null; afterRetraining: MeanSd | null };
  /** Exact-model KL after the last round (enumerated p(v); an extra analysis, no sampling). */
  klExact: { beforeRetraining: MeanSd; afterRetraining: MeanSd };
  /** Sample KL per round, before and after retraining (means; null where no set was drawn). */
  klPerRound: { beforeRetraining: (number | null)[]; afterRetraining: (number | null)[] };
  /** Mean count of exactly-zero VAR and HEU scores among existing weights, per round. */
  zeroScores: { var: (number | null)[]; heu: (number | null)[] };
  /** Mean number of weights ANTI's random top-up removed per round (0 for other criteria). */
  toppedUp: number[];
  /** Binned log-probability error after the last round's retraining, mean over seeds. */
  logpError: (number | null)[];
  /** Seeds contributing (failed seeds excluded). */
  seeds: number;
  /** Per-seed hidden units after each round (seed index, then rounds 1..R), for claims. */
  perSeedHiddenUnits: { seed: number; units: number[] }[];
  /** Per-seed KL of the last round, right after pruning and after retraining, for claims. */
  perSeedKl: PerSeedKl[];
}

/** One seed's KL after the last round (sample KL null where no set was drawn). */
export interface PerSeedKl {
  /** Seed index. */
  seed: number;
  /** Sample KL right after pruning. */
  before: number | null;
  /** Sample KL after retraining. */
  after: number | null;
  /** Exact-model KL right after pruning. */
  beforeExact: number;
  /** Exact-model KL after retraining. */
  afterExact: number;
  /** Data mass on patterns the samples right after pruning never produced (null: no set). */
  lostBefore: number | null;
  /** The same after retraining. */
  lostAfter: number | null;
}

/** A seed/criterion left out of the statistics (non-finite weights or metrics). */
export interface BmFailure {
  /** Seed index. */
  seed: number;
  /** Criterion id, or null when the seed's initial model failed. */
  criterion: string | null;
  /** Why. */
  reason: string;
}

/** Everything a pruning run's summaries and panels need, from unit metrics only. */
export interface PruningAggregate {
  /** Data statistics. */
  data: BmDataMetrics | null;
  /** Initial model metrics over its non-failed seeds. */
  initial: {
    kl: MeanSd | null;
    klExact: MeanSd;
    nh: MeanSd;
    logpError: (number | null)[];
    seeds: number;
    perSeed: { seed: number; kl: number | null; klExact: number; lostMass: number | null }[];
  };
  /** Per criterion. */
  criteria: Partial<Record<Criterion, CriterionAggregate>>;
  /** The sampler every sample-based number came from (null: no sample set stored). */
  sampler: SamplerTag | null;
  /** Seeds and criteria left out of the statistics, with the reason. */
  failures: BmFailure[];
}

function meanColumns(rows: (number | null)[][]): (number | null)[] {
  if (rows.length === 0) return [];
  return rows[0].map((_, b) => {
    const xs = rows.map((r) => r[b]).filter((x): x is number => x !== null);
    return xs.length ? mean(xs) : null;
  });
}

/** Mean/sd of the non-null values; null when every value is null. */
function msOrNull(values: (number | null)[]): MeanSd | null {
  const xs = values.filter((x): x is number => x !== null);
  return xs.length ? ms(xs) : null;
}

/** Mean of the non-null values; null when every value is null. */
function meanOrNull(values: (number | null)[]): number | null {
  const xs = values.filter((x): x is number => x !== null);
  return xs.length ? mean(xs) : null;
}

/** Aggregates unit metrics (no blobs); failed seeds and criteria are listed, not averaged. */
export function aggregatePruning(units: UnitEntry[]): PruningAggregate {
  let data: BmDataMetrics | null = null;
  const initial: (SetMetrics & { seed: number; failed?: string | null })[] = [];
  const byCriterion = new Map<Criterion, CriterionUnitMetrics[]>();
  const failures: BmFailure[] = [];
  let sampler: SamplerTag | null = null;
  const noteSampler = (m: SetMetrics): void => {
    sampler ??= m.sampler;
  };
  for (const u of units) {
    if (u.key[0] === "data") data = unitMetrics<BmDataMetrics>(u);
    else if (u.key[0] === "initial") {
      const m = unitMetrics<SetMetrics & { seed: number; failed?: string | null }>(u);
      if (m.failed) failures.push({ seed: m.seed, criterion: null, reason: m.failed });
      else {
        initial.push(m);
        noteSampler(m);
      }
    } else if (u.key[0] === "criterion") {
      const m = unitMetrics<CriterionUnitMetrics>(u);
      if (m.failed) {
        // Criteria skipped because their seed's initial model failed are listed once, above.
        if (m.rounds.length > 0) {
          failures.push({ seed: m.seed, criterion: m.criterion, reason: m.failed });
        }
        continue;
      }
      const c = u.key[2] as Criterion;
      const list = byCriterion.get(c) ?? [];
      list.push(m);
      byCriterion.set(c, list);
      for (const r of m.rounds) {
        noteSampler(r.before);
        noteSampler(r.after);
      }
    }
  }
  const h0 = initial.length ? initial[0].nh : 0;
  const w0 = initial.length ? initial[0].nw : 0;
  const criteria: Partial<Record<Criterion, CriterionAggregate>> = {};
  for (const c of CRITERIA) {
    const units = byCriterion.get(c);
    if (!units || units.length === 0) continue;
    const runs = units.map((u) => u.rounds);
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
    const lastOrNull = (f: (r: RoundMetrics) => number | null): MeanSd | null =>
      msOrNull(runs.map((r) => f(r[nr - 1])));
    const byRound = <T>(f: (r: RoundMetrics) => T): T[][] =>
      Array.from({ length: nr }, (_, k) => runs.map((r) => f(r[k])));
    criteria[c] = {
      hiddenUnits: perRound((r) => r.before.nh, h0),
      weights: perRound((r) => r.before.nw, w0),
      kl: {
        beforeRetraining: lastOrNull((r) => r.before.klSample),
        afterRetraining: lastOrNull((r) => r.after.klSample),
      },
      klExact: {
        beforeRetraining: last((r) => r.before.klExact),
        afterRetraining: last((r) => r.after.klExact),
      },
      klPerRound: {
        beforeRetraining: byRound((r) => r.before.klSample).map(meanOrNull),
        afterRetraining: byRound((r) => r.after.klSample).map(meanOrNull),
      },
      zeroScores: {
        var: byRound((r) => r.zeroScores?.var ?? null).map(meanOrNull),
        heu: byRound((r) => r.zeroScores?.heu ?? null).map(meanOrNull),
      },
      toppedUp: byRound((r) => r.prune.toppedUp).map(mean),
      logpError: meanColumns(
        runs.map((r) => r[nr - 1].after.logpError).filter((x): x is (number | null)[] =>
          x !== null
        ),
      ),
      seeds: runs.length,
      perSeedHiddenUnits: units.map((u) => ({
        seed: u.seed,
        units: u.rounds.map((r) => r.before.nh),
      })),
      perSeedKl: units.map((u) => ({
        seed: u.seed,
        before: u.rounds[nr - 1].before.klSample,
        after: u.rounds[nr - 1].after.klSample,
        beforeExact: u.rounds[nr - 1].before.klExact,
        afterExact: u.rounds[nr - 1].after.klExact,
        lostBefore: u.rounds[nr - 1].before.lostMass,
        lostAfter: u.rounds[nr - 1].after.lostMass,
      })),
    };
  }
  return {
    data,
    initial: {
      kl: msOrNull(initial.map((m) => m.klSample)),
      klExact: ms(initial.map((m) => m.klExact)),
      nh: ms(initial.map((m) => m.nh)),
      logpError: meanColumns(
        initial.map((m) => m.logpError).filter((x): x is (number | null)[] => x !== null),
      ),
      seeds: initial.length,
      perSeed: initial.map((m) => ({
        seed: m.seed,
        kl: m.klSample,
        klExact: m.klExact,
        lostMass: m.lostMass,
      })),
    },
    criteria,
    sampler,
    failures,
  };
}

/** Reads and aggregates a run. */
export async function loadPruningAggregate(
  run: ExperimentRun<BmConfig>,
  store: ResultStore,
): Promise<PruningAggregate> {
  return aggregatePruning(await store.listUnits(run.id));
}

/**
 * Label put on every output of a run: the protocol (reduced or the paper's), the sampler (and
 * whether its numbers compare with the paper's) and the data (CIFAR-10 or the substitute).
 */
export function protocolLabel(c: BmConfig): string {
  const protocol = c.reduced ? `REDUCED PROTOCOL (${c.seeds} seed(s))` : "paper protocol";
  const data = c.data ? `data ${c.data}` : "SUBSTITUTE data (embedded photographs, not CIFAR-10)";
  return `${protocol}, ${samplerText(samplerTag(c))}, ${data}`;
}

/**
 * One line on the training data: where it comes from (CIFAR-10 or the substitute) and its
 * uniform-pattern frequencies beside CIFAR-10's.
 */
export function dataLine(d: BmDataMetrics): string {
  const cifar = d.substitute
    ? `; ${CIFAR_UNIFORM_REFERENCE.source}: all-on ${CIFAR_UNIFORM_REFERENCE.allOn}, all-off ` +
      `${CIFAR_UNIFORM_REFERENCE.allOff}`
    : "";
  return `data: ${d.source}; ${d.patterns} patches, ${d.distinct} distinct patterns, all-on ` +
    `${d.uniform.allOn.toFixed(3)}, all-off ${d.uniform.allOff.toFixed(3)}${cifar}`;
}

/** The `--out` keys every family-A figure starts with. */
export interface BmSummaryHeader extends SummaryHeader<BmConfig> {
  /**
   * The sampler behind every sample-based number (FIM, FI scores, sample KL, Table 1) and whether
   * it is the paper's (Gibbs-200); the exact-model numbers (`klExact`, the exact FIM) use none.
   */
  sampling: SamplerTag & { comparableWithPaper: boolean; label: string };
}

/** The `--out` keys every family-A figure starts with (figure, run, preset, protocol, config). */
export function summaryHeader(
  run: ExperimentRun<BmConfig>,
  experiment: { id: string; title: string },
): BmSummaryHeader {
  const config = run.config;
  return {
    ...summaryHeaderOf(run, experiment, { config, protocol: protocolLabel(config) }),
    sampling: {
      ...samplerTag(config),
      comparableWithPaper: comparableWithPaper(samplerTag(config)),
      label: samplerText(samplerTag(config)),
    },
  };
}
