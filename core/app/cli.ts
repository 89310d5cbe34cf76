/**
 * The command line shared by every figure task: common flags, run creation or resumption, engine
 * selection, progress bar, interruption handling, `--out` JSON and the closing summary. Tasks in
 * `tasks/` are one-line entries that hand an {@link Experiment} and the arguments to
 * {@link runExperimentCli}, which runs the phases below in order: read the invocation (all bad
 * input is found here, before anything is written), plan the run (new, or resumed from the
 * store), start it (run record, header), execute it (signals, progress), finish it (status,
 * summary, table, `--out`).
 *
 * @module
 */
import { flagHelp, type FlagSpec, type FlagValue, parseFlags, stringFlag } from "./args.ts";
import {
  type BaseConfig,
  type Experiment,
  experimentRun,
  jsonRecord,
  type NetworkRange,
  type RunContext,
  UsageError,
} from "./experiment.ts";
import { parseIntFlag } from "./flags.ts";
import { outPathProblem, pathExists } from "./fs.ts";
import { Progress } from "./progress.ts";
import { type Engine, EngineUnavailableError } from "../engine/engine.ts";
import { type EngineRequest, parseEngineRequest } from "../engine/engine_spec.ts";
import { selectEngine } from "../engine/select.ts";
import {
  isPostgresLocation,
  newRunId,
  openStore,
  redactLocation,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  type RunRecord,
  StoreError,
} from "../store/store.ts";
import { runtimeVersions } from "./version.ts";
import {
  DETACH_FLAGS,
  detachedEngine,
  detachedRunRecord,
  detachOptions,
  planWork,
} from "./work_units.ts";

