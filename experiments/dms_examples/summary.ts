/**
 * The `--out` JSON of fig2 / fig3 / fig4 (documented in docs/dms_examples.md) and the terminal
 * table: the fig5 run and level, spec 9's rule, per example (`pruned`, `unpruned`) its lineage,
 * network, why it was chosen, weights, singular values, PCA eigenvalues, contraction, Lyapunov
 * spectra and the plotted trajectories, the population means over every pair, and every pair's
 * selection scores.
 *
 * @module
 */
import type { ExperimentRun } from "../../core/app/experiment.ts";
import { type Lineage, LINEAGES } from "../../core/app/paired_lineages.ts";
import { type PopulationDynamics, populationDynamics } from "../../core/dms/examples/population.ts";
import { type SelectionRule, SPEC_SELECTION_RULE } from "../../core/dms/examples/protocol.ts";
import type { SelectionMethod } from "../../core/dms/examples/selection.ts";
import { DMS_SHAPE, toMatrices, type WeightMatrices } from "../../core/rnn/network.ts";
import type { ResultStore } from "../../core/store/store.ts";
import type { DmsExamplesConfig } from "./config.ts";
import {
  examplesOf,
  type ExampleUnit,
  type FieldPlot,
  type LineageRecord,
  networksOf,
  type NetworkUnit,
  type ProjectionPlot,
  type TrialPlot,
} from "./records.ts";

/** The figure names these runs answer to. */
export type ExampleFigure = "fig2" | "fig3" | "fig4";

/** The selection numbers of one network in the `--out` JSON (examples and every pair). */
export interface NetworkScores {
  /** Largest exponent over 15..40, code order (the selection's max LE; null: singular). */
  maxLE: number | null;
  /** Largest exponent over 15..40, chronological order. */
  maxLEChronological: number | null;
  /** Largest exponent over fig5's window 16..36, recomputed here. */
  maxLEFig5Window: number | null;
  /** The fig5 run's stored `maxLE` of this network (window 16..36). */
  fig5MaxLE: number | null;
  /** Probe-trial score of probed condition 4 (spec 3.6, exact target). */
  probeScore: number;
  /** Probed conditions 1-4 correct. */
  probedCorrect: boolean[];
}

/** One example in the `--out` JSON. */
export type ExampleOut = Partial<WeightMatrices> & NetworkScores & {
  /** Lineage. */
  lineage: Lineage;
  /** Network index in the fig5 run (0-based, as fig5's `--out` numbers them). */
  network: number;
  /** "hand", "rule-pair", "rule" or "nearest" (see docs/dms_examples.md). */
  method: SelectionMethod;
  /** Whether the network meets spec 9's rule for its lineage. */
  meetsRule: boolean;
  /** One sentence: which network, by which rule, with its numbers. */
  reason: string;
  /** Singular values of A, descending. */
  singularValues: number[];
  /** cumsum(singular values) / sum (Fig 2B). */
  singularCumulative: number[];
  /** Normalised histogram of the non-zero entries of A (Fig 2A) over `histogramCentres`. */
  histogram: number[];
  /** Bin centres of the histogram. */
  histogramCentres: number[];
  /** Exact zeros in A. */
  zeros: number;
  /** Eigenvalues of the state covariance (spec 8.2), descending. */
  pcaEigenvalues: number[];
  /** Steps k of the contraction window (18..30). */
  contractionSteps: number[];
  /** Fig 4C: contraction(k) around the unprobed trajectory, the code's metric (13 values). */
  contraction: number[];
  /** The legend's reading of the same grid: mean PC1-PC2 distance ratio (spec D16). */
  contractionMeanDistanceRatio: number[];
  /** Both metrics around the probed trajectory (the legend's reading, D15). */
  contractionProbed: { values: number[]; meanDistanceRatio: number[] };
  /** Window and divisor of the spectra. */
  leWindow: { kOn: number; kOff: number; divisor: number };
  /** Fig 4D: 30 exponents, the code's product order (the paper's), ascending. */
  leSpectrum: number[];
  /** The same, chronological product order. */
  leSpectrumChronological: number[];
  /** QR (Benettin) exponents of the same products, ascending (a different estimate). */
  leSpectrumQr: { code: number[]; chronological: number[] } | null;
  /** Unprobed conditions 1-4 correct. */
  unprobedCorrect: boolean[];
  /** The plotted series. */
  trajectories: {
    /** Conditions 1-4 unprobed and probed condition 4: inputs and output, k = 1..58. */
    trials: { unprobed: TrialPlot[]; probed: TrialPlot };
    /** Raw PC1, PC2 and output-direction projections, k = 1..58. */
    projections: { lure: ProjectionPlot; unprobed: ProjectionPlot; probed: ProjectionPlot };
    /** Fig 4A-B around the unprobed (drawn) and the probed trajectory, k = 18..30. */
    field: { unprobed: FieldPlot; probed: FieldPlot };
    /** |x_probed(k) - x(k)| of condition 4, k = 1..58. */
    divergence: number[];
  };
};

