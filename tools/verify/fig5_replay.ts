/**
 * Replays the level retrainings of a stored fig5 run on another engine, from identical inputs:
 * for every network and level, the same network before the level (the stored lineage's weights),
 * the same pruning and the same training set, retrained with the run's caps. Comparing the
 * replayed outcomes with the stored ones isolates what the other engine's arithmetic does to one
 * retraining (iterations to criterion, convergence, final loss, probe accuracy, LE) from the
 * chaotic divergence of whole lineages, which makes runs on two engines incomparable network by
 * network. Used by `deno task precision-check` (the WebGPU engine and its CPU float32 twin
 * against a float64 run).
 *
 * @module
 */
import { experimentRun } from "../../core/app/experiment.ts";
import { LINEAGES, pairedP } from "../../core/app/paired_lineages.ts";
import type { Engine } from "../../core/engine/engine.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { analyseDmsNetwork } from "../../core/dms/analysis.ts";
import { mean } from "../../core/util/stats.ts";
import type { Fig5Config } from "../../experiments/fig5/config.ts";
import {
  type LevelJob,
  levelJob,
  type Lineage,
  type LineageMetrics,
  retrainLevel,
} from "../../experiments/fig5/protocol.ts";

/** What one retraining produced. */
export interface RetrainOutcome {
  /** Outer iterations run. */
  iterations: number;
  /** Whether the last call met the stopping rule. */
  converged: boolean;
  /** Loss at the start of the last outer iteration (Fig 1H). */
  finalLoss: number;
  /** Probe-trial accuracy (Fig 5A). */
  probeAccuracy: number;
  /** Maximal LE, code order (Fig 5D). */
  maxLE: number;
}

/** One retraining, stored and replayed. */
export interface ReplayRow {
  /** Network index. */
  network: number;
  /** Level index. */
  levelIndex: number;
  /** Prune level. */
  level: number;
  /** Lineage. */
  lineage: Lineage;
  /** The stored run's outcome. */
  stored: RetrainOutcome;
  /** The other engine's outcome from the same inputs. */
  replayed: RetrainOutcome;
}

function outcomeOf(m: LineageMetrics): RetrainOutcome | null {
  if (m.failed || m.iterations === undefined || m.probeAccuracy === undefined) return null;
  return {
    iterations: m.iterations,
    converged: Boolean(m.converged),
    finalLoss: m.finalLoss ?? NaN,
    probeAccuracy: m.probeAccuracy,
    maxLE: m.maxLE ?? NaN,
  };
}

/** Options of {@link replayFig5Levels}. */
export interface ReplayOptions {
  /** Engine to replay on. */
  engine: Engine;
  /** Level indices to replay (default: all). */
  levelIndices?: number[];
  /** Abort between outer iterations. */
  signal?: AbortSignal;
  /** Called after each outer iteration of a level. */
  onOuter?: (levelIndex: number, outer: number, active: number, total: number) => void;
}

/** Replays the retrainings of a finished fig5 run's levels (see the module doc). */
export async function replayFig5Levels(
  store: ResultStore,
  runId: string,
  options: ReplayOptions,
): Promise<ReplayRow[]> {
  const run = await store.getRun(runId);
  if (!run) throw new Error(`no run '${runId}' in the store`);
  if (run.figure !== "fig5") throw new Error(`run '${runId}' is ${run.figure}, not fig5`);
  const c = experimentRun<Fig5Config>(run).config;
  const indices = options.levelIndices ?? c.levels.map((_, li) => li);
  for (const li of indices) {
    if (!(li >= 0 && li < c.levels.length)) {
      throw new Error(`run '${runId}' has no level index ${li}`);
    }
  }
  const rows: ReplayRow[] = [];
  const blob = async (key: (string | number)[], name: string): Promise<Float64Array | null> => {
    const b = await store.getBlob(runId, key, name);
    return b instanceof Float64Array ? b : null;
  };
  for (const li of indices) {
    const level = c.levels[li];
    const jobs: LevelJob[] = [];
    const stored: RetrainOutcome[] = [];
    for (let i = 0; i < c.networks; i++) {
      const unit = await store.getUnit(runId, ["level", i, li]);
      if (!unit) continue;
      for (const lineage of LINEAGES) {
        const s = outcomeOf((unit.metrics[lineage] ?? { failed: "missing" }) as LineageMetrics);
        const before = li === 0
          ? await blob(["start", i], "w")
          : await blob(["level", i, li - 1], `${lineage}W`);
        if (!s || !before) continue;
        jobs.push(levelJob({ network: i, lineage, level }, before));
        stored.push(s);
      }
    }
    const outcomes = await retrainLevel(options.engine, jobs, {
      config: c,
      seed: run.seed,
      levelIndex: li,
      signal: options.signal,
      onOuter: (outer, active, total) => options.onOuter?.(li, outer, active, total),
    });
    jobs.forEach((j, k) => {
      const o = outcomes[k];
      const a = o.failure ? null : analyseDmsNetwork(o.w);
      rows.push({
        network: j.network,
        levelIndex: li,
        level,
        lineage: j.lineage,
        stored: stored[k],
        replayed: {
          iterations: o.outerIterations,
          converged: o.converged && !o.failure,
          finalLoss: o.lossHistory[o.lossHistory.length - 1] ?? NaN,
          probeAccuracy: a ? a.probeAccuracy : NaN,
          maxLE: a?.maxLE ?? NaN,
        },
      });
    });
  }
  return rows;
}

/** Paired comparison of one quantity: means of stored and replayed, and the paired t-test p. */
export interface PairedComparison {
  /** Mean over networks, stored run. */
  stored: number;
  /** Mean over networks, replay. */
  replayed: number;
  /** Paired t-test p-value (null when undefined, e.g. identical values). */
  p: number | null;
}

/** Per level and lineage: paired comparisons and convergence counts. */
export interface ReplaySummaryRow {
  /** Prune level. */
  level: number;
  /** Lineage. */
  lineage: Lineage;
  /** Networks compared. */
  n: number;
  /** Converged retrainings, stored and replayed. */
  converged: { stored: number; replayed: number };
  /** Outer iterations (Fig 1I). */
  iterations: PairedComparison;
  /** Final loss (Fig 1H). */
  finalLoss: PairedComparison;
  /** Probe accuracy (Fig 5A). */
  probeAccuracy: PairedComparison;
  /** Maximal LE (Fig 5D). */
  maxLE: PairedComparison;
}

/** Summarises replay rows per level and lineage. */
export function summarizeReplay(rows: readonly ReplayRow[]): ReplaySummaryRow[] {
  const groups = new Map<string, ReplayRow[]>();
  for (const r of rows) {
    const k = `${r.levelIndex}/${r.lineage}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const compare = (g: ReplayRow[], pick: (o: RetrainOutcome) => number): PairedComparison => {
    const a = g.map((r) => pick(r.stored));
    const b = g.map((r) => pick(r.replayed));
    return { stored: mean(a), replayed: mean(b), p: pairedP(a, b) };
  };
  return [...groups.values()].map((g) => ({
    level: g[0].level,
    lineage: g[0].lineage,
    n: g.length,
    converged: {
      stored: g.filter((r) => r.stored.converged).length,
      replayed: g.filter((r) => r.replayed.converged).length,
    },
    iterations: compare(g, (o) => o.iterations),
    finalLoss: compare(g, (o) => o.finalLoss),
    probeAccuracy: compare(g, (o) => o.probeAccuracy),
    maxLE: compare(g, (o) => o.maxLE),
  }));
}
