/**
 * Every experiment the workbench knows, by CLI name. The CLI, the single binary and the dashboard
 * read experiments from here; adding a figure means adding its module and one line below.
 *
 * @module
 */
import type { Experiment } from "../core/app/experiment.ts";
import { fig5 } from "./fig5/fig5.ts";
import { fig6 } from "./rl/fig6.ts";
import { fig7 } from "./rl/fig7.ts";
import { dmsNewProblem } from "./dms_new_problem/dms_new_problem.ts";
import { fig2, fig3, fig4 } from "./dms_examples/dms_examples.ts";
import { bmFig1 } from "./bm/bm_fig1.ts";
import { bmFig2 } from "./bm/bm_fig2.ts";
import { bmTable1 } from "./bm/bm_table1.ts";
import { bmFig3, bmFig4 } from "./dbm/experiment.ts";

/** All experiments, keyed by id (`fig5`, `bm-table1`, ...). */
export const EXPERIMENTS: Readonly<Record<string, Experiment>> = Object.freeze({
  fig5: fig5,
  fig6: fig6,
  fig7: fig7,
  "dms-new-problem": dmsNewProblem,
  fig2: fig2,
  fig3: fig3,
  fig4: fig4,
  "bm-fig1": bmFig1,
  "bm-fig2": bmFig2,
  "bm-table1": bmTable1,
  "bm-fig3": bmFig3,
  "bm-fig4": bmFig4,
});
