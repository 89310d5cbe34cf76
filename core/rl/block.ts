/**
 * Simulation of RL blocks (spec 4.5): the network acts through a softmax of its own outputs, the
 * Q-learner observes its choices and rewards and supplies the (optionally noisy) pre-update
 * Q-values as targets. The same recorder builds blocks from a fixed choice history (spec 12.3) and
 * from simulation, and blocks become the engine's {@link SequenceSet} for training.
 *
 * Every step takes the same random draws whatever is chosen (exploration, the shared choice
 * number, a reward number at every choice step, then the noise), so two networks simulated from the
 * same seed meet the same exploration steps, choice numbers and reward numbers: common random
 * numbers for the paired pruned/unpruned comparison (spec 15). The Q-learner can act itself
 * (`simulateBlocks(null, ...)`): its outputs are then its own Q row, on the same draws.
 *
 * The network is stepped once per step in float64 (equivalent to the code's re-run from k = 1,
 * since the network is noise-free); loss, gradient and SCG always come from the engine.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import type { SequenceSet } from "../engine/engine.ts";
import { paramLayout, RL_SHAPE } from "../rnn/network.ts";
import {
  BLOCK_STEPS,
  drawReward,
  INPUTS,
  isFixationStep,
  optimalOption,
  OPTIONS,
  stateFromInputs,
  type TaskVariant,
  writeHistoryChannels,
  writeStimulusChannels,
} from "./bandit.ts";
import { pairedChoice, QAgent } from "./agent.ts";

/** How target noise is drawn: one scalar per step shared by the 4 outputs (code, D10) or not. */
export type NoiseMode = "shared" | "independent";

/** Everything recorded for one simulated block (arrays are step-major, 0-based steps). */
export interface Block {
  /** Block number within its simulation call (1-based; decides the reward schedule). */
  number: number;
  /** Inputs, `[k * 10 + c]`. */
  inputs: Float64Array;
  /** Training targets (pre-update Q row plus noise), `[k * 4 + o]`. */
  targets: Float64Array;
  /** Noise-free pre-update Q rows, `[k * 4 + o]`. */
  q: Float64Array;
  /** Network outputs y(k), `[k * 4 + o]` (empty for fixed-history blocks). */
  y: Float64Array;
  /** Pre-activations x(k), `[k * 20 + i]` (empty for fixed-history blocks). */
  x: Float64Array;
  /** Network choices c(k) (0-based options). */
  choices: Int8Array;
  /** Model choices q(k). */
  modelChoices: Int8Array;
  /** Rewards R(k). */
  rewards: Int8Array;
  /** Q-states s_k. */
  states: Int8Array;
  /** 1 where the exploration branch replaced both policies by the uniform one. */
  explored: Uint8Array;
}

/** Per-block summaries (spec 4.5). */
export interface BlockSummary {
  /** Sum over steps and the 4 outputs of (y - Q)^2, divided by T. */
  valueError: number;
  /** Fraction of steps where the network's and the model's choices agree. */
  agreement: number;
  /** Fraction of steps where the network chose the optimal option. */
  optimalRate: number;
  /** Fraction of steps where the model's choice was optimal. */
  modelOptimalRate: number;
  /** Sum of rewards over the block (fixation penalties included): the spec's definition. */
  reward: number;
  /** Sum of rewards over the 30 choice steps only (fixation penalties left out). */
  choiceReward: number;
}

/** Records a block step by step: targets, Q updates, the next step's history channels. */
class BlockRecorder {
  readonly block: Block;
  readonly #agent = new QAgent();
  readonly #task: TaskVariant;

  constructor(task: TaskVariant, number: number, withNetwork: boolean) {
    this.#task = task;
    const t = BLOCK_STEPS;
    const n = RL_SHAPE.n;
    this.block = {
      number,
      inputs: new Float64Array(t * INPUTS),
      targets: new Float64Array(t * OPTIONS),
      q: new Float64Array(t * OPTIONS),
      y: new Float64Array(withNetwork ? t * OPTIONS : 0),
      x: new Float64Array(withNetwork ? t * n : 0),
      choices: new Int8Array(t),
      modelChoices: new Int8Array(t),
      rewards: new Int8Array(t),
      states: new Int8Array(t),
      explored: new Uint8Array(t),
    };
    writeStimulusChannels(task, 0, this.block.inputs.subarray(0, INPUTS));
  }

  /** Inputs of step k0 (complete once step k0 - 1 was recorded). */
  inputs(k0: number): Float64Array {
    return this.block.inputs.subarray(k0 * INPUTS, (k0 + 1) * INPUTS);
  }

