/**
 * `deno task worker` / `prunelab worker`: computes the work units of detached runs (`--detach`),
 * on any number of machines sharing one store (docs/cluster.md). A worker leases a unit, renews
 * the lease from a heartbeat thread while it computes (`worker_beat.ts`), stores the unit's results
 * as the experiment produces them, and marks the unit done; the worker that finishes a run's last
 * unit marks the run done. A worker killed mid-unit stops renewing: its lease expires and another
 * worker takes the unit over, skipping what was already stored (the same resume as `--resume`).
 *
 * With `--run ID` it serves that run and exits 0 once the run is finished (1 if it failed);
 * without, it serves every running run, oldest first, until Ctrl-C (or `--idle-exit`). Ctrl-C
 * gives the current unit back at once (its stored results are kept) and exits 130.
 *
 * @module
 */
import { flagHelp, type FlagSpec, type FlagValue, parseFlags, stringFlag } from "./args.ts";
import { EXIT, type Output, outputOf, reportError } from "./cli_output.ts";
import { executeRun, type Outcome } from "./execute_run.ts";
import { type BaseConfig, type Experiment, experimentRun, UsageError } from "./experiment.ts";
import { parseIntFlag, parseNumberFlag } from "./flags.ts";
import { formatDuration } from "./progress.ts";
import { type InterruptWatch, watchInterrupts } from "./interrupt.ts";
import { WorkHeartbeat } from "./worker_beat.ts";
import { describeWork, readWorkSpec, runEngineSpec } from "./work_units.ts";
import type { Engine } from "../engine/engine.ts";
import { arithmeticId, type EngineSpec } from "../engine/engine_spec.ts";
import { createEngine } from "../engine/select.ts";
import {
  countWork,
  DEFAULT_LEASE_TTL_MS,
  defaultHolder,
  openStore,
  redactLocation,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  type RunRecord,
  StoreError,
  type WorkCounts,
  type WorkLease,
} from "../store/store.ts";

/** Leases a unit may take before an error in it fails the run (a crash may be transient). */
export const MAX_UNIT_ATTEMPTS = 3;

