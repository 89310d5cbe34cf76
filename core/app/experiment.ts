/**
 * What an experiment declares. Each figure family is a folder (`experiments/fig5/`, ...) whose
 * experiments export an {@link Experiment}: its presets and flags, how to run it against an engine
 * and a store, how to summarise the stored results for `--out` and the terminal, and which
 * dashboard panels it draws. The interface is generic over the experiment's config `C` and its
 * `--out` summary `S`, so each part receives its own types; the CLI (`core/app/cli.ts` via
 * `tasks/`), the store and the dashboard read everything from here.
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import type { FlagSpec, FlagValue } from "./args.ts";
import type { Panel, PanelParameter } from "./panels.ts";
import type { ResultStore, RunRecord, UnitRecord } from "../store/store.ts";
import type { Progress } from "./progress.ts";
import type { Claim } from "./claims.ts";

export { UsageError } from "../util/errors.ts";
export type { FlagSpec, FlagValue } from "./args.ts";

/** Config fields shared by every experiment. */
export interface BaseConfig {
  /** Preset the config was built from ("default", "paper" or "custom"). */
  preset: string;
  /** True unless this is the paper's full protocol. */
  reduced: boolean;
}

/**
 * A stored run as its experiment sees it: the run record, whose config is the experiment's own
 * config type. Built by {@link experimentRun} where a run meets its experiment (the CLI, the
 * dashboard).
 */
export type ExperimentRun<C extends BaseConfig = BaseConfig> = RunRecord & {
  /** The resolved config the run was started with. */
  readonly config: C;
};

/**
 * The run record typed for its experiment. The store keeps a config as the JSON the experiment's
 * own `configure` built, and a run's `figure` names that experiment, so the callers that look the
 * experiment up by `figure` may read the config as its type.
 */
export function experimentRun<C extends BaseConfig>(run: RunRecord): ExperimentRun<C> {
  return run as ExperimentRun<C>;
}

/**
 * The metrics of a unit typed as the experiment wrote them (each experiment documents the
 * metrics of its unit keys).
 */
export function unitMetrics<M extends object>(entry: Pick<UnitEntry, "record">): M {
  return entry.record.metrics as M;
}

/**
 * A typed value (a config, unit metrics) as the store's JSON record; the inverse of
 * {@link unitMetrics} and {@link experimentRun}.
 */
export function jsonRecord<M extends object>(value: M): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** A finished unit as the experiment sees it when summarising. */
export interface UnitEntry {
  /** Unit key (after the run id). */
  key: (string | number)[];
  /** Stored record. */
  record: UnitRecord;
}

/** A half-open range of network indices: `start <= i < end`. */
export interface NetworkRange {
  /** First index. */
  start: number;
  /** One past the last index. */
  end: number;
}

/**
 * How a run divides among worker processes (`--detach`, docs/cluster.md): its networks (lineage
 * pairs, seeds) are independent, so a work unit is a range of them carried through the whole
 * protocol, and a process computes it with `RunContext.networks` set to that range.
 */
export interface ShardPlan {
  /** Networks in the run: work units range over `0 .. networks - 1`. */
  networks: number;
  /**
   * True when the networks start from work they share (RL's one shared starting network): a first
   * work unit with the empty range computes it, and the network units wait until it is done,
   * rather than each computing it again.
   */
  shared?: boolean;
}

/**
 * The network indices a process computes: those of `ctx.networks` below `count`, or all of
 * `0 .. count - 1` when the process computes the whole run.
 */