  /** The agent's pre-update Q row of step k0's state; also records q and the state. */
  qRow(k0: number): Float64Array {
    const s = stateFromInputs(this.inputs(k0));
    const row = this.#agent.row(s);
    this.block.states[k0] = s;
    this.block.q.set(row, k0 * OPTIONS);
    return row;
  }

  /** Records choices and reward of step k0, the target (with noise), and prepares step k0 + 1. */
  record(k0: number, c: number, m: number, reward: number, noise: ArrayLike<number>): void {
    const b = this.block;
    b.choices[k0] = c;
    b.modelChoices[k0] = m;
    b.rewards[k0] = reward;
    for (let o = 0; o < OPTIONS; o++) {
      b.targets[k0 * OPTIONS + o] = b.q[k0 * OPTIONS + o] + noise[o];
    }
    this.#agent.update(b.states[k0], c, reward);
    if (k0 + 1 < BLOCK_STEPS) {
      const u = this.inputs(k0 + 1);
      writeStimulusChannels(this.#task, k0 + 1, u);
      writeHistoryChannels(c, reward, u);
    }
  }
}

/**
 * Builds a block from a fixed history (0-based choices, rewards), with noise-free targets: the
 * spec 12.3 test vector. Model choices are recorded equal to the network's.
 */
export function blockFromHistory(
  choices: ArrayLike<number>,
  rewards: ArrayLike<number>,
  task: TaskVariant = "standard",
): Block {
  if (choices.length !== BLOCK_STEPS || rewards.length !== BLOCK_STEPS) {
    throw new Error(`a block history needs ${BLOCK_STEPS} choices and rewards`);
  }
  const rec = new BlockRecorder(task, 1, false);
  const zero = new Float64Array(OPTIONS);
  for (let k0 = 0; k0 < BLOCK_STEPS; k0++) {
    rec.qRow(k0);
    rec.record(k0, choices[k0], choices[k0], rewards[k0], zero);
  }
  return rec.block;
}

/** Steps an RL network one time step at a time in float64 (spec 2). */
export class RlStepper {
  readonly #w: Float64Array;
  readonly #r: Float64Array;
  /** Pre-activation of the last step. */
  readonly x: Float64Array;
  /** Output of the last step. */
  readonly y: Float64Array;

  /** Creates a stepper at r(0) = 0 for flat RL weights `w`. */
  constructor(w: Float64Array) {
    if (w.length !== paramLayout(RL_SHAPE).size) {
      throw new Error(
        `RL weights must have ${paramLayout(RL_SHAPE).size} entries, got ${w.length}`,
      );
    }
    this.#w = w;
    this.#r = new Float64Array(RL_SHAPE.n);
    this.x = new Float64Array(RL_SHAPE.n);
    this.y = new Float64Array(RL_SHAPE.no);
  }

  /** Resets to r(0) = 0. */
  reset(): void {
    this.#r.fill(0);
  }

  /** x = B u + A r_prev; r = tanh(x); y = C [r; 1]. */
  step(u: ArrayLike<number>): void {
    const { n, ni, no } = RL_SHAPE;
    const L = paramLayout(RL_SHAPE);
    const w = this.#w, r = this.#r, x = this.x;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < ni; c++) s += w[L.b + i + n * c] * u[c];
      for (let j = 0; j < n; j++) s += w[L.a + i + n * j] * r[j];
      x[i] = s;
    }
    for (let i = 0; i < n; i++) r[i] = Math.tanh(x[i]);
    for (let o = 0; o < no; o++) {
      let s = w[L.c + o + no * n];
      for (let j = 0; j < n; j++) s += w[L.c + o + no * j] * r[j];
      this.y[o] = s;
    }
  }
}

/** Options of {@link simulateBlocks}. */
export interface SimulateOptions {
  /** Number of blocks (numbered 1..blocks). */
  blocks: number;
  /** Exploration probability. */
  epsilon: number;
  /** Target-noise variance (0 = noise-free). */
  noiseVariance: number;
  /** Environment. */
  task?: TaskVariant;
  /** Shared scalar per step (code, default) or independent per output. */
  noiseMode?: NoiseMode;
  /** Random stream (choices, rewards, noise). */
  rng: Rng;
}

/**
 * Simulates blocks with the network of weights `w` acting (spec 4.5), or with the Q-learner acting
 * when `w` is null (its outputs are its own pre-update Q row, so it chooses by softmax(beta Q)).
 * Per step the draws are, in this order and whatever is chosen: exploration, the shared choice
 * number, a reward number (choice steps only), the noise (when the variance is > 0).
 */