/** Flags every figure task accepts. */
export const COMMON_FLAGS: readonly FlagSpec[] = Object.freeze([
  { name: "preset", type: "string", help: "default (fast, reduced protocol) or paper" },
  { name: "networks", type: "string", help: "number of networks (lineage pairs / seeds)" },
  {
    name: "levels",
    type: "string",
    help: "prune levels, e.g. 0.1,0.3,0.5 (increasing, in (0,1))",
  },
  { name: "seed", type: "string", help: "master seed (whole number, default 1)" },
  {
    name: "engine",
    type: "string",
    help: "auto, cpu, webgpu or cpu-f32 (CPU float32 twin of the webgpu arithmetic); default auto",
  },
  {
    name: "scg-state",
    type: "string",
    help: "float32 engines: SCG state on the device (default) or the host (as before)",
  },
  { name: "workers", type: "string", help: "CPU worker threads (default: all cores)" },
  { name: "cpu-kernel", type: "string", help: "CPU kernel build: wasm (default) or js" },
  {
    name: "store",
    type: "string",
    help:
      "results store: a Deno KV file or a postgres:// URL (default $PRUNELAB_STORE or prunelab.kv)",
  },
  { name: "out", type: "string", help: "write a JSON summary to this file" },
  { name: "resume", type: "string", help: "finish an interrupted run by id" },
  { name: "max-outer", type: "string", help: "cap on outer SCG iterations per training call" },
  { name: "scg-steps", type: "string", help: "SCG steps per outer iteration (default K)" },
  ...DETACH_FLAGS,
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

/** Usage text of a figure task. */
export function usage(
  experiment: Pick<Experiment, "id" | "title" | "flags" | "presetHelp">,
): string {
  const presets = Object.entries(experiment.presetHelp ?? {});
  return [
    `prunelab ${experiment.id}: ${experiment.title}`,
    "",
    "Flags:",
    flagHelp([...COMMON_FLAGS, ...experiment.flags]),
    ...(presets.length > 0
      ? ["", "Further presets:", ...presets.map(([name, text]) => `  --preset ${name}: ${text}`)]
      : []),
  ].join("\n");
}

/** Writes JSON to `path` through a temporary file, so a reader never sees half of it. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 1) + "\n");
  await Deno.rename(tmp, path);
}

/** Options of {@link runExperimentCli} (tests inject output streams). */
export interface CliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
}

/** Where the CLI writes. */
export interface Output {
  /** Prints a line of normal output. */
  print(line: string): void;
  /** Prints a line of error output. */
  printError(line: string): void;
}

/** The command line, checked: flags, the engine asked for, where results go. */
interface Invocation {
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
}

/** Reads the flags that every run checks before anything is written. */
async function readInvocation(flags: Record<string, FlagValue>): Promise<Invocation> {
  const engine = parseEngineRequest({
    engine: flags.engine,
    cpuKernel: flags["cpu-kernel"],
    scgState: flags["scg-state"],
    workers: flags.workers,
  });
  const out = stringFlag(flags, "out");
  const problem = out === undefined ? null : await outPathProblem(out);
  if (problem) throw new UsageError(problem);
  const detach = detachOptions(flags);
  return { flags, engine, storePath: resolveStoreLocation(stringFlag(flags, "store")), detach };
}

/** A `--resume` plan: the stored run, checked to be an unfinished run of this experiment. */
async function planResume<C extends BaseConfig, S extends object>(
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
    return { store, config, seed: resumed.seed, runId: id, resumed };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * A new run's plan: the preset with the flags applied (and checked against the store by the
 * experiment's `prepare`, when it has one), the seed, a fresh id.
 */
async function planNew<C extends BaseConfig, S extends object>(
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

/** Writes the run record (new) or marks it running again (resume); returns the finished units. */
async function startRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { engine: Engine; out: Output; storePath: string },
): Promise<Set<string>> {
  const { store, config, runId } = plan;
  const total = experiment.totalUnits(config);
  const finished = new Set<string>();
  if (plan.resumed) {
    for (const u of await store.listUnits(runId)) finished.add(u.key.join("/"));
    await store.updateRun(runId, {
      status: "running",
      progress: { done: finished.size, total },
      message: undefined,
    });
    at.out.print(`resuming run ${runId}: ${finished.size}/${total} units already stored`);
    return finished;
  }
  const now = new Date().toISOString();
  await store.createRun({
    id: runId,
    figure: experiment.id,
    preset: config.preset,
    reduced: config.reduced,
    config: jsonRecord(config),
    seed: plan.seed,
    engine: at.engine.name,
    engineDescription: at.engine.description,
    versions: runtimeVersions(),
    startedAt: now,
    updatedAt: now,
    status: "running",
    progress: { done: 0, total },
  });
  at.out.print(`run id: ${runId} (store: ${at.storePath})`);
  return finished;
}

/** How a run ended. */
export interface Outcome {
  /** How it ended. */
  status: "done" | "failed" | "interrupted";
  /** Why it failed, or a note. */
  message?: string;
}

/**
 * Runs the experiment with SIGINT/SIGTERM (and `options.signal`) aborting it; `at.networks`
 * restricts it to those networks (a worker computing one work unit).
 */
export async function executeRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: {
    engine: Engine;
    finished: Set<string>;
    quiet: boolean;
    signal?: AbortSignal;
    networks?: NetworkRange;
  },
): Promise<Outcome> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error("interrupted"));
  at.signal?.addEventListener("abort", onSignal);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const progress = new Progress(experiment.totalUnits(plan.config), {
    alreadyDone: at.finished.size,
    quiet: at.quiet,
  });
  const ctx: RunContext<C> = {
    runId: plan.runId,
    config: plan.config,
    seed: plan.seed,
    engine: at.engine,
    store: plan.store,
    finished: at.finished,
    progress,
    signal: controller.signal,
    log: (m) => progress.log(m),
    ...(at.networks ? { networks: at.networks } : {}),
  };
  try {
    await experiment.run(ctx);
    progress.finish();
    return { status: "done" };
  } catch (err) {
    progress.finish();
    if (controller.signal.aborted) {
      return { status: "interrupted", message: "interrupted; finished units are kept" };
    }
    return { status: "failed", message: err instanceof Error ? err.message : String(err) };
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    at.signal?.removeEventListener("abort", onSignal);
  }
}

