/**
 * Aggregation of a family-B run from its unit metrics (no blobs): per criterion and pruning
 * iteration the mean and sd over seeds of every measure of Figs 3 and 4, and the `--out` JSON of
 * `bm-fig3` / `bm-fig4` (docs/dbm.md, "The `--out` JSON").
 *
 * @module
 */
import { type ExperimentRun, type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import { DBM_CRITERIA } from "../../core/bm/dbm/criteria.ts";
import { type SummaryHeader, summaryHeaderOf } from "../../core/app/run_summary.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { mean, sd } from "../../core/util/stats.ts";
import { type DbmConfig, protocolLabel, storedDbmConfig } from "./config.ts";
import type {
  CheckpointRecord,
  DataRecord,
  InitialRecord,
  ReferencesRecord,
  RoundRecord,
} from "./records.ts";

/** Quality and diversity of a reference set (spec 7.2.2). */
export interface ReferenceStats {
  /** Plain mean of the winning-class probability (the paper's wording). */
  quality: number;
  /** Mean over classes of the per-class mean winning probability (the notebook's, plotted). */
  qualityPerClass: number;
  /** Entropy of the class counts, nats (ln 10 = 2.3026 at most). */
  entropy: number;
  /** Samples per class. */
  classCounts: number[];
}

/** The measures of Figs 3-4 at one iteration: means over the seeds that reached it. */
export interface IterationStats {
  /** Pruning iteration (0 = the unpruned model). */
  iteration: number;
  /** Seeds averaged. */
  n: number;
  /** Existing weights n_w1 + n_w2. */
  remainingWeights: number;
  /** Existing v-h1 weights. */
  weightsLayer1: number;
  /** Existing h1-h2 weights. */
  weightsLayer2: number;
  /** Surviving h1 units. */
  unitsH1: number;
  /** Surviving h2 units. */
  unitsH2: number;
  /** Encoding classifier error (Fig 3B), or null when not measured. */
  classifierError: number | null;
  /** Plain mean winning probability of the generated digits. */
  quality: number;
  /** Per-class mean winning probability (the plotted quality). */
  qualityPerClass: number;
  /** Entropy of the generated digits' classes, nats. */
  entropy: number;
  /** Generated digits per class (summed over seeds). */
  classCounts: number[];
  /** Visible pixels without weights (Fig 3D), mean count. */
  disconnectedPixels: number;
  /** Mean unit activity in the samples. */
  activity: { h1: number; h2: number };
  /** Hidden units that fired in at least one sample. */
  fired: { h1: number; h2: number };
  /** Exactly-zero VAR scores among existing weights, per layer (spec 15: depends on N). */
  zeroVar: { layer1: number; layer2: number };
  /** Standard deviations over seeds (0 for one seed) of the main measures. */
  sd: Pick<IterationStats, MainMeasure>;
  /** Checkpoint 1 (pruned, before retraining), when measured: the means named. */
  beforeRetraining?: Pick<
    IterationStats,
    "quality" | "qualityPerClass" | "entropy" | "classifierError"
  >;
}

/** The measures of Figs 3-4 whose sd over seeds is kept and that the claims test per seed. */
export type MainMeasure =
  | "remainingWeights"
  | "unitsH1"
  | "unitsH2"
  | "classifierError"
  | "quality"
  | "qualityPerClass"
  | "entropy";

/** One seed's values at one iteration (the observations the claims test over seeds). */
export type SeedPoint = Pick<
  IterationStats,
  MainMeasure | "iteration" | "weightsLayer2" | "activity"
>;

/** One seed's course under one criterion. */
export interface SeedTrace {
  /** Seed index. */
  seed: number;
  /** Iteration 0 and every retrained iteration the seed reached, in order. */
  points: SeedPoint[];
  /** Visible pixels without weights after the seed's last iteration (Fig 3D). */
  disconnected: number[];
}

/** One criterion's results. */
export interface CriterionStats {
  /** Short label (VAR, HEU, ...). */
  label: string;
  /** Iteration 0 (the shared initial model) and every pruning iteration. */
  iterations: IterationStats[];
  /** Per seed: the round it stopped at (a layer ran out of weights or units), if any. */
  stopped: { seed: number; iteration: number; reason: string }[];
  /** Per pixel (400), the fraction of seeds in which it is disconnected after the last round. */
  disconnectedMap: number[];
  /** Per seed, the values behind the means (claims test over seeds). */
  perSeed: SeedTrace[];
}

/** Everything panels and the summary need, from unit metrics. */
export interface DbmAggregate {
  /** References and data, once stored. */
  references: ReferencesRecord | null;
  /** Per criterion id. */
  criteria: Record<string, CriterionStats>;
  /** The 25-digit grid of the last round of the first seed, per criterion (and "initial"). */
  grids: Record<string, string>;
}

function ms(xs: number[]): { mean: number; sd: number } {
  return { mean: mean(xs), sd: xs.length > 1 ? sd(xs) : 0 };
}

function msNullable(xs: (number | null)[]): { mean: number | null; sd: number | null } {
  const v = xs.filter((x): x is number => x !== null);
  if (v.length === 0) return { mean: null, sd: null };
  const r = ms(v);
  return { mean: r.mean, sd: r.sd };
}

function seedPoint(iteration: number, c: CheckpointRecord): SeedPoint {
  return {
    iteration,
    remainingWeights: c.counts.nw1 + c.counts.nw2,
    weightsLayer2: c.counts.nw2,
    unitsH1: c.counts.n1,
    unitsH2: c.counts.n2,
    classifierError: c.classifierError,
    quality: c.generative.quality,
    qualityPerClass: c.generative.qualityPerClass,
    entropy: c.generative.entropy,
    activity: { h1: c.activity.h1, h2: c.activity.h2 },
  };
}

function iterationStats(iteration: number, cps: CheckpointRecord[]): IterationStats {
  const f = (g: (c: CheckpointRecord) => number) => ms(cps.map(g));
  const weights = f((c) => c.counts.nw1 + c.counts.nw2);
  const units1 = f((c) => c.counts.n1);
  const units2 = f((c) => c.counts.n2);
  const err = msNullable(cps.map((c) => c.classifierError));
  const quality = f((c) => c.generative.quality);
  const qpc = f((c) => c.generative.qualityPerClass);
  const entropy = f((c) => c.generative.entropy);
  const counts = Array.from(
    { length: 10 },
    (_, k) => cps.reduce((a, c) => a + (c.generative.classCounts[k] ?? 0), 0),
  );
  return {
    iteration,
    n: cps.length,
    remainingWeights: weights.mean,
    weightsLayer1: f((c) => c.counts.nw1).mean,
    weightsLayer2: f((c) => c.counts.nw2).mean,
    unitsH1: units1.mean,
    unitsH2: units2.mean,
    classifierError: err.mean,
    quality: quality.mean,
    qualityPerClass: qpc.mean,
    entropy: entropy.mean,
    classCounts: counts,
    disconnectedPixels: f((c) => c.disconnected.length).mean,
    activity: { h1: f((c) => c.activity.h1).mean, h2: f((c) => c.activity.h2).mean },
    fired: { h1: f((c) => c.fired.h1).mean, h2: f((c) => c.fired.h2).mean },
    zeroVar: { layer1: f((c) => c.zeroScores.var1).mean, layer2: f((c) => c.zeroScores.var2).mean },
    sd: {
      remainingWeights: weights.sd,
      unitsH1: units1.sd,
      unitsH2: units2.sd,
      classifierError: err.sd,
      quality: quality.sd,
      qualityPerClass: qpc.sd,
      entropy: entropy.sd,
    },
  };
}

/** Aggregates a run's units (metrics only). */
export function aggregateDbm(config: DbmConfig, units: readonly UnitEntry[]): DbmAggregate {
  let references: ReferencesRecord | null = null;
  const initial = new Map<number, InitialRecord>();
  const rounds = new Map<string, RoundRecord[]>();
  for (const u of units) {
    const kind = u.key[0];
    if (kind === "references") references = unitMetrics<ReferencesRecord>(u);
    else if (kind === "initial") {
      const m = unitMetrics<InitialRecord>(u);
      initial.set(m.seed, m);
    } else if (kind === "round") {
      const m = unitMetrics<RoundRecord>(u);
      const list = rounds.get(m.criterion) ?? [];
      list.push(m);
      rounds.set(m.criterion, list);
    }
  }
  const seeds = [...initial.keys()].sort((a, b) => a - b);
  const init = seeds.map((s) => initial.get(s)!.checkpoint);
  const criteria: Record<string, CriterionStats> = {};
  const grids: Record<string, string> = {};
  if (seeds.length > 0) grids.initial = initial.get(seeds[0])!.checkpoint.grid;
  for (const entry of DBM_CRITERIA) {
    const id = entry.id;
    if (!config.criteria.includes(id)) continue;
    const list = rounds.get(id) ?? [];
    const iterations: IterationStats[] = init.length > 0 ? [iterationStats(0, init)] : [];
    const stopped: CriterionStats["stopped"] = [];
    const lastOf = new Map<number, CheckpointRecord>();
    const traces = new Map<number, SeedTrace>();
    for (const s of seeds) {
      const c = initial.get(s)!.checkpoint;
      lastOf.set(s, c);
      traces.set(s, { seed: s, points: [seedPoint(0, c)], disconnected: [] });
    }
    for (let k = 1; k <= config.protocol.prune.iterations; k++) {
      const at = list.filter((r) => r.iteration === k);
      const done = at.filter((r) => r.retrained);
      for (const r of at) {
        if (r.stopped && !stopped.some((x) => x.seed === r.seed)) {
          stopped.push({ seed: r.seed, iteration: k, reason: r.stopped });
        }
        if (r.retrained) {
          lastOf.set(r.seed, r.retrained);
          traces.get(r.seed)?.points.push(seedPoint(k, r.retrained));
        }
      }
      if (done.length === 0) continue;
      const st = iterationStats(k, done.map((r) => r.retrained!));
      const before = done.filter((r) => r.pruned).map((r) => r.pruned!);
      if (before.length > 0) {
        st.beforeRetraining = {
          quality: mean(before.map((c) => c.generative.quality)),
          qualityPerClass: mean(before.map((c) => c.generative.qualityPerClass)),
          entropy: mean(before.map((c) => c.generative.entropy)),
          classifierError: msNullable(before.map((c) => c.classifierError)).mean,
        };
      }
      iterations.push(st);
    }
    const map = new Array(400).fill(0);
    for (const c of lastOf.values()) for (const i of c.disconnected) map[i] += 1 / lastOf.size;
    const first = lastOf.get(seeds[0]);
    if (first) grids[id] = first.grid;
    for (const [s, c] of lastOf) traces.get(s)!.disconnected = [...c.disconnected];
    criteria[id] = {
      label: entry.label,
      iterations,
      stopped,
      disconnectedMap: map,
      perSeed: [...traces.values()],
    };
  }
  return { references, criteria, grids };
}

/** The `--out` JSON of bm-fig3 and bm-fig4 (docs/dbm.md). */
export interface DbmSummary extends SummaryHeader<DbmConfig> {
  /** Where the digits came from and the split sizes. */
  data: DataRecord | null;
  /** Quality and entropy of real test digits and of random patterns under the raw-digit judge. */
  reference: { testDigits: ReferenceStats; randomPatterns: ReferenceStats } | null;
  /** Test error of the raw-digit classifier (Fig 3B's baseline). */
  baselineError: number | null;
  /**
   * The same classifier trained only on the digits the DBM and the encoding classifier saw (the
   * fair Fig 3B baseline of a run with `--digits`); null when that is every training digit.
   */
  baselineSubset: { digits: number; error: number } | null;
  /** Per criterion id: `iterations[0]` is the unpruned model. */
  criteria: Record<string, CriterionStats>;
  /** Per criterion id: generated digits of the last iteration (first seed), 400 chars of 0/1. */
  samples: Record<string, string[]>;
}

function refStats(g: ReferencesRecord["testDigits"]): ReferenceStats {
  return {
    quality: g.quality,
    qualityPerClass: g.qualityPerClass,
    entropy: g.entropy,
    classCounts: g.classCounts,
  };
}

/** Builds the `--out` JSON (reads the sample blobs of each criterion's last round). */
export async function summarizeDbm(
  run: ExperimentRun<DbmConfig>,
  store: ResultStore,
  experiment: { id: string; title: string },
): Promise<DbmSummary> {
  const config = storedDbmConfig(run.config);
  const units = await store.listUnits(run.id);
  const agg = aggregateDbm(config, units);
  const samples: Record<string, string[]> = {};
  const rounds = units.filter((u) => u.key[0] === "round" && u.key[1] === 0);
  for (const c of config.criteria) {
    const done = rounds
      .filter((u) => u.key[2] === c && unitMetrics<RoundRecord>(u).retrained)
      .sort((a, b) => Number(b.key[3]) - Number(a.key[3]));
    const key = done.length > 0 ? done[0].key : ["initial", 0];
    const bytes = await store.getBlob(run.id, key, "digits");
    if (!(bytes instanceof Uint8Array)) continue;
    const out: string[] = [];
    for (let s = 0; s < bytes.length / 400; s++) {
      out.push(Array.from(bytes.subarray(s * 400, (s + 1) * 400)).join(""));
    }
    samples[c] = out;
  }
  const r = agg.references;
  return {
    ...summaryHeaderOf(run, experiment, { config, protocol: protocolLabel(config) }),
    data: r ? r.data : null,
    reference: r
      ? { testDigits: refStats(r.testDigits), randomPatterns: refStats(r.randomPatterns) }
      : null,
    baselineError: r ? r.baselineError : null,
    baselineSubset: r ? r.subsetBaseline : null,
    criteria: agg.criteria,
    samples,
  };
}
