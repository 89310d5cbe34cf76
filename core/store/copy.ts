/**
 * Copying runs between stores (a cluster's PostgreSQL to a laptop's KV file and back): the run
 * record and every unit with its blobs, bit for bit. The target's `importRun` makes the run visible
 * only once every unit is written, so an interrupted copy never shows a partial run.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { ResultStore, RunRecord } from "./types.ts";

/** The two stores of {@link copyRun}. */
export interface CopyStores {
  /** Where the run is read. */
  from: ResultStore;
  /** Where it is written (the id must be free there). */
  to: ResultStore;
}

/**
 * Copies run `runId` with all its units and blobs; returns the copied record. A `StoreError`
 * "not-found" when the source lacks the run, "conflict" when the target already has it.
 */
export async function copyRun(runId: string, stores: CopyStores): Promise<RunRecord> {
  const run = await stores.from.getRun(runId);
  if (!run) throw new StoreError("not-found", `no run '${runId}' in ${stores.from.location}`);
  if (await stores.to.getRun(runId)) {
    throw new StoreError("conflict", `run ${runId} already exists in ${stores.to.location}`);
  }
  await stores.to.importRun(run, stores.from.unitsWithBlobs(runId));
  return run;
}
