/**
 * Fig 7 of Averbeck 2022: the RL population. Pruned and matched unpruned lineages at each target
 * noise level are compared on Q-value error, agreement with the Q-learner, reward per block,
 * maximal LE, PCA dimensionality, weight histogram and fixation-vs-choice Mahalanobis distance,
 * followed by the new-option experiment (spec 7.5) on the level-0.7, noise-0.1 networks.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/kv_store.ts";
import {
  configureRl,
  DEFAULT_RL,
  describeRl,
  MAIN_NOISE,
  PAPER_RL,
  RL_FLAGS,
  type RlConfig,
  VALIDATE_RL,
  VALIDATE_RL_HELP,
} from "./config.ts";
import { FIG7_CLAIMS } from "./claims.ts";
import { runPruneSchedule, scheduleUnits } from "./lineages.ts";
import { newOptionCount, runNewOption } from "./new_option.ts";
import { rlPanels } from "./panels.ts";
import { type RlSummary, type RlSummaryHeader, rlSummaryHeader, summarizeRl } from "./summary.ts";
import { rlTable } from "./table.ts";

/** The `--out` JSON of fig7 (docs/rl.md). */
export type Fig7Summary = RlSummaryHeader<"fig7"> & {
  /** Engine name. */
  engine: string;
  /** Prune levels. */
  levels: number[];
  /** Target-noise variances. */
  noiseLevels: number[];
} & RlSummary;

/** The Fig 7 experiment. */
export const fig7: Experiment<RlConfig, Fig7Summary> = {
  id: "fig7",
  title:
    "RL population: value estimates, choices, reward, LE, dimensionality (Averbeck 2022 Fig 7)",
  paper: "averbeck2022",
  presets: { default: DEFAULT_RL, paper: PAPER_RL, validate: VALIDATE_RL },
  presetHelp: { validate: VALIDATE_RL_HELP },
  flags: RL_FLAGS,
  configure: configureRl,
  describe: describeRl,
  totalUnits(c: RlConfig): number {
    return scheduleUnits(c) + newOptionCount(c);
  },
  // A lineage (all its noise levels and prune levels, and its new-option retraining) is
  // independent of the others; a shared starting network is computed first, once.
  shards: (c) => ({ networks: c.networks, shared: c.initialNetworks === "shared" }),
  async run(ctx): Promise<void> {
    await runPruneSchedule(ctx);
    if (ctx.signal.aborted) throw new Error("interrupted");
    await runNewOption(ctx);
    if (ctx.signal.aborted) throw new Error("interrupted");
  },
  async summarize(
    run: ExperimentRun<RlConfig>,
    store: ResultStore,
  ): Promise<Fig7Summary> {
    const c = run.config;
    const s = summarizeRl(c, await store.listUnits(run.id));
    return {
      ...rlSummaryHeader(run, { id: "fig7", title: fig7.title }),
      engine: run.engine,
      levels: c.levels,
      noiseLevels: c.noiseLevels,
      ...s,
    };
  },
  table(summary: Fig7Summary): string {
    return rlTable(summary.config, summary);
  },
  parameters(run: ExperimentRun<RlConfig>): PanelParameter[] {
    const c = run.config;
    const def = c.noiseLevels.includes(MAIN_NOISE) ? MAIN_NOISE : c.noiseLevels[0];
    return [{
      name: "noise",
      label: "target-noise variance",
      options: c.noiseLevels,
      default: def,
    }];
  },
  panels(
    run: ExperimentRun<RlConfig>,
    units: UnitEntry[],
    params: Record<string, number>,
  ): Panel[] {
    const c = run.config;
    const noise = params.noise ?? fig7.parameters(run)[0].default;
    return rlPanels(c, summarizeRl(c, units), noise);
  },
  claims: FIG7_CLAIMS,
};
