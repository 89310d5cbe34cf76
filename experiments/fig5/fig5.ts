/**
 * Fig 5 (and Fig 1H-I) of Averbeck 2022: DMS networks trained with SCG, pruned step by step by
 * magnitude against a matched unpruned lineage, probed with distractors and characterised by
 * maximal Lyapunov exponents (spec 3, 5, 6, 7.1, 8.1, 8.6, 8.8).
 *
 * Store layout of a run (unit keys after the run id):
 * - `["start", i]`: starting network i after the initial training rounds (blob `w`).
 * - `["level", i, li]`: both lineages of network i at level index li (blobs `prunedW`,
 *   `prunedMask`, `unprunedW`; metrics `pruned` / `unpruned` = {@link LineageMetrics}).
 * Trained starting networks are also cached per round under keys that include everything that
 * determines them, so another run with a different prune schedule skips the initial training.
 *
 * @module
 */
import {
  type BaseConfig,
  type Experiment,
  type UnitEntry,
  UsageError,
} from "../../core/app/experiment.ts";
import { parseIntFlag, parseLevels, parseNumberFlag } from "../../core/app/flags.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { DMS_SHAPE, paramLayout, toMatrices } from "../../core/rnn/network.ts";
import { dmsTrainingSet, PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { analyseDmsNetwork, type DmsNetworkMetrics } from "../../core/dms/analysis.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { type TrainOutcome, trainPopulation } from "../../core/rnn/train.ts";
import { mean, meanSem, pairedTTest, sem } from "../../core/util/stats.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import type { Panel, PanelParameter, PanelSeries } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/kv_store.ts";
import type { SequenceSet } from "../../core/engine/engine.ts";
import {
  dmsScgOptions,
  embeddedSource,
  type EmbeddedStartsFile,
  type StartProtocol,
  trainStartingNetworks,
} from "../../core/dms/starting_networks.ts";
import startsFile from "../data/fig5_starts.json" with { type: "json" };

/** Configuration of a Fig 5 run. */
export interface Fig5Config extends BaseConfig, StartProtocol {
  /** Lineage pairs (independent starting networks). */
  networks: number;
  /** Cumulative prune fractions, increasing. */
  levels: number[];
  /** Initial training rounds, each on a fresh training set (paper: 5). */
  initialRounds: number;
  /** Outer-iteration cap per initial training round (paper: 100, "to criterion"). */
  maxOuterInitial: number;
  /** Outer-iteration cap per retraining (paper: 100, "to criterion"). */
  maxOuterRetrain: number;
  /** SCG steps per outer iteration; null = K = 1110 (paper). */
  scgSteps: number | null;
  /** Target-noise sd (0.1); the DMS stopping rule uses 1.05 sigmaY^2. */
  sigmaY: number;
  /** Level of the Fig 5B, 5C, 5E, 5F panels (0.7 in the paper). */
  analysisLevel: number;
  /**
   * Train the starting networks from their initialisation even when the store's cache or the
   * embedded networks hold them (`--train-starts`); the results are the same bit for bit.
   */
  trainStarts: boolean;
}

/**
 * Starting networks shipped with the workbench: the default preset's networks after the paper's
 * initial training, made by `deno task fig5-starts` (provenance inside the file).
 */
export const FIG5_EMBEDDED_STARTS: EmbeddedStartsFile = startsFile as unknown as EmbeddedStartsFile;

const PAPER_LEVELS = Array.from({ length: 18 }, (_, i) => Number((0.1 + 0.05 * i).toFixed(2)));

/** The paper's protocol (spec 7.1): 400 pairs, 18 levels, SCG to criterion (cap 100). */
export const FIG5_PAPER: Fig5Config = Object.freeze({
  preset: "paper",
  reduced: false,
  networks: 400,
  levels: PAPER_LEVELS,
  initialRounds: 5,
  maxOuterInitial: 100,
  maxOuterRetrain: 100,
  scgSteps: null,
  sigmaY: 0.1,
  analysisLevel: 0.7,
  trainStarts: false,
}) as Fig5Config;

/**
 * The embedded default: a reduced protocol sized to finish in about 5 minutes on 2 cores
 * (see docs/fig5.md for how it was chosen and what it shows).
 */
export const FIG5_DEFAULT: Fig5Config = Object.freeze({
  preset: "default",
  reduced: true,
  networks: 8,
  levels: [0.5, 0.7],
  initialRounds: 5,
  maxOuterInitial: 100,
  maxOuterRetrain: 10,
  scgSteps: null,
  sigmaY: 0.1,
  analysisLevel: 0.7,
  trainStarts: false,
}) as Fig5Config;

/** The two lineages. */
export type Lineage = "pruned" | "unpruned";

/**
 * The training set of one lineage's retraining at level index `levelIndex`: stream
 * (seed, network, 2, level index) for the pruned lineage and (seed, network, 3, level index) for
 * the unpruned one (independent noise, spec D4).
 */
export function levelTrainingSet(
  c: Pick<Fig5Config, "sigmaY">,
  at: { seed: number; network: number; lineage: Lineage; levelIndex: number },
): SequenceSet {
  const stream = deriveSeed(at.seed, at.network, at.lineage === "pruned" ? 2 : 3, at.levelIndex);
  return dmsTrainingSet(new Rng(stream), c.sigmaY);
}
const LINEAGES: readonly Lineage[] = ["pruned", "unpruned"];

/** Stored metrics of one lineage at one level. */
export interface LineageMetrics extends Partial<DmsNetworkMetrics> {
  /** Loss at the start of the last outer iteration (Fig 1H). */
  finalLoss?: number;
  /** Loss at the end of the last SCG call (after retraining). */
  endLoss?: number;
  /** Outer SCG iterations run (Fig 1I). */
  iterations?: number;
  /** Whether the last SCG call met the stopping rule. */
  converged?: boolean;
  /** Loss before each outer iteration. */
  lossHistory?: number[];
  /** Gradient evaluations spent. */
  gradEvals?: number;
  /** Emergency SCG steps fired. */
  emergencySteps?: number;
  /** Set when this lineage failed (NaN/Inf), with the reason; other fields are then absent. */
  failed?: string;
}

function levelIndexOf(levels: number[], level: number): number {
  let best = 0;
  for (let i = 1; i < levels.length; i++) {
    if (Math.abs(levels[i] - level) < Math.abs(levels[best] - level)) best = i;
  }
  return best;
}

function lineageMetrics(outcome: TrainOutcome, w: Float64Array): LineageMetrics {
  if (outcome.failure) return { failed: outcome.failure, iterations: outcome.outerIterations };
  return {
    ...analyseDmsNetwork(w),
    finalLoss: outcome.lossHistory[outcome.lossHistory.length - 1],
    endLoss: outcome.endLoss,
    iterations: outcome.outerIterations,
    converged: outcome.converged,
    lossHistory: outcome.lossHistory,
    gradEvals: outcome.gradEvals,
    emergencySteps: outcome.emergencySteps,
  };
}

type MetricTables = Record<string, Record<Lineage, (number | null)[][]>>;

/** Per-network tables rows[network][level] of every metric and lineage, in one pass over units. */
function metricTables(units: UnitEntry[], c: Fig5Config): MetricTables {
  const blank = (): (number | null)[][] =>
    Array.from({ length: c.networks }, () => new Array(c.levels.length).fill(null));
  const out: MetricTables = {};
  for (const name of Object.keys(METRICS)) out[name] = { pruned: blank(), unpruned: blank() };
  for (const u of units) {
    if (u.key[0] !== "level") continue;
    const i = u.key[1] as number;
    const li = u.key[2] as number;
    if (i >= c.networks || li >= c.levels.length) continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (!m || m.failed) continue;
      for (const [name, pick] of Object.entries(METRICS)) {
        const v = pick(m);
        out[name][l][i][li] = typeof v === "number" && Number.isFinite(v) ? v : null;
      }
    }
  }
  return out;
}

