/**
 * Every experiment the workbench knows, by CLI name. The CLI, the single binary and the dashboard
 * read experiments from here; adding a figure means adding its module and one line below.
 *
 * @module
 */
import type { BaseConfig, Experiment } from "../core/app/experiment.ts";
import { fig5 } from "./fig5.ts";
import { fig6 } from "./fig6.ts";
import { fig7 } from "./fig7.ts";
import { dmsNewProblem } from "./dms_new_problem.ts";
import { bmFig1 } from "./bm_fig1.ts";
import { bmFig2 } from "./bm_fig2.ts";
import { bmTable1 } from "./bm_table1.ts";

/** All experiments, keyed by id (`fig5`, `bm-table1`, ...). */
export const EXPERIMENTS: Readonly<Record<string, Experiment<BaseConfig>>> = Object.freeze({
  fig5: fig5 as unknown as Experiment<BaseConfig>,
  fig6: fig6 as unknown as Experiment<BaseConfig>,
  fig7: fig7 as unknown as Experiment<BaseConfig>,
  "dms-new-problem": dmsNewProblem as unknown as Experiment<BaseConfig>,
  "bm-fig1": bmFig1 as unknown as Experiment<BaseConfig>,
  "bm-fig2": bmFig2 as unknown as Experiment<BaseConfig>,
  "bm-table1": bmTable1 as unknown as Experiment<BaseConfig>,
});
