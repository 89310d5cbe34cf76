/**
 * Running the DMS new-problem experiment: the pruned and unpruned networks of a finished fig5 run
 * at level 0.7 are trained, on one shared training set per network, on each new problem for a
 * fixed number of outer SCG iterations. Unit key `["problem", problem, network]` with the
 * learning curves of both lineages ({@link ProblemUnit}).
 *
 * @module
 */
import {
  experimentRun,
  jsonRecord,
  networkIndices,
  type RunContext,
} from "../../core/app/experiment.ts";
import type { Lineage } from "../../core/app/paired_lineages.ts";
import { DMS_NEW_PROBLEM_CONDITIONS, dmsTrials } from "../../core/dms/task.ts";
import { dmsScgOptions } from "../../core/dms/starting_networks.ts";
import { DMS_SHAPE } from "../../core/rnn/network.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { type TrainOutcome, trainPopulation } from "../../core/rnn/train.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import type { Fig5Config } from "../fig5/config.ts";
import { type DmsNewProblemConfig, type ProblemName, PROBLEMS } from "./config.ts";
import { pairsOf } from "./source.ts";

/** One lineage's learning curve on a new problem. */
export interface Curve {
  /** Loss at the start of every outer iteration (entry 1: before any training on the problem). */
  lossHistory: number[];
  /** Loss after the last outer iteration (absent in runs made before it was stored). */
  endLoss?: number;
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether the last SCG call met the stopping rule. */
  converged: boolean;
  /** Emergency SCG steps. */
  emergencySteps: number;
  /** Set when training produced NaN/Inf. */
  failure?: string;
}

/**
 * The metrics of a `["problem", problem, network]` unit: both lineages' curves, or why the pair
 * was skipped (a lineage of the fig5 run failed, so it has no network at the level).
 */
export type ProblemUnit =
  & { problem: ProblemName; network: number; source: string }
  & (Record<Lineage, Curve> | { skipped: string });

/** Whether a unit holds curves (not a skipped pair). */
export function hasCurves(u: ProblemUnit): u is ProblemUnit & Record<Lineage, Curve> {
  return !("skipped" in u);
}

function curveOf(o: TrainOutcome): Curve {
  return {
    lossHistory: o.lossHistory,
    ...(Number.isFinite(o.endLoss) ? { endLoss: o.endLoss } : {}),
    outerIterations: o.outerIterations,
    converged: o.converged,
    emergencySteps: o.emergencySteps,
    ...(o.failure ? { failure: o.failure } : {}),
  };
}

/** Runs (or resumes) the experiment. */
export async function runDnp(ctx: RunContext<DmsNewProblemConfig>): Promise<void> {
  const c = ctx.config;
  // `prepare` resolved the fig5 run before anything was written; a config without it is a bug.
  if (!c.from) throw new Error("dms-new-problem: the fig5 run was not resolved (prepare)");
  const src = await ctx.store.getRun(c.from);
  if (!src) throw new Error(`fig5 run ${c.from} is no longer in the store`);
  const levels = experimentRun<Fig5Config>(src).config.levels;
  const li = levels.findIndex((l) => Math.abs(l - c.level) < 1e-9);
  if (li < 0) throw new Error(`fig5 run ${src.id} has no level ${c.level}`);
  ctx.log(`using networks of fig5 run ${src.id}`);
  // Indexed by network; only the networks of ctx.networks (a worker's unit) are read. A pair
  // whose fig5 lineage failed has no network at the level: it is stored as skipped.
  const indices = networkIndices(ctx, pairsOf(c));
  const nets: ({ pruned: Float64Array; unpruned: Float64Array } | null)[] = [];
  const missing = new Map<number, string>();
  for (const i of indices) {
    const p = await ctx.store.getBlob(src.id, ["level", i, li], "prunedW");
    const u = await ctx.store.getBlob(src.id, ["level", i, li], "unprunedW");
    if (p instanceof Float64Array && u instanceof Float64Array) {
      nets[i] = { pruned: p, unpruned: u };
    } else {
      nets[i] = null;
      missing.set(
        i,
        `fig5 run ${src.id} has no ${p ? "unpruned" : "pruned"} network ${i} at ` +
          `level ${c.level} (its lineage failed)`,
      );
    }
  }
  for (const [pi, problem] of c.problems.entries()) {
    if (ctx.signal.aborted) throw new Error("interrupted");
    const open = indices.filter((i) => !ctx.finished.has(`problem/${problem}/${i}`));
    for (const i of open.filter((i) => missing.has(i))) {
      const unit: ProblemUnit = { problem, network: i, source: src.id, skipped: missing.get(i)! };
      await ctx.store.putUnit(ctx.runId, ["problem", problem, i], { metrics: jsonRecord(unit) });
      ctx.progress.tick(1, `${problem} network ${i} skipped`);
    }
    const todo = open.filter((i) => !missing.has(i));
    if (todo.length === 0) continue;
    const conditions = DMS_NEW_PROBLEM_CONDITIONS.filter((x) => PROBLEMS[problem].includes(x.id));
    const jobs = todo.flatMap((i) => {
      // One shared training set per network for both lineages (spec 7.2).
      const data = dmsTrials({
        conditions,
        repeats: c.repeats,
        sigmaY: c.sigmaY,
        rng: new Rng(deriveSeed(ctx.seed, 301, pi, i)),
      });
      const net = nets[i]!;
      const p = magnitudePrune(DMS_SHAPE, net.pruned, c.level);
      return [{ data, w: p.w, mask: p.mask }, { data, w: net.unpruned, mask: null }];
    });
    const outcomes = await trainPopulation(ctx.engine, jobs, {
      maxOuter: c.outer,
      untilConverged: false,
      scg: dmsScgOptions(c),
      signal: ctx.signal,
      onOuter: (outer) =>
        ctx.progress.update(`${problem}: outer ${outer}/${c.outer}`, outer / c.outer),
    });
    for (const [m, i] of todo.entries()) {
      const unit: ProblemUnit = {
        problem,
        network: i,
        source: src.id,
        pruned: curveOf(outcomes[2 * m]),
        unpruned: curveOf(outcomes[2 * m + 1]),
      };
      await ctx.store.putUnit(ctx.runId, ["problem", problem, i], { metrics: jsonRecord(unit) });
      ctx.progress.tick(1, `${problem} network ${i}`);
    }
  }
}