function column(rows: (number | null)[][], li: number): (number | null)[] {
  return rows.map((r) => r[li]);
}

/** Aggregated Fig 5 results: what `--out`, the table and the panels are built from. */
export interface Fig5Aggregate {
  /** Prune levels. */
  levels: number[];
  /** Mean and SEM per level for each lineage and metric. */
  lineages: Record<Lineage, Record<string, { mean: number[]; sem: number[] }>>;
  /** Paired t-test p-values per level and metric (pruned vs unpruned). */
  pValues: Record<string, (number | null)[]>;
  /** Networks with data per level and lineage. */
  n: Record<Lineage, number[]>;
  /** Failed lineages (reason per network), if any. */
  failures: { network: number; level: number; lineage: Lineage; reason: string }[];
}

const METRICS: Record<string, (m: LineageMetrics) => number | null | undefined> = {
  probeAccuracy: (m) => m.probeAccuracy,
  cleanAccuracy: (m) => m.cleanAccuracy,
  maxLE: (m) => m.maxLE,
  maxLEChronological: (m) => m.maxLEChronological,
  finalLoss: (m) => m.finalLoss,
  endLoss: (m) => m.endLoss,
  iterations: (m) => m.iterations,
};

/** Aggregates unit metrics into means, SEMs and paired t-tests per level. */
export function aggregateFig5(c: Fig5Config, units: UnitEntry[]): Fig5Aggregate {
  const lineages = { pruned: {}, unpruned: {} } as Fig5Aggregate["lineages"];
  const pValues: Fig5Aggregate["pValues"] = {};
  const n = { pruned: [] as number[], unpruned: [] as number[] };
  const tables = metricTables(units, c);
  for (const name of Object.keys(METRICS)) {
    const rows = tables[name];
    for (const l of LINEAGES) lineages[l][name] = meanSem(rows[l]);
    pValues[name] = c.levels.map((_, li) => {
      const p = pairedTTest(column(rows.pruned, li), column(rows.unpruned, li)).p;
      return Number.isFinite(p) ? p : null;
    });
    if (name === "probeAccuracy") {
      for (const l of LINEAGES) {
        n[l] = c.levels.map((_, li) => column(rows[l], li).filter((v) => v !== null).length);
      }
    }
  }
  const failures: Fig5Aggregate["failures"] = [];
  for (const u of units) {
    if (u.key[0] !== "level") continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (m?.failed) {
        failures.push({
          network: u.key[1] as number,
          level: c.levels[u.key[2] as number],
          lineage: l,
          reason: m.failed,
        });
      }
    }
  }
  return { levels: c.levels, lineages, pValues, n, failures };
}

