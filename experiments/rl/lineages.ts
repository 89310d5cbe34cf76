/**
 * The RL prune schedule (spec 7.4): trained starting network(s), then per noise level and lineage a
 * pruned and a matched unpruned lineage retrained at every level, all networks of a level trained
 * together as one population. Every finished (noise, lineage, level) is written to the store at
 * once with both networks' weights, so an interrupted run resumes from the last stored level.
 *
 * Unit keys: `["initial", i]` (starting network i), `["main", noiseIndex, lineage, levelIndex]`
 * (both lineages at one level, and the Q-learner's own performance on the same evaluation draws).
 *
 * Random streams: starting networks (core/rl/starting_networks.ts); retraining data per lineage
 * `(seed, 103, noise, lineage, level, 0 pruned | 1 unpruned)` (independent, as the code); evaluation
 * `(seed, 104, noise, lineage, level)`, the SAME for the pruned network, the unpruned network and
 * the Q-learner (common random numbers, spec 15).
 *
 * A network whose training produced NaN/Inf is stored as `{failed: reason}` without weights; its
 * lineage is skipped at later levels (stored as failed too) and the statistics drop its pairs (the
 * rule of docs/fig5.md).
 *
 * @module
 */
import { jsonRecord, networkIndices, type RunContext } from "../../core/app/experiment.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { nonFiniteReason } from "../../core/util/finite.ts";
import { RL_SHAPE } from "../../core/rnn/network.ts";
import type { TrainOutcome } from "../../core/rnn/train.ts";
import { embeddedSource, prepareStartingNetworks } from "../../core/rnn/starting_networks.ts";
import { retrainSchedule, type RlConfig } from "./config.ts";
import {
  evaluateQLearner,
  evaluateRlNetwork,
  type QLearnerMetrics,
  type RlEvalOptions,
  type RlNetworkMetrics,
} from "../../core/rl/evaluate.ts";
import { RL_START_STREAMS, rlStartRecipe } from "../../core/rl/starting_networks.ts";
import { type RlTrainOptions, type RlTrainSchedule, trainRl } from "../../core/rl/training.ts";
import { FIG7_EMBEDDED_STARTS } from "./embedded_starts.ts";

