/**
 * The RL prune schedule (spec 7.4): trained initial network(s), then per noise level and lineage a
 * pruned and a matched unpruned lineage retrained at every level, all networks of a level trained
 * together as one population. Every finished (noise, lineage, level) is written to the store at
 * once with both networks' weights, so an interrupted run resumes from the last stored level.
 *
 * Unit keys: `["initial", i]` (trained starting network i), `["main", noiseIndex, lineage,
 * levelIndex]` (both lineages at one level).
 *
 * @module
 */
import { jsonRecord, type RunContext } from "../../core/app/experiment.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { initWeights, RL_INIT, RL_SHAPE } from "../../core/rnn/network.ts";
import type { TrainOutcome } from "../../core/rnn/train.ts";
import { initialSchedule, retrainSchedule, type RlConfig } from "./config.ts";
import { evaluateRlNetwork, type RlNetworkMetrics } from "../../core/rl/evaluate.ts";
import { type RlTrainOptions, type RlTrainSchedule, trainRl } from "../../core/rl/training.ts";

/** Seed-path tags, so every random stream of the RL experiments is distinct. */
export const STREAM = Object.freeze({
  initWeights: 101,
  initData: 102,
  retrainData: 103,
  evaluate: 104,
  newOptionData: 105,
  newOptionEval: 106,
  examples: 107,
});

/** Training record plus evaluation of one network at one level. */
export interface RlNetResult extends RlNetworkMetrics {
  /** Loss at the start of each outer iteration. */
  lossHistory: number[];
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether the last SCG call met the RL stopping rule. */
  converged: boolean;
  /** Gradient evaluations spent. */
  gradEvals: number;
  /** Emergency SCG steps (masked, D8). */
  emergencySteps: number;
  /** Set when training produced NaN/Inf. */
  failure?: string;
}

/** Metrics of a `["main", ...]` unit. */
export interface LevelUnitMetrics {
  /** Target-noise variance. */
  noise: number;
  /** Lineage index (0-based). */
  lineage: number;
  /** Prune level. */
  level: number;
  /** Pruned network. */
  pruned: RlNetResult;
  /** Matched unpruned network. */
  unpruned: RlNetResult;
}

/** Key string of a unit key, as in `RunContext.finished`. */
export function keyOf(key: (string | number)[]): string {
  return key.join("/");
}

/** Key of a main unit. */
export function mainKey(
  noiseIndex: number,
  lineage: number,
  levelIndex: number,
): (string | number)[] {
  return ["main", noiseIndex, lineage, levelIndex];
}

/** Number of trained starting networks (D6: one shared, or one per lineage). */
export function initialCount(c: RlConfig): number {
  return c.initialNetworks === "shared" ? 1 : c.networks;
}

/** Units of the prune schedule (initial networks plus one per noise, lineage and level). */
export function scheduleUnits(c: RlConfig): number {
  return initialCount(c) + c.noiseLevels.length * c.networks * c.levels.length;
}

/** Options of trainRl for one schedule of a run: the config's data settings, the run's signal. */
export function rlTrainOptions(
  ctx: RunContext<RlConfig>,
  schedule: RlTrainSchedule,
  options: Pick<RlTrainOptions, "task" | "onOuter">,
): RlTrainOptions {
  const c = ctx.config;
  return {
    schedule,
    task: options.task,
    blocks: c.trainBlocks,
    noiseMode: c.noiseMode,
    scgSteps: c.scgSteps,
    signal: ctx.signal,
    onOuter: options.onOuter,
  };
}

/** Evaluation options of a config (spec 7.4). */
export function evalOptions(c: RlConfig): Parameters<typeof evaluateRlNetwork>[1] {
  return {
    valueBlocks: c.valueBlocks,
    choiceBlocks: c.choiceBlocks,
    dynamicsBlocks: c.dynamicsBlocks,
    epsilon: c.evalEpsilon,
  };
}

