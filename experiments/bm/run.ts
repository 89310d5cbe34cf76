/**
 * Running the family-A pruning protocol as store units, shared by `bm-fig2` and `bm-table1`.
 * Units: ["data"] (substitute statistics), ["initial", s] (the shared initial model of seed s,
 * its metrics, parameters and pattern counts) and ["criterion", s, name] (three rounds of one
 * criterion). A resumed run skips finished units and reloads the initial model from blobs.
 *
 * @module
 */
import { type Experiment, jsonRecord, type RunContext } from "../../core/app/experiment.ts";
import {
  createSampler,
  dataMetrics,
  drawSamples,
  evaluateSet,
  initialSampleSeed,
  loadBmData,
  modelBlobs,
  modelFromBlobs,
  runCriterion,
  trainInitialModel,
} from "../../core/bm/protocol.ts";
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
      metrics: jsonRecord(dataMetrics(data)),
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