/** Seed-path tags, so every random stream of the RL experiments is distinct. */
export const STREAM = Object.freeze({
  ...RL_START_STREAMS,
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
  /** Last accepted loss of the last SCG call (the loss the network ends with). */
  endLoss: number;
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether the last SCG call met the RL stopping rule. */
  converged: boolean;
  /** Gradient evaluations spent. */
  gradEvals: number;
  /** SCG steps run. */
  scgSteps: number;
  /** Emergency SCG steps (masked, D8). */
  emergencySteps: number;
}

/** A network whose training produced NaN/Inf (or whose lineage failed earlier). */
export interface FailedNet {
  /** The reason. */
  failed: string;
}

/** What is stored per network and level. */
export type NetOutcome = RlNetResult | FailedNet;

/** True when a stored network failed. */
export function isFailed(r: NetOutcome | undefined): r is FailedNet {
  return r === undefined || "failed" in r;
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
  pruned: NetOutcome;
  /** Matched unpruned network. */
  unpruned: NetOutcome;
  /** The Q-learner acting itself on the same evaluation draws. */
  qLearner: QLearnerMetrics;
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

/**
 * The lineage indices this process computes: the one list every RL run loop is driven by (all of
 * them, or the shard `ctx.networks` of a worker).
 */
export function lineageIndices(ctx: Pick<RunContext<RlConfig>, "config" | "networks">): number[] {
  return networkIndices(ctx, ctx.config.networks);
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
export function evalOptions(c: RlConfig): RlEvalOptions {
  return {
    valueBlocks: c.valueBlocks,
    choiceBlocks: c.choiceBlocks,
    dynamicsBlocks: c.dynamicsBlocks,
    epsilon: c.evalEpsilon,
  };
}

/** Packs a training outcome and its evaluation; a failed outcome becomes {@link FailedNet}. */
export function netOutcome(
  o: TrainOutcome,
  evaluate: (w: Float64Array) => RlNetworkMetrics,
): NetOutcome {
  if (o.failure) return { failed: o.failure };
  // The one rule for numbers that went wrong (core/util/finite.ts): non-finite weights, losses or
  // core metrics fail the network. Metrics that may be undefined (an LE of a singular product, a
  // Mahalanobis distance of an ill-conditioned covariance) stay NaN and read as null.
  const bad = nonFiniteReason({ weights: o.w, lossHistory: o.lossHistory, endLoss: o.endLoss });
  if (bad) return { failed: bad };
  const m = evaluate(o.w);
  const badMetric = nonFiniteReason({
    qError: m.qError,
    choiceAgreement: m.choiceAgreement,
    optimalRate: m.optimalRate,
    rewardPerBlock: m.rewardPerBlock,
  });
  if (badMetric) return { failed: badMetric };
  return {
    ...m,
    lossHistory: o.lossHistory,
    endLoss: o.endLoss,
    outerIterations: o.outerIterations,
    converged: o.converged,
    gradEvals: o.gradEvals,
    scgSteps: o.scgSteps,
    emergencySteps: o.emergencySteps,
  };
}

/**
 * Trained starting networks: read from this run's units (resume), else from the store's cache or
 * the networks embedded in experiments/data/fig7_starts.json (same seed and protocol), else trained
 * now (noise-free, to criterion), through the starting-network mechanism fig5 uses.
 */
export async function initialNetworks(ctx: RunContext<RlConfig>): Promise<LineageWeights[]> {
  const c = ctx.config;
  const count = initialCount(c);
  // The starting networks this process needs: the shared one, or those of its lineages.
  const mine = c.initialNetworks === "shared" ? [0] : lineageIndices(ctx);
  const out: (LineageWeights | null)[] = new Array(count).fill(null);
  for (const i of mine) {
    if (ctx.finished.has(keyOf(["initial", i]))) {
      // A failed starting network is stored without weights.
      const w = await ctx.store.getBlob(ctx.runId, ["initial", i], "w");
      out[i] = w instanceof Float64Array ? w : { failed: `starting network ${i} failed` };
    }
  }
  const need = mine.filter((i) => !out[i]);
  if (need.length === 0) return out as LineageWeights[];
  const { networks } = await prepareStartingNetworks(
    need,
    rlStartRecipe(ctx.engine, { protocol: c, seed: ctx.seed }),
    {
      store: ctx.store,
      sources: [embeddedSource(FIG7_EMBEDDED_STARTS)],
      fresh: c.trainStarts,
      signal: ctx.signal,
      onRound: (_r, n) =>
        ctx.log(
          `training ${n} starting network(s) to criterion (up to ${c.initialOuter} outer ` +
            `iterations of ${c.scgSteps ?? 684} SCG steps; about 1 core-minute each)`,
        ),
      onOuter: (_r, outer, active) =>
        ctx.progress.update(`starting networks: outer ${outer}, ${active} still training`),
      onNotice: (m) => ctx.log(m),
    },
  );
  const reused = networks.filter((n) => n.reused).map((n) => n.reused!.from);
  if (reused.length > 0) {
    ctx.log(
      `using ${reused.length} trained starting network(s) from the ` +
        `${[...new Set(reused)].join(" and ")} (--train-starts retrains them)`,
    );
  }
  for (const [k, i] of need.entries()) {
    const net = networks[k];
    const round = net.rounds.at(-1);
    const failed = round?.failed ?? nonFiniteReason({ weights: net.w });
    const base = {
      rounds: net.rounds,
      ...(net.reused ? { reused: net.reused } : {}),
      outerIterations: round?.outer ?? 0,
      converged: round?.converged ?? false,
      finalLoss: round?.finalLoss ?? null,
    };
    if (failed) {
      ctx.log(`starting network ${i} failed: ${failed}; its lineages are left out`);
      await ctx.store.putUnit(ctx.runId, ["initial", i], { metrics: { ...base, failed } });
      out[i] = { failed: `starting network ${i}: ${failed}` };
    } else {
      const e = evaluateRlNetwork(
        net.w,
        { ...evalOptions(c), dynamicsBlocks: 0 },
        new Rng(deriveSeed(ctx.seed, STREAM.evaluate, 9999, i)),
      );
      const metrics = {
        ...base,
        qError: e.qError,
        choiceAgreement: e.choiceAgreement,
        optimalRate: e.optimalRate,
        rewardPerBlock: e.rewardPerBlock,
      };
      await ctx.store.putUnit(ctx.runId, ["initial", i], { metrics, blobs: { w: net.w } });
      out[i] = net.w;
    }
    ctx.progress.tick(1, `starting network ${i} ready`);
  }
  return out as LineageWeights[];
}

/** Weights of one lineage after its latest level, or why it failed. */
type LineageWeights = Float64Array | FailedNet;

/** Both lineages of one (noise, lineage). */
interface LineageState {
  pruned: LineageWeights;
  unpruned: LineageWeights;
}

const KINDS = ["pruned", "unpruned"] as const;

/** The state of (noise, lineage) before level index li: the starting network or stored weights. */
async function stateBefore(
  ctx: RunContext<RlConfig>,
  at: { ni: number; j: number; li: number; start: LineageWeights },
): Promise<LineageState> {
  if (at.li === 0) return { pruned: at.start, unpruned: at.start };
  const key = mainKey(at.ni, at.j, at.li - 1);
  const read = async (kind: "pruned" | "unpruned"): Promise<LineageWeights> => {
    const w = await ctx.store.getBlob(ctx.runId, key, `${kind}W`);
    return w instanceof Float64Array ? w : { failed: "lineage failed at an earlier level" };
  };
  return { pruned: await read("pruned"), unpruned: await read("unpruned") };
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
    for (const j of lineageIndices(ctx)) pairs.push([ni, j]);
  }
  for (let li = 0; li < c.levels.length; li++) {
    if (ctx.signal.aborted) return;
    const level = c.levels[li];
    const todo = pairs.filter(([ni, j]) => !ctx.finished.has(keyOf(mainKey(ni, j, li))));
    if (todo.length === 0) continue;
    // Jobs of the networks still alive; slot[m][kind] = index into jobs, or the failure.
    const jobs = [];
    const slot: Record<"pruned" | "unpruned", number | FailedNet>[] = [];
    for (const [ni, j] of todo) {
      const start = initial[c.initialNetworks === "shared" ? 0 : j];
      const prev = state.get(`${ni}/${j}`) ?? await stateBefore(ctx, { ni, j, li, start });
      const noise = c.noiseLevels[ni];
      const rng = (kind: number): Rng =>
        new Rng(deriveSeed(ctx.seed, STREAM.retrainData, ni, j, li, kind));
      const s: Record<"pruned" | "unpruned", number | FailedNet> = {
        pruned: { failed: "" },
        unpruned: { failed: "" },
      };
      if (prev.pruned instanceof Float64Array) {
        const p = magnitudePrune(RL_SHAPE, prev.pruned, level);
        s.pruned = jobs.push({ w: p.w, mask: p.mask, rng: rng(0), noiseVariance: noise }) - 1;
      } else s.pruned = prev.pruned;
      if (prev.unpruned instanceof Float64Array) {
        s.unpruned =
          jobs.push({ w: prev.unpruned, mask: null, rng: rng(1), noiseVariance: noise }) -
          1;
      } else s.unpruned = prev.unpruned;
      slot.push(s);
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
      const evalSeed = deriveSeed(ctx.seed, STREAM.evaluate, ni, j, li);
      // One seed for both networks and the Q-learner: the same blocks and draws (spec 15).
      const evaluate = (w: Float64Array): RlNetworkMetrics =>
        evaluateRlNetwork(w, evalOptions(c), new Rng(evalSeed));
      const result = {} as Record<"pruned" | "unpruned", NetOutcome>;
      const blobs: Record<string, Float64Array> = {};
      const next = {} as LineageState;
      for (const kind of KINDS) {
        const s = slot[m][kind];
        if (typeof s !== "number") {
          result[kind] = s;
          next[kind] = s;
          continue;
        }
        result[kind] = netOutcome(outcomes[s], evaluate);
        const r = result[kind];
        if (isFailed(r)) {
          ctx.log(
            `noise ${c.noiseLevels[ni]} lineage ${j} ${kind} failed at ${level}: ${r.failed}`,
          );
          next[kind] = r;
        } else {
          blobs[`${kind}W`] = outcomes[s].w;
          next[kind] = outcomes[s].w;
        }
      }
      const metrics: LevelUnitMetrics = {
        noise: c.noiseLevels[ni],
        lineage: j,
        level,
        pruned: result.pruned,
        unpruned: result.unpruned,
        qLearner: evaluateQLearner(evalOptions(c), new Rng(evalSeed)),
      };
      await ctx.store.putUnit(ctx.runId, mainKey(ni, j, li), {
        metrics: jsonRecord(metrics),
        blobs,
      });
      state.set(`${ni}/${j}`, next);
      ctx.progress.tick(1, `noise ${c.noiseLevels[ni]} lineage ${j} level ${level}`);
    }
  }
}
