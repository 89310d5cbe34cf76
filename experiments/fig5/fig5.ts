/**
 * Fig 5 (and Fig 1H-I) of Averbeck 2022: DMS networks trained with SCG, pruned step by step by
 * magnitude against a matched unpruned lineage, probed with distractors and characterised by
 * maximal Lyapunov exponents (spec 3, 5, 6, 7.1, 8.1, 8.6, 8.8). The experiment is assembled from
 * its parts: config and presets (`config.ts`), the protocol and store layout (`protocol.ts`), the
 * run (`run.ts`), aggregation (`aggregate.ts`), the `--out` JSON (`summary.ts`), the terminal
 * table (`table.ts`) and the dashboard panels (`panels.ts`).
 *
 * @module
 */
import type { Experiment } from "../../core/app/experiment.ts";
import {
  configureFig5,
  describeFig5,
  FIG5_DEFAULT,
  FIG5_FLAGS,
  FIG5_PAPER,
  FIG5_VALIDATE,
  FIG5_VALIDATE_HELP,
  type Fig5Config,
  fig5Units,
} from "./config.ts";
import { FIG5_CLAIMS } from "./claims.ts";
import { fig5Panels, fig5Parameters } from "./panels.ts";
import { runFig5 } from "./run.ts";
import { fig5Notices } from "./starts_notice.ts";
import { type Fig5Summary, summarizeFig5 } from "./summary.ts";
import { fig5Table } from "./table.ts";

export type { Fig5Config } from "./config.ts";

/** The Fig 5 experiment. */
export const fig5: Experiment<Fig5Config, Fig5Summary> = {
  id: "fig5",
  title:
    "Averbeck 2022 Fig 5 / Fig 1H-I: DMS working memory, magnitude pruning vs matched unpruned",
  paper: "averbeck2022",
  presets: { default: FIG5_DEFAULT, paper: FIG5_PAPER, validate: FIG5_VALIDATE },
  presetHelp: { validate: FIG5_VALIDATE_HELP },
  flags: FIG5_FLAGS,
  configure: configureFig5,
  notices: fig5Notices,
  describe: describeFig5,
  totalUnits: fig5Units,
  // Networks are independent; a work unit carries its lineage pairs through every level.
  shards: (c) => ({ networks: c.networks }),
  run: runFig5,
  summarize: summarizeFig5,
  table: fig5Table,
  parameters: fig5Parameters,
  panels: fig5Panels,
  claims: FIG5_CLAIMS,
};