/** Packs a training outcome and its evaluation. */
export function netResult(o: TrainOutcome, m: RlNetworkMetrics): RlNetResult {
  return {
    ...m,
    lossHistory: o.lossHistory,
    outerIterations: o.outerIterations,
    converged: o.converged,
    gradEvals: o.gradEvals,
    emergencySteps: o.emergencySteps,
    ...(o.failure ? { failure: o.failure } : {}),
  };
}

/** Cache key of trained starting network i: everything that determines it (engine included). */
function cacheKey(c: RlConfig, seed: number, i: number, engine: string): string {
  const proto = [c.initialOuter, c.initialTau, c.initialRefresh, c.scgSteps, c.trainBlocks];
  return `rl-initial/v2/seed=${seed}/net=${i}/${proto.join(",")}/arith=${engine}`;
}

/**
 * Trained starting networks: read from this run's units, else from the store's cache (a previous
 * run with the same seed and initial protocol), else trained now (noise-free, to criterion).
 */
export async function initialNetworks(ctx: RunContext<RlConfig>): Promise<Float64Array[]> {
  const c = ctx.config;
  const count = initialCount(c);
  const out: (Float64Array | null)[] = new Array(count).fill(null);
  const toTrain: number[] = [];
  for (let i = 0; i < count; i++) {
    if (ctx.finished.has(keyOf(["initial", i]))) {
      out[i] = await ctx.store.getBlob(ctx.runId, ["initial", i], "w") as Float64Array;
      continue;
    }
    const cached = await ctx.store.getCache(cacheKey(c, ctx.seed, i, ctx.engine.arithmetic));
    if (cached) {
      out[i] = cached.blobs.w as Float64Array;
      await ctx.store.putUnit(ctx.runId, ["initial", i], {
        metrics: { ...cached.metrics, fromCache: true },
        blobs: { w: out[i]! },
      });
      ctx.progress.tick(1, `initial network ${i} (cached)`);
      continue;
    }
    toTrain.push(i);
  }
  if (toTrain.length > 0) {
    const schedule = initialSchedule(c);
    ctx.log(
      `training ${toTrain.length} initial network(s): up to ${schedule.outer} outer iterations`,
    );
    const outcomes = await trainRl(
      ctx.engine,
      toTrain.map((i) => ({
        w: initWeights(RL_SHAPE, RL_INIT, new Rng(deriveSeed(ctx.seed, STREAM.initWeights, i))),
        mask: null,
        rng: new Rng(deriveSeed(ctx.seed, STREAM.initData, i)),
        noiseVariance: 0,
      })),
      rlTrainOptions(ctx, schedule, {
        task: "standard",
        onOuter: (outer, active) =>
          ctx.progress.update(
            `initial training: outer ${outer}/${schedule.outer}, ${active} active`,
          ),
      }),
    );
    for (const [m, i] of toTrain.entries()) {
      const o = outcomes[m];
      const evalM = evaluateRlNetwork(
        o.w,
        { ...evalOptions(c), dynamicsBlocks: 0 },
        new Rng(deriveSeed(ctx.seed, STREAM.evaluate, 9999, i)),
      );
      const metrics = {
        lossHistory: o.lossHistory,
        outerIterations: o.outerIterations,
        converged: o.converged,
        qError: evalM.qError,
        choiceAgreement: evalM.choiceAgreement,
        rewardPerBlock: evalM.rewardPerBlock,
        ...(o.failure ? { failure: o.failure } : {}),
      };
      ctx.log(
        `initial network ${i}: ${o.outerIterations} outer iterations, converged ${o.converged}, ` +
          `loss ${o.lossHistory.at(-1)?.toFixed(4)}, reward/block ${
            evalM.rewardPerBlock.toFixed(2)
          }`,
      );
      await ctx.store.putCache(cacheKey(c, ctx.seed, i, ctx.engine.arithmetic), {
        metrics,
        blobs: { w: o.w },
      });
      await ctx.store.putUnit(ctx.runId, ["initial", i], { metrics, blobs: { w: o.w } });
      ctx.progress.tick(1, `initial network ${i}`);
      out[i] = o.w;
    }
  }
  return out as Float64Array[];
}

