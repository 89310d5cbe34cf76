/**
 * Live status of a running run in its record, for the dashboard: the phase, the ETA and the loss
 * curves of the networks training now (`phase`, `eta`, `liveLoss` of the run record, see
 * docs/dashboard.md), taken from the run's {@link Progress} and written at most every
 * {@link STATUS_INTERVAL_MS}. Writing is best effort: a failed write is retried at the next tick
 * and never stops the run.
 *
 * @module
 */
import type { ResultStore } from "../store/store.ts";
import type { Progress } from "./progress.ts";

/** How often the status is written (the dashboard follows each write within ~0.3 s). */
export const STATUS_INTERVAL_MS = 2000;

/** A running status writer. */
export interface StatusWriter {
  /** Writes the current status now. */
  flush(): Promise<void>;
  /** Stops writing (the last write completes first). */
  stop(): Promise<void>;
}

/** Starts writing `progress`'s status into run `runId`'s record. */
export function writeRunStatus(
  store: ResultStore,
  runId: string,
  options: { progress: Progress; intervalMs?: number },
): StatusWriter {
  let busy: Promise<void> = Promise.resolve();
  let stopped = false;
  const write = (): Promise<void> => {
    busy = busy.then(async () => {
      if (stopped) return;
      const { phase, eta, liveLoss } = options.progress.snapshot();
      try {
        await store.updateRun(runId, {
          phase: phase ?? undefined,
          eta: eta ?? undefined,
          liveLoss,
        });
      } catch {
        // Best effort: the next tick tries again; the run's own writes report real trouble.
      }
    });
    return busy;
  };
  const timer = setInterval(() => void write(), options.intervalMs ?? STATUS_INTERVAL_MS);
  Deno.unrefTimer(timer);
  return {
    flush: write,
    async stop(): Promise<void> {
      clearInterval(timer);
      await busy;
      stopped = true;
    },
  };
}
