/**
 * The Q-learning model that produces the RL targets (spec 4.4) and the softmax choice rule with
 * epsilon exploration and common random numbers (spec 4.5).
 *
 * @module
 */
import { OPTIONS } from "./bandit.ts";

/** Learning rate rho (spec 4.4). */
export const LEARNING_RATE = 0.7;
/** Inverse temperature of both softmaxes. */
export const BETA = 3;
/** Initial value of every Q entry at the start of a block. */
export const Q_INITIAL = 0.5;
/** Number of Q-states. */
export const STATES = 4;

/** A 4 x 4 Q-table, reset per block, updated only at the chosen entry of the current state. */
export class QAgent {
  /** Row-major table, `q[state * 4 + option]`. */
  readonly q: Float64Array = new Float64Array(STATES * OPTIONS).fill(Q_INITIAL);
  /** Learning rate. */
  readonly rho: number;

  /** Creates an agent with all entries at {@link Q_INITIAL}. */
  constructor(rho = LEARNING_RATE) {
    this.rho = rho;
  }

  /** Copy of the row of `state` (the pre-update target row when read before {@link update}). */
  row(state: number): Float64Array {
    return this.q.slice(state * OPTIONS, (state + 1) * OPTIONS);
  }

  /** Q(s, c) <- Q(s, c) + rho (R - Q(s, c)); all other entries unchanged. */
  update(state: number, choice: number, reward: number): void {
    const i = state * OPTIONS + choice;
    this.q[i] += this.rho * (reward - this.q[i]);
  }
}

/** softmax(beta * values), computed with the maximum subtracted. */
export function softmax(values: ArrayLike<number>, beta = BETA): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, beta * values[i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(beta * values[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** The smallest index j whose cumulative probability reaches v (spec 4.5 step 5). */
export function sampleIndex(policy: ArrayLike<number>, v: number): number {
  let cum = 0;
  for (let j = 0; j < policy.length; j++) {
    cum += policy[j];
    if (cum >= v) return j;
  }
  // Rounding can leave the cumulative sum a hair below v close to 1: take the last option.
  return policy.length - 1;
}

/** Both choices of one step. */
export interface PairedChoice {
  /** Network choice c(k). */
  network: number;
  /** Model (Q-learner) choice q(k). */
  model: number;
  /** Whether the exploration branch replaced both policies by the uniform one. */
  explored: boolean;
}

/**
 * Draws the network's and the model's choices with common random numbers (spec 4.5 steps 3-5):
 * `uExplore` decides exploration (uniform policies when < epsilon), `v` is shared by both draws.
 */
export function pairedChoice(
  outputs: ArrayLike<number>,
  qRow: ArrayLike<number>,
  draws: { epsilon: number; uExplore: number; v: number },
): PairedChoice {
  const explored = draws.uExplore < draws.epsilon;
  if (explored) {
    const uniform = new Float64Array(outputs.length).fill(1 / outputs.length);
    const j = sampleIndex(uniform, draws.v);
    return { network: j, model: j, explored };
  }
  return {
    network: sampleIndex(softmax(outputs), draws.v),
    model: sampleIndex(softmax(qRow), draws.v),
    explored,
  };
}