/** One pair's selection scores in the `--out` JSON. */
export type PairScores =
  & { network: number }
  & Record<Lineage, NetworkScores | { missing: string }>;

/** The `--out` JSON. */
export interface ExamplesSummary {
  /** "fig2", "fig3" or "fig4" (the same analyses; the figure names the panels). */
  figure: ExampleFigure;
  /** This run's id. */
  runId: string;
  /** The fig5 run the networks come from. */
  from: string;
  /** Prune level. */
  level: number;
  /** True when the fig5 run used a reduced protocol. */
  reduced: boolean;
  /** The resolved config. */
  config: DmsExamplesConfig;
  /** Spec 9's thresholds. */
  selectionRule: SelectionRule;
  /** The pruned example (null until analysed). */
  pruned: ExampleOut | null;
  /** The unpruned example (null until analysed). */
  unpruned: ExampleOut | null;
  /** Means, SEMs and paired t-tests over every pair (population versions). */
  population: PopulationDynamics;
  /** Every pair's selection scores. */
  networks: PairScores[];
}

function exampleOut(u: ExampleUnit, w: Float64Array | null): ExampleOut {
  return {
    lineage: u.lineage,
    network: u.network,
    method: u.selection.method,
    meetsRule: u.selection.meetsRule,
    reason: u.selection.reason,
    ...(w ? toMatrices(DMS_SHAPE, w) : {}),
    singularValues: u.weights.singularValues,
    singularCumulative: u.weights.singularCumulative,
    histogram: u.weights.histogram,
    histogramCentres: u.weights.histogramCentres,
    zeros: u.weights.zeros,
    pcaEigenvalues: u.pca.eigenvalues,
    contractionSteps: u.contraction.unprobed.steps,
    contraction: u.contraction.unprobed.values,
    contractionMeanDistanceRatio: u.contraction.unprobed.meanDistanceRatio,
    contractionProbed: {
      values: u.contraction.probed.values,
      meanDistanceRatio: u.contraction.probed.meanDistanceRatio,
    },
    leWindow: { ...u.spectrum.window, divisor: u.spectrum.divisor },
    leSpectrum: u.spectrum.code,
    leSpectrumChronological: u.spectrum.chronological,
    leSpectrumQr: u.spectrum.qr ?? null,
    maxLE: u.scores.maxLE,
    maxLEChronological: u.scores.maxLEChronological,
    maxLEFig5Window: u.scores.maxLEFig5Window,
    fig5MaxLE: u.fig5MaxLE,
    probeScore: u.scores.probeScore,
    probedCorrect: u.scores.probedCorrect,
    unprobedCorrect: u.scores.unprobedCorrect,
    trajectories: {
      trials: u.trials,
      projections: u.projections,
      field: u.field,
      divergence: u.divergence,
    },
  };
}

