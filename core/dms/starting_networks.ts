/**
 * Trained DMS starting networks (spec 7.1 steps 1-2): initialisation, then rounds of SCG "to
 * criterion", each on a fresh training set, continuing from the previous round. They are the most
 * expensive reusable artefact of the DMS experiments, so every round's result is cached under a key
 * that holds everything that determines it, and a read-only table of embedded networks (shipped
 * with the workbench, see `experiments/data/`) can stand in for the cache. The cache is any
 * {@link StartCache} (the results store is one), so this module needs no store of its own. The
 * lookup and training loop is the task-independent one of core/rnn/starting_networks.ts; this
 * module is the DMS recipe for it.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { DMS_INIT, DMS_SHAPE, initWeights, paramLayout } from "../rnn/network.ts";
import type { Engine, ScgOptions } from "../engine/engine.ts";
import { trainPopulation } from "../rnn/train.ts";
import {
  prepareStartingNetworks,
  type PrepareStartsOptions,
  type StartingNetwork,
  type StartRecipe,
} from "../rnn/starting_networks.ts";
import { dmsTrainingSet } from "./task.ts";

export {
  embeddedSource,
  type EmbeddedStartsFile,
  type RoundRecord,
  type StartCache,
  type StartingNetwork,
  type StartSource,
} from "../rnn/starting_networks.ts";

/** The initial-training protocol. */
export interface StartProtocol {
  /** Rounds, each on a fresh training set (paper: 5). */
  initialRounds: number;
  /** Outer-iteration cap per round (paper: 100). */
  maxOuterInitial: number;
  /** SCG steps per outer iteration; null = K (paper). */
  scgSteps: number | null;
  /** Target-noise sd (0.1). */
  sigmaY: number;
}

/** The identity of one round's result. */
export interface StartKey {
  /** Master seed. */
  seed: number;
  /** Network index. */
  network: number;
  /** Rounds completed. */
  round: number;
  /**
   * Arithmetic that produced it (engine and kernel build): results are bit-for-bit reproducible
   * only within one.
   */
  arithmetic: string;
}

/** SCG options of the DMS protocol. */
export function dmsScgOptions(p: Pick<StartProtocol, "scgSteps" | "sigmaY">): ScgOptions {
  return { stopRule: "dms", sigmaY: p.sigmaY, ...(p.scgSteps ? { kMax: p.scgSteps } : {}) };
}

/** Cache key of a starting network after `key.round` rounds: everything that determines it. */
export function startCacheKey(p: StartProtocol, key: StartKey): string {
  // The step count is resolved, so "K" and an explicit 1110 name the same protocol.
  const kMax = p.scgSteps ?? paramLayout(DMS_SHAPE).size;
  return `dms-start/v2/seed=${key.seed}/net=${key.network}/round=${key.round}` +
    `/maxOuter=${p.maxOuterInitial}/kMax=${kMax}/sigmaY=${p.sigmaY}/arith=${key.arithmetic}`;
}

/** Options of {@link trainStartingNetworks}. */
export interface TrainStartsOptions extends PrepareStartsOptions {
  /** Initial-training protocol. */
  protocol: StartProtocol;
  /** Master seed: network i's initial weights come from stream (seed, i, 0), round r's data from (seed, i, 1, r). */
  seed: number;
}

/** The DMS recipe of {@link prepareStartingNetworks} (spec 7.1 steps 1-2). */
export function dmsStartRecipe(
  engine: Engine,
  options: Pick<TrainStartsOptions, "protocol" | "seed">,
): StartRecipe {
  const p = options.protocol;
  const scg = dmsScgOptions(p);
  return {
    rounds: p.initialRounds,
    key: (network, round) =>
      startCacheKey(p, { seed: options.seed, network, round, arithmetic: engine.arithmetic }),
    init: (network) =>
      initWeights(DMS_SHAPE, DMS_INIT, new Rng(deriveSeed(options.seed, network, 0))),
    trainRound: (round, jobs, ro) =>
      trainPopulation(
        engine,
        jobs.map((j) => ({
          data: dmsTrainingSet(new Rng(deriveSeed(options.seed, j.network, 1, round)), p.sigmaY),
          w: j.w,
          mask: null,
          ...(j.from ? { from: j.from } : {}),
        })),
        {
          maxOuter: p.maxOuterInitial,
          untilConverged: true,
          scg,
          signal: ro.signal,
          onOuter: ro.onOuter,
          afterOuter: ro.afterOuter,
        },
      ),
    checkpoints: true,
  };
}

/**
 * Trains (or reuses) the starting networks `indices`. Returns them in the order of `indices`.
 * A network whose round fails keeps the previous round's weights; the failure is in its records.
 */
export function trainStartingNetworks(
  engine: Engine,
  indices: readonly number[],
  options: TrainStartsOptions,
): Promise<{ networks: StartingNetwork[] }> {
  return prepareStartingNetworks(indices, dmsStartRecipe(engine, options), options);
}
