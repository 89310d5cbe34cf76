/**
 * A finished run's `--out` JSON: the experiment's summary of the stored results, written whole.
 * One function for the figure tasks (at the end of a run) and `deno task runs export` (any
 * finished run, later).
 *
 * @module
 */
import type { ResultStore, RunRecord } from "../store/store.ts";
import { type BaseConfig, type Experiment, experimentRun } from "./experiment.ts";
import { writeJsonAtomic } from "./fs.ts";

/**
 * Summarises `run` with its experiment and, when `options.out` is given, writes the summary there
 * as JSON (through a temporary file: a reader never sees half of it). Returns the summary.
 */
export async function writeRunSummary<C extends BaseConfig, S extends object>(
  experiment: Pick<Experiment<C, S>, "summarize">,
  run: RunRecord,
  options: { store: ResultStore; out?: string },
): Promise<S> {
  const summary = await experiment.summarize(experimentRun<C>(run), options.store);
  if (options.out !== undefined) await writeJsonAtomic(options.out, summary);
  return summary;
}