/** Level-specific breakdowns (Fig 5B, 5C, 5E, 5F) at level index li. */
export function fig5AtLevel(c: Fig5Config, units: UnitEntry[], li: number): {
  byOnset: Record<Lineage, { mean: number[]; sem: number[] }>;
  byStrength: Record<Lineage, { mean: number[]; sem: number[] }>;
  byOnsetP: (number | null)[];
  byStrengthP: (number | null)[];
  leByCorrect: Record<Lineage, { mean: (number | null)[]; sem: (number | null)[]; n: number[] }>;
  histogram: Record<Lineage, number[]>;
} {
  const perNet: Record<Lineage, (LineageMetrics | null)[]> = {
    pruned: new Array(c.networks).fill(null),
    unpruned: new Array(c.networks).fill(null),
  };
  for (const u of units) {
    if (u.key[0] !== "level" || u.key[2] !== li) continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (m && !m.failed && (u.key[1] as number) < c.networks) perNet[l][u.key[1] as number] = m;
    }
  }
  const nonZero = PROBE_STRENGTHS.map((s, si) => [s, si] as const).filter(([s]) => s !== 0);
  const byOnsetRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? m.probeTable.map((row) => mean(nonZero.map(([, si]) => row[si]))) : []
    );
  const byStrengthRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? PROBE_STRENGTHS.map((_, si) => mean(m.probeTable!.map((row) => row[si]))) : []
    );
  const pcols = (a: (number | null)[][], b: (number | null)[][], len: number): (number | null)[] =>
    Array.from({ length: len }, (_, k) => {
      const p = pairedTTest(a.map((r) => r[k] ?? null), b.map((r) => r[k] ?? null)).p;
      return Number.isFinite(p) ? p : null;
    });
  const leByCorrect = {} as Record<
    Lineage,
    { mean: (number | null)[]; sem: (number | null)[]; n: number[] }
  >;
  const histogram = {} as Record<Lineage, number[]>;
  for (const l of LINEAGES) {
    const groups: number[][] = [[], [], [], []];
    for (const m of perNet[l]) {
      if (m && m.exampleCorrect && m.exampleCorrect > 0 && typeof m.maxLE === "number") {
        groups[m.exampleCorrect - 1].push(m.maxLE);
      }
    }
    leByCorrect[l] = {
      mean: groups.map((g) => (g.length ? mean(g) : null)),
      sem: groups.map((g) => (g.length > 1 ? sem(g) : null)),
      n: groups.map((g) => g.length),
    };
    const hists = perNet[l].filter((m): m is LineageMetrics => Boolean(m?.histogram)).map((m) =>
      m.histogram!
    );
    histogram[l] = DMS_HIST_CENTRES.map((
      _,
      b,
    ) => (hists.length ? mean(hists.map((h) => h[b])) : 0));
  }
  const bo = { pruned: byOnsetRows("pruned"), unpruned: byOnsetRows("unpruned") };
  const bs = { pruned: byStrengthRows("pruned"), unpruned: byStrengthRows("unpruned") };
  return {
    byOnset: { pruned: meanSem(bo.pruned), unpruned: meanSem(bo.unpruned) },
    byStrength: { pruned: meanSem(bs.pruned), unpruned: meanSem(bs.unpruned) },
    byOnsetP: pcols(bo.pruned, bo.unpruned, PROBE_ONSETS.length),
    byStrengthP: pcols(bs.pruned, bs.unpruned, PROBE_STRENGTHS.length),
    leByCorrect,
    histogram,
  };
}

