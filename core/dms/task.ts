/**
 * The delayed-match-to-sample task (spec 3): the single source of truth for the DMS timeline,
 * conditions, training sets, probes and scoring. Steps are 1-based in the constants below, as in
 * the spec and the original code; builders convert to 0-based buffer indices.
 *
 * @module
 */
import type { SequenceSet } from "../engine/engine.ts";
import { DMS_SHAPE } from "../rnn/network.ts";
import type { Rng } from "../util/rng.ts";

/** Steps per trial. */
export const DMS_T = 58;

/** The trial timeline (1-based steps, inclusive ranges). */
export const DMS_TIMELINE = Object.freeze({
  start: [1, 10] as const,
  cue1: [13, 14] as const,
  delay1: [15, 39] as const,
  cue2: [40, 41] as const,
  delay2: [42, 51] as const,
  response: [52, 53] as const,
  end: 58,
});

/** Input channels (0-based buffer index of the code's 1-based channels 1..6). */
export const DMS_CHANNEL = Object.freeze({
  bias: 0,
  cue1: 1,
  cue2: 2,
  endMarker: 3,
  epochA: 4,
  epochB: 5,
});

/** A condition: two cue signs and the target at the response steps. */
export interface DmsCondition {
  /** Condition number as in the spec (1-based). */
  id: number;
  /** Cue 1 value (+1 left, -1 right). */
  c1: number;
  /** Cue 2 value. */
  c2: number;
  /** Target at k = 52, 53 (+1 match, -1 nonmatch). */
  target: number;
  /** Channels carrying cue 1 and cue 2 (new-problem conditions 5-8 use channels 4 and 5). */
  cueChannels: [number, number];
}

/** The four standard conditions, in the order analyses refer to (spec 3.3). */
export const DMS_CONDITIONS: readonly DmsCondition[] = Object.freeze([
  { id: 1, c1: 1, c2: 1, target: 1, cueChannels: [1, 2] },
  { id: 2, c1: -1, c2: -1, target: 1, cueChannels: [1, 2] },
  { id: 3, c1: 1, c2: -1, target: -1, cueChannels: [1, 2] },
  { id: 4, c1: -1, c2: 1, target: -1, cueChannels: [1, 2] },
]);

/** The eight new-problem conditions (spec 3.7): reversed mapping (1-4), new cue channels (5-8). */
export const DMS_NEW_PROBLEM_CONDITIONS: readonly DmsCondition[] = Object.freeze([
  { id: 1, c1: 1, c2: 1, target: -1, cueChannels: [1, 2] },
  { id: 2, c1: 1, c2: -1, target: 1, cueChannels: [1, 2] },
  { id: 3, c1: -1, c2: 1, target: 1, cueChannels: [1, 2] },
  { id: 4, c1: -1, c2: -1, target: -1, cueChannels: [1, 2] },
  { id: 5, c1: 1, c2: 1, target: 1, cueChannels: [3, 4] },
  { id: 6, c1: 1, c2: -1, target: -1, cueChannels: [3, 4] },
  { id: 7, c1: -1, c2: 1, target: -1, cueChannels: [3, 4] },
  { id: 8, c1: -1, c2: -1, target: 1, cueChannels: [3, 4] },
]);

/** A distractor on the cue-1 channel (spec 3.5): value `strength * sign` at onset and onset + 1. */
export interface Probe {
  /** 1-based onset step. */
  onset: number;
  /** Strength (0 = no probe). */
  strength: number;
}

