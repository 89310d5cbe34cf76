/**
 * Per-slot Bernoulli streams. Each population slot owns a seed and a call counter; every
 * Bernoulli kernel call consumes one counter value and gets two 32-bit keys derived from
 * (seed, counter). A slot's draws therefore depend only on its own seed and history, never on
 * which other slots share the call, and a run resumes exactly from a saved (seed, counter).
 *
 * @module
 */
import { deriveSeed } from "../../util/rng.ts";
import type { BernoulliKeys } from "../../engine/dbm.ts";

/** Serialisable state of one slot's stream. */
export interface StreamState {
  /** Seed of the slot. */
  seed: number;
  /** Kernel calls consumed so far. */
  counter: number;
}

/** The keys of call `counter` of stream `seed`. */
export function streamKeys(seed: number, counter: number): [number, number] {
  return [deriveSeed(seed, counter, 1), deriveSeed(seed, counter, 2)];
}

/** The streams of every slot of a population. */
export class SlotStreams {
  readonly #states: StreamState[];

  /** One stream per state (copied). */
  constructor(states: readonly StreamState[]) {
    this.#states = states.map((s) => ({ seed: s.seed >>> 0, counter: s.counter }));
  }

  /** Streams starting at counter 0. */
  static fromSeeds(seeds: readonly number[]): SlotStreams {
    return new SlotStreams(seeds.map((seed) => ({ seed, counter: 0 })));
  }

  /** Number of slots. */
  get slots(): number {
    return this.#states.length;
  }

  /** Keys for one kernel call of every slot (advances every counter). */
  next(): BernoulliKeys {
    const keys = new Uint32Array(2 * this.#states.length);
    this.#states.forEach((s, p) => {
      const [k1, k2] = streamKeys(s.seed, s.counter++);
      keys[2 * p] = k1;
      keys[2 * p + 1] = k2;
    });
    return keys;
  }

  /** Current states (copies), for checkpoints. */
  states(): StreamState[] {
    return this.#states.map((s) => ({ ...s }));
  }
}