const SIGNIFICANCE = 0.01;
const nul = (v: number): number | null => (Number.isFinite(v) ? v : null);

function lineSeries(
  label: string,
  color: string,
  x: number[],
  ms: { mean: number[]; sem: number[] },
  p?: (number | null)[],
): PanelSeries {
  return {
    label,
    color,
    x,
    y: ms.mean.map(nul),
    err: ms.sem.map(nul),
    ...(p ? { significant: p.map((v) => v !== null && v < SIGNIFICANCE) } : {}),
  };
}

function parseConfigFlags(
  base: Fig5Config,
  flags: Record<string, string | boolean | undefined>,
): Fig5Config {
  const c: Fig5Config = { ...base, levels: [...base.levels] };
  let changed = false;
  const str = (
    name: string,
  ): string | undefined => (typeof flags[name] === "string" ? flags[name] as string : undefined);
  if (str("networks") !== undefined) {
    c.networks = parseIntFlag("networks", str("networks")!, { min: 1, max: 100000 });
    changed = true;
  }
  if (str("levels") !== undefined) {
    c.levels = parseLevels(str("levels")!);
    changed = true;
  }
  if (str("max-outer") !== undefined) {
    const v = parseIntFlag("max-outer", str("max-outer")!, { min: 1, max: 100000 });
    c.maxOuterInitial = v;
    c.maxOuterRetrain = v;
    changed = true;
  }
  if (str("max-outer-initial") !== undefined) {
    c.maxOuterInitial = parseIntFlag("max-outer-initial", str("max-outer-initial")!, {
      min: 1,
      max: 100000,
    });
    changed = true;
  }
  if (str("scg-steps") !== undefined) {
    c.scgSteps = parseIntFlag("scg-steps", str("scg-steps")!, { min: 1, max: 1_000_000 });
    changed = true;
  }
  if (str("initial-rounds") !== undefined) {
    c.initialRounds = parseIntFlag("initial-rounds", str("initial-rounds")!, { min: 0, max: 1000 });
    changed = true;
  }
  if (flags["train-starts"] === true) c.trainStarts = true;
  if (str("analysis-level") !== undefined) {
    c.analysisLevel = parseNumberFlag("analysis-level", str("analysis-level")!, { min: 0, max: 1 });
  }
  if (!c.levels.some((l) => Math.abs(l - c.analysisLevel) < 1e-9)) {
    // The level panels fall back to the nearest level; say so rather than silently.
    if (str("analysis-level") !== undefined) {
      throw new UsageError(
        `--analysis-level ${c.analysisLevel} is not one of --levels ${c.levels.join(",")}`,
      );
    }
  }
  if (changed) {
    c.preset = base.preset === "paper" ? "paper (modified)" : "custom";
    c.reduced =
      !(c.networks >= FIG5_PAPER.networks && c.levels.join() === FIG5_PAPER.levels.join() &&
        c.initialRounds >= 5 && c.maxOuterInitial >= 100 && c.maxOuterRetrain >= 100 &&
        c.scgSteps === null);
  }
  return c;
}

/** Loads a float64 blob or throws a clear error (a resumed run whose store lost data). */
async function requireBlob(
  store: ResultStore,
  runId: string,
  key: (string | number)[],
  name: string,
): Promise<Float64Array> {
  const b = await store.getBlob(runId, key, name);
  if (!(b instanceof Float64Array)) {
    throw new Error(`store is missing ${name} of unit ${key.join("/")}`);
  }
  return b;
}

