/**
 * The RL new-option experiment (spec 7.5): the pruned (mask = 1 where A != 0) and unpruned
 * networks of a lineage at level 0.7, noise 0.1 are retrained on the task where target 3 replaces
 * target 2 (option 4 rewarded with 1 - p1, option 3 never), each on one noise-free 24-block data
 * set drawn from its own behaviour with epsilon 0.15, for the paper's 39 outer iterations of K SCG
 * steps. Unit key `["newOption", lineage]`.
 *
 * The two networks start the new task from different places (issue 13: a gap that existed before
 * any new-option training), so each is evaluated on the new task before and after training on the
 * same draws (common random numbers, stream `(seed, 106, lineage, 0 before | 1 after)`), and the
 * comparison is of changes from each network's own starting value.
 *
 * @module
 */
import { jsonRecord, type RunContext } from "../../core/app/experiment.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { RL_SHAPE } from "../../core/rnn/network.ts";
import { zerosOfAMask } from "../../core/rnn/prune.ts";
import { MAIN_LEVEL, MAIN_NOISE, newOptionSchedule, type RlConfig } from "./config.ts";
import { evaluateRlNetwork, type RlNetworkMetrics } from "../../core/rl/evaluate.ts";
import {
  evalOptions,
  type FailedNet,
  isFailed,
  keyOf,
  lineageIndices,
  mainKey,
  netOutcome,
  type RlNetResult,
  rlTrainOptions,
  STREAM,
} from "./lineages.ts";
import { trainRl } from "../../core/rl/training.ts";

/** The new-task performance of a network before any training on it. */
export interface NewTaskStart {
  /** Value error on the new task. */
  qError: number;
  /** Agreement with the Q-learner. */
  choiceAgreement: number;
  /** Optimal-choice rate. */
  optimalRate: number;
  /** Reward per block (spec definition). */
  rewardPerBlock: number;
}

/** One network of the new-option experiment: after training, and its start. */
export type NewOptionNet = RlNetResult & { before: NewTaskStart };

/** Metrics of a `["newOption", j]` unit. */
export interface NewOptionMetrics {
  /** Lineage index. */
  lineage: number;
  /** Pruned network, trained and evaluated on the new task. */
  pruned: NewOptionNet | FailedNet;
  /** Unpruned network. */
  unpruned: NewOptionNet | FailedNet;
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
  const todo = lineageIndices(ctx).filter((j) =>
    j < count && !ctx.finished.has(keyOf(["newOption", j]))
  );
  if (todo.length === 0 || ctx.signal.aborted) return;
  const task = "newOption" as const;
  const newTaskEval = { ...evalOptions(c), dynamicsBlocks: 0, task };
  const evaluate = (j: number, phase: number) => (w: Float64Array): RlNetworkMetrics =>
    evaluateRlNetwork(
      w,
      newTaskEval,
      new Rng(deriveSeed(ctx.seed, STREAM.newOptionEval, j, phase)),
    );
  const jobs = [];
  const ready: { j: number; pruned: Float64Array; unpruned: Float64Array }[] = [];
  for (const j of todo) {
    const key = mainKey(ni, j, li);
    const pruned = await ctx.store.getBlob(ctx.runId, key, "prunedW");
    const unpruned = await ctx.store.getBlob(ctx.runId, key, "unprunedW");
    if (!(pruned instanceof Float64Array) || !(unpruned instanceof Float64Array)) {
      // A lineage that failed before 0.7 has no network to retrain: record it as failed.
      const why = (kind: string, w: unknown): FailedNet => ({
        failed: w instanceof Float64Array
          ? `not run: the other network of its pair has no level-${MAIN_LEVEL} weights`
          : `no level-${MAIN_LEVEL} ${kind} network (its lineage failed)`,
      });
      const metrics: NewOptionMetrics = {
        lineage: j,
        pruned: why("pruned", pruned),
        unpruned: why("unpruned", unpruned),
      };
      await ctx.store.putUnit(ctx.runId, ["newOption", j], { metrics: jsonRecord(metrics) });
      ctx.progress.tick(1, `new option lineage ${j} (failed lineage)`);
      continue;
    }
    const rng = (kind: number): Rng => new Rng(deriveSeed(ctx.seed, STREAM.newOptionData, j, kind));
    jobs.push({ w: pruned, mask: zerosOfAMask(RL_SHAPE, pruned), rng: rng(0), noiseVariance: 0 });
    jobs.push({ w: unpruned, mask: null, rng: rng(1), noiseVariance: 0 });
    ready.push({ j, pruned, unpruned });
  }
  if (ready.length === 0) return;
  const schedule = newOptionSchedule(c);
  let outcomes;
  try {
    outcomes = await trainRl(
      ctx.engine,
      jobs,
      rlTrainOptions(ctx, schedule, {
        task,
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
  for (const [m, r] of ready.entries()) {
    const net = (kind: 0 | 1): NewOptionNet | FailedNet => {
      const after = netOutcome(outcomes[2 * m + kind], evaluate(r.j, 1));
      if (isFailed(after)) return after;
      const b = evaluate(r.j, 0)(kind === 0 ? r.pruned : r.unpruned);
      return {
        ...after,
        before: {
          qError: b.qError,
          choiceAgreement: b.choiceAgreement,
          optimalRate: b.optimalRate,
          rewardPerBlock: b.rewardPerBlock,
        },
      };
    };
    const metrics: NewOptionMetrics = { lineage: r.j, pruned: net(0), unpruned: net(1) };
    const blobs: Record<string, Float64Array> = {};
    if (!isFailed(metrics.pruned)) blobs.prunedW = outcomes[2 * m].w;
    if (!isFailed(metrics.unpruned)) blobs.unprunedW = outcomes[2 * m + 1].w;
    await ctx.store.putUnit(ctx.runId, ["newOption", r.j], { metrics: jsonRecord(metrics), blobs });
    ctx.progress.tick(1, `new option lineage ${r.j}`);
  }
}
