/**
 * The example working-memory networks of Averbeck 2022: Figs 1C-F and 2 (`fig2`), 3 (`fig3`) and
 * 4 (`fig4`). All three take the level-0.7 networks of a finished fig5 run, record the dynamics
 * of every lineage pair (the population versions and the selection), pick one pruned and one
 * unpruned example by spec 9's rules or by hand, and analyse them (spec 8.1-8.6, through
 * core/dms/examples). The three experiments run the same analyses (a few seconds) and differ only
 * in the panels they draw and the `figure` of their `--out` JSON, so each figure is one command
 * and its run holds everything it shows. Parts: `config.ts`, `source.ts` (the fig5 run),
 * `run.ts`, `records.ts` (store layout), `summary.ts` (`--out`, table), `panels.ts`.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import {
  configureExamples,
  describeExamples,
  type DmsExamplesConfig,
  EXAMPLES_DEFAULT,
  EXAMPLES_FLAGS,
  EXAMPLES_PAPER,
  exampleUnits,
} from "./config.ts";
import { EXAMPLES_CLAIMS } from "./claims.ts";
import { examplePanels } from "./panels.ts";
import { examplesOf, networksOf } from "./records.ts";
import { runExamples } from "./run.ts";
import { prepareExamples } from "./source.ts";
import {
  type ExampleFigure,
  type ExamplesSummary,
  examplesTable,
  summarizeExamples,
} from "./summary.ts";

export type { DmsExamplesConfig } from "./config.ts";
export type { ExamplesSummary } from "./summary.ts";

const TITLES: Record<ExampleFigure, string> = {
  fig2: "Averbeck 2022 Figs 1C-F and 2: example trials, weights and singular values, probed " +
    "trials of the example networks",
  fig3: "Averbeck 2022 Fig 3: PC projections and outputs of the example networks",
  fig4: "Averbeck 2022 Fig 4: vector field, contraction and Lyapunov spectrum of the example " +
    "networks",
};

/** The experiment that draws one of Figs 2, 3, 4 (with 1C-F in fig2) from a fig5 run. */
export function exampleExperiment(
  figure: ExampleFigure,
): Experiment<DmsExamplesConfig, ExamplesSummary> {
  return {
    id: figure,
    title: TITLES[figure],
    paper: "averbeck2022",
    presets: { default: EXAMPLES_DEFAULT, paper: EXAMPLES_PAPER },
    flags: EXAMPLES_FLAGS,
    configure: configureExamples,
    prepare: prepareExamples,
    describe: describeExamples,
    totalUnits: exampleUnits,
    run: runExamples,
    summarize: (run: ExperimentRun<DmsExamplesConfig>, store: ResultStore) =>
      summarizeExamples(figure, run, store),
    table: examplesTable,
    parameters: (): PanelParameter[] => [],
    panels: (run: ExperimentRun<DmsExamplesConfig>, units: UnitEntry[]): Panel[] =>
      examplePanels(figure, {
        config: run.config,
        examples: examplesOf(units),
        networks: networksOf(units),
      }),
    claims: EXAMPLES_CLAIMS.filter((c) => c.experiment === figure),
  };
}

/** `deno task fig2`: Figs 1C-F and 2. */
export const fig2: Experiment<DmsExamplesConfig, ExamplesSummary> = exampleExperiment("fig2");
/** `deno task fig3`: Fig 3. */
export const fig3: Experiment<DmsExamplesConfig, ExamplesSummary> = exampleExperiment("fig3");
/** `deno task fig4`: Fig 4. */
export const fig4: Experiment<DmsExamplesConfig, ExamplesSummary> = exampleExperiment("fig4");
