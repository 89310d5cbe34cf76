/**
 * The command line shared by every figure task: common flags, run creation or resumption, engine
 * selection, progress bar, interruption handling, `--out` JSON and the closing summary. Tasks in
 * `tasks/` are one-line entries that hand an {@link Experiment} and the arguments to
 * {@link runExperimentCli}, which runs the phases below in order: read the invocation (all bad
 * input is found here, before anything is written), plan the run (new, or resumed from the
 * store), start it (run record, header), execute it (signals, progress), finish it (status,
 * summary, table, `--out`).
 *
 * Reliability (docs/reliability.md): every flag, path and store is checked before anything is
 * written; a run records the arithmetic it is computed in and `--resume` refuses any other; a
 * run is leased while a process works on it; Ctrl-C stops within a second or two at any phase
 * (a second press exits at once) and prints a shell-quoted resume command.
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
import { type InterruptWatch, watchInterrupts } from "./interrupt.ts";
import { Progress } from "./progress.ts";
import { checkResumedEngine, resumeEngineRequest, runProvenance } from "./provenance.ts";
import { writeRunSummary } from "./run_summary.ts";
import { writeRunStatus } from "./run_status.ts";
import { commandLine } from "./shell.ts";
import { formatClaims, runClaims } from "./scorecard.ts";
import { type Engine, EngineUnavailableError } from "../engine/engine.ts";
import {
  type EngineFlags,
  type EngineRequest,
  type EngineSpec,
  parseEngineRequest,
} from "../engine/engine_spec.ts";
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
import { defaultHolder, type HeldLease, holdRunLease } from "../store/store.ts";
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
  {
    name: "preset",
    type: "string",
    value: "NAME",
    help: "default (fast, reduced protocol), paper (the full protocol) or one listed below",
    default: "default",
  },
  {
    name: "networks",
    type: "string",
    value: "N",
    help: "number of networks (lineage pairs / seeds)",
  },
  {
    name: "levels",
    type: "string",
    value: "LIST",
    help: "prune levels, e.g. 0.1,0.3,0.5 (increasing, in (0,1))",
  },
  {
    name: "seed",
    type: "string",
    value: "N",
    help: "master seed (whole number; seed 1 reuses the embedded starting networks)",
    default: "1",
  },
  {
    name: "engine",
    type: "string",
    value: "NAME",
    help: "auto, cpu, webgpu or cpu-f32 (CPU float32 twin of the webgpu arithmetic)",
    default: "auto",
  },
  {
    name: "scg-state",
    type: "string",
    value: "WHERE",
    help: "float32 engines: SCG state on the device or the host",
    default: "device",
  },
  { name: "workers", type: "string", value: "N", help: "CPU worker threads", default: "all cores" },
  {
    name: "cpu-kernel",
    type: "string",
    value: "BUILD",
    help: "CPU kernel build: wasm or js",
    default: "wasm",
  },
  {
    name: "store",
    type: "string",
    value: "PATH",
    help: "results store: a Deno KV file or a postgres:// URL",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  { name: "out", type: "string", value: "FILE", help: "write a JSON summary to this file" },
  { name: "resume", type: "string", value: "RUN_ID", help: "finish an interrupted run by id" },
  {
    name: "max-outer",
    type: "string",
    value: "N",
    help: "cap on outer SCG iterations per training call",
    default: "the preset's",
  },
  {
    name: "scg-steps",
    type: "string",
    value: "N",
    help: "SCG steps per outer iteration",
    default: "K, the parameter count",
  },
  ...DETACH_FLAGS,
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

/**
 * The common flags with the defaults of `experiment`'s default preset filled in where the config
 * has the field (`networks`, `levels`).
 */
function commonFlagsOf(experiment: Pick<Experiment, "presets">): FlagSpec[] {
  const preset: object = experiment.presets.default;
  return COMMON_FLAGS.map((f) => {
    if (f.default !== undefined || (f.name !== "networks" && f.name !== "levels")) return f;
    const v: unknown = Reflect.get(preset, f.name);
    const shown = Array.isArray(v) ? v.join(",") : typeof v === "number" ? String(v) : undefined;
    return shown === undefined ? f : { ...f, default: shown };
  });
}