/** The worker's flags. */
export const WORKER_FLAGS: readonly FlagSpec[] = Object.freeze([
  {
    name: "store",
    type: "string",
    help: "results store: a postgres:// URL (or a Deno KV file on this machine)",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  {
    name: "run",
    type: "string",
    value: "ID",
    help: "serve only this run; exit when it is finished",
  },
  {
    name: "workers",
    type: "string",
    help: "CPU worker threads of the engine (default: all cores)",
  },
  {
    name: "lease-ttl",
    type: "string",
    value: "SECONDS",
    help: "lease time to live: a dead worker's unit goes to another worker after it",
    default: String(DEFAULT_LEASE_TTL_MS / 1000),
  },
  {
    name: "poll",
    type: "string",
    value: "SECONDS",
    help: "when there is nothing to lease, look again after this long",
    default: "5",
  },
  {
    name: "idle-exit",
    type: "string",
    value: "SECONDS",
    help: "without --run: exit 0 after this long with nothing to lease (default: never)",
  },
  { name: "quiet", type: "boolean", help: "no progress bar (unit lines still print)" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** The worker's command line, checked. */
interface WorkerInvocation {
  storePath: string;
  runId?: string;
  workers?: number;
  ttlMs: number;
  pollMs: number;
  idleMs: number | null;
  quiet: boolean;
}

/** Usage text of the worker. */
export function workerUsage(): string {
  return [
    "prunelab worker: computes the work units of detached runs (fig5 ... --detach)",
    "",
    "Usage: deno task worker --store postgres://user@host/db [--run ID] [--workers N]",
    "",
    "Flags:",
    flagHelp(WORKER_FLAGS),
  ].join("\n");
}

/** A duration flag in seconds, as milliseconds. */
function seconds(
  flags: Record<string, FlagValue>,
  name: string,
  fallback: number | null,
): number | null {
  const v = stringFlag(flags, name);
  if (v === undefined) return fallback;
  return Math.round(parseNumberFlag(name, v, { min: 0.05, max: 86400 * 7 }) * 1000);
}

function readWorkerInvocation(flags: Record<string, FlagValue>): WorkerInvocation {
  const runId = stringFlag(flags, "run");
  if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) {
    throw new UsageError(`--run: '${runId}' is not a run id`);
  }
  const workers = stringFlag(flags, "workers");
  const idleMs = seconds(flags, "idle-exit", null);
  if (idleMs !== null && runId !== undefined) {
    throw new UsageError(
      "--idle-exit applies without --run (with --run the worker exits when the run is finished)",
    );
  }
  return {
    storePath: resolveStoreLocation(stringFlag(flags, "store")),
    ...(runId !== undefined ? { runId } : {}),
    ...(workers !== undefined
      ? { workers: parseIntFlag("workers", workers, { min: 0, max: 256 }) }
      : {}),
    ttlMs: seconds(flags, "lease-ttl", DEFAULT_LEASE_TTL_MS) ?? DEFAULT_LEASE_TTL_MS,
    pollMs: seconds(flags, "poll", 5000) ?? 5000,
    idleMs,
    quiet: Boolean(flags.quiet),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Marks a run done (every unit done) or failed (nothing left to compute and some unit failed);
 * returns its status, or null while units remain. Safe to repeat: whichever worker sees the last
 * unit finish settles the run, and a worker that finds the units finished but the run still
 * running (its finisher died in between) settles it too.
 */
async function settleRun(
  store: ResultStore,
  runId: string,
  counts: WorkCounts,
): Promise<string | null> {
  if (counts.total === 0 || counts.open + counts.leased > 0) return null;
  if (counts.failed > 0) {
    const errors = (await store.listWork(runId)).filter((u) => u.state === "failed");
    await store.updateRun(runId, {
      status: "failed",
      message: `${counts.failed} work unit(s) failed; unit ${errors[0]?.index}: ${
        errors[0]?.error
      }`,
    });
    return "failed";
  }
  const run = await store.getRun(runId);
  if (run && run.status !== "done") {
    await store.updateRun(runId, { status: "done", endedAt: new Date().toISOString() });
  }
  return "done";
}

/** Engines by spec, built once per worker (a worker pool takes a while to start). */
class Engines {
  #byKey = new Map<string, Engine>();

  async get(spec: EngineSpec): Promise<Engine> {
    const key = JSON.stringify(spec);
    let engine = this.#byKey.get(key);
    if (!engine) {
      engine = await createEngine(spec);
      this.#byKey.set(key, engine);
    }
    return engine;
  }

  async close(): Promise<void> {
    for (const e of this.#byKey.values()) await e.close();
    this.#byKey.clear();
  }
}

/** What the worker holds while it serves. */
interface Serving {
  store: ResultStore;
  beat: WorkHeartbeat;
  engines: Engines;
  experiments: Readonly<Record<string, Experiment>>;
  inv: WorkerInvocation;
  out: Output;
  /** Aborted by the first Ctrl-C or SIGTERM (or the caller's signal). */
  stop: AbortSignal;
  /** The process's signal watch, shared by every unit. */
  interrupts: InterruptWatch;
  /** The unit being computed, so a second Ctrl-C can still give it back. */
  current: WorkLease | null;
  /** Runs this worker cannot compute (another engine or arithmetic): never leased again. */
  skipped: Set<string>;
}

/** How computing one unit ended for the loop. */
type UnitEnd = "next" | "interrupted";

/** Computes one leased unit and records how it ended. */
async function computeUnit(s: Serving, lease: WorkLease): Promise<UnitEnd> {
  const { store, out } = s;
  const run = await store.getRun(lease.runId);
  if (!run) return "next"; // deleted while we leased it; its units went with it
  const experiment = s.experiments[run.figure];
  const tag = `unit ${lease.index} of ${run.id}`;
  if (!experiment) {
    return await failUnit(s, lease, `this prunelab has no experiment '${run.figure}'`, true);
  }
  let engine: Engine;
  try {
    engine = await engineFor(s, run);
  } catch (err) {
    await store.finishWork(lease, { state: "open" });
    if (s.inv.runId !== undefined) throw err;
    s.skipped.add(run.id);
    out.printError(`skipping run ${run.id}: ${err instanceof Error ? err.message : String(err)}`);
    return "next";
  }
  const spec = readWorkSpec(lease.spec);
  const finished = new Set((await store.unitKeys(run.id)).map((k) => k.join("/")));
  out.print(`${tag} (${describeWork(spec)}), attempt ${lease.attempts}: computing`);
  const t0 = performance.now();
  s.beat.hold(lease);
  s.current = lease;
  let outcome: Outcome;
  try {
    outcome = await executeRun(experiment, {
      store,
      config: experimentRun<BaseConfig>(run).config,
      seed: run.seed,
      runId: run.id,
      resumed: run,
    }, {
      engine,
      finished,
      quiet: s.inv.quiet,
      signal: AbortSignal.any([s.stop, s.beat.lost]),
      interrupts: s.interrupts,
      liveStatus: false,
      ...(spec.networks ? { networks: spec.networks } : {}),
      workers: s.inv.workers,
    });
  } finally {
    await s.beat.drop();
  }
  s.current = null;
  const took = formatDuration((performance.now() - t0) / 1000);
  if (s.beat.lost.aborted) {
    out.printError(`${tag}: lease lost (another worker took it over); moving on`);
    return "next";
  }
  if (outcome.status === "interrupted") {
    await store.finishWork(lease, { state: "open", error: "given back by an interrupted worker" });
    out.printError(`interrupted: ${tag} given back after ${took}; its stored results are kept`);
    return "interrupted";
  }
  if (outcome.status === "failed") {
    const final = lease.attempts >= MAX_UNIT_ATTEMPTS;
    return await failUnit(s, lease, outcome.message ?? "failed", final);
  }
  let counts: WorkCounts;
  try {
    counts = await store.finishWork(lease, { state: "done" });
  } catch (err) {
    if (err instanceof StoreError && err.kind === "conflict") {
      out.printError(`${tag}: computed, but ${err.message}`);
      return "next";
    }
    throw err;
  }
  const status = await settleRun(store, run.id, counts);
  out.print(
    `${tag}: done in ${took}; run ${counts.done}/${counts.total} units done` +
      (status === "done" ? `; run ${run.id} finished` : ""),
  );
  return "next";
}

/** Gives a unit back with its error, or fails it (and, when nothing is left, its run). */
async function failUnit(
  s: Serving,
  lease: WorkLease,
  message: string,
  final: boolean,
): Promise<UnitEnd> {
  const counts = await s.store.finishWork(lease, {
    state: final ? "failed" : "open",
    error: message,
  });
  s.out.printError(
    `error: unit ${lease.index} of ${lease.runId} failed (attempt ${lease.attempts} of ` +
      `${MAX_UNIT_ATTEMPTS}${final ? ", giving up" : ", will be retried"}): ${message}`,
  );
  if (final) await settleRun(s.store, lease.runId, counts);
  return "next";
}

/** The engine of a run on this worker, refusing one whose arithmetic this machine cannot give. */
async function engineFor(s: Serving, run: RunRecord): Promise<Engine> {
  const spec = runEngineSpec(run, s.inv.workers !== undefined ? { workers: s.inv.workers } : {});
  const engine = await s.engines.get(spec);
  if (run.arithmetic !== undefined && engine.arithmetic !== run.arithmetic) {
    throw new UsageError(
      `run ${run.id} uses arithmetic ${run.arithmetic}, this machine's ${spec.engine} engine ` +
        `computes ${engine.arithmetic} (asked for ${arithmeticId(spec)})`,
    );
  }
  return engine;
}

/** With `--run`: the run's state when nothing can be leased (null: units are still leased). */
async function runState(
  store: ResultStore,
  runId: string,
): Promise<{ code: number; line: string } | null> {
  const run = await store.getRun(runId);
  if (!run) return { code: EXIT.failed, line: `error: run ${runId} was deleted` };
  const counts = countWork(await store.listWork(runId));
  const status = run.status === "running" ? await settleRun(store, runId, counts) : run.status;
  if (status === "done") return { code: EXIT.ok, line: `run ${runId} is finished` };
  if (status === null) return null;
  const why = (await store.getRun(runId))?.message ?? status;
  return { code: EXIT.failed, line: `error: run ${runId} ${status}: ${why}` };
}

/** Checks `--run` before serving: the run exists and was detached. */
async function checkRun(store: ResultStore, runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (!run) throw new UsageError(`--run: no run '${runId}' in ${store.location}`);
  if ((await store.listWork(runId)).length === 0) {
    throw new UsageError(
      `--run: run '${runId}' has no work units (it was not started with --detach); ` +
        `finish it with deno task ${run.figure} --resume ${runId}`,
    );
  }
}

/** The serving loop: lease, compute, repeat; returns the exit code. */
async function serve(s: Serving): Promise<number> {
  const { store, inv, out } = s;
  const holder = defaultHolder();
  let idleSince = performance.now();
  while (!s.stop.aborted) {
    const lease = await store.leaseWork({
      holder,
      ttlMs: inv.ttlMs,
      ...(inv.runId !== undefined ? { runId: inv.runId } : {}),
      excludeRuns: [...s.skipped],
    }).catch((err) => {
      // Many workers racing on one KV file: look again after the pause.
      if (err instanceof StoreError && err.kind === "conflict") return null;
      throw err;
    });
    if (lease) {
      if ((await computeUnit(s, lease)) === "interrupted") return EXIT.interrupted;
      idleSince = performance.now();
      continue;
    }
    if (inv.runId !== undefined) {
      const state = await runState(store, inv.runId);
      if (state) {
        (state.code === EXIT.ok ? out.print : out.printError)(state.line);
        return state.code;
      }
    }
    if (inv.idleMs !== null && performance.now() - idleSince >= inv.idleMs) {
      out.print(`nothing to compute for ${formatDuration(inv.idleMs / 1000)}: exiting`);
      return EXIT.ok;
    }
    await pause(inv.pollMs, s.stop);
  }
  out.printError("interrupted: no unit was in progress");
  return EXIT.interrupted;
}

/** Options of {@link runWorkerCli} (tests inject output and a stop signal). */
export interface WorkerCliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
  /** Stops the worker as Ctrl-C would. */
  signal?: AbortSignal;
}

/**
 * Runs a worker from command-line arguments against the given experiments; returns the exit code
 * (0 done or idle, 1 the run failed, 2 bad input, 130 interrupted).
 */
export async function runWorkerCli(
  args: string[],
  experiments: Readonly<Record<string, Experiment>>,
  options: WorkerCliOptions = {},
): Promise<number> {
  const out: Output = outputOf(options);
  let store: ResultStore | null = null;
  let beat: WorkHeartbeat | null = null;
  let interrupts: InterruptWatch | null = null;
  const engines = new Engines();
  try {
    const { flags } = parseFlags(WORKER_FLAGS, args);
    if (flags.help) {
      out.print(workerUsage());
      return EXIT.ok;
    }
    const inv = readWorkerInvocation(flags);
    store = await openStore(inv.storePath, { create: false, maxConnections: 2 });
    if (inv.runId !== undefined) await checkRun(store, inv.runId);
    beat = await WorkHeartbeat.open(inv.storePath);
    const opened = store;
    let state: Serving | null = null;
    // One watch for the worker's life (signals are watched on a thread, see interrupt.ts): the
    // first Ctrl-C stops the unit and gives it back; a second exits at once, giving it back if
    // the store answers within the grace.
    interrupts = await watchInterrupts({
      onExitNow: async () => {
        const current = state?.current;
        if (current) await opened.finishWork(current, { state: "open" });
      },
    });
    out.print(
      `worker ${defaultHolder()}: serving ${inv.runId ?? "every running run"} in ` +
        `${redactLocation(inv.storePath)} (lease ${inv.ttlMs / 1000} s)`,
    );
    state = {
      store,
      beat,
      engines,
      experiments,
      inv,
      out,
      stop: AbortSignal.any([interrupts.signal, ...(options.signal ? [options.signal] : [])]),
      interrupts,
      current: null,
      skipped: new Set(),
    };
    return await serve(state);
  } catch (err) {
    return reportError(err, out.printError);
  } finally {
    interrupts?.stop();
    await engines.close();
    await beat?.close();
    await store?.close();
  }
}