function pairScores(u: NetworkUnit): PairScores {
  const one = (r: LineageRecord): PairScores[Lineage] => {
    const d = r.dynamics;
    if (!d) return { missing: r.missing ?? "missing" };
    return {
      maxLE: d.maxLE,
      maxLEChronological: d.maxLEChronological,
      maxLEFig5Window: d.maxLEFig5Window,
      fig5MaxLE: r.fig5MaxLE,
      probeScore: d.probeScore,
      probedCorrect: d.probedCorrect,
    };
  };
  return { network: u.network, pruned: one(u.pruned), unpruned: one(u.unpruned) };
}

/** Population records in the form `populationDynamics` takes. */
export function pairDynamics(units: readonly NetworkUnit[]): Parameters<
  typeof populationDynamics
>[0] {
  return units.map((u) => ({
    network: u.network,
    pruned: u.pruned.dynamics,
    unpruned: u.unpruned.dynamics,
  }));
}

/** Builds the `--out` JSON of a run (reads the examples' weights from their blobs). */
export async function summarizeExamples(
  figure: ExampleFigure,
  run: ExperimentRun<DmsExamplesConfig>,
  store: ResultStore,
): Promise<ExamplesSummary> {
  const c = run.config;
  const units = await store.listUnits(run.id);
  const networks = networksOf(units);
  const examples = examplesOf(units);
  const out = async (lineage: Lineage): Promise<ExampleOut | null> => {
    const e = examples[lineage];
    if (!e) return null;
    const w = await store.getBlob(run.id, ["example", lineage], "w");
    return exampleOut(e, w instanceof Float64Array ? w : null);
  };
  return {
    figure,
    runId: run.id,
    from: c.from ?? "",
    level: c.level,
    reduced: run.reduced,
    config: c,
    selectionRule: SPEC_SELECTION_RULE,
    pruned: await out("pruned"),
    unpruned: await out("unpruned"),
    population: populationDynamics(pairDynamics(networks)),
    networks: networks.map(pairScores),
  };
}

function f(v: number | null | undefined, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** The terminal summary: the two examples, why, and the population means. */
export function examplesTable(s: ExamplesSummary): string {
  const lines = [
    `${s.reduced ? "REDUCED PROTOCOL (the fig5 run's). " : ""}Level-${s.level} networks of ` +
    `fig5 run ${s.from}; ${s.networks.length} lineage pairs.`,
    "example    network  max LE 15..40  probe-trial score  probed correct  chosen by",
  ];
  for (const l of LINEAGES) {
    const e = s[l];
    if (!e) {
      lines.push(`${l.padEnd(10)} (not analysed)`);
      continue;
    }
    lines.push(
      `${l.padEnd(10)} ${String(e.network).padStart(7)}  ${f(e.maxLE).padStart(13)}  ` +
        `${f(e.probeScore).padStart(17)}  ${
          e.probedCorrect.map((v) => (v ? "1" : "0")).join("").padStart(14)
        }  ${e.method}${e.meetsRule ? "" : " (misses the rule)"}`,
    );
  }
  for (const l of LINEAGES) if (s[l]) lines.push(`  ${s[l]!.reason}`);
  const p = s.population;
  const ms = (m: { mean: number[]; sem: number[]; n: number[] }): string =>
    `${f(m.mean[0])} ± ${f(m.sem[0])} (n ${m.n[0]})`;
  lines.push(
    `Population (mean ± SEM over pairs; paired t-test):`,
    `  max LE 15..40, code order:   pruned ${ms(p.maxLE.pruned)}, unpruned ${
      ms(p.maxLE.unpruned)
    }, p = ${f(p.maxLE.p)}`,
    `  contraction at k = ${p.contractionAtProbe.k}:      pruned ${
      ms(p.contractionAtProbe.pruned)
    }, unpruned ${ms(p.contractionAtProbe.unpruned)}, p = ${f(p.contractionAtProbe.p)}`,
  );
  return lines.join("\n");
}