/** Usage text of a figure task. */
export function usage(
  experiment: Pick<Experiment, "id" | "title" | "flags" | "presetHelp" | "presets">,
): string {
  const presets = Object.entries(experiment.presetHelp ?? {});
  return [
    `prunelab ${experiment.id}: ${experiment.title}`,
    "",
    "Flags:",
    flagHelp([...commonFlagsOf(experiment), ...experiment.flags]),
    ...(presets.length > 0
      ? ["", "Further presets:", ...presets.map(([name, text]) => `  --preset ${name}: ${text}`)]
      : []),
  ].join("\n");
}

export { writeJsonAtomic } from "./fs.ts";

/** Options of {@link runExperimentCli} (tests inject output streams). */
export interface CliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
  /**
   * Whether this run watches the process's SIGINT / SIGTERM (Ctrl-C stops it, a second press
   * exits the process). Default: "watch" for the process's own command line (no options given),
   * "ignore" for a caller that embeds the CLI (passes output printers or a signal: tests sharing
   * a process, a worker loop), which must not swallow the process's signals.
   */
  signals?: "watch" | "ignore";
  /**
   * How a user runs this experiment, for the commands the CLI prints (how to resume):
   * default `deno task <id>`; the single binary passes `prunelab <id>`.
   */
  command?: string;
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
async function readInvocation(flags: Record<string, FlagValue>): Promise<Invocation> {
  const engine = parseEngineRequest(engineFlagsOf(flags));
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

/**
 * The lease time to live: `PRUNELAB_LEASE_TTL_MS` when set (tests; machines whose pauses exceed
 * the default), else the store's default (60 s).
 */
function leaseTtlMs(): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get("PRUNELAB_LEASE_TTL_MS");
  } catch {
    return undefined;
  }
  const ms = Number(text);
  return text !== undefined && Number.isInteger(ms) && ms >= 100 ? ms : undefined;
}

/** A run this process works on: the units already finished and the lease it holds. */
interface StartedRun {
  /** Keys (joined with "/") of the units already stored. */
  finished: Set<string>;
  /** The run's lease, held (and renewed) until the run ends. */
  lease: HeldLease;
}

/**
 * Takes the run's lease (a `--resume` of a run another live process works on is refused, naming
 * it) and writes the run record (new: with the arithmetic it is computed in) or marks it running
 * again (resume).
 */
async function startRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { engine: Engine; spec: EngineSpec; out: Output; storePath: string },
): Promise<StartedRun> {
  const { store, config, runId } = plan;
  const total = experiment.totalUnits(config);
  const finished = new Set<string>();
  const holder = `${defaultHolder()} since ${new Date().toISOString()}`;
  const ttlMs = leaseTtlMs();
  if (plan.resumed) {
    const lease = await holdRunLease(store, runId, { holder, ttlMs });
    for (const u of await store.listUnits(runId)) finished.add(u.key.join("/"));
    await store.updateRun(runId, {
      status: "running",
      progress: { done: finished.size, total },
      message: undefined,
    });
    at.out.print(`resuming run ${runId}: ${finished.size}/${total} units already stored`);
    return { finished, lease };
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
    ...runProvenance(at.engine, at.spec),
    versions: runtimeVersions(),
    startedAt: now,
    updatedAt: now,
    status: "running",
    progress: { done: 0, total },
  });
  const lease = await holdRunLease(store, runId, { holder, ttlMs });
  at.out.print(`run id: ${runId} (store: ${redactLocation(at.storePath)})`);
  return { finished, lease };
}

/** How a run ended. */
export interface Outcome {
  /** How it ended. */
  status: "done" | "failed" | "interrupted";
  /** Why it failed, or a note. */
  message?: string;
  /** Set when the run's lease was lost: another process works on it now, so leave its record. */
  leaseLost?: boolean;
}