export function simulateBlocks(w: Float64Array | null, options: SimulateOptions): Block[] {
  const { blocks, epsilon, noiseVariance, rng } = options;
  const task = options.task ?? "standard";
  const mode = options.noiseMode ?? "shared";
  if (!Number.isInteger(blocks) || blocks < 1) throw new Error("blocks must be a positive integer");
  if (!(epsilon >= 0 && epsilon <= 1)) throw new Error("epsilon must lie in [0, 1]");
  if (!(noiseVariance >= 0)) throw new Error("noise variance must be >= 0");
  const sd = Math.sqrt(noiseVariance);
  const net = w === null ? null : new RlStepper(w);
  const noise = new Float64Array(OPTIONS);
  const out: Block[] = [];
  for (let b = 1; b <= blocks; b++) {
    const rec = new BlockRecorder(task, b, net !== null);
    net?.reset();
    for (let k0 = 0; k0 < BLOCK_STEPS; k0++) {
      const qRow = rec.qRow(k0);
      let y: ArrayLike<number> = qRow;
      if (net) {
        net.step(rec.inputs(k0));
        rec.block.x.set(net.x, k0 * RL_SHAPE.n);
        rec.block.y.set(net.y, k0 * OPTIONS);
        y = net.y;
      }
      const choice = pairedChoice(y, qRow, {
        epsilon,
        uExplore: rng.uniform(),
        v: rng.uniform(),
      });
      rec.block.explored[k0] = choice.explored ? 1 : 0;
      const reward = drawReward(task, b, k0, choice.network, rng);
      if (sd > 0) {
        if (mode === "shared") noise.fill(sd * rng.normal());
        else for (let o = 0; o < OPTIONS; o++) noise[o] = sd * rng.normal();
      }
      rec.record(k0, choice.network, choice.model, reward, noise);
    }
    out.push(rec.block);
  }
  return out;
}

/** The summaries of one simulated block (value error 0 for a block the Q-learner played). */
export function summarizeBlock(block: Block, task: TaskVariant = "standard"): BlockSummary {
  const t = BLOCK_STEPS;
  let err = 0, agree = 0, opt = 0, mopt = 0, reward = 0, choiceReward = 0;
  for (let k0 = 0; k0 < t; k0++) {
    for (let o = 0; o < OPTIONS && block.y.length > 0; o++) {
      const d = block.y[k0 * OPTIONS + o] - block.q[k0 * OPTIONS + o];
      err += d * d;
    }
    const best = optimalOption(task, block.number, k0);
    if (block.choices[k0] === block.modelChoices[k0]) agree++;
    if (block.choices[k0] === best) opt++;
    if (block.modelChoices[k0] === best) mopt++;
    reward += block.rewards[k0];
    if (!isFixationStep(k0)) choiceReward += block.rewards[k0];
  }
  return {
    valueError: err / t,
    agreement: agree / t,
    optimalRate: opt / t,
    modelOptimalRate: mopt / t,
    reward,
    choiceReward,
  };
}

/** Mean of each summary over blocks. */
export function meanSummary(blocks: Block[], task: TaskVariant = "standard"): BlockSummary {
  const acc: BlockSummary = {
    valueError: 0,
    agreement: 0,
    optimalRate: 0,
    modelOptimalRate: 0,
    reward: 0,
    choiceReward: 0,
  };
  for (const b of blocks) {
    const s = summarizeBlock(b, task);
    for (const k of Object.keys(acc) as (keyof BlockSummary)[]) acc[k] += s[k] / blocks.length;
  }
  return acc;
}

/** Packs blocks into the engine's sequence layout (one block = one sequence). */
export function toSequenceSet(blocks: Block[]): SequenceSet {
  const s = blocks.length, t = BLOCK_STEPS, ni = INPUTS, no = OPTIONS;
  const inputs = new Float64Array(t * ni * s);
  const targets = new Float64Array(t * no * s);
  for (let q = 0; q < s; q++) {
    const b = blocks[q];
    for (let k = 0; k < t; k++) {
      for (let c = 0; c < ni; c++) inputs[(k * ni + c) * s + q] = b.inputs[k * ni + c];
      for (let o = 0; o < no; o++) targets[(k * no + o) * s + q] = b.targets[k * no + o];
    }
  }
  return { shape: RL_SHAPE, s, t, inputs, targets };
}

/** Whether step k0 is a fixation step (re-exported for analyses that split the phases). */
export { isFixationStep };
