/**
 * Ctrl-C (SIGINT) and SIGTERM for long commands: the first signal aborts an `AbortSignal` (the
 * run stops within about a second, keeping finished work), a second one exits at once with 130
 * (SIGINT) or 143 (SIGTERM).
 *
 * The signals are watched on a Worker thread (`interrupt_worker.ts`): a listener on the main
 * thread runs only when the main thread is idle, so a long synchronous computation would hold
 * both presses back. The worker sets a shared flag at once ({@link InterruptWatch.flag}, readable
 * from synchronous loops and other workers) and, at the second press, ends the process itself if
 * the main thread cannot: it removes its listener and raises the signal again, which ends the
 * process only when no listener is left anywhere (failing that, SIGKILL 0.3 s later), so the main
 * thread should not keep one. Hence
 * {@link watchInterrupts} resolves once the worker listens (main-thread listeners cover the start
 * and are removed then); if the worker cannot start (e.g. a binary built without it), the
 * main-thread listeners stay and do the same job, only slower.
 *
 * `deno task` forwards the terminal's SIGINT to its child, so one press arrives twice within a few
 * milliseconds: a repeat within {@link InterruptOptions.repeatWindowMs} counts as the same press.
 *
 * @module
 */
import type { InterruptWorkerInit, InterruptWorkerMessage } from "./interrupt_worker.ts";

/** Options of {@link watchInterrupts}. */
export interface InterruptOptions {
  /** Called on the main thread at the first signal (after the abort). */
  onInterrupt?: (signal: Deno.Signal) => void;
  /**
   * Called at the second signal before the process exits: quick best-effort cleanup (release a
   * lease, mark the run interrupted). The exit does not wait longer than half the exit grace.
   */
  onExitNow?: (signal: Deno.Signal) => Promise<void> | void;
  /** A repeat within this many milliseconds of the first signal is the same press (default 600). */
  repeatWindowMs?: number;
  /**
   * After the second signal, how long the main thread has to exit by itself before the worker
   * ends the process by the signal's default action (default 1000 ms).
   */
  exitGraceMs?: number;
  /** Ends the process (default `Deno.exit`; tests replace it). */
  exit?: (code: number) => void;
  /**
   * How long {@link watchInterrupts} waits for the watcher thread to listen before it returns with
   * the main-thread listeners still in place (default 3000 ms; tests shorten it).
   */
  workerStartMs?: number;
}

/** A running watch; {@link InterruptWatch.stop} ends it. */
export interface InterruptWatch {
  /** Aborted at the first signal, with an `Error("interrupted by SIGINT")`. */
  readonly signal: AbortSignal;
  /**
   * Shared flags (readable from synchronous code): `flag[0]` is 0 running, 1 interrupted, 2
   * exiting; `flag[1]` is 1 once the watcher thread listens.
   */
  readonly flag: Int32Array;
  /** Stops watching: signals get their default action again. */
  stop(): void;
}

/** The signals a command stops on (SIGTERM is not available on Windows). */
function watchedSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
}

/** Exit status of a process ended by `signal`, as shells report it. */
export function signalExitCode(signal: Deno.Signal): number {
  return signal === "SIGTERM" ? 143 : 130;
}

/** How long {@link watchInterrupts} waits for the worker to listen before relying on the main thread. */
const WORKER_START_MS = 3000;

/** Starts watching SIGINT and SIGTERM; resolves once the watch is in place. */
export async function watchInterrupts(options: InterruptOptions = {}): Promise<InterruptWatch> {
  const controller = new AbortController();
  const shared = new SharedArrayBuffer(8);
  const flag = new Int32Array(shared);
  const repeatWindowMs = options.repeatWindowMs ?? 600;
  const exitGraceMs = options.exitGraceMs ?? 1000;
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const signals = watchedSignals();
  let firstAt = -1;
  let exiting = false;

  const interrupt = (signal: Deno.Signal): void => {
    if (controller.signal.aborted) return;
    controller.abort(new Error(`interrupted by ${signal}`));
    options.onInterrupt?.(signal);
  };
  const exitNow = async (signal: Deno.Signal): Promise<void> => {
    if (exiting) return;
    exiting = true;
    const cleanup = Promise.resolve().then(() => options.onExitNow?.(signal)).catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      cleanup,
      new Promise<void>((resolve) => timer = setTimeout(resolve, exitGraceMs / 2)),
    ]);
    clearTimeout(timer);
    exit(signalExitCode(signal));
  };

  // Main-thread listeners until the worker listens (or for good, when it cannot start).
  const mainListeners = signals.map((signal): [Deno.Signal, () => void] => [signal, () => {
    const now = performance.now();
    if (firstAt < 0) {
      firstAt = now;
      Atomics.store(flag, 0, 1);
      interrupt(signal);
    } else if (now - firstAt >= repeatWindowMs) {
      Atomics.store(flag, 0, 2);
      void exitNow(signal);
    }
  }]);
  let mainListening = true;
  const removeMainListeners = (): void => {
    if (!mainListening) return;
    mainListening = false;
    for (const [s, l] of mainListeners) Deno.removeSignalListener(s, l);
  };
  for (const [s, l] of mainListeners) Deno.addSignalListener(s, l);

  let worker: Worker | null = null;
  let ready = (): void => {};
  const listening = new Promise<void>((resolve) => ready = resolve);
  try {
    worker = new Worker(new URL("./interrupt_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (ev: MessageEvent<InterruptWorkerMessage>) => {
      const m = ev.data;
      if (m.kind === "ready") {
        // The worker takes over, so the second press can end even a blocked process.
        if (firstAt < 0) removeMainListeners();
        ready();
      } else if (m.kind === "interrupt") interrupt(m.signal);
      else if (m.kind === "exit") void exitNow(m.signal);
    };
    worker.onerror = (ev: ErrorEvent) => {
      // Keep the main-thread listeners: slower to react, but they work.
      ev.preventDefault();
      worker?.terminate();
      worker = null;
      ready();
    };
    const init: InterruptWorkerInit = {
      flag: shared,
      signals,
      repeatWindowMs,
      exitGraceMs,
    };
    worker.postMessage(init);
  } catch {
    worker = null;
    ready();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const startMs = options.workerStartMs ?? WORKER_START_MS;
  await Promise.race([listening, new Promise((r) => timer = setTimeout(r, startMs))]);
  clearTimeout(timer);

  return {
    signal: controller.signal,
    flag,
    stop(): void {
      removeMainListeners();
      worker?.terminate();
      worker = null;
    },
  };
}
