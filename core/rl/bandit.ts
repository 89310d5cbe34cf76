/**
 * The two-armed bandit environment of the RL task (spec 4.1-4.3): block structure, input channels,
 * Q-states and the reward schedule, for the standard task and the new-option task (spec 7.5).
 * Options and states are 0-based here (spec option 1 = index 0, Q-state 1 = index 0).
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Trials per block. */
export const TRIALS_PER_BLOCK = 30;
/** Steps per block (a fixation and a choice step per trial). */
export const BLOCK_STEPS = 60;
/** Response options (fixation, target 1, target 2, target 3). */
export const OPTIONS = 4;
/** Input channels (spec 4.2). */
export const INPUTS = 10;
/** Reward probability of the block's good target. */
export const GOOD_PROBABILITY = 0.8;

/** Which environment: the standard task, or target 3 replacing target 2 (spec 7.5). */
export type TaskVariant = "standard" | "newOption";

/** Q-state indices (spec 4.4, 0-based). */
export const STATE_FIXATION = 0;
/** Choice step with targets 1 and 2 shown (standard task). */
export const STATE_TARGETS_12 = 1;
/** Choice step with targets 1 and 3 shown (new-option task). */
export const STATE_TARGETS_13 = 2;
/** Targets 2 and 3 shown (never occurs). */
export const STATE_TARGETS_23 = 3;

/** True at fixation steps: 0-based step index k0 even (spec's odd k). */
export function isFixationStep(k0: number): boolean {
  return k0 % 2 === 0;
}

/**
 * Probability p1 that option index 1 (target 1) is rewarded in a block. Blocks are numbered from 1
 * within a simulation call: even-numbered blocks favour target 1 (0.8), odd-numbered ones target 2.
 */
export function targetOneProbability(blockNumber: number): number {
  return blockNumber % 2 === 0 ? GOOD_PROBABILITY : 1 - GOOD_PROBABILITY;
}

/** The best option index at a choice step of a block (spec 4.1, 4.3). */
export function bestChoiceOption(task: TaskVariant, blockNumber: number): number {
  const p1 = targetOneProbability(blockNumber);
  if (task === "standard") return p1 > 0.5 ? 1 : 2;
  return p1 > 0.5 ? 1 : 3;
}

/** The optimal option index at step k0 (fixation: hold = 0). */
export function optimalOption(task: TaskVariant, blockNumber: number, k0: number): number {
  return isFixationStep(k0) ? 0 : bestChoiceOption(task, blockNumber);
}

/**
 * Writes the fixed (history-independent) channels 1-5 of step k0 into `u` (length {@link INPUTS});
 * channels 6-10 are left untouched.
 */
export function writeStimulusChannels(task: TaskVariant, k0: number, u: Float64Array): void {
  const fix = isFixationStep(k0);
  u[0] = 1;
  u[1] = fix ? 1 : 0;
  u[2] = fix ? 0 : 1;
  u[3] = !fix && task === "standard" ? 1 : 0;
  u[4] = !fix && task === "newOption" ? 1 : 0;
}

/** Writes the previous choice (one-hot, channels 6-9) and reward (channel 10) into `u`. */
export function writeHistoryChannels(choice: number, reward: number, u: Float64Array): void {
  for (let o = 0; o < OPTIONS; o++) u[5 + o] = o === choice ? 1 : 0;
  u[9] = reward;
}

/** Q-state of a step from its stimulus channels 2-5 (spec 4.4). */
export function stateFromInputs(u: ArrayLike<number>): number {
  if (u[1] === 1) return STATE_FIXATION;
  const t1 = u[2] === 1, t2 = u[3] === 1, t3 = u[4] === 1;
  if (t1 && t2) return STATE_TARGETS_12;
  if (t1 && t3) return STATE_TARGETS_13;
  if (t2 && t3) return STATE_TARGETS_23;
  throw new Error("inputs show no valid stimulus configuration");
}

/** Reward probability of an option at a choice step (spec 4.3). */
export function choiceRewardProbability(
  task: TaskVariant,
  blockNumber: number,
  option: number,
): number {
  const p1 = targetOneProbability(blockNumber);
  if (option === 1) return p1;
  if (task === "standard") return option === 2 ? 1 - p1 : 0;
  return option === 3 ? 1 - p1 : 0;
}

/**
 * Reward of choosing `option` at step k0 (spec 4.3): fixation steps give 0 for holding (option 0)
 * and -1 otherwise; choice steps give 1 with the option's probability (reward if U < p). One
 * uniform number is drawn at every choice step whatever the option (also where p = 0), so the
 * random stream does not depend on the choice: two networks simulated from one seed see the same
 * reward numbers (common random numbers).
 */
export function drawReward(
  task: TaskVariant,
  blockNumber: number,
  k0: number,
  option: number,
  rng: Rng,
): number {
  if (isFixationStep(k0)) return option === 0 ? 0 : -1;
  const u = rng.uniform();
  return u < choiceRewardProbability(task, blockNumber, option) ? 1 : 0;
}

/**
 * Expected reward per block of a chooser that picks uniformly at random in the standard task:
 * fixation steps lose 3/4 on average, choice steps win (0.8 + 0.2) / 4.
 */
export const RANDOM_CHOOSER_REWARD = TRIALS_PER_BLOCK * (-(OPTIONS - 1) / OPTIONS) +
  TRIALS_PER_BLOCK * (GOOD_PROBABILITY + (1 - GOOD_PROBABILITY)) / OPTIONS;