/** Probe onsets of the population analysis (Fig 5). */
export const PROBE_ONSETS: readonly number[] = Object.freeze([16, 20, 24, 28, 32, 36]);
/** Probe strengths of the population analysis (0 = unprobed). */
export const PROBE_STRENGTHS: readonly number[] = Object.freeze([0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/** The single probe of the example networks and of Fig 5E's grouping. */
export const EXAMPLE_PROBE: Probe = Object.freeze({ onset: 20, strength: 0.2 });

/** Writes the inputs of one trial (sequence q of a set) into `inputs` ([k][c][q] layout). */
function writeTrial(
  inputs: Float64Array,
  s: number,
  q: number,
  cond: DmsCondition,
  probe: Probe | null,
): void {
  const ni = DMS_SHAPE.ni;
  const set = (k1: number, c: number, v: number): void => {
    inputs[((k1 - 1) * ni + c) * s + q] = v;
  };
  const add = (k1: number, c: number, v: number): void => {
    inputs[((k1 - 1) * ni + c) * s + q] += v;
  };
  for (let k = 1; k <= DMS_T; k++) set(k, DMS_CHANNEL.bias, 1);
  for (let k = DMS_TIMELINE.start[0]; k <= DMS_TIMELINE.start[1]; k++) {
    set(k, DMS_CHANNEL.epochA, 1);
    set(k, DMS_CHANNEL.epochB, 1);
  }
  for (let k = DMS_TIMELINE.response[0]; k <= DMS_TIMELINE.response[1]; k++) {
    set(k, DMS_CHANNEL.epochB, 1);
  }
  set(DMS_TIMELINE.end, DMS_CHANNEL.endMarker, 1);
  set(DMS_TIMELINE.end, DMS_CHANNEL.epochA, 1);
  set(DMS_TIMELINE.end, DMS_CHANNEL.epochB, 1);
  // Cues add to the channel so that new-problem cues on channels 4/5 keep the epoch markers.
  for (let k = DMS_TIMELINE.cue1[0]; k <= DMS_TIMELINE.cue1[1]; k++) {
    add(k, cond.cueChannels[0], cond.c1);
  }
  for (let k = DMS_TIMELINE.cue2[0]; k <= DMS_TIMELINE.cue2[1]; k++) {
    add(k, cond.cueChannels[1], cond.c2);
  }
  if (probe && probe.strength !== 0) {
    const sign = -Math.sign(cond.c1);
    set(probe.onset, DMS_CHANNEL.cue1, probe.strength * sign);
    set(probe.onset + 1, DMS_CHANNEL.cue1, probe.strength * sign);
  }
}

/** Exact (noise-free) target of a condition at 1-based step k. */
export function dmsTarget(cond: DmsCondition, k: number): number {
  return k >= DMS_TIMELINE.response[0] && k <= DMS_TIMELINE.response[1] ? cond.target : 0;
}

/** Options of {@link dmsTrials}. */
export interface TrialOptions {
  /** Repeats of each condition (training sets use 4). */
  repeats?: number;
  /** Target-noise sd at every step (0.1 in training; needs `rng`). */
  sigmaY?: number;
  /** Random source for the target noise. */
  rng?: Rng;
  /** Probe applied to every trial. */
  probe?: Probe | null;
  /** Conditions (default the four standard ones). */
  conditions?: readonly DmsCondition[];
}

/**
 * Builds a set of DMS trials: sequence q = repeat * C + (condition index), as in the spec
 * ((repeat - 1) * 4 + condition). Noise is drawn sequence by sequence, step by step.
 */
export function dmsTrials(options: TrialOptions = {}): SequenceSet {
  const conditions = options.conditions ?? DMS_CONDITIONS;
  const repeats = options.repeats ?? 1;
  const sigmaY = options.sigmaY ?? 0;
  if (sigmaY > 0 && !options.rng) throw new Error("dmsTrials: target noise needs an rng");
  const s = repeats * conditions.length;
  const inputs = new Float64Array(DMS_T * DMS_SHAPE.ni * s);
  const targets = new Float64Array(DMS_T * s);
  for (let rep = 0; rep < repeats; rep++) {
    for (let c = 0; c < conditions.length; c++) {
      const q = rep * conditions.length + c;
      writeTrial(inputs, s, q, conditions[c], options.probe ?? null);
      for (let k = 1; k <= DMS_T; k++) {
        const noise = sigmaY > 0 ? sigmaY * options.rng!.normal() : 0;
        targets[(k - 1) * s + q] = dmsTarget(conditions[c], k) + noise;
      }
    }
  }
  return { shape: DMS_SHAPE, s, t: DMS_T, inputs, targets };
}

/** A fresh 16-sequence training set with target noise sd 0.1 (spec 3.4). */
export function dmsTrainingSet(rng: Rng, sigmaY = 0.1): SequenceSet {
  return dmsTrials({ repeats: 4, sigmaY, rng });
}

/** The 144 probe runs of spec 3.5 as one set: sequence = ((onset * 6) + strength) * 4 + cond. */
export function dmsProbeSet(): SequenceSet {
  const conds = DMS_CONDITIONS.length;
  const s = PROBE_ONSETS.length * PROBE_STRENGTHS.length * conds;
  const inputs = new Float64Array(DMS_T * DMS_SHAPE.ni * s);
  const targets = new Float64Array(DMS_T * s);
  let q = 0;
  for (const onset of PROBE_ONSETS) {
    for (const strength of PROBE_STRENGTHS) {
      for (const cond of DMS_CONDITIONS) {
        writeTrial(inputs, s, q, cond, { onset, strength });
        for (let k = 1; k <= DMS_T; k++) targets[(k - 1) * s + q] = dmsTarget(cond, k);
        q++;
      }
    }
  }
  return { shape: DMS_SHAPE, s, t: DMS_T, inputs, targets };
}

/** Response = mean of y(52), y(53) of sequence q (outputs in [k][q] layout, No = 1). */
export function dmsResponse(y: Float64Array, s: number, q: number): number {
  const [a, b] = DMS_TIMELINE.response;
  return (y[(a - 1) * s + q] + y[(b - 1) * s + q]) / 2;
}

/**
 * Scoring rule of spec 3.5 with the [REC] reference: correct if |target - response| < 1 with the
 * exact target +1 / -1 (so overshoots beyond 2 count as errors, as in the code).
 */
export function dmsCorrect(target: number, response: number): boolean {
  return Math.abs(target - response) < 1;
}
