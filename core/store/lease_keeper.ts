/**
 * Holding a run's lease while a process works on it: taken at the start (refused, naming the
 * holder, while another live process has it), renewed in the background at a third of its time to
 * live, released at the end. A process that dies stops renewing, so its lease expires and the run
 * can be resumed elsewhere; a process that loses its lease (stalled past the expiry, then taken
 * over) learns it through {@link HeldLease.lost} and should stop writing.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { Lease, ResultStore } from "./types.ts";

/** Default lease time to live: long enough for a busy machine's pauses, short for a dead one. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** Options of {@link holdRunLease}. */
export interface HoldLeaseOptions {
  /** Holder description (default "pid N on HOST"). */
  holder?: string;
  /** Time to live in ms (default {@link DEFAULT_LEASE_TTL_MS}). */
  ttlMs?: number;
}

/** A lease this process holds and keeps renewed. */
export interface HeldLease {
  /** The lease as last renewed. */
  readonly lease: Lease;
  /** Aborts when a renewal finds the lease lost (reason: a one-line `StoreError`). */
  readonly lost: AbortSignal;
  /** Stops renewing and releases the lease. */
  release(): Promise<void>;
}

/** "pid N on HOST" for this process. */
export function defaultHolder(): string {
  let host = "this machine";
  try {
    host = Deno.hostname();
  } catch {
    // No --allow-sys: the pid alone still tells processes on one machine apart.
  }
  return `pid ${Deno.pid} on ${host}`;
}

/**
 * Takes the lease of `runId` and keeps it renewed. A `StoreError` of kind "conflict" naming the
 * holder when another process holds it.
 */
export async function holdRunLease(
  store: ResultStore,
  runId: string,
  options: HoldLeaseOptions = {},
): Promise<HeldLease> {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const got = await store.acquireLease(runId, { holder: options.holder ?? defaultHolder(), ttlMs });
  if (!got.acquired) {
    throw new StoreError(
      "conflict",
      `run ${runId} is being worked on by ${got.heldBy.holder} (its lease runs until ` +
        `${got.heldBy.expiresAt}); wait for it to finish, or for the lease to expire if that ` +
        `process died`,
    );
  }
  let lease = got.lease;
  const lost = new AbortController();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || lost.signal.aborted) return;
    busy = true;
    try {
      lease = await store.renewLease(lease);
    } catch (err) {
      if (err instanceof StoreError && err.kind === "conflict") {
        clearInterval(timer);
        lost.abort(err);
      }
      // Other failures (a dropped connection) are retried at the next tick, before the expiry.
    } finally {
      busy = false;
    }
  }, Math.max(10, Math.floor(ttlMs / 3)));
  // Renewal alone must not keep a finished process alive.
  Deno.unrefTimer(timer);
  return {
    get lease(): Lease {
      return lease;
    },
    lost: lost.signal,
    async release(): Promise<void> {
      clearInterval(timer);
      if (!lost.signal.aborted) await store.releaseLease(lease);
    },
  };
}
