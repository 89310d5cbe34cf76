/**
 * What an experiment module declares. One module per figure (`experiments/fig5.ts`, ...) exports an
 * {@link Experiment}: its presets and flags, how to run it against an engine and a store, how to
 * summarise the stored results for `--out` and the terminal, and which dashboard panels it draws.
 * The CLI (`core/app/cli.ts` via `tasks/`), the store and the dashboard read everything from here.
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import type { Panel, PanelParameter } from "./panels.ts";
import type { ResultStore, RunRecord, UnitRecord } from "../store/kv_store.ts";
import type { Progress } from "./progress.ts";

export { UsageError } from "../util/errors.ts";

/** Config fields shared by every experiment. */
export interface BaseConfig {
  /** Preset the config was built from ("default", "paper" or "custom"). */
  preset: string;
  /** True unless this is the paper's full protocol. */
  reduced: boolean;
}

/** Value of a parsed flag. */
export type FlagValue = string | boolean | undefined;

/** An experiment-specific flag (`--name value` or a boolean switch). */
export interface FlagSpec {
  /** Flag name without dashes. */
  name: string;
  /** "string" flags take a value; "boolean" ones are switches. */
  type: "string" | "boolean";
  /** One line for `--help`. */
  help: string;
}

/** A finished unit as the experiment sees it when summarising. */
export interface UnitEntry {
  /** Unit key (after the run id). */
  key: (string | number)[];
  /** Stored record. */
  record: UnitRecord;
}

/** Everything a running experiment may use. */
export interface RunContext<C> {
  /** The run's id. */
  runId: string;
  /** Resolved config. */
  config: C;
  /** Master seed. */
  seed: number;
  /** Compute engine. */
  engine: Engine;
  /** Results store. */
  store: ResultStore;
  /** Keys (joined with "/") of units already finished (non-empty on `--resume`). */
  finished: ReadonlySet<string>;
  /** Terminal progress reporter (counts units). */
  progress: Progress;
  /** Aborted on SIGINT/SIGTERM: stop after the unit in progress. */
  signal: AbortSignal;
  /** Prints a line above the progress bar. */
  log(message: string): void;
}

/** An experiment (one figure or table of a paper). */
export interface Experiment<C extends BaseConfig = BaseConfig> {
  /** CLI name and store figure id, e.g. "fig5" or "bm-table1". */
  id: string;
  /** Title shown in the CLI and dashboard. */
  title: string;
  /** Which paper. */
  paper: "averbeck2022" | "scholl2021";
  /** Embedded presets: "default" (fast, reduced) and "paper" (full protocol). */
  presets: { default: C; paper: C };
  /** Experiment-specific flags beyond the common ones. */
  flags: FlagSpec[];
  /**
   * Applies parsed flags (common and specific) to a preset config. Throws `UsageError` naming the
   * problem for bad values.
   */
  configure(base: C, flags: Record<string, FlagValue>): C;
  /** One-line summary of a config (runs list, terminal header). */
  describe(config: C): string;
  /** Number of work units the run will store (for progress and resume). */
  totalUnits(config: C): number;
  /** Runs (or resumes) the experiment, writing each unit to the store as soon as it is finished. */
  run(ctx: RunContext<C>): Promise<void>;
  /** Builds the `--out` JSON from the stored results (may read blobs). */
  summarize(run: RunRecord, store: ResultStore): Promise<Record<string, unknown>>;
  /** Renders the terminal summary table from a summary. */
  table(summary: Record<string, unknown>): string;
  /** Selectable parameters of the run page (e.g. level for Fig 5B/C). */
  parameters(run: RunRecord): PanelParameter[];
  /** Dashboard panels from unit metrics only (never blobs), for the given parameter values. */
  panels(run: RunRecord, units: UnitEntry[], params: Record<string, number>): Panel[];
}
