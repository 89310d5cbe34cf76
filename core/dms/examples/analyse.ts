/**
 * Everything Figs 1C-F, 2, 3 and 4 of Averbeck 2022 draw for one DMS network, from its weights
 * alone, plus the smaller per-network record behind the population versions and the example
 * selection. Single networks run on the float64 reference kernels (`core/rnn/kernels.ts`): the
 * Lyapunov spectrum and the contraction metric are float64 quantities (spec 12.1), the maximal
 * exponent must equal the one Fig 5 stores for the same network, and a network costs a few
 * milliseconds, so no engine is needed even for a population.
 *
 * @module
 */
import { DMS_LE_WINDOW } from "../analysis.ts";
import { maxLyapunov } from "../../rnn/lyapunov.ts";
import { DMS_SHAPE, toMatrices } from "../../rnn/network.ts";
import { contraction, type ContractionCurve, contractionWeights } from "./contraction.ts";
import { type FieldSegment, networkStepMap, oneStepGrid, vectorField } from "./one_step.ts";
import { type LatentPca, latentPca, project } from "./pca.ts";
import { EXAMPLE_PROTOCOL } from "./protocol.ts";
import { type ExampleSpectrum, exampleSpectrum, flatTrajectory } from "./spectrum.ts";
import { type ExampleTrials, exampleTrials, probeScore, type TrialTrace } from "./trials.ts";
import { type WeightSummary, weightSummary } from "./weights.ts";

/** Raw projections of one trial, every series indexed by step k - 1 (spec 8.2). */
export interface PcProjection {
  /** Condition number. */
  condition: number;
  /** Whether the trial was probed. */
  probed: boolean;
  /** v1 . x(k). */
  pc1: number[];
  /** v2 . x(k). */
  pc2: number[];
  /** C . x(k) (the code's third axis, "output direction", C not normalised). */
  outputDirection: number[];
  /** y(k). */
  output: number[];
}

/** Fig 4A-B for one base trajectory. */
export interface ExampleField {
  /** Steps of the window. */
  steps: number[];
  /** The base trajectory in PC1-PC2 over the window (the grid's centre points). */
  trajectory: [number, number][];
  /** One segment per grid point and step. */
  segments: FieldSegment[];
}

/** Scores used to pick examples (spec 9). */
export interface ExampleScores {
  /** Max LE over the spectrum window, code order (null when the product is singular). */
  maxLE: number | null;
  /** Max LE, chronological order. */
  maxLEChronological: number | null;
  /**
   * Max LE over Fig 5's window (16..36, divisor 40, code order): the number a fig5 run stores as
   * `maxLE` for the same network, so an experiment can check it analysed the network it meant to.
   */
  maxLEFig5Window: number | null;
  /** Probe-trial score of the probed condition-4 trial (spec 3.6, exact target). */
  probeScore: number;
  /** Whether each probed condition 1-4 scores correct. */
  probedCorrect: boolean[];
  /** Whether each unprobed condition 1-4 scores correct. */
  unprobedCorrect: boolean[];
}

/** Every panel's data for one network. */
export interface ExampleAnalysis {
  /** Weights, row-major (as fig5 stores them). */
  weights: { A: number[][]; B: number[][]; C: number[][] };
  /** Figs 1C-F, 2C-F, 3C/F: the trials (inputs, outputs, states). */
  trials: ExampleTrials;
  /** Figs 2A-B: histogram and singular values of A. */
  weightSummary: WeightSummary;
  /** Spec 8.2 PCA (eigenvalues descending, canonical signs). */
  pca: LatentPca;
  /** Figs 3A-F: condition 1, condition 4, probed condition 4. */
  projections: { lure: PcProjection; unprobed: PcProjection; probed: PcProjection };
  /** Figs 4A-B: the field around the unprobed (code, drawn) and probed (legend) trajectories. */
  field: { unprobed: ExampleField; probed: ExampleField };
  /** Fig 4C: contraction around the unprobed (code, drawn) and probed trajectories. */
  contraction: { unprobed: ContractionCurve; probed: ContractionCurve };
  /** Fig 4D. */
  spectrum: ExampleSpectrum;
  /**
   * Fig 3's divergence in the full state space: |x(k) of probed condition 4 - x(k) of condition
   * 4|, indexed by step k - 1 (zero before the probe).
   */
  divergence: number[];
  /** Selection scores. */
  scores: ExampleScores;
}

