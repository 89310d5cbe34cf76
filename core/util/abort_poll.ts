/**
 * Lets a long loop on the main thread notice an abort. An `AbortSignal` is aborted by an event
 * (Ctrl-C reaches the main thread as a message from the interrupt watcher), and events are handled
 * only when the thread returns to its event loop: a loop that awaits nothing but resolved promises
 * never does, so `signal.throwIfAborted()` inside it sees the abort only at the loop's end.
 *
 * @module
 */

/** Options of {@link abortPoll}. */
export interface AbortPollOptions {
  /** Return to the event loop at most this often, in milliseconds (default 200). */
  intervalMs?: number;
}

/**
 * A check to await once per step of a long loop: it throws the signal's reason when aborted, and
 * about every `intervalMs` it returns to the event loop first (one macrotask), so an abort sent
 * meanwhile is seen. Scheduling only: what the loop computes does not change.
 */
export function abortPoll(
  signal: AbortSignal | undefined,
  options: AbortPollOptions = {},
): () => Promise<void> {
  const intervalMs = options.intervalMs ?? 200;
  let last = performance.now();
  return async (): Promise<void> => {
    if (signal === undefined) return;
    signal.throwIfAborted();
    if (performance.now() - last < intervalMs) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    last = performance.now();
    signal.throwIfAborted();
  };
}
