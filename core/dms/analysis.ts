/**
 * Per-network analyses of a trained DMS network for Fig 5 and Fig 1H-I (spec 3.5, 8.1, 8.6): the
 * probe table, clean accuracy, conditions correct on the example probe, maximal Lyapunov exponents
 * in both product orders and the recurrent weight histogram. Everything runs in float64 on the
 * CPU kernels, whatever engine trained the network.
 *
 * @module
 */
import { DMS_SHAPE, paramLayout } from "../rnn/network.ts";
import { forward, sequenceTrajectory } from "../rnn/kernels.ts";
import { maxLyapunov } from "../rnn/lyapunov.ts";
import { DMS_HIST_CENTRES, weightHistogram } from "../util/histogram.ts";
import {
  DMS_CONDITIONS,
  dmsCorrect,
  dmsProbeSet,
  dmsResponse,
  EXAMPLE_PROBE,
  PROBE_ONSETS,
  PROBE_STRENGTHS,
} from "./task.ts";
import type { SequenceSet } from "../engine/engine.ts";

/** Window of the population maximal LE (Fig 5D/E): condition 4 unprobed, steps 16..36. */
export const DMS_LE_WINDOW = Object.freeze({ kOn: 16, kOff: 36 });

/** Metrics of one network (one lineage at one level). */
export interface DmsNetworkMetrics {
  /** Fraction of the 4 conditions correct, [onset][strength] (6 x 6). */
  probeTable: number[][];
  /** Fig 5A measure: mean over 6 onsets x 5 non-zero strengths. */
  probeAccuracy: number;
  /** Strength 0 (no probe): fraction of the 4 conditions correct. */
  cleanAccuracy: number;
  /** Conditions correct (0..4) with the example probe (onset 20, strength 0.2), for Fig 5E. */
  exampleCorrect: number;
  /** Max LE, code product order (paper). Null when the product is singular. */
  maxLE: number | null;
  /** Max LE, chronological product order. */
  maxLEChronological: number | null;
  /** Normalised histogram of the non-zero entries of A over the DMS bin centres. */
  histogram: number[];
  /** Exact zeros in A. */
  zerosA: number;
}

let probeSet: SequenceSet | null = null;

/** Computes every Fig 5 metric of a network. */
export function analyseDmsNetwork(w: Float64Array): DmsNetworkMetrics {
  probeSet ??= dmsProbeSet();
  const data = probeSet;
  const fwd = forward(DMS_SHAPE, w, data);
  const nc = DMS_CONDITIONS.length;
  const table: number[][] = [];
  let q = 0;
  let exampleCorrect = 0;
  let cond4Unprobed = -1;
  for (const onset of PROBE_ONSETS) {
    const row: number[] = [];
    for (const strength of PROBE_STRENGTHS) {
      let correct = 0;
      for (let c = 0; c < nc; c++) {
        const ok = dmsCorrect(DMS_CONDITIONS[c].target, dmsResponse(fwd.y, data.s, q));
        if (ok) correct++;
        if (onset === EXAMPLE_PROBE.onset && strength === EXAMPLE_PROBE.strength && ok) {
          exampleCorrect++;
        }
        if (strength === 0 && c === 3 && cond4Unprobed < 0) cond4Unprobed = q;
        q++;
      }
      row.push(correct / nc);
    }
    table.push(row);
  }
  let probeSum = 0;
  let probeN = 0;
  for (const row of table) {
    for (let si = 0; si < PROBE_STRENGTHS.length; si++) {
      if (PROBE_STRENGTHS[si] === 0) continue;
      probeSum += row[si];
      probeN++;
    }
  }
  const s0 = PROBE_STRENGTHS.indexOf(0);
  const traj = sequenceTrajectory(fwd, DMS_SHAPE, data, cond4Unprobed);
  const L = paramLayout(DMS_SHAPE);
  const A = w.subarray(L.a, L.c);
  let zeros = 0;
  for (let m = 0; m < A.length; m++) if (A[m] === 0) zeros++;
  return {
    probeTable: table,
    probeAccuracy: probeSum / probeN,
    cleanAccuracy: table[0][s0],
    exampleCorrect,
    maxLE: maxLyapunov(DMS_SHAPE, w, traj, { ...DMS_LE_WINDOW, order: "code" }),
    maxLEChronological: maxLyapunov(DMS_SHAPE, w, traj, {
      ...DMS_LE_WINDOW,
      order: "chronological",
    }),
    histogram: weightHistogram(A, DMS_HIST_CENTRES),
    zerosA: zeros,
  };
}
