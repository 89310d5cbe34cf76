/**
 * Planning a figure task's run, before anything is written: {@link readInvocation} checks the
 * flags every run reads (engine, `--out`, store, `--detach`); {@link planResume} finds a stored,
 * unfinished run of the experiment for `--resume`; {@link planNew} resolves a new run's config
 * (preset, flags, the experiment's `prepare`), seed and id. Each returns the opened store in its
 * {@link RunPlan} or closes it on error.
 *
 * @module
 */
import { type FlagValue, stringFlag } from "./args.ts";
import { type BaseConfig, type Experiment, experimentRun, UsageError } from "./experiment.ts";
import { parseIntFlag } from "./flags.ts";
import { outPathProblem, pathExists } from "./fs.ts";
import { resumeEngineRequest } from "./provenance.ts";
import { detachOptions } from "./work_units.ts";
import { type EngineFlags, type EngineRequest, parseEngineRequest } from "../engine/engine_spec.ts";
import {
  isPostgresLocation,
  newRunId,
  openStore,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  type RunRecord,
} from "../store/store.ts";

/** The command line, checked: flags, the engine asked for, where results go. */
export interface Invocation {
  /** Parsed flags. */
  flags: Record<string, FlagValue>;
  /** The engine value of `--engine` and its settings. */
  engine: EngineRequest;
  /** The store location. */
  storePath: string;
  /** `--detach`: networks per work unit; null without it. */
  detach: { networksPerUnit: number } | null;
}

/** A run about to start: its config, seed and id, and the stored record when resumed. */
export interface RunPlan<C> {
  /** The opened store. */
  store: ResultStore;
  /** Resolved config. */
  config: C;
  /** Master seed. */
  seed: number;
  /** Run id. */
  runId: string;
  /** The interrupted run's record (`--resume`), else null. */
  resumed: RunRecord | null;
  /**
   * The engine a resumed run continues with (its own arithmetic, checked against the engine
   * flags); absent: the invocation's engine.
   */
  engine?: EngineRequest;
}

/** The engine flags of a command line. */
function engineFlagsOf(flags: Record<string, FlagValue>): EngineFlags {
  return {
    engine: flags.engine,
    cpuKernel: flags["cpu-kernel"],
    scgState: flags["scg-state"],
    workers: flags.workers,
  };
}

/** Reads the flags that every run checks before anything is written. */
export async function readInvocation(flags: Record<string, FlagValue>): Promise<Invocation> {
  const engine = parseEngineRequest(engineFlagsOf(flags));
  const out = stringFlag(flags, "out");
  const problem = out === undefined ? null : await outPathProblem(out);
  if (problem) throw new UsageError(problem);
  const detach = detachOptions(flags);
  return { flags, engine, storePath: resolveStoreLocation(stringFlag(flags, "store")), detach };
}

/** A `--resume` plan: the stored run, checked to be an unfinished run of this experiment. */
export async function planResume<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  inv: Invocation,
  id: string,
): Promise<RunPlan<C>> {
  const { flags, storePath } = inv;
  if (!RUN_ID_PATTERN.test(id)) throw new UsageError(`--resume: '${id}' is not a run id`);
  const conflicting = ["preset", "networks", "levels", "seed", "max-outer", "scg-steps"]
    .concat(experiment.flags.map((f) => f.name))
    .filter((f) => flags[f] !== undefined);
  if (conflicting.length > 0) {
    throw new UsageError(`--resume takes the run's stored config; drop --${conflicting[0]}`);
  }
  if (!isPostgresLocation(storePath) && !(await pathExists(storePath))) {
    throw new UsageError(`--resume: no run '${id}': store '${storePath}' does not exist`);
  }
  const store = await openStore(storePath, { create: false });
  try {
    const resumed = await store.getRun(id);
    if (!resumed) throw new UsageError(`--resume: no run '${id}' in store '${storePath}'`);
    if (resumed.figure !== experiment.id) {
      throw new UsageError(
        `--resume: run '${id}' is a ${resumed.figure} run, not ${experiment.id}`,
      );
    }
    if (resumed.status === "done") throw new UsageError(`--resume: run '${id}' is already done`);
    const config = experimentRun<C>(resumed).config;
    const engine = await resumeEngineRequest(resumed, {
      flags: engineFlagsOf(flags),
      request: inv.engine,
    });
    return { store, config, seed: resumed.seed, runId: id, resumed, engine };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * A new run's plan: the preset with the flags applied (and checked against the store by the
 * experiment's `prepare`, when it has one), the seed, a fresh id.
 */
export async function planNew<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  inv: Invocation,
): Promise<RunPlan<C>> {
  const { flags } = inv;
  const presetName = String(flags.preset ?? "default");
  if (!Object.hasOwn(experiment.presets, presetName)) {
    const names = Object.keys(experiment.presets).join(", ");
    throw new UsageError(`--preset must be one of ${names}, got '${presetName}'`);
  }
  const config = experiment.configure(structuredClone(experiment.presets[presetName]), flags);
  const seed = flags.seed !== undefined
    ? parseIntFlag("seed", String(flags.seed), { min: 0, max: 4294967295 })
    : 1;
  const runId = newRunId(experiment.id);
  if (!experiment.prepare) {
    return { store: await openStore(inv.storePath), config, seed, runId, resumed: null };
  }
  // The experiment reads the store before anything is written to it, and a missing store is not
  // created just to be found lacking.
  const found = isPostgresLocation(inv.storePath) || await pathExists(inv.storePath);
  const store = found ? await openStore(inv.storePath) : null;
  try {
    const prepared = await experiment.prepare(config, store);
    return {
      store: store ?? await openStore(inv.storePath),
      config: prepared,
      seed,
      runId,
      resumed: null,
    };
  } catch (err) {
    await store?.close();
    throw err;
  }
}