/** Options of {@link analyseExample}. */
export interface AnalyseExampleOptions {
  /** Also compute the QR (Benettin) spectra (default true). */
  qr?: boolean;
}

function projection(trace: TrialTrace, pca: LatentPca, c: readonly number[]): PcProjection {
  return {
    condition: trace.condition,
    probed: trace.probe !== null,
    pc1: project(trace.states, pca.vectors[0]),
    pc2: project(trace.states, pca.vectors[1]),
    outputDirection: project(trace.states, c),
    output: trace.output,
  };
}

/** Runs every example analysis of spec 8.1-8.6 on one DMS network. */
export function analyseExample(
  w: Float64Array,
  options: AnalyseExampleOptions = {},
): ExampleAnalysis {
  const trials = exampleTrials(w);
  const cond = (list: TrialTrace[], id: number): TrialTrace => list[id - 1];
  const base = cond(trials.unprobed, EXAMPLE_PROTOCOL.probedCondition);
  const probed = cond(trials.probed, EXAMPLE_PROTOCOL.probedCondition);
  const lure = cond(trials.unprobed, EXAMPLE_PROTOCOL.lureCondition);
  const pca = latentPca(trials.unprobed.map((t) => t.states));
  const matrices = toMatrices(DMS_SHAPE, w);
  const c = matrices.C[0];
  const basis = [pca.vectors[0], pca.vectors[1], c];
  const weights = contractionWeights(pca);
  const map = networkStepMap(w, base);
  const around = (t: TrialTrace): { field: ExampleField; contraction: ContractionCurve } => {
    const grid = oneStepGrid(map, t.states, { basis });
    return {
      field: {
        steps: grid.steps,
        trajectory: grid.points.map((row) => {
          const [pc1, pc2] = row[grid.centre].start;
          return [pc1, pc2];
        }),
        segments: vectorField(grid),
      },
      contraction: contraction(grid, weights),
    };
  };
  const u = around(base);
  const p = around(probed);
  const spectrum = exampleSpectrum(w, base.states, { qr: options.qr ?? true });
  const top = (s: number[]): number | null => {
    const m = s[s.length - 1];
    return Number.isFinite(m) ? m : null;
  };
  return {
    weights: matrices,
    trials,
    divergence: base.states.map((x, k) => Math.hypot(...x.map((v, i) => probed.states[k][i] - v))),
    weightSummary: weightSummary(w),
    pca,
    projections: {
      lure: projection(lure, pca, c),
      unprobed: projection(base, pca, c),
      probed: projection(probed, pca, c),
    },
    field: { unprobed: u.field, probed: p.field },
    contraction: { unprobed: u.contraction, probed: p.contraction },
    spectrum,
    scores: {
      maxLE: top(spectrum.code),
      maxLEChronological: top(spectrum.chronological),
      maxLEFig5Window: maxLyapunov(DMS_SHAPE, w, flatTrajectory(base.states), {
        ...DMS_LE_WINDOW,
        order: "code",
      }),
      probeScore: probeScore(probed),
      probedCorrect: trials.probed.map((t) => t.correct),
      unprobedCorrect: trials.unprobed.map((t) => t.correct),
    },
  };
}

/** The per-network record of the population versions and of the example selection. */
export interface NetworkDynamics extends ExampleScores {
  /** Contraction(k) around the unprobed trajectory over the field window (Fig 4C's curve). */
  contraction: number[];
  /** Fig 4D spectrum, code order, ascending. */
  spectrum: number[];
  /** Fig 4D spectrum, chronological order, ascending. */
  spectrumChronological: number[];
  /** Fig 3's divergence |x_probed(k) - x(k)| of condition 4, indexed by step k - 1. */
  divergence: number[];
  /** Fig 2B: normalised cumulative singular values of A. */
  singularCumulative: number[];
}

/** The population record of one network: the same numbers its full example analysis gives. */
export function networkDynamics(w: Float64Array): NetworkDynamics {
  const a = analyseExample(w, { qr: false });
  return {
    ...a.scores,
    contraction: a.contraction.unprobed.values,
    spectrum: a.spectrum.code,
    spectrumChronological: a.spectrum.chronological,
    divergence: a.divergence,
    singularCumulative: a.weightSummary.singularCumulative,
  };
}
