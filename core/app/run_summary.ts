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

/**
 * The keys a figure's `--out` JSON starts with, in this order (families A and B of Scholl et al.;
 * `C` is the experiment's config type).
 */
export interface SummaryHeader<C> {
  /** Experiment id. */
  figure: string;
  /** Experiment title. */
  title: string;
  /** Run id. */
  runId: string;
  /** Preset name. */
  preset: string;
  /** True unless the paper's protocol. */
  reduced: boolean;
  /** The protocol in words (REDUCED ... or the paper's). */
  protocol: string;
  /** The resolved config. */
  config: C;
  /** Master seed. */
  seed: number;
}

/**
 * The {@link SummaryHeader} of `run` for `experiment`: `config` is the config as summarised (the
 * run's, or its stored form brought up to date) and `protocol` its label.
 */
export function summaryHeaderOf<C>(
  run: Pick<RunRecord, "id" | "preset" | "reduced" | "seed">,
  experiment: { id: string; title: string },
  options: { config: C; protocol: string },
): SummaryHeader<C> {
  return {
    figure: experiment.id,
    title: experiment.title,
    runId: run.id,
    preset: run.preset,
    reduced: run.reduced,
    protocol: options.protocol,
    config: options.config,
    seed: run.seed,
  };
}
