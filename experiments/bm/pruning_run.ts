/**
 * Running and aggregating the family-A pruning protocol as store units, shared by `bm-fig2` and
 * `bm-table1`. Units: ["data"] (substitute statistics), ["initial", s] (the shared initial model
 * of seed s, its metrics, parameters and pattern counts) and ["criterion", s, name] (three rounds
 * of one criterion). A resumed run skips finished units and reloads the initial model from blobs.
 *
 * @module
 */
import {
  type Experiment,
  type ExperimentRun,
  type RunContext,
  unitMetrics,
} from "../../core/app/experiment.ts";
import type { ResultStore, UnitRecord } from "../../core/store/kv_store.ts";
import { mean, sd } from "../../core/util/stats.ts";
import {
  BM_FLAGS,
  type BmConfig,
  configureBm,
  defaultConfig,
  describeBm,
  paperConfig,
} from "./config.ts";
import {
  createSampler,
  dataMetrics,
  drawSamples,
  evaluateSet,
  initialSampleSeed,
  loadBmData,
  modelBlobs,
  modelFromBlobs,
  type RoundMetrics,
  runCriterion,
  type SetMetrics,
  trainInitialModel,
} from "../../core/bm/protocol.ts";
import { CRITERIA, type Criterion } from "../../core/bm/rbm_criteria.ts";
import type { Rbm } from "../../core/bm/rbm.ts";

/** The parts of an experiment that bm-fig2 and bm-table1 share: presets, flags and the run. */
export function pruningExperimentBase(
  id: string,
): Pick<
  Experiment<BmConfig>,
  "presets" | "flags" | "configure" | "describe" | "totalUnits" | "run"
> {
  return {
    presets: { default: defaultConfig(3), paper: paperConfig(10) },
    flags: BM_FLAGS,
    configure: (base, flags) => configureBm(base, flags, { paperSeeds: 10, experiment: id }),
    describe: describeBm,
    totalUnits: pruningUnits,
    run: runPruning,
  };
}

/** Throws when the run was interrupted (checked between units). */
export function checkAbort<C>(ctx: RunContext<C>): void {
  if (ctx.signal.aborted) throw new Error("interrupted");
}

/** Units of a pruning run. */
export function pruningUnits(c: BmConfig): number {
  return 1 + c.seeds + c.seeds * c.criteria.length;
}

/** Loads the patch data and stores its statistics as the run's ["data"] unit (once). */
export async function loadAndStoreData(
  ctx: RunContext<BmConfig>,
): Promise<ReturnType<typeof loadBmData>> {
  ctx.progress.update("loading data");
  const data = loadBmData(ctx.config);
  if (!ctx.finished.has("data")) {
    await ctx.store.putUnit(ctx.runId, ["data"], {
      metrics: dataMetrics(data),
      blobs: { counts: data.counts },
    });
    ctx.progress.tick(1, "data");
  }
  return data;
}

/** Runs (or resumes) the pruning protocol, storing each unit when finished. */
export async function runPruning(ctx: RunContext<BmConfig>): Promise<void> {
  const { config, store, runId, finished, progress } = ctx;
  const data = await loadAndStoreData(ctx);
  const sampler = createSampler(config);
  try {
    for (let s = 0; s < config.seeds; s++) {
      checkAbort(ctx);
      const todo = config.criteria.filter((c) => !finished.has(`criterion/${s}/${c}`));
      let model: Rbm;
      if (finished.has(`initial/${s}`)) {
        if (todo.length === 0) continue;
        model = await loadModel(store, runId, ["initial", s], data.train.nv);
      } else {
        progress.update(`seed ${s}: training initial RBM`);
        const t0 = performance.now();
        model = trainInitialModel(config, data, ctx.seed, s);
        const trainMs = performance.now() - t0;
        const samples = await drawSamples(sampler, model, config, initialSampleSeed(ctx.seed, s));
        const ev = evaluateSet(model, samples, data);
        const { counts, ...metrics } = ev;
        await store.putUnit(runId, ["initial", s], {
          metrics: { seed: s, ...metrics, trainMs },
          blobs: { ...modelBlobs(model), counts: counts },
        });
        progress.tick(1, `seed ${s}: initial KL ${metrics.klSample.toFixed(4)}`);
      }
      const samples = await drawSamples(sampler, model, config, initialSampleSeed(ctx.seed, s));
      for (const c of todo) {
        checkAbort(ctx);
        const res = await runCriterion({ model, samples }, c, {
          config,
          data,
          master: ctx.seed,
          seedIndex: s,
          sampler,
          onRound: (k) => progress.update(`seed ${s} ${c}: round ${k}`, k / (config.rounds + 0.5)),
        });
        await store.putUnit(runId, ["criterion", s, c], {
          metrics: { seed: s, criterion: c, rounds: res.rounds, finalNh: res.model.nh },
          blobs: {
            ...modelBlobs(res.model),
            countsBefore: res.lastCounts.before,
            countsAfter: res.lastCounts.after,
          },
        });
        const last = res.rounds[res.rounds.length - 1];
        progress.tick(
          1,
          `seed ${s} ${c}: n_h ${last.after.nh}, KL ${last.after.klSample.toFixed(4)}`,
        );
      }
    }
  } finally {
    sampler.close();
  }
}

async function loadModel(
  store: ResultStore,
  runId: string,
  key: (string | number)[],
  nv: number,
): Promise<Rbm> {
  const get = async (name: string) => {
    const b = await store.getBlob(runId, key, name);
    if (!b) throw new Error(`unit ${key.join("/")} has no blob ${name}`);
    return b;
  };
  const w = await get("w") as Float64Array;
  return modelFromBlobs(nv, w.length / nv, {
    w,
    bv: await get("bv") as Float64Array,
    bh: await get("bh") as Float64Array,
    mask: await get("mask") as Uint8Array,
  });
}

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
  data: Record<string, unknown> | null;
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
export function aggregatePruning(
  units: { key: (string | number)[]; record: UnitRecord }[],
): PruningAggregate {
  let data: Record<string, unknown> | null = null;
  const initial: SetMetrics[] = [];
  const byCriterion = new Map<Criterion, RoundMetrics[][]>();
  for (const u of units) {
    if (u.key[0] === "data") data = u.record.metrics;
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

/** The `--out` keys every family-A figure starts with (figure, run, preset, protocol, config). */
export function summaryHeader(
  run: ExperimentRun<BmConfig>,
  experiment: { id: string; title: string },
): Record<string, unknown> {
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