/** Options of {@link executeRun}. */
export interface ExecuteOptions {
  /** The engine. */
  engine: Engine;
  /** Keys (joined with "/") of the units already stored. */
  finished: Set<string>;
  /** No progress output. */
  quiet: boolean;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
  /** Restricts the run to these networks (a worker computing one work unit). */
  networks?: NetworkRange;
  /** The process's CPU threads (`--workers`), for the run's own threads: {@link RunContext}. */
  workers?: number;
  /** The run's lease: when it is lost (another process took the run over) the run stops. */
  lease?: HeldLease;
  /**
   * Process signals. "watch" (default): the first Ctrl-C or SIGTERM stops the run (within about a
   * second, at any phase), a second one exits the process at once after `onExitNow`. "ignore":
   * the caller handles them and aborts through `signal`.
   */
  signals?: "watch" | "ignore";
  /**
   * A watch of the process's signals the caller started (and stops after it has recorded the
   * outcome, so a press while it does so still counts); replaces `signals` / `onExitNow`.
   */
  interrupts?: InterruptWatch;
  /** Quick, best-effort cleanup before a second Ctrl-C ends the process (mark the run, say how to resume). */
  onExitNow?: () => Promise<void>;
  /**
   * Write the run's live status (phase, ETA, live loss) into its record for the dashboard
   * (default true). Workers turn it off: hundreds of processes computing parts of one run would
   * rewrite that one record every few seconds each, contending for its row.
   */
  liveStatus?: boolean;
}

/**
 * Runs the experiment, with SIGINT/SIGTERM, `at.signal` and a lost lease aborting it; writes the
 * run's live status (phase, ETA, live loss) for the dashboard while it runs.
 */
export async function executeRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: ExecuteOptions,
): Promise<Outcome> {
  const controller = new AbortController();
  const progress = new Progress(experiment.totalUnits(plan.config), {
    alreadyDone: at.finished.size,
    quiet: at.quiet,
  });
  const owned = at.interrupts === undefined && at.signals !== "ignore"
    ? await watchInterrupts({ onExitNow: at.onExitNow })
    : null;
  const watch = at.interrupts ?? owned;
  const onInterrupt = (): void =>
    progress.log(
      `${messageOf(watch?.signal.reason)}: stopping; every finished unit and training ` +
        `iteration is kept (press Ctrl-C again to exit at once)`,
    );
  watch?.signal.addEventListener("abort", onInterrupt);
  const sources = [watch?.signal, at.signal, at.lease?.lost].filter((s) => s !== undefined);
  const onAbort = (ev: Event): void => {
    if (ev.target instanceof AbortSignal) controller.abort(ev.target.reason);
  };
  for (const s of sources) {
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener("abort", onAbort);
  }
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
    ...(at.workers !== undefined ? { workers: at.workers } : {}),
  };
  const status = at.liveStatus === false
    ? null
    : writeRunStatus(plan.store, plan.runId, { progress });
  try {
    await experiment.run(ctx);
    progress.finish();
    return { status: "done" };
  } catch (err) {
    progress.finish({ stopped: true });
    if (at.lease?.lost.aborted) {
      return {
        status: "interrupted",
        message: `stopped: ${messageOf(at.lease.lost.reason)}`,
        leaseLost: true,
      };
    }
    if (controller.signal.aborted) {
      return { status: "interrupted", message: "interrupted; finished units are kept" };
    }
    return { status: "failed", message: messageOf(err) };
  } finally {
    await status?.stop();
    owned?.stop();
    watch?.signal.removeEventListener("abort", onInterrupt);
    for (const s of sources) s.removeEventListener("abort", onAbort);
  }
}

/** The first line of an error's message. */
function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/** The command that resumes run `runId` (shell-quoted: a store path may hold spaces). */
function resumeCommand(
  experiment: Pick<Experiment, "id">,
  at: { runId: string; inv: Invocation; command?: string },
): string {
  const store = stringFlag(at.inv.flags, "store");
  return commandLine(at.command ?? `deno task ${experiment.id}`, [
    "--resume",
    at.runId,
    ...(store !== undefined ? ["--store", store] : []),
  ]);
}

