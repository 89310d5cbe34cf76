/**
 * What a fig2 / fig3 / fig4 run stores, and how an {@link ExampleAnalysis} becomes it. Store
 * layout (unit keys after the run id):
 * - `["network", i]`: {@link NetworkUnit}, the population record of lineage pair i (no blobs).
 * - `["example", lineage]`: {@link ExampleUnit}, every plotted series of the chosen example, and
 *   blob `w` (its weights `[vec(B); vec(A); vec(C)]`, read only by `--out`).
 *
 * Panels read unit metrics only, so an example unit keeps exactly what the panels and `--out`
 * draw, in compact arrays: Deno KV caps a value at 64 KiB and the full analysis (states, every
 * channel, segment objects) takes about 51 KB. The trimmed record is about half of that.
 *
 * @module
 */
import type {
  ExampleAnalysis,
  ExampleField,
  ExampleScores,
  NetworkDynamics,
} from "../../core/dms/examples/analyse.ts";
import type { ContractionCurve } from "../../core/dms/examples/contraction.ts";
import { EXAMPLE_PROTOCOL } from "../../core/dms/examples/protocol.ts";
import type { ChosenExample } from "../../core/dms/examples/selection.ts";
import type { ExampleSpectrum } from "../../core/dms/examples/spectrum.ts";
import type { TrialTrace } from "../../core/dms/examples/trials.ts";
import type { WeightSummary } from "../../core/dms/examples/weights.ts";
import { type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import type { Lineage } from "../../core/app/paired_lineages.ts";

/** One lineage of a pair in the population record. */
export interface LineageRecord {
  /** The network's dynamics (null when the fig5 run has no network for this lineage). */
  dynamics: NetworkDynamics | null;
  /** Max LE the fig5 run stored for this network (window 16..36), for the consistency check. */
  fig5MaxLE: number | null;
  /** Why there is no network (a failed lineage, a missing unit). */
  missing?: string;
}

/** Unit `["network", i]`. */
export interface NetworkUnit {
  /** Network (lineage pair) index in the fig5 run. */
  network: number;
  /** Pruned lineage. */
  pruned: LineageRecord;
  /** Unpruned lineage. */
  unpruned: LineageRecord;
}

/** Inputs and output of one trial as Figs 1C-F and 2C-F draw them, indexed by step k - 1. */
export interface TrialPlot {
  /** Condition 1-4 (spec 3.3). */
  condition: number;
  /** Probe (onset, strength), or null. */
  probe: { onset: number; strength: number } | null;
  /** The legend's four inputs: cue 1 (+ probe), cue 2, and the two epoch channels. */
  inputs: { cue1: number[]; cue2: number[]; epochA: number[]; epochB: number[] };
  /** Output y(k). */
  output: number[];
  /** Exact target at the response (+1 match, -1 nonmatch). */
  target: number;
  /** Mean of y(52), y(53). */
  response: number;
  /** |target - response| < 1. */
  correct: boolean;
}

/** Raw PC projections of one trial (Fig 3), indexed by step k - 1. */
export interface ProjectionPlot {
  /** Condition. */
  condition: number;
  /** Probed trial or not. */
  probed: boolean;
  /** v1 . x(k). */
  pc1: number[];
  /** v2 . x(k). */
  pc2: number[];
  /** C . x(k), the code's third axis. */
  outputDirection: number[];
}

/** Fig 4A-B around one trajectory, as parallel arrays (one entry per grid point and step). */
export interface FieldPlot {
  /** Steps of the window. */
  steps: number[];
  /** The trajectory's (PC1, PC2) at each step. */
  trajectory: { pc1: number[]; pc2: number[] };
  /** Grid segments: step, start (PC1, PC2) and end after one update. */
  segments: { k: number[]; fromPc1: number[]; fromPc2: number[]; toPc1: number[]; toPc2: number[] };
}

/** Unit `["example", lineage]`: the chosen example's plotted series. */
export interface ExampleUnit {
  /** Lineage. */
  lineage: Lineage;
  /** Network index in the fig5 run. */
  network: number;
  /** How it was chosen, whether it meets spec 9's rule, and the reason sentence. */
  selection: Pick<ChosenExample, "method" | "meetsRule" | "reason">;
  /** Selection scores and both max LEs. */
  scores: ExampleScores;
  /** Max LE the fig5 run stored for this network (window 16..36). */
  fig5MaxLE: number | null;
  /** Fig 2A-B. */
  weights: WeightSummary;
  /** PCA eigenvalues (descending) and their fractions. */
  pca: { eigenvalues: number[]; fraction: number[] };
  /** Figs 1C-F, 2C-F, 3C/F: conditions 1-4 unprobed, then condition 4 probed. */
  trials: { unprobed: TrialPlot[]; probed: TrialPlot };
  /** Fig 3: condition 1, condition 4 and probed condition 4. */
  projections: { lure: ProjectionPlot; unprobed: ProjectionPlot; probed: ProjectionPlot };
  /** Fig 4A-B: around the unprobed (code, drawn) and probed (legend) trajectories. */
  field: { unprobed: FieldPlot; probed: FieldPlot };
  /** Fig 4C: around the unprobed (code, drawn) and probed trajectories. */
  contraction: { unprobed: ContractionCurve; probed: ContractionCurve };
  /** Fig 4D. */
  spectrum: ExampleSpectrum;
  /** |x_probed(k) - x(k)| of condition 4, indexed by step k - 1. */
  divergence: number[];
}

function trialPlot(t: TrialTrace): TrialPlot {
  return {
    condition: t.condition,
    probe: t.probe ? { onset: t.probe.onset, strength: t.probe.strength } : null,
    inputs: {
      cue1: t.inputs.cue1,
      cue2: t.inputs.cue2,
      epochA: t.inputs.epochA,
      epochB: t.inputs.epochB,
    },
    output: t.output,
    target: t.target,
    response: t.response,
    correct: t.correct,
  };
}

function fieldPlot(f: ExampleField): FieldPlot {
  return {
    steps: f.steps,
    trajectory: { pc1: f.trajectory.map((p) => p[0]), pc2: f.trajectory.map((p) => p[1]) },
    segments: {
      k: f.segments.map((s) => s.k),
      fromPc1: f.segments.map((s) => s.from[0]),
      fromPc2: f.segments.map((s) => s.from[1]),
      toPc1: f.segments.map((s) => s.to[0]),
      toPc2: f.segments.map((s) => s.to[1]),
    },
  };
}

/** The stored record of a chosen example from its full analysis. */
export function exampleUnit(
  chosen: ChosenExample,
  a: ExampleAnalysis,
  options: { fig5MaxLE: number | null },
): ExampleUnit {
  const proj = (p: ExampleAnalysis["projections"]["lure"]): ProjectionPlot => ({
    condition: p.condition,
    probed: p.probed,
    pc1: p.pc1,
    pc2: p.pc2,
    outputDirection: p.outputDirection,
  });
  return {
    lineage: chosen.lineage,
    network: chosen.network,
    selection: { method: chosen.method, meetsRule: chosen.meetsRule, reason: chosen.reason },
    scores: a.scores,
    fig5MaxLE: options.fig5MaxLE,
    weights: a.weightSummary,
    pca: { eigenvalues: a.pca.eigenvalues, fraction: a.pca.fraction },
    trials: {
      unprobed: a.trials.unprobed.map(trialPlot),
      probed: trialPlot(a.trials.probed[EXAMPLE_PROTOCOL.probedCondition - 1]),
    },
    projections: {
      lure: proj(a.projections.lure),
      unprobed: proj(a.projections.unprobed),
      probed: proj(a.projections.probed),
    },
    field: { unprobed: fieldPlot(a.field.unprobed), probed: fieldPlot(a.field.probed) },
    contraction: a.contraction,
    spectrum: a.spectrum,
    divergence: a.divergence,
  };
}

/** The population records among a run's units, in network order. */
export function networksOf(units: readonly Pick<UnitEntry, "key" | "record">[]): NetworkUnit[] {
  return units.filter((u) => u.key[0] === "network").map((u) => unitMetrics<NetworkUnit>(u))
    .sort((a, b) => a.network - b.network);
}

/** The chosen examples among a run's units, by lineage. */
export function examplesOf(
  units: readonly Pick<UnitEntry, "key" | "record">[],
): Partial<Record<Lineage, ExampleUnit>> {
  const out: Partial<Record<Lineage, ExampleUnit>> = {};
  for (const u of units) {
    if (u.key[0] !== "example") continue;
    const e = unitMetrics<ExampleUnit>(u);
    out[e.lineage] = e;
  }
  return out;
}