/** The Fig 5 experiment. */
export const fig5: Experiment<Fig5Config> = {
  id: "fig5",
  title:
    "Averbeck 2022 Fig 5 / Fig 1H-I: DMS working memory, magnitude pruning vs matched unpruned",
  paper: "averbeck2022",
  presets: { default: FIG5_DEFAULT, paper: FIG5_PAPER },
  flags: [
    { name: "initial-rounds", type: "string", help: "initial training rounds (paper 5)" },
    { name: "max-outer-initial", type: "string", help: "outer-iteration cap of initial training" },
    {
      name: "train-starts",
      type: "boolean",
      help: "train the starting networks even if cached or embedded (same results)",
    },
    {
      name: "analysis-level",
      type: "string",
      help: "level of the 5B/5C/5E/5F panels (default 0.7)",
    },
  ],
  configure: (base, flags) => parseConfigFlags(base, flags),
  describe: (c) =>
    `${c.networks} lineage pairs, levels ${
      c.levels.join(",")
    }, ${c.initialRounds} initial rounds ` +
    `(cap ${c.maxOuterInitial} outer), retrain cap ${c.maxOuterRetrain} outer, ` +
    `${c.scgSteps ?? "K=1110"} SCG steps/outer`,
  totalUnits: (c) => c.networks * (1 + c.levels.length),

  async run(ctx) {
    const { config: c, seed, engine, store, runId, progress } = ctx;
    const L = paramLayout(DMS_SHAPE);
    const scg = dmsScgOptions(c);
    const P = c.networks;

    // Work is counted in network-outer-iterations at their caps, so the ETA is an upper bound
    // that shrinks as networks meet the stopping rule early. Work that is not needed (reused
    // starting networks, units finished before a resume) leaves the total rather than counting
    // as done, so the bar and the ETA describe what this process has to do.
    let totalWork = P * c.initialRounds * c.maxOuterInitial +
      2 * P * c.levels.length * c.maxOuterRetrain;
    let workDone = 0;
    const callWork = (jobs: number, cap: number) => {
      const base = workDone;
      return {
        onOuter: (outer: number, active: number, label: string): void => {
          progress.setWork(base + (jobs - active) * cap + active * outer, totalWork, label);
        },
        finish: (): void => {
          workDone = base + jobs * cap;
          progress.setWork(workDone, totalWork);
        },
      };
    };
    const skipWork = (n: number): void => {
      totalWork -= n;
    };

    // 1. Starting networks (resume from the run's own units, then the cache, then train).
    const start: (Float64Array | null)[] = new Array(P).fill(null);
    for (let i = 0; i < P; i++) {
      if (ctx.finished.has(`start/${i}`)) {
        start[i] = await requireBlob(store, runId, ["start", i], "w");
      }
    }
    const need = start.map((w, i) => (w ? -1 : i)).filter((i) => i >= 0);
    skipWork((P - need.length) * c.initialRounds * c.maxOuterInitial);
    if (need.length > 0) {
      const round = { acct: callWork(0, 0) };
      const { networks } = await trainStartingNetworks(engine, need, {
        protocol: c,
        seed,
        store,
        sources: [embeddedSource(FIG5_EMBEDDED_STARTS)],
        fresh: c.trainStarts,
        signal: ctx.signal,
        onSkip: (_r, n) => skipWork(n * c.maxOuterInitial),
        onRound: (r, n) => {
          progress.update(`initial training round ${r}/${c.initialRounds} (${n} networks)`);
          round.acct = callWork(n, c.maxOuterInitial);
        },
        onRoundDone: () => round.acct.finish(),
        onOuter: (r, outer, active, total) =>
          round.acct.onOuter(
            outer,
            active,
            `initial training round ${r}/${c.initialRounds}: outer ${outer}, ${active}/${total} still training`,
          ),
      });
      const fromStore = networks.filter((n) => n.reused?.from === "cache").length;
      const embedded = networks.filter((n) => n.reused?.from === "embedded").length;
      if (fromStore > 0) {
        ctx.log(`reusing cached initial training for ${fromStore} of ${need.length} networks`);
      }
      if (embedded > 0) {
        ctx.log(
          `using ${embedded} embedded starting networks (trained by this protocol; see docs/fig5.md; ` +
            `--train-starts retrains them)`,
        );
      }
      // Fix the work baseline now, so that the quick ticks below do not pass for a rate.
      progress.setWork(workDone, totalWork);
      for (let k = 0; k < need.length; k++) {
        const i = need[k];
        start[i] = networks[k].w;
        await store.putUnit(runId, ["start", i], {
          metrics: {
            rounds: networks[k].rounds,
            ...(networks[k].reused ? { reused: networks[k].reused } : {}),
            ...analyseDmsNetwork(networks[k].w),
          },
          blobs: { w: networks[k].w },
        });
        progress.tick(1, `starting network ${i + 1}/${P} ready`);
      }
    }

    // 2. Lineages, level by level; every network's pair is trained as one population.
    const prev: Record<Lineage, (Float64Array | null)[]> = {
      pruned: [...start],
      unpruned: [...start],
    };
    const failed: Record<Lineage, (string | null)[]> = {
      pruned: new Array(P).fill(null),
      unpruned: new Array(P).fill(null),
    };
    // A starting network whose initial training hit NaN/Inf cannot seed either lineage.
    for (let i = 0; i < P; i++) {
      const unit = await store.getUnit(runId, ["start", i]);
      const rounds = (unit?.metrics.rounds as { failed?: string }[] | undefined) ?? [];
      const bad = rounds.find((r) => r.failed);
      if (bad) failed.pruned[i] = failed.unpruned[i] = `initial training failed: ${bad.failed}`;
    }
    for (let li = 0; li < c.levels.length; li++) {
      ctx.signal.throwIfAborted();
      const level = c.levels[li];
      const todo: number[] = [];
      for (let i = 0; i < P; i++) {
        if (!ctx.finished.has(`level/${i}/${li}`)) {
          todo.push(i);
          continue;
        }
        // Already stored (resume): carry its weights forward.
        const unit = await store.getUnit(runId, ["level", i, li]);
        for (const l of LINEAGES) {
          const m = unit?.metrics[l] as LineageMetrics | undefined;
          if (m?.failed) {
            failed[l][i] = m.failed;
            prev[l][i] = null;
          } else {
            prev[l][i] = await requireBlob(store, runId, ["level", i, li], `${l}W`);
          }
        }
      }
      skipWork(2 * (P - todo.length) * c.maxOuterRetrain);
      if (todo.length === 0) continue;
      const jobs: { i: number; lineage: Lineage; w: Float64Array; mask: Uint8Array | null }[] = [];
      for (const i of todo) {
        const pw = prev.pruned[i];
        if (pw && !failed.pruned[i]) {
          const pr = magnitudePrune(DMS_SHAPE, pw, level);
          jobs.push({ i, lineage: "pruned", w: pr.w, mask: pr.mask });
        }
        const uw = prev.unpruned[i];
        if (uw && !failed.unpruned[i]) jobs.push({ i, lineage: "unpruned", w: uw, mask: null });
      }
      skipWork((2 * todo.length - jobs.length) * c.maxOuterRetrain);
      progress.update(`level ${level}: retraining ${jobs.length} networks`);
      const acct = callWork(jobs.length, c.maxOuterRetrain);
      const outcomes = await trainPopulation(
        engine,
        jobs.map((j) => ({
          data: levelTrainingSet(c, { seed, network: j.i, lineage: j.lineage, levelIndex: li }),
          w: j.w,
          mask: j.mask,
        })),
        {
          maxOuter: c.maxOuterRetrain,
          untilConverged: true,
          scg,
          signal: ctx.signal,
          onOuter: (outer, active, total) =>
            acct.onOuter(
              outer,
              active,
              `level ${level}: outer ${outer}, ${active}/${total} still training`,
            ),
        },
      );
      acct.finish();
      const byNet = new Map<
        number,
        Partial<Record<Lineage, { o: TrainOutcome; mask: Uint8Array | null }>>
      >();
      jobs.forEach((j, k) => {
        const e = byNet.get(j.i) ?? {};
        e[j.lineage] = { o: outcomes[k], mask: j.mask };
        byNet.set(j.i, e);
      });
      for (const i of todo) {
        const e = byNet.get(i) ?? {};
        const metrics: Record<string, unknown> = { level };
        const blobs: Record<string, Float64Array | Uint8Array> = {};
        for (const l of LINEAGES) {
          const r = e[l];
          if (!r) {
            metrics[l] = {
              failed: failed[l][i] ?? "lineage failed at an earlier level",
            } satisfies LineageMetrics;
            continue;
          }
          const m = lineageMetrics(r.o, r.o.w);
          metrics[l] = m;
          if (m.failed) {
            failed[l][i] = m.failed;
            prev[l][i] = null;
            ctx.log(`network ${i} ${l} lineage failed at level ${level}: ${m.failed}`);
            continue;
          }
          prev[l][i] = r.o.w;
          blobs[`${l}W`] = r.o.w;
          if (l === "pruned" && r.mask) blobs.prunedMask = r.mask.subarray(L.a, L.c).slice();
        }
        await store.putUnit(runId, ["level", i, li], { metrics, blobs });
        progress.tick(1, `level ${level}: network ${i + 1}/${P} stored`);
      }
    }
  },

  async summarize(run, store) {
    const c = run.config;
    const units = await store.listUnits(run.id);
    const agg = aggregateFig5(c, units);
    const li = levelIndexOf(c.levels, c.analysisLevel);
    const at = fig5AtLevel(c, units, li);
    const byKey = new Map(units.map((u) => [u.key.join("/"), u]));
    const networks: unknown[] = [];
    for (let i = 0; i < c.networks; i++) {
      const levels: unknown[] = [];
      for (let l = 0; l < c.levels.length; l++) {
        const unit = byKey.get(`level/${i}/${l}`);
        if (!unit) continue;
        const entry: Record<string, unknown> = { level: c.levels[l] };
        for (const lin of LINEAGES) {
          const m = unit.record.metrics[lin] as LineageMetrics;
          if (!m || m.failed) {
            entry[lin] = { failed: m?.failed ?? "missing" };
            continue;
          }
          const w = await store.getBlob(run.id, ["level", i, l], `${lin}W`);
          entry[lin] = {
            ...(w instanceof Float64Array ? toMatrices(DMS_SHAPE, w) : {}),
            probeAccuracy: m.probeAccuracy,
            cleanAccuracy: m.cleanAccuracy,
            maxLE: m.maxLE,
            maxLEChronological: m.maxLEChronological,
            finalLoss: m.finalLoss,
            endLoss: m.endLoss,
            iterations: m.iterations,
            converged: m.converged,
            probeTable: m.probeTable,
          };
        }
        levels.push(entry);
      }
      networks.push({ network: i, levels });
    }
    return {
      figure: "fig5",
      runId: run.id,
      status: run.status,
      preset: c.preset,
      reduced: c.reduced,
      protocolNote: c.reduced
        ? "REDUCED PROTOCOL: fewer networks/levels and capped SCG; not the paper's protocol"
        : "paper protocol (spec 7.1)",
      config: run.config,
      seed: run.seed,
      engine: run.engine,
      engineDescription: run.engineDescription,
      versions: run.versions,
      scoring: "correct if |target - mean(y52, y53)| < 1 with exact targets +/-1 (spec D17 [REC])",
      levels: c.levels,
      lineages: agg.lineages,
      pValues: agg.pValues,
      n: agg.n,
      failures: agg.failures,
      atLevel: {
        level: c.levels[li],
        probeOnsets: PROBE_ONSETS,
        probeStrengths: PROBE_STRENGTHS,
        ...at,
      },
      histogramCentres: DMS_HIST_CENTRES,
      networks,
    };
  },

  table(summary) {
    const s = summary as {
      levels: number[];
      lineages: Fig5Aggregate["lineages"];
      pValues: Fig5Aggregate["pValues"];
      reduced: boolean;
      failures: unknown[];
    };
    const f = (
      v: number | null | undefined,
      d = 3,
    ): string => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "-");
    const pm = (ms: { mean: number[]; sem: number[] }, k: number, d = 3): string =>
      `${f(ms.mean[k], d)}±${f(ms.sem[k], d)}`;
    const pf = (p: number | null): string =>
      (p === null ? "-" : p < 0.001 ? "<.001" : p.toFixed(3)) +
      (p !== null && p < 0.01 ? "*" : " ");
    const head = [
      "level",
      "probe acc pruned",
      "unpruned",
      "p",
      "maxLE pruned",
      "unpruned",
      "p",
      "loss P/U",
      "iters P/U",
    ];
    const rows = s.levels.map((lv, k) => [
      lv.toFixed(2),
      pm(s.lineages.pruned.probeAccuracy, k),
      pm(s.lineages.unpruned.probeAccuracy, k),
      pf(s.pValues.probeAccuracy[k]),
      pm(s.lineages.pruned.maxLE, k),
      pm(s.lineages.unpruned.maxLE, k),
      pf(s.pValues.maxLE[k]),
      `${f(s.lineages.pruned.finalLoss.mean[k], 4)}/${f(s.lineages.unpruned.finalLoss.mean[k], 4)}`,
      `${f(s.lineages.pruned.iterations.mean[k], 1)}/${
        f(s.lineages.unpruned.iterations.mean[k], 1)
      }`,
    ]);
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    const line = (r: string[]): string => r.map((v, j) => v.padEnd(widths[j])).join("  ");
    const out = [
      `Fig 5 summary (mean±SEM over networks; * p < 0.01, paired t-test)${
        s.reduced ? "  [REDUCED PROTOCOL]" : ""
      }`,
      line(head),
      ...rows.map(line),
    ];
    if (s.failures.length > 0) {
      out.push(`${s.failures.length} lineage(s) failed (NaN/Inf); see "failures" in the JSON`);
    }
    return out.join("\n");
  },

  parameters(run): PanelParameter[] {
    const c = run.config;
    const def = c.levels[levelIndexOf(c.levels, c.analysisLevel ?? 0.7)];
    return [{
      name: "level",
      label: "Prune level for 5B, 5C, 5E, 5F",
      options: c.levels,
      default: def,
    }];
  },

  panels(run, units, params): Panel[] {
    const c = run.config;
    const agg = aggregateFig5(c, units);
    const li = levelIndexOf(c.levels, params.level ?? c.analysisLevel ?? 0.7);
    const lv = c.levels[li];
    const at = fig5AtLevel(c, units, li);
    const x = c.levels;
    const P = "pruned";
    const U = "unpruned";
    const n = Math.max(0, ...agg.n.pruned);
    const note = `n = ${n} lineage pairs; mean ± SEM; filled markers: p < 0.01 (paired t-test)` +
      (c.reduced ? "; REDUCED PROTOCOL" : "");
    const pair = (metric: string): PanelSeries[] => [
      lineSeries("pruned", P, x, agg.lineages.pruned[metric], agg.pValues[metric]),
      lineSeries("unpruned", U, x, agg.lineages.unpruned[metric], agg.pValues[metric]),
    ];
    return [
      {
        id: "fig5a",
        title: "Fig 5A: probe-trial accuracy vs prune fraction",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "fraction correct (probe trials)",
        series: pair("probeAccuracy"),
        caption: `${note}. Mean over 6 onsets x 5 non-zero strengths; exact ±1 reference (D17).`,
      },
      {
        id: "fig5b",
        title: `Fig 5B: accuracy vs probe onset at level ${lv}`,
        kind: "line",
        xLabel: "probe onset (step)",
        yLabel: "fraction correct",
        series: [
          lineSeries("pruned", P, [...PROBE_ONSETS], at.byOnset.pruned, at.byOnsetP),
          lineSeries("unpruned", U, [...PROBE_ONSETS], at.byOnset.unpruned, at.byOnsetP),
        ],
        caption: "Mean over the 5 non-zero strengths.",
      },
      {
        id: "fig5c",
        title: `Fig 5C: accuracy vs probe strength at level ${lv}`,
        kind: "line",
        xLabel: "probe strength",
        yLabel: "fraction correct",
        series: [
          lineSeries("pruned", P, [...PROBE_STRENGTHS], at.byStrength.pruned, at.byStrengthP),
          lineSeries("unpruned", U, [...PROBE_STRENGTHS], at.byStrength.unpruned, at.byStrengthP),
        ],
        caption: "Mean over the 6 onsets; strength 0 = unprobed.",
      },
      {
        id: "fig5d",
        title: "Fig 5D: maximal Lyapunov exponent vs prune fraction",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "max LE (1/step)",
        series: [
          lineSeries("pruned (code order)", P, x, agg.lineages.pruned.maxLE, agg.pValues.maxLE),
          lineSeries("unpruned (code order)", U, x, agg.lineages.unpruned.maxLE, agg.pValues.maxLE),
          lineSeries(
            "pruned (chronological)",
            "#f4a261",
            x,
            agg.lineages.pruned.maxLEChronological,
            agg.pValues.maxLEChronological,
          ),
          lineSeries(
            "unpruned (chronological)",
            "#8ab6d6",
            x,
            agg.lineages.unpruned.maxLEChronological,
            agg.pValues.maxLEChronological,
          ),
        ],
        caption:
          "Condition 4 unprobed, window 16..36, divisor 2 x 20. Code order = the paper's (D9).",
      },
      {
        id: "fig5e",
        title: `Fig 5E: max LE by conditions correct at level ${lv}`,
        kind: "bar",
        xLabel: "fraction of conditions correct (probe onset 20, strength 0.2)",
        yLabel: "max LE (code order)",
        series: LINEAGES.map((l) => ({
          label: `${l} (n = ${at.leByCorrect[l].n.join("/")})`,
          color: l,
          x: ["0.25", "0.5", "0.75", "1"],
          y: at.leByCorrect[l].mean,
          err: at.leByCorrect[l].sem,
        })),
        caption:
          "Networks grouped as in the code (one probe: onset 20, strength 0.2); 0 correct not shown.",
      },
      {
        id: "fig5f",
        title: `Fig 5F: recurrent weight histogram at level ${lv}`,
        kind: "bar",
        xLabel: "weight",
        yLabel: "fraction of non-zero weights",
        series: LINEAGES.map((l) => ({
          label: l,
          color: l,
          x: [...DMS_HIST_CENTRES],
          y: at.histogram[l],
        })),
        caption: "Non-zero entries of A, bins of width 0.05, averaged over networks.",
      },
      {
        id: "fig1h",
        title: "Fig 1H: final training loss vs prune fraction",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "loss at the start of the last outer iteration",
        series: [
          ...pair("finalLoss"),
          lineSeries("pruned, after the last SCG call", "#f4a261", x, agg.lineages.pruned.endLoss),
          lineSeries(
            "unpruned, after the last SCG call",
            "#8ab6d6",
            x,
            agg.lineages.unpruned.endLoss,
          ),
        ],
        caption:
          `${note}. Final loss = loss at the start of the last outer iteration (the code's ` +
          `definition; with a cap of 1 outer iteration it is the loss right after pruning).`,
      },
      {
        id: "fig1i",
        title: "Fig 1I: outer SCG iterations vs prune fraction",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "outer iterations",
        series: pair("iterations"),
        caption: `${note}. Capped at ${c.maxOuterRetrain}.`,
      },
    ];
  },
};
