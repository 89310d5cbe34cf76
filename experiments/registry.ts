/**
 * Every experiment the workbench knows, by CLI name. The CLI, the single binary and the dashboard
 * read experiments from here; adding a figure means adding its module and one line below.
 *
 * @module
 */
import type { BaseConfig, Experiment } from "../core/experiment.ts";
import { fig5 } from "./fig5.ts";

/** All experiments, keyed by id (`fig5`, `bm-table1`, ...). */
export const EXPERIMENTS: Readonly<Record<string, Experiment<BaseConfig>>> = Object.freeze({
  fig5: fig5 as unknown as Experiment<BaseConfig>,
});
