/**
 * The RL new-option experiment (spec 7.5): the pruned (mask = 1 where A != 0) and unpruned
 * networks of a lineage at level 0.7, noise 0.1 are retrained on the task where target 3 replaces
 * target 2 (option 4 rewarded with 1 - p1, option 3 never), on one noise-free 24-block data set
 * drawn with epsilon 0.15, for a fixed number of outer iterations. Their learning curves
 * (lossHistory) are compared. Unit key `["newOption", lineage]`.
 *
 * @module
 */
import { jsonRecord, type RunContext } from "../../core/app/experiment.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { RL_SHAPE } from "../../core/rnn/network.ts";
import { zerosOfAMask } from "../../core/rnn/prune.ts";
import { MAIN_LEVEL, MAIN_NOISE, newOptionSchedule, type RlConfig } from "./config.ts";
import { evaluateRlNetwork } from "../../core/rl/evaluate.ts";
import {
  evalOptions,
  keyOf,
  mainKey,
  netResult,
  type RlNetResult,
  rlTrainOptions,
  STREAM,
} from "./lineages.ts";
import { trainRl } from "../../core/rl/training.ts";

/** Metrics of a `["newOption", j]` unit. */
export interface NewOptionMetrics {
  /** Lineage index. */
  lineage: number;
  /** Pruned network after training on the new task (evaluated on the new task). */
  pruned: RlNetResult;
  /** Unpruned network. */
  unpruned: RlNetResult;
}

/** Index of a value in a list up to rounding, or -1. */
function indexOf(values: number[], v: number): number {
  return values.findIndex((x) => Math.abs(x - v) < 1e-9);
}

/** Networks that take part (0 when the config lacks level 0.7 or noise 0.1). */
export function newOptionCount(c: RlConfig): number {
  if (indexOf(c.levels, MAIN_LEVEL) < 0 || indexOf(c.noiseLevels, MAIN_NOISE) < 0) return 0;
  return Math.min(c.newOptionNetworks, c.networks);
}

/** Runs the new-option experiment on the stored level-0.7, noise-0.1 networks. */
export async function runNewOption(ctx: RunContext<RlConfig>): Promise<void> {
  const c = ctx.config;
  const count = newOptionCount(c);
  const li = indexOf(c.levels, MAIN_LEVEL), ni = indexOf(c.noiseLevels, MAIN_NOISE);
  const todo = Array.from({ length: count }, (_, j) => j)
    .filter((j) => !ctx.finished.has(keyOf(["newOption", j])));
  if (todo.length === 0 || ctx.signal.aborted) return;
  const jobs = [];
  for (const j of todo) {
    const key = mainKey(ni, j, li);
    const pruned = await ctx.store.getBlob(ctx.runId, key, "prunedW") as Float64Array | null;
    const unpruned = await ctx.store.getBlob(ctx.runId, key, "unprunedW") as Float64Array | null;
    if (!pruned || !unpruned) {
      throw new Error(`new option: level ${MAIN_LEVEL} unit ${key} missing`);
    }
    const rng = (kind: number): Rng => new Rng(deriveSeed(ctx.seed, STREAM.newOptionData, j, kind));
    jobs.push({ w: pruned, mask: zerosOfAMask(RL_SHAPE, pruned), rng: rng(0), noiseVariance: 0 });
    jobs.push({ w: unpruned, mask: null, rng: rng(1), noiseVariance: 0 });
  }
  const schedule = newOptionSchedule(c);
  let outcomes;
  try {
    outcomes = await trainRl(
      ctx.engine,
      jobs,
      rlTrainOptions(ctx, schedule, {
        task: "newOption",
        onOuter: (outer) =>
          ctx.progress.update(
            `new option: outer ${outer}/${schedule.outer}`,
            outer / schedule.outer,
          ),
      }),
    );
  } catch (err) {
    if (ctx.signal.aborted) return;
    throw err;
  }
  for (const [m, j] of todo.entries()) {
    const [p, u] = [0, 1].map((kind) => {
      const o = outcomes[2 * m + kind];
      const metrics = evaluateRlNetwork(
        o.w,
        { ...evalOptions(c), dynamicsBlocks: 0, task: "newOption" },
        new Rng(deriveSeed(ctx.seed, STREAM.newOptionEval, j, kind)),
      );
      return netResult(o, metrics);
    });
    const metrics: NewOptionMetrics = { lineage: j, pruned: p, unpruned: u };
    await ctx.store.putUnit(ctx.runId, ["newOption", j], {
      metrics: jsonRecord(metrics),
      blobs: { prunedW: outcomes[2 * m].w, unprunedW: outcomes[2 * m + 1].w },
    });
    ctx.progress.tick(1, `new option lineage ${j}`);
  }
}
