/**
 * The store's change feed as an async iterator, built either by polling a counter (Deno KV: its
 * `watch()` does not see other processes' writes) or from pushed notifications (PostgreSQL's
 * LISTEN/NOTIFY). Notifications that arrive while the consumer is busy are merged into one change,
 * so a burst of unit writes wakes a slow reader once, not once per write.
 *
 * @module
 */
import type { ChangeOptions, StoreChange } from "./types.ts";

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Polls `readVersion` every `intervalMs` and yields when it moved. The first value is the baseline,
 * yielded only with `initial`: the feed reports changes after the caller subscribed.
 */
export async function* pollChanges(
  readVersion: () => Promise<bigint>,
  options: ChangeOptions = {},
): AsyncIterableIterator<StoreChange> {
  const interval = options.intervalMs ?? 300;
  const signal = options.signal;
  let last = await readVersion();
  if (options.initial) yield { version: last, runs: null };
  while (!signal?.aborted) {
    await pause(interval, signal);
    if (signal?.aborted) return;
    const v = await readVersion();
    if (v !== last) {
      last = v;
      yield { version: v, runs: null };
    }
  }
}

/**
 * Subscribes to a push source and yields merged changes. `subscribe` receives an `emit` callback
 * (a run id; "" for a change that is about no run, such as a cache write; null for "unknown:
 * re-read everything", e.g. after a reconnect) and returns its unsubscribe function, called when
 * the loop ends or the signal aborts.
 */
export async function* pushChanges(
  subscribe: (emit: (runId: string | null) => void) => Promise<() => Promise<void>>,
  readVersion: () => Promise<bigint>,
  options: ChangeOptions = {},
): AsyncIterableIterator<StoreChange> {
  const signal = options.signal;
  let pending: Set<string> | null | undefined = undefined; // undefined: nothing pending
  let wake: (() => void) | null = null;
  const emit = (runId: string | null): void => {
    if (runId === null) pending = null;
    else if (runId === "") pending = pending === undefined ? new Set() : pending;
    else if (pending === undefined) pending = new Set([runId]);
    else if (pending !== null) pending.add(runId);
    wake?.();
  };
  const onAbort = (): void => wake?.();
  signal?.addEventListener("abort", onAbort);
  const unsubscribe = await subscribe(emit);
  try {
    if (options.initial) yield { version: await readVersion(), runs: null };
    while (!signal?.aborted) {
      if (pending === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      const runs: string[] | null = pending === null ? null : [...pending];
      pending = undefined;
      yield { version: await readVersion(), runs };
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await unsubscribe();
  }
}
