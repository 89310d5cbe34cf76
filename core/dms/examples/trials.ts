/**
 * The trials every example analysis starts from (Figs 1C-F, 2C-F, 3; spec 3.3, 3.6): the four
 * standard conditions without a probe and with the example probe, with exact inputs, run through
 * the float64 reference forward pass. Each trial keeps its inputs by channel, its output y(k) and
 * its latent states x(k) (pre-activations, spec 0).
 *
 * @module
 */
import { forward, sequenceOutputs, sequenceTrajectory } from "../../rnn/kernels.ts";
import { DMS_SHAPE, paramLayout } from "../../rnn/network.ts";
import { UsageError } from "../../util/errors.ts";
import {
  DMS_CHANNEL,
  DMS_CONDITIONS,
  DMS_T,
  dmsCorrect,
  dmsResponse,
  dmsTrials,
  EXAMPLE_PROBE,
  type Probe,
} from "../task.ts";

/** Names of the six DMS input channels (keys of `DMS_CHANNEL`). */
export type DmsChannelName = keyof typeof DMS_CHANNEL;

/** One trial of one network, every series indexed by step k - 1 (k = 1..58). */
export interface TrialTrace {
  /** Condition number (spec 3.3, 1-based). */
  condition: number;
  /** Probe applied, or null. */
  probe: Probe | null;
  /** Input of every channel over the trial. */
  inputs: Record<DmsChannelName, number[]>;
  /** Output y(k). */
  output: number[];
  /** Latent states x(k), `[k - 1][unit]`. */
  states: number[][];
  /** Exact target at the response steps (+1 match, -1 nonmatch). */
  target: number;
  /** Mean of y at the two response steps. */
  response: number;
  /** Whether the response scores correct (|target - response| < 1, spec 3.5 with exact targets). */
  correct: boolean;
}

/** The eight trials of a network; entry c - 1 of each list is condition c. */
export interface ExampleTrials {
  /** Conditions 1-4 without a probe. */
  unprobed: TrialTrace[];
  /** Conditions 1-4 with the probe (spec 3.6: onset 20, strength 0.2, sign opposite to cue 1). */
  probed: TrialTrace[];
}

/** Options of {@link exampleTrials}. */
export interface ExampleTrialsOptions {
  /** Probe of the probed trials (default the example probe of spec 3.6). */
  probe?: Probe;
}

/** Throws a usage error unless `w` is a flat DMS parameter vector. */
export function checkDmsWeights(w: Float64Array): void {
  const size = paramLayout(DMS_SHAPE).size;
  if (w.length !== size) {
    throw new UsageError(`expected ${size} DMS network parameters, got ${w.length}`);
  }
}

/** Runs the four conditions with and without the probe through the float64 forward pass. */
export function exampleTrials(w: Float64Array, options: ExampleTrialsOptions = {}): ExampleTrials {
  checkDmsWeights(w);
  const probe = options.probe ?? EXAMPLE_PROBE;
  const run = (p: Probe | null): TrialTrace[] => {
    const data = dmsTrials({ probe: p });
    const fwd = forward(DMS_SHAPE, w, data);
    const { ni, n } = DMS_SHAPE;
    return DMS_CONDITIONS.map((cond, q) => {
      const x = sequenceTrajectory(fwd, DMS_SHAPE, data, q);
      const y = sequenceOutputs(fwd, DMS_SHAPE, data, q);
      const inputs = byChannel((c) => {
        const series: number[] = [];
        for (let k = 0; k < DMS_T; k++) series.push(data.inputs[(k * ni + c) * data.s + q]);
        return series;
      });
      const states: number[][] = [];
      for (let k = 0; k < DMS_T; k++) states.push(Array.from(x.subarray(k * n, (k + 1) * n)));
      const output = Array.from(y);
      const response = dmsResponse(y, 1, 0);
      return {
        condition: cond.id,
        probe: p,
        inputs,
        output,
        states,
        target: cond.target,
        response,
        correct: dmsCorrect(cond.target, response),
      };
    });
  };
  return { unprobed: run(null), probed: run(probe.strength === 0 ? null : probe) };
}

/** A record over the six channels; listing them here makes the compiler flag a new channel. */
function byChannel<T>(
  f: (channel: number, name: DmsChannelName) => T,
): Record<DmsChannelName, T> {
  const c = DMS_CHANNEL;
  return {
    bias: f(c.bias, "bias"),
    cue1: f(c.cue1, "cue1"),
    cue2: f(c.cue2, "cue2"),
    endMarker: f(c.endMarker, "endMarker"),
    epochA: f(c.epochA, "epochA"),
    epochB: f(c.epochB, "epochB"),
  };
}

/**
 * Probe-trial score of spec 3.6, 1 - |response - target|, with the exact target instead of the
 * code's noisy training targets (the noise only blurs the selection thresholds; spec D17).
 */
export function probeScore(trace: TrialTrace): number {
  return 1 - Math.abs(trace.response - trace.target);
}

/** The input vector u(k) of a trial at 1-based step k, in channel order. */
export function inputVector(trace: TrialTrace, k: number): Float64Array {
  const u = new Float64Array(DMS_SHAPE.ni);
  byChannel((c, name) => u[c] = trace.inputs[name][k - 1]);
  return u;
}
