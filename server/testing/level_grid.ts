/**
 * What the dashboard's synthetic test experiments (demo_experiment.ts, showcase_experiment.ts)
 * share: a config of networks x prune levels, one unit per (network, level) keyed
 * `[network, levelIndex]` with deterministic metrics and nothing trained, and a running run record
 * for tests to create in a store. Each experiment adds its own parameters and panels. Not
 * registered in the CLI.
 *
 * @module
 */
import { type BaseConfig, type Experiment, jsonRecord } from "../../core/app/experiment.ts";
import type { RunRecord } from "../../core/store/kv_store.ts";

/** Config of a synthetic experiment. */
export interface GridConfig extends BaseConfig {
  /** Networks (lineage pairs) per level. */
  networks: number;
  /** Prune levels. */
  levels: number[];
}

/** The parts of a synthetic experiment that {@link gridExperiment} does not make. */
export type GridExperiment<C extends GridConfig> = Omit<Experiment<C>, "parameters" | "panels">;

/**
 * The common part of a synthetic experiment: presets from `base` (the paper preset with 40
 * networks), no flags, one unit per network and level written by `run` (finished ones skipped),
 * an empty summary and table.
 */
export function gridExperiment<C extends GridConfig>(
  head: Pick<Experiment<C>, "id" | "title" | "describe">,
  options: { base: C; metrics: (network: number, levelIndex: number, config: C) => object },
): GridExperiment<C> {
  const { base, metrics } = options;
  return {
    ...head,
    paper: "averbeck2022",
    presets: { default: base, paper: { ...base, reduced: false, networks: 40 } },
    flags: [],
    configure: (b: C): C => b,
    totalUnits: (c: C): number => c.networks * c.levels.length,
    async run(ctx): Promise<void> {
      const c = ctx.config;
      for (let n = 0; n < c.networks; n++) {
        for (let l = 0; l < c.levels.length; l++) {
          if (ctx.finished.has(`${n}/${l}`)) continue;
          await ctx.store.putUnit(ctx.runId, [n, l], { metrics: jsonRecord(metrics(n, l, c)) });
        }
      }
    },
    summarize: (): Promise<Record<string, never>> => Promise.resolve({}),
    table: (): string => "",
  };
}

/** A running run record of a synthetic experiment (tests create it with `store.createRun`). */
export function gridRun(
  id: string,
  config: GridConfig,
  options: { figure: string; seed?: number; versions?: Record<string, string> },
): RunRecord {
  const now = new Date().toISOString();
  return {
    id,
    figure: options.figure,
    preset: config.preset,
    reduced: config.reduced,
    config: jsonRecord(config),
    seed: options.seed ?? 1,
    engine: "cpu",
    engineDescription: "synthetic",
    versions: options.versions ?? {},
    startedAt: now,
    updatedAt: now,
    status: "running",
    progress: { done: 0, total: config.networks * config.levels.length },
  };
}
