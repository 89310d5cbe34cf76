/**
 * Executing a planned run: {@link startRun} takes the run's lease and writes its record (new, with
 * its provenance) or marks it running again (resume); {@link executeRun} runs the experiment with
 * progress, the run's live status for the dashboard, and SIGINT / SIGTERM, an abort signal or a
 * lost lease stopping it, and says how it ended ({@link Outcome}). The figure tasks' CLI and the
 * worker both run experiments through {@link executeRun}.
 *
 * @module
 */
import {
  type BaseConfig,
  type Experiment,
  jsonRecord,
  type NetworkRange,
  type RunContext,
} from "./experiment.ts";
import type { Output } from "./cli_output.ts";
import { type InterruptWatch, watchInterrupts } from "./interrupt.ts";
import type { RunPlan } from "./plan_run.ts";
import { Progress } from "./progress.ts";
import { runProvenance } from "./provenance.ts";
import { writeRunStatus } from "./run_status.ts";
import { runtimeVersions } from "./version.ts";
import type { Engine } from "../engine/engine.ts";
import type { EngineSpec } from "../engine/engine_spec.ts";
import { defaultHolder, type HeldLease, holdRunLease, redactLocation } from "../store/store.ts";

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
export interface StartedRun {
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
export async function startRun<C extends BaseConfig, S extends object>(
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