export function networkIndices(
  ctx: Pick<RunContext<unknown>, "networks">,
  count: number,
): number[] {
  const start = ctx.networks?.start ?? 0;
  const end = Math.min(ctx.networks?.end ?? count, count);
  return Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k);
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
  /**
   * Progress of the run, shown as a bar per phase in the terminal and as phase, ETA and live
   * loss on the dashboard (written into the run record every ~2 s). Declare the phases and their
   * work once (`progress.plan([{label, work}], {unit, capped})`), then `progress.enter(i)`,
   * `progress.advance(done, detail)`, `progress.skip(work, {early})` and
   * `progress.liveLoss(entries)`; see core/app/progress.ts and docs/architecture.md. The older
   * `update` / `setWork` / `tick` calls still work.
   */
  progress: Progress;
  /**
   * Aborted on Ctrl-C / SIGTERM: pass it to training (`trainPopulation` stops inside an SCG call)
   * and check it between units; the run must stop within about a second, keeping what it stored.
   */
  signal: AbortSignal;
  /** Prints a line above the progress bar. */
  log(message: string): void;
  /**
   * The networks (lineage pairs / seeds) this process computes, by index; undefined = all. A
   * worker computing one work unit of a detached run sets it (see {@link ShardPlan}); the run
   * then computes, reads and stores only what these networks need, including what they share.
   */
  networks?: NetworkRange;
  /**
   * CPU threads this process may use: the `--workers` of the figure task or of `deno task worker`
   * (undefined = one per core; 0 or 1 = the calling thread). A property of the process, not of
   * the run: no result depends on it and no config stores it. The CPU engines get it in their
   * spec; an experiment that starts threads of its own (the DBM's round workers) reads it here.
   */
  workers?: number;
}

/**
 * An experiment (one figure or table of a paper), generic over its config `C` and the summary `S`
 * it writes with `--out` and prints as a table.
 */
export interface Experiment<C extends BaseConfig = BaseConfig, S extends object = object> {
  /** CLI name and store figure id, e.g. "fig5" or "bm-table1". */
  id: string;
  /** Title shown in the CLI and dashboard. */
  title: string;
  /** Which paper. */
  paper: "averbeck2022" | "scholl2021";
  /**
   * Embedded presets: "default" (reduced: fewer networks, levels or seeds) and "paper" (full protocol), and any further named
   * preset (e.g. fig5's "validate", sized for power); `--preset NAME` picks one.
   */
  presets: { default: C; paper: C; [name: string]: C };
  /** One help line per preset beyond default and paper (what it is, what it costs). */
  presetHelp?: Record<string, string>;
  /** Experiment-specific flags beyond the common ones. */
  flags: FlagSpec[];
  /**
   * Applies parsed flags (common and specific) to a preset config. Throws `UsageError` naming the
   * problem for bad values.
   */
  configure(base: C, flags: Record<string, FlagValue>): C;
  /**
   * Optional check of a new run's config against the store, before anything is written: returns
   * the config to run (e.g. `--from` resolved to the id of a finished run of another experiment)
   * or throws `UsageError`. `store` is null when the store does not exist yet.
   */
  prepare?(config: C, store: ResultStore | null): Promise<C>;
  /**
   * Optional notices printed (as `notice: ...` lines) before a new run starts, e.g. that
   * expensive shared work must be computed first, with its cost and how to avoid it.
   */
  notices?(config: C, at: { seed: number; store: ResultStore; engine: Engine }): Promise<string[]>;
  /** One-line summary of a config (runs list, terminal header). */
  describe(config: C): string;
  /** Number of work units the run will store (for progress and resume). */
  totalUnits(config: C): number;
  /**
   * How a run of this config divides among worker processes, or null (or absent) when it is one
   * piece (its networks depend on each other, or it is cheap): see {@link ShardPlan}.
   */
  shards?(config: C): ShardPlan | null;
  /** Runs (or resumes) the experiment, writing each unit to the store as soon as it is finished. */
  run(ctx: RunContext<C>): Promise<void>;
  /** Builds the `--out` JSON from the stored results (may read blobs). */
  summarize(run: ExperimentRun<C>, store: ResultStore): Promise<S>;
  /** Renders the terminal summary table from a summary. */
  table(summary: S): string;
  /** Selectable parameters of the run page (e.g. level for Fig 5B/C). */
  parameters(run: ExperimentRun<C>): PanelParameter[];
  /** Dashboard panels from unit metrics only (never blobs), for the given parameter values. */
  panels(run: ExperimentRun<C>, units: UnitEntry[], params: Record<string, number>): Panel[];
  /**
   * The papers' findings this experiment's runs test (`experiments/<family>/claims.ts`, each an
   * entry of experiments/claims_catalogue.ts plus its `evaluate`); read by the scorecard
   * (`deno task claims`), the terminal summary and the dashboard.
   */
  claims?: Claim<S>[];
}
