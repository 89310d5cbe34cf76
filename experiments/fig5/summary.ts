/**
 * The `--out` JSON of a Fig 5 run (keys documented in docs/fig5.md): the config and provenance,
 * the aggregates per level, the breakdowns at the analysis level, and per network and level the
 * weights and metrics of both lineages.
 *
 * @module
 */
import type { ExperimentRun } from "../../core/app/experiment.ts";
import { type Lineage, LINEAGES } from "../../core/app/paired_lineages.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_SHAPE, toMatrices, type WeightMatrices } from "../../core/rnn/network.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import type { ResultStore, RunStatus } from "../../core/store/store.ts";
import { aggregateFig5, type Fig5Aggregate, fig5AtLevel, FIG5E_GROUPINGS } from "./aggregate.ts";
import type { Fig5Config } from "./config.ts";
import { levelIndexOf, type LineageMetrics } from "./protocol.ts";

/** One lineage of one network at one level in the `--out` JSON. */
export type NetworkLineage =
  | { failed: string }
  | (Partial<WeightMatrices> & {
    probeAccuracy?: number;
    cleanAccuracy?: number;
    maxLE?: number | null;
    maxLEChronological?: number | null;
    finalLoss?: number;
    endLoss?: number;
    iterations?: number;
    converged?: boolean;
    probeTable?: number[][];
    /** Conditions (of 4) answered correctly on the code's example probe (Fig 5E grouping). */
    exampleCorrect?: number;
  });

/** The `--out` JSON of fig5. */
export interface Fig5Summary {
  /** "fig5". */
  figure: "fig5";
  /** Run id. */
  runId: string;
  /** Run status. */
  status: RunStatus;
  /** Preset the config came from. */
  preset: string;
  /** True unless the paper's protocol. */
  reduced: boolean;
  /** What the protocol is. */
  protocolNote: string;
  /** The resolved config. */
  config: Fig5Config;
  /** Master seed. */
  seed: number;
  /** Engine name. */
  engine: string;
  /** Engine details. */
  engineDescription: string;
  /** Versions of prunelab, Deno, ... */
  versions: Record<string, string>;
  /** How a probe trial is scored. */
  scoring: string;
  /** Prune levels. */
  levels: number[];
  /** Mean and SEM per level, lineage and metric. */
  lineages: Fig5Aggregate["lineages"];
  /** Paired t-test p per metric and level. */
  pValues: Fig5Aggregate["pValues"];
  /** Networks with data per lineage and level. */
  n: Fig5Aggregate["n"];
  /** Failed lineages. */
  failures: Fig5Aggregate["failures"];
  /**
   * Per metric and level, pruned minus unpruned over complete pairs: `meanDiff`, its 99% t
   * interval `ci`, paired t `p`, `pHolm` (Holm over the levels of that metric), `wilcoxonP` (exact
   * signed-rank, below 30 pairs), `sdDiff`, `n`.
   */
  effects: Fig5Aggregate["effects"];
  /** Retrainings per lineage and level (and starting networks) that met the stopping rule. */
  converged: Fig5Aggregate["converged"];
  /** What the two Fig 5E groupings in `atLevel` mean. */
  fig5eGroupings: { leByCorrect: string; leByCorrectAllTrials: string };
  /** Breakdowns at the analysis level (Fig 5B, 5C, 5E, 5F). */
  atLevel: {
    level: number;
    probeOnsets: readonly number[];
    probeStrengths: readonly number[];
  } & ReturnType<typeof fig5AtLevel>;
  /** Bin centres of the weight histograms. */
  histogramCentres: readonly number[];
  /** Per network: per level both lineages. */
  networks: {
    network: number;
    levels: ({ level: number } & Partial<Record<Lineage, NetworkLineage>>)[];
  }[];
}

/** One lineage's entry (weights read from the store). */
async function networkLineage(
  store: ResultStore,
  at: { runId: string; key: (string | number)[]; lineage: Lineage },
  m: LineageMetrics | undefined,
): Promise<NetworkLineage> {
  if (!m || m.failed) return { failed: m?.failed ?? "missing" };
  const w = await store.getBlob(at.runId, at.key, `${at.lineage}W`);
  return {
    ...(w instanceof Float64Array ? toMatrices(DMS_SHAPE, w) : {}),
    probeAccuracy: m.probeAccuracy,
    cleanAccuracy: m.cleanAccuracy,
    maxLE: m.maxLE,
    maxLEChronological: m.maxLEChronological,
    finalLoss: m.finalLoss,
    endLoss: m.endLoss,
    iterations: m.iterations,
    converged: m.converged,
    probeTable: m.probeTable,
    exampleCorrect: m.exampleCorrect,
  };
}

/** Builds the `--out` JSON of a run. */
export async function summarizeFig5(
  run: ExperimentRun<Fig5Config>,
  store: ResultStore,
): Promise<Fig5Summary> {
  const c = run.config;
  const units = await store.listUnits(run.id);
  const agg = aggregateFig5(c, units);
  const li = levelIndexOf(c.levels, c.analysisLevel);
  const at = fig5AtLevel(c, units, li);
  const byKey = new Map(units.map((u) => [u.key.join("/"), u]));
  const networks: Fig5Summary["networks"] = [];
  for (let i = 0; i < c.networks; i++) {
    const levels: Fig5Summary["networks"][number]["levels"] = [];
    for (let l = 0; l < c.levels.length; l++) {
      const unit = byKey.get(`level/${i}/${l}`);
      if (!unit) continue;
      const entry: Fig5Summary["networks"][number]["levels"][number] = { level: c.levels[l] };
      for (const lineage of LINEAGES) {
        const m = unit.record.metrics[lineage] as LineageMetrics | undefined;
        entry[lineage] = await networkLineage(
          store,
          { runId: run.id, key: ["level", i, l], lineage },
          m,
        );
      }
      levels.push(entry);
    }
    networks.push({ network: i, levels });
  }
  return {
    figure: "fig5",
    runId: run.id,
    status: run.status,
    preset: c.preset,
    reduced: c.reduced,
    protocolNote: c.reduced
      ? "REDUCED PROTOCOL: fewer networks/levels and capped SCG; not the paper's protocol"
      : "paper protocol (spec 7.1)",
    config: run.config,
    seed: run.seed,
    engine: run.engine,
    engineDescription: run.engineDescription,
    versions: run.versions,
    scoring: "correct if |target - mean(y52, y53)| < 1 with exact targets +/-1 (spec D17 [REC])",
    levels: c.levels,
    lineages: agg.lineages,
    pValues: agg.pValues,
    n: agg.n,
    failures: agg.failures,
    effects: agg.effects,
    converged: agg.converged,
    fig5eGroupings: {
      leByCorrect: FIG5E_GROUPINGS.code.label,
      leByCorrectAllTrials: FIG5E_GROUPINGS.legend.label,
    },
    atLevel: {
      level: c.levels[li],
      probeOnsets: PROBE_ONSETS,
      probeStrengths: PROBE_STRENGTHS,
      ...at,
    },
    histogramCentres: DMS_HIST_CENTRES,
    networks,
  };
}
