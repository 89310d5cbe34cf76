/**
 * Running the DMS new-problem experiment: the pruned and unpruned networks of a finished fig5 run
 * at level 0.7 are trained, on one shared training set per network, on each new problem for a
 * fixed number of outer SCG iterations. Unit key `["problem", problem, network]` with the
 * learning curves of both lineages ({@link ProblemUnit}).
 *
 * @module
 */
import { jsonRecord, networkIndices, type RunContext } from "../../core/app/experiment.ts";
import type { Lineage } from "../../core/app/paired_lineages.ts";
import { DMS_NEW_PROBLEM_CONDITIONS, dmsTrials } from "../../core/dms/task.ts";
import { dmsScgOptions } from "../../core/dms/starting_networks.ts";
import { DMS_SHAPE } from "../../core/rnn/network.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { type TrainOutcome, trainPopulation } from "../../core/rnn/train.ts";
import type { ResultStore, RunRecord } from "../../core/store/store.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { type DmsNewProblemConfig, type ProblemName, PROBLEMS } from "./config.ts";

/** One lineage's learning curve on a new problem. */
export interface Curve {
  /** Loss at the start of every outer iteration. */
  lossHistory: number[];
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether the last SCG call met the stopping rule. */
  converged: boolean;
  /** Emergency SCG steps. */
  emergencySteps: number;
  /** Set when training produced NaN/Inf. */
  failure?: string;
}

/** The metrics of a `["problem", problem, network]` unit. */
export type ProblemUnit = {
  problem: ProblemName;
  network: number;
  source: string;
} & Record<Lineage, Curve>;

/** The fig5 run whose networks are used: `--from`, else the newest finished one. */
async function sourceRun(store: ResultStore, c: DmsNewProblemConfig): Promise<RunRecord> {
  if (c.from) {
    const run = await store.getRun(c.from);
    if (!run || run.figure !== "fig5") {
      throw new Error(`--from: no fig5 run '${c.from}' in the store`);
    }
    return run;
  }
  const runs = (await store.listRuns()).filter((r) => r.figure === "fig5" && r.status === "done");
  if (runs.length === 0) {
    throw new Error("no finished fig5 run in the store (run deno task fig5 first)");
  }
  return runs[0];
}

function curveOf(o: TrainOutcome): Curve {
  return {
    lossHistory: o.lossHistory,
    outerIterations: o.outerIterations,
    converged: o.converged,
    emergencySteps: o.emergencySteps,
    ...(o.failure ? { failure: o.failure } : {}),
  };
}

/** Runs (or resumes) the experiment. */
export async function runDnp(ctx: RunContext<DmsNewProblemConfig>): Promise<void> {
  const c = ctx.config;
  const src = await sourceRun(ctx.store, c);
  const levels = (src.config as { levels: number[] }).levels;
  const li = levels.findIndex((l) => Math.abs(l - c.level) < 1e-9);
  if (li < 0) throw new Error(`fig5 run ${src.id} has no level ${c.level}`);
  ctx.log(`using networks of fig5 run ${src.id}`);
  // Indexed by network; only the networks of ctx.networks (a worker's unit) are read.
  const indices = networkIndices(ctx, c.networks);
  const nets: { pruned: Float64Array; unpruned: Float64Array }[] = [];
  for (const i of indices) {
    const p = await ctx.store.getBlob(src.id, ["level", i, li], "prunedW");
    const u = await ctx.store.getBlob(src.id, ["level", i, li], "unprunedW");
    if (!p || !u) {
      throw new Error(`fig5 run ${src.id} has no level-${c.level} networks for network ${i}`);
    }
    nets[i] = { pruned: p as Float64Array, unpruned: u as Float64Array };
  }
  for (const [pi, problem] of c.problems.entries()) {
    if (ctx.signal.aborted) throw new Error("interrupted");
    const todo = indices.filter((i) => !ctx.finished.has(`problem/${problem}/${i}`));
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
      const p = magnitudePrune(DMS_SHAPE, nets[i].pruned, c.level);
      return [{ data, w: p.w, mask: p.mask }, { data, w: nets[i].unpruned, mask: null }];
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