/** Records the outcome; prints how to resume, the failure, or the summary table. */
async function finishRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { outcome: Outcome; inv: Invocation; out: Output },
): Promise<number> {
  const { store, runId } = plan;
  const { outcome, out } = at;
  const { flags, storePath } = at.inv;
  const run = await store.updateRun(runId, {
    status: outcome.status,
    ...(outcome.status === "done" ? { endedAt: new Date().toISOString() } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
  });
  if (outcome.status === "interrupted") {
    out.printError(
      `interrupted: ${run.progress.done}/${run.progress.total} units kept. ` +
        `Finish with: deno task ${experiment.id} --resume ${runId}` +
        (flags.store ? ` --store ${flags.store}` : ""),
    );
    return EXIT.interrupted;
  }
  if (outcome.status === "failed") {
    out.printError(`error: run ${runId} failed: ${outcome.message}`);
    return EXIT.failed;
  }
  const summary = await experiment.summarize(experimentRun<C>(run), store);
  const outPath = stringFlag(flags, "out");
  if (outPath !== undefined) await writeJsonAtomic(outPath, summary);
  out.print("");
  out.print(experiment.table(summary));
  out.print("");
  out.print(
    `results: run ${runId} in ${storePath}` +
      (outPath !== undefined ? `; JSON summary in ${outPath}` : ""),
  );
  out.print(
    `next: deno task serve${flags.store ? ` --store ${flags.store}` : ""}  ` +
      `(dashboard at http://127.0.0.1:8000/#/run/${runId})`,
  );
  return EXIT.ok;
}

/**
 * `--detach`: writes the run record with its work units (nothing is computed here), prints the
 * run id (alone with `--quiet`, for scripts) and how workers compute it.
 */
async function detachRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { inv: Invocation; out: Output; networksPerUnit: number },
): Promise<number> {
  const { out, inv } = at;
  const engine = await detachedEngine(inv.engine);
  const work = planWork(experiment, plan.config, { networksPerUnit: at.networksPerUnit });
  const run = detachedRunRecord(experiment, { ...plan, engine, units: work.length });
  await plan.store.createRun(run, { work });
  if (inv.flags.quiet) {
    out.print(plan.runId);
    return EXIT.ok;
  }
  const where = redactLocation(inv.storePath);
  out.print(`${experiment.id}: ${experiment.title}`);
  out.print(`config: ${experiment.describe(plan.config)}`);
  out.print(`run id: ${plan.runId} (store: ${where})`);
  out.print(
    `detached: ${work.length} work unit(s), arithmetic ${run.arithmetic}; nothing is computed ` +
      `until workers run, on any number of machines:`,
  );
  out.print(`  deno task worker --store ${where} --run ${plan.runId}`);
  out.print(`progress: deno task runs show ${plan.runId} --store ${where}`);
  return EXIT.ok;
}

/** The exit code of an error, printed as one `error:` line. */
export function reportError(err: unknown, printError: (line: string) => void): number {
  if (
    err instanceof UsageError || err instanceof StoreError || err instanceof EngineUnavailableError
  ) {
    printError(`error: ${err.message}`);
    return EXIT.usage;
  }
  printError(`error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  return EXIT.failed;
}

/**
 * Runs a figure task from command-line arguments; returns the process exit code. Bad input prints
 * one line `error: ...` and returns 2 before anything is written.
 */
export async function runExperimentCli<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  args: string[],
  options: CliOptions = {},
): Promise<number> {
  const out: Output = {
    print: options.print ?? ((l: string) => console.log(l)),
    printError: options.printError ?? ((l: string) => console.error(l)),
  };
  let store: ResultStore | null = null;
  try {
    const { flags } = parseFlags([...COMMON_FLAGS, ...experiment.flags], args);
    if (flags.help) {
      out.print(usage(experiment));
      return EXIT.ok;
    }
    const inv = await readInvocation(flags);
    const resume = stringFlag(flags, "resume");
    const plan = resume !== undefined
      ? await planResume(experiment, inv, resume)
      : await planNew(experiment, inv);
    store = plan.store;
    if (inv.detach) {
      return await detachRun(experiment, plan, { inv, out, ...inv.detach });
    }
    const { engine, reason } = await selectEngine(inv.engine);
    try {
      const { config } = plan;
      out.print(`${experiment.id}: ${experiment.title}`);
      out.print(
        `config: ${experiment.describe(config)}${config.reduced ? "  [REDUCED PROTOCOL]" : ""}`,
      );
      out.print(`engine: ${engine.name} (${engine.description}); ${reason}`);
      const finished = await startRun(experiment, plan, { engine, out, storePath: inv.storePath });
      const outcome = await executeRun(experiment, plan, {
        engine,
        finished,
        quiet: Boolean(flags.quiet),
        signal: options.signal,
      });
      return await finishRun(experiment, plan, { outcome, inv, out });
    } finally {
      await engine.close();
    }
  } catch (err) {
    return reportError(err, out.printError);
  } finally {
    await store?.close();
  }
}
