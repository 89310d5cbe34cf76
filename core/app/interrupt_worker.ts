/**
 * Worker side of {@link watchInterrupts} (`interrupt.ts`): listens for SIGINT and SIGTERM on its
 * own thread, so a press of Ctrl-C is seen even while the main thread computes. The first signal
 * sets the shared flag to 1 and tells the main thread; a repeat within the repeat window is the
 * same press (`deno task` forwards the terminal's SIGINT to its child, which therefore receives
 * it twice); a later one sets the flag to 2, asks the main thread to exit, and, if the process
 * still lives after the exit grace, removes this listener and raises the signal again so the
 * default action ends the process however busy its main thread is. That default action is
 * prevented while any isolate still listens for the signal: a main thread that blocked before it
 * handled this worker's "ready" keeps its own start-up listeners (Deno runs a signal's default
 * action only when no listener is registered anywhere). So if the process still lives
 * {@link KILL_AFTER_RAISE_MS} after the raise, the worker ends it with SIGKILL (exit 137): a
 * second Ctrl-C always ends the process. The store survives SIGKILL at any point
 * (docs/reliability.md, fault injection).
 *
 * @module
 */
/// <reference lib="deno.worker" />

/** The start message from the main thread. */
export interface InterruptWorkerInit {
  /** Shared flags: [0] 0 = running, 1 = interrupted, 2 = exit now; [1] 1 = this worker listens. */
  flag: SharedArrayBuffer;
  /** Signals to watch. */
  signals: Deno.Signal[];
  /** A repeat within this many milliseconds of the first signal is the same press. */
  repeatWindowMs: number;
  /** How long the main thread has to exit by itself after the second signal. */
  exitGraceMs: number;
}

/** What the worker tells the main thread. */
export type InterruptWorkerMessage =
  | { kind: "ready" }
  | { kind: "interrupt"; signal: Deno.Signal }
  | { kind: "exit"; signal: Deno.Signal };

/** How long a raised signal has to end the process before SIGKILL does. */
const KILL_AFTER_RAISE_MS = 300;

function post(message: InterruptWorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (ev: MessageEvent<InterruptWorkerInit>) => {
  const init = ev.data;
  const flag = new Int32Array(init.flag);
  let firstAt = -1;
  const listeners: [Deno.Signal, () => void][] = [];
  const raise = (signal: Deno.Signal): void => {
    for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
    Deno.kill(Deno.pid, signal);
    setTimeout(() => Deno.kill(Deno.pid, "SIGKILL"), KILL_AFTER_RAISE_MS);
  };
  for (const signal of init.signals) {
    const listener = (): void => {
      const now = performance.now();
      if (firstAt < 0) {
        firstAt = now;
        Atomics.store(flag, 0, 1);
        post({ kind: "interrupt", signal });
        return;
      }
      if (now - firstAt < init.repeatWindowMs) return;
      Atomics.store(flag, 0, 2);
      post({ kind: "exit", signal });
      setTimeout(() => raise(signal), init.exitGraceMs);
    };
    Deno.addSignalListener(signal, listener);
    listeners.push([signal, listener]);
  }
  Atomics.store(flag, 1, 1);
  post({ kind: "ready" });
};
