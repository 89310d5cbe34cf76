/**
 * Running the family-A pruning protocol as store units, shared by `bm-fig2` and `bm-table1`.
 * Units: ["data"] (data statistics), ["initial", s] (the shared initial model of seed s, its
 * metrics, parameters and pattern counts) and ["criterion", s, name] (three rounds of one
 * criterion). A resumed run skips finished units and reloads the initial model from blobs. A
 * seed whose initial model is non-finite, or a criterion whose model or metrics become
 * non-finite, is stored with `failed` (the reason) and left out of the statistics.
 *
 * @module
 */
import {
  type Experiment,
  jsonRecord,
  networkIndices,
  type RunContext,
} from "../../core/app/experiment.ts";
import type { Evaluation } from "../../core/bm/protocol.ts";
import {
  createSampler,
  dataMetrics,
  drawSamples,
  evaluateSet,
  failureOf,
  initialSampleSeed,
  loadBmData,
  modelBlobs,
  modelFromBlobs,
  runCriterion,
  samplerTag,
  trainInitialModel,
} from "../../core/bm/protocol.ts";
import type { RbmSamples } from "../../core/bm/sampler.ts";
import type { Rbm } from "../../core/bm/rbm.ts";
import type { ResultStore } from "../../core/store/store.ts";
import {
  BM_FLAGS,
  type BmConfig,
  configureBm,
  defaultConfig,
  describeBm,
  paperConfig,
} from "./config.ts";

/**
 * The parts of an experiment that bm-fig2 and bm-table1 share: presets (the default's seed count
 * and each preset's evaluation sets are the figure's), flags and the run.
 */
export function pruningExperimentBase(
  id: string,
  options: { defaultSeeds: number; evaluation: { default: Evaluation; paper: Evaluation } },
): Pick<
  Experiment<BmConfig>,
  "presets" | "flags" | "configure" | "describe" | "totalUnits" | "shards" | "run"
> {
  return {
    presets: {
      default: defaultConfig(options.defaultSeeds, options.evaluation.default),
      paper: paperConfig(10, options.evaluation.paper),
    },
    flags: BM_FLAGS,
    configure: (base, flags) => configureBm(base, flags, { paperSeeds: 10, experiment: id }),
    describe: describeBm,
    totalUnits: pruningUnits,
    // Seeds are independent; every unit loads the data (the shared ["data"] unit is idempotent).
    shards: (c) => ({ networks: c.seeds }),
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
      metrics: jsonRecord(dataMetrics(data)),
      blobs: { counts: data.counts },
    });
    ctx.progress.tick(1, "data");
  }
  return data;
}

/** The seed indices this process computes, in order (one list drives the run loop). */
export function seedIndices(ctx: Pick<RunContext<BmConfig>, "config" | "networks">): number[] {
  return networkIndices(ctx, ctx.config.seeds);
}

/** Metrics of a criterion unit (["criterion", s, name]). */
export interface CriterionUnitMetrics {
  /** Seed index. */
  seed: number;
  /** Criterion id. */
  criterion: string;
  /** Per-round records. */
  rounds: Awaited<ReturnType<typeof runCriterion>>["rounds"];
  /** Hidden units of the final model. */
  finalNh: number;
  /** Why this seed/criterion failed (non-finite weights or metrics), or null. */
  failed: string | null;
}

/** Runs (or resumes) the pruning protocol, storing each unit when finished. */
export async function runPruning(ctx: RunContext<BmConfig>): Promise<void> {
  const { config, store, runId, finished, progress } = ctx;
  const data = await loadAndStoreData(ctx);
  const sampler = createSampler(config);
  try {
    for (const s of seedIndices(ctx)) {
      checkAbort(ctx);
      const todo = config.criteria.filter((c) => !finished.has(`criterion/${s}/${c}`));
      let model: Rbm;
      let samples: RbmSamples | null = null;
      let initialFailed: string | null = null;
      if (finished.has(`initial/${s}`)) {
        if (todo.length === 0) continue;
        const unit = await store.getUnit(runId, ["initial", s]);
        initialFailed = typeof unit?.metrics.failed === "string" ? unit.metrics.failed : null;
        model = await loadModel(store, runId, ["initial", s], data.train.nv);
      } else {
        progress.update(`seed ${s}: training initial RBM`);
        const t0 = performance.now();
        model = trainInitialModel(config, data, { master: ctx.seed, seedIndex: s });
        const trainMs = performance.now() - t0;
        initialFailed = failureOf(model);
        if (!initialFailed) {
          progress.update(`seed ${s}: sampling the initial RBM`);
          samples = await drawSamples(sampler, model, {
            config,
            seed: initialSampleSeed(ctx.seed, s),
            signal: ctx.signal,
          });
        }
        const { counts, ...metrics } = evaluateSet(
          model,
          data,
          samples ? { samples, sampler: samplerTag(config) } : null,
        );
        initialFailed ??= failureOf(model, metrics);
        await store.putUnit(runId, ["initial", s], {
          metrics: { seed: s, ...metrics, trainMs, failed: initialFailed },
          blobs: { ...modelBlobs(model), ...(counts ? { counts } : {}) },
        });
        progress.tick(
          1,
          initialFailed
            ? `seed ${s}: initial model failed (${initialFailed})`
            : `seed ${s}: initial KL ${metrics.klSample?.toFixed(4)}`,
        );
      }
      for (const c of todo) {
        checkAbort(ctx);
        if (initialFailed) {
          const failed: CriterionUnitMetrics = {
            seed: s,
            criterion: c,
            rounds: [],
            finalNh: model.nh,
            failed: `initial model: ${initialFailed}`,
          };
          await store.putUnit(runId, ["criterion", s, c], { metrics: jsonRecord(failed) });
          progress.tick(1, `seed ${s} ${c}: skipped (initial model failed)`);
          continue;
        }
        // A resumed run redraws the initial set from its derived stream (the same samples).
        samples ??= await drawSamples(sampler, model, {
          config,
          seed: initialSampleSeed(ctx.seed, s),
          signal: ctx.signal,
        });
        const res = await runCriterion({ model, samples }, c, {
          config,
          data,
          master: ctx.seed,
          seedIndex: s,
          sampler,
          signal: ctx.signal,
          onRound: (k) => progress.update(`seed ${s} ${c}: round ${k}`, k / (config.rounds + 0.5)),
        });
        const metrics: CriterionUnitMetrics = {
          seed: s,
          criterion: c,
          rounds: res.rounds,
          finalNh: res.model.nh,
          failed: res.failed,
        };
        const counts = res.lastCounts;
        await store.putUnit(runId, ["criterion", s, c], {
          metrics: jsonRecord(metrics),
          blobs: {
            ...modelBlobs(res.model),
            ...(counts.before ? { countsBefore: counts.before } : {}),
            ...(counts.after ? { countsAfter: counts.after } : {}),
          },
        });
        const last = res.rounds[res.rounds.length - 1];
        progress.tick(
          1,
          res.failed
            ? `seed ${s} ${c}: FAILED (${res.failed})`
            : `seed ${s} ${c}: n_h ${last.after.nh}, n_w ${last.after.nw}`,
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
