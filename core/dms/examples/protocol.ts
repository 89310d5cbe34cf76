/**
 * Constants of the example-network analyses behind Averbeck 2022 Figs 1C-F, 2, 3 and 4 (spec 3.6,
 * 8.1-8.4, 9). Every step number is derived from the one DMS timeline and the example probe of
 * `core/dms/task.ts`, so a change of the task moves these windows with it.
 *
 * @module
 */
import { DMS_T, DMS_TIMELINE, EXAMPLE_PROBE } from "../task.ts";

/** An inclusive range of 1-based steps `[first, last]`. */
export type StepRange = readonly [number, number];

/** Thresholds of the example-selection rules of spec 9 (max LE over the spectrum window). */
export interface SelectionRule {
  /** The unpruned example needs max LE >= this (code: 0.1). */
  readonly unprunedMinLE: number;
  /** The unpruned example needs a probe-trial score <= this (code: 0.3). */
  readonly unprunedMaxScore: number;
  /** The pruned example needs max LE <= this (code: 0.1). */
  readonly prunedMaxLE: number;
  /** The pruned example needs a probe-trial score >= this (code: 0.7). */
  readonly prunedMinScore: number;
}

/** The commented-out selection rules of the original code, recommended by spec 9. */
export const SPEC_SELECTION_RULE: SelectionRule = Object.freeze({
  unprunedMinLE: 0.1,
  unprunedMaxScore: 0.3,
  prunedMaxLE: 0.1,
  prunedMinScore: 0.7,
});

const tp = EXAMPLE_PROBE.onset;

/** Windows, conditions and markers of the example analyses. */
export const EXAMPLE_PROTOCOL = Object.freeze({
  /** Condition whose probed and unprobed trials the figures compare (spec 3.3: right/left). */
  probedCondition: 4,
  /** Condition 4 looks like this one if the network follows the probe (Fig 3: left/left). */
  lureCondition: 1,
  /** Conditions of Fig 1C-D (match) and 1E-F (nonmatch); the legend does not say which. */
  fig1Conditions: Object.freeze({ match: [1, 2] as const, nonmatch: [3, 4] as const }),
  /** PCA samples: every step after the start epoch (spec 8.2: k = 11..58). */
  pcaSteps: [DMS_TIMELINE.start[1] + 1, DMS_T] as StepRange,
  /** Steps drawn in Fig 3A-B, D-E: from just before cue 1 to the response onset (12..52). */
  fig3Steps: [DMS_TIMELINE.cue1[0] - 1, DMS_TIMELINE.response[0]] as StepRange,
  /** Fig 3 markers below the x axis: first cue, probe, second cue, response. */
  markers: Object.freeze({
    C1: DMS_TIMELINE.cue1[0],
    P: tp,
    C2: DMS_TIMELINE.cue2[0],
    R: DMS_TIMELINE.response[0],
  }),
  /** Contraction and vector-field window t_p - 2 .. t_p + 10 (spec 8.3, 8.4: 18..30). */
  fieldSteps: [tp - 2, tp + 10] as StepRange,
  /** Fig 4A-B labels: start of the window, probe, end of the window. */
  fieldLabels: Object.freeze({ S: tp - 2, P: tp, E: tp + 10 }),
  /** Grid offsets along PC1 and PC2 (spec 8.3: 3 x 3 = 9 points). */
  gridOffsets: Object.freeze([-0.05, 0, 0.05]) as readonly number[],
  /**
   * Fig 4D spectrum window: the first delay through the onset of cue 2 (spec 8.1: 15..40, divisor
   * 2 * 25 = 50 from the default divisor k_off - k_on). Also the window of the selection rule.
   */
  spectrumWindow: Object.freeze({ kOn: DMS_TIMELINE.delay1[0], kOff: DMS_TIMELINE.cue2[0] }),
});