/** Records the outcome; prints how to resume, the failure, or the summary table. */
async function finishRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { outcome: Outcome; inv: Invocation; out: Output; command?: string },
): Promise<number> {
  const { store, runId } = plan;
  const { outcome, out } = at;
  const { flags, storePath } = at.inv;
  if (outcome.leaseLost) {
    out.printError(`error: run ${runId} ${outcome.message}`);
    return EXIT.failed;
  }
  const run = await store.updateRun(runId, {
    status: outcome.status,
    ...(outcome.status === "done" ? { endedAt: new Date().toISOString() } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
    // The live status is for running runs only.
    phase: undefined,
    eta: undefined,
    liveLoss: undefined,
  });
  if (outcome.status === "interrupted") {
    out.printError(
      `interrupted: ${run.progress.done}/${run.progress.total} units kept. Finish with: ` +
        resumeCommand(experiment, { runId, inv: at.inv, command: at.command }),
    );
    return EXIT.interrupted;
  }
  if (outcome.status === "failed") {
    out.printError(`error: run ${runId} failed: ${outcome.message}`);
    return EXIT.failed;
  }
  const outPath = stringFlag(flags, "out");
  const summary = await writeRunSummary(experiment, run, { store, out: outPath });
  out.print("");
  out.print(experiment.table(summary));
  // The papers' findings this run tests, judged by the scorecard's one rule (deno task claims).
  const claims = formatClaims(runClaims(experiment, summary, { run }));
  if (claims) out.print(`\n${claims}`);
  out.print("");
  out.print(
    `results: run ${runId} in ${redactLocation(storePath)}` +
      (outPath !== undefined ? `; JSON summary in ${outPath}` : ""),
  );
  const storeFlag = stringFlag(flags, "store");
  out.print(
    `next: ${
      commandLine("deno task serve", storeFlag !== undefined ? ["--store", storeFlag] : [])
    }  ` +
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

/**
 * A second Ctrl-C: marks the run interrupted, releases its lease and prints how to resume, each
 * step best effort (the process exits right after, whatever is left).
 */
async function exitNow<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { lease: HeldLease; inv: Invocation; out: Output; command?: string },
): Promise<void> {
  at.out.printError(
    `interrupted again: exiting now; units stored so far are kept. Finish with: ` +
      resumeCommand(experiment, { runId: plan.runId, inv: at.inv, command: at.command }),
  );
  await plan.store.updateRun(plan.runId, {
    status: "interrupted",
    message: "interrupted; finished units are kept",
    phase: undefined,
    eta: undefined,
    liveLoss: undefined,
  }).catch(() => {});
  await at.lease.release().catch(() => {});
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
    const { engine, spec, reason } = await selectEngine(plan.engine ?? inv.engine);
    let lease: HeldLease | null = null;
    let interrupts: InterruptWatch | null = null;
    try {
      if (plan.resumed) checkResumedEngine(plan.resumed, engine);
      const { config } = plan;
      out.print(`${experiment.id}: ${experiment.title}`);
      out.print(
        `config: ${experiment.describe(config)}${config.reduced ? "  [REDUCED PROTOCOL]" : ""}`,
      );
      out.print(
        `engine: ${engine.name} (${engine.description}); ` +
          (plan.resumed ? `the run's own arithmetic (${engine.arithmetic})` : reason),
      );
      const notices = plan.resumed
        ? []
        : await experiment.notices?.(config, { seed: plan.seed, store: plan.store, engine });
      for (const notice of notices ?? []) out.printError(`notice: ${notice}`);
      const started = await startRun(experiment, plan, {
        engine,
        spec,
        out,
        storePath: inv.storePath,
      });
      lease = started.lease;
      const held = started.lease;
      const signals = options.signals ??
        (options.print || options.printError || options.signal ? "ignore" : "watch");
      // Watched until the outcome is recorded: a second press while finishing still exits.
      interrupts = signals === "watch"
        ? await watchInterrupts({
          onExitNow: () =>
            exitNow(experiment, plan, { lease: held, inv, out, command: options.command }),
        })
        : null;
      const outcome = await executeRun(experiment, plan, {
        engine,
        finished: started.finished,
        quiet: Boolean(flags.quiet),
        signal: options.signal,
        signals: "ignore",
        ...(interrupts ? { interrupts } : {}),
        lease: held,
        workers: spec.engine === "webgpu" ? undefined : spec.workers,
      });
      await held.release();
      lease = null;
      return await finishRun(experiment, plan, { outcome, inv, out, command: options.command });
    } finally {
      await lease?.release().catch(() => {});
      await engine.close();
      interrupts?.stop();
    }
  } catch (err) {
    return reportError(err, out.printError);
  } finally {
    await store?.close();
  }
}
