/**
 * Trained RL starting networks (spec 7.4 step 1, 5.4.2): initialisation, then one training "to
 * criterion" with noise-free targets (up to 1,000 outer iterations of K = 684 SCG steps, data
 * simulated from the network itself with epsilon 0.15 and refreshed every 20 outer iterations
 * while epsilon is annealed with tau = 100). This is the RL recipe of the task-independent
 * starting-network mechanism (core/rnn/starting_networks.ts), so fig6 and fig7 reuse trained
 * networks from the store's cache and from the networks embedded in `experiments/data/` exactly as
 * fig5 does.
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import { initWeights, paramLayout, RL_INIT, RL_SHAPE } from "../rnn/network.ts";
import type { StartRecipe } from "../rnn/starting_networks.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import { trainRl } from "./training.ts";

/** The initial-training protocol of the RL networks. */
export interface RlStartProtocol {
  /** Cap on outer iterations (paper 1000; "to criterion": a converged SCG call stops it). */
  initialOuter: number;
  /** Annealing horizon of epsilon (paper 100). */
  initialTau: number;
  /** Data refreshed from the current network every this many outer iterations (paper 20). */
  initialRefresh: number;
  /** SCG steps per outer iteration; null = K = 684 (paper). */
  scgSteps: number | null;
  /** Blocks per training set (paper 24). */
  trainBlocks: number;
}

/** Seed-path tags of the starting networks' random streams (kept from the first implementation). */
export const RL_START_STREAMS = Object.freeze({ initWeights: 101, initData: 102 });

/**
 * Cache key of RL starting network `network` of seed `seed`: everything that determines it (the
 * step count resolved, so "K" and an explicit 684 name one protocol).
 */
export function rlStartCacheKey(
  p: RlStartProtocol,
  key: { seed: number; network: number; arithmetic: string },
): string {
  const kMax = p.scgSteps ?? paramLayout(RL_SHAPE).size;
  return `rl-start/v3/seed=${key.seed}/net=${key.network}/round=1/maxOuter=${p.initialOuter}` +
    `/tau=${p.initialTau}/refresh=${p.initialRefresh}/kMax=${kMax}/blocks=${p.trainBlocks}` +
    `/arith=${key.arithmetic}`;
}

/**
 * The RL recipe of `prepareStartingNetworks`: network i starts from stream (seed, 101, i) and
 * draws its training data from stream (seed, 102, i), so network 0 is the shared starting network
 * of the code (spec D6) and networks 0..n-1 the independent ones.
 */
export function rlStartRecipe(
  engine: Engine,
  options: { protocol: RlStartProtocol; seed: number },
): StartRecipe {
  const p = options.protocol;
  const seed = options.seed;
  return {
    rounds: 1,
    key: (network) => rlStartCacheKey(p, { seed, network, arithmetic: engine.arithmetic }),
    init: (network) =>
      initWeights(
        RL_SHAPE,
        RL_INIT,
        new Rng(deriveSeed(seed, RL_START_STREAMS.initWeights, network)),
      ),
    trainRound: (_round, jobs, ro) =>
      trainRl(
        engine,
        jobs.map((j) => ({
          w: j.w,
          mask: null,
          rng: new Rng(deriveSeed(seed, RL_START_STREAMS.initData, j.network)),
          noiseVariance: 0,
        })),
        {
          schedule: {
            outer: p.initialOuter,
            stopOnConvergence: true,
            tau: p.initialTau,
            refreshPeriod: p.initialRefresh,
            noiseVariance: 0,
          },
          task: "standard",
          blocks: p.trainBlocks,
          noiseMode: "shared",
          scgSteps: p.scgSteps,
          signal: ro.signal,
          onOuter: ro.onOuter,
        },
      ),
  };
}