/** Weights of both lineages of one (noise, lineage) after its latest level. */
interface LineageState {
  pruned: Float64Array;
  unpruned: Float64Array;
}

/**
 * Runs the prune schedule for every noise level and lineage of the config, skipping finished
 * units. Returns early (without error) when the run is aborted.
 */
export async function runPruneSchedule(ctx: RunContext<RlConfig>): Promise<void> {
  const c = ctx.config;
  const initial = await initialNetworks(ctx);
  const state = new Map<string, LineageState>();
  const pairs: [number, number][] = [];
  for (let ni = 0; ni < c.noiseLevels.length; ni++) {
    for (let j = 0; j < c.networks; j++) pairs.push([ni, j]);
  }
  for (let li = 0; li < c.levels.length; li++) {
    if (ctx.signal.aborted) return;
    const level = c.levels[li];
    const todo = pairs.filter(([ni, j]) => !ctx.finished.has(keyOf(mainKey(ni, j, li))));
    if (todo.length === 0) continue;
    const jobs = [];
    for (const [ni, j] of todo) {
      let prev = state.get(`${ni}/${j}`);
      if (!prev) {
        if (li === 0) {
          const w0 = initial[c.initialNetworks === "shared" ? 0 : j];
          prev = { pruned: w0, unpruned: w0 };
        } else {
          const key = mainKey(ni, j, li - 1);
          prev = {
            pruned: await ctx.store.getBlob(ctx.runId, key, "prunedW") as Float64Array,
            unpruned: await ctx.store.getBlob(ctx.runId, key, "unprunedW") as Float64Array,
          };
        }
      }
      const p = magnitudePrune(RL_SHAPE, prev.pruned, level);
      const noise = c.noiseLevels[ni];
      const rng = (kind: number): Rng =>
        new Rng(deriveSeed(ctx.seed, STREAM.retrainData, ni, j, li, kind));
      jobs.push({ w: p.w, mask: p.mask, rng: rng(0), noiseVariance: noise });
      jobs.push({ w: prev.unpruned, mask: null, rng: rng(1), noiseVariance: noise });
    }
    const schedule = retrainSchedule(c, 0);
    let outcomes: TrainOutcome[];
    try {
      outcomes = await trainRl(
        ctx.engine,
        jobs,
        rlTrainOptions(ctx, schedule, {
          task: "standard",
          onOuter: (outer) =>
            ctx.progress.update(
              `level ${level}: outer ${outer}/${schedule.outer} (${jobs.length} networks)`,
              outer / schedule.outer,
            ),
        }),
      );
    } catch (err) {
      if (ctx.signal.aborted) return;
      throw err;
    }
    for (const [m, [ni, j]] of todo.entries()) {
      const results = [outcomes[2 * m], outcomes[2 * m + 1]].map((o, kind) =>
        netResult(
          o,
          evaluateRlNetwork(
            o.w,
            evalOptions(c),
            new Rng(deriveSeed(ctx.seed, STREAM.evaluate, ni, j, li, kind)),
          ),
        )
      );
      for (const r of results) {
        if (r.failure) {
          ctx.log(`noise ${c.noiseLevels[ni]} lineage ${j} level ${level}: ${r.failure}`);
        }
      }
      const metrics: LevelUnitMetrics = {
        noise: c.noiseLevels[ni],
        lineage: j,
        level,
        pruned: results[0],
        unpruned: results[1],
      };
      await ctx.store.putUnit(ctx.runId, mainKey(ni, j, li), {
        metrics: jsonRecord(metrics),
        blobs: { prunedW: outcomes[2 * m].w, unprunedW: outcomes[2 * m + 1].w },
      });
      state.set(`${ni}/${j}`, { pruned: outcomes[2 * m].w, unpruned: outcomes[2 * m + 1].w });
      ctx.progress.tick(1, `noise ${c.noiseLevels[ni]} lineage ${j} level ${level}`);
    }
  }
}
