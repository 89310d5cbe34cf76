/**
 * What both backends share about the work units of detached runs: counting them by state, and the
 * order in which a worker may take them (phases). The tables and queries are each backend's own.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { WorkCounts, WorkLease, WorkUnitInfo } from "./types.ts";

/** Counts work units by state (a unit whose lease expired is listed, and counted, as open). */
export function countWork(units: readonly Pick<WorkUnitInfo, "state">[]): WorkCounts {
  const counts: WorkCounts = { open: 0, leased: 0, done: 0, failed: 0, total: units.length };
  for (const u of units) counts[u.state]++;
  return counts;
}

/**
 * Whether a unit of `phase` may be handed out: every unit of a lower phase of its run is done.
 * `units` are the run's units.
 */
export function phaseReady(
  units: readonly Pick<WorkUnitInfo, "phase" | "state">[],
  phase: number,
): boolean {
  return units.every((u) => u.phase >= phase || u.state === "done");
}

/** The error of a work lease that was lost (expired and taken over, or its run deleted). */
export function lostWork(lease: WorkLease): StoreError {
  return new StoreError(
    "conflict",
    `the lease of work unit ${lease.index} of run ${lease.runId} was lost (it expired and ` +
      `another worker took it, or the run was deleted)`,
  );
}
