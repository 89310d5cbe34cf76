/**
 * The main thread's side of a worker's heartbeat thread (`worker_heartbeat.ts`, which says why it
 * is a thread): {@link WorkHeartbeat.hold} starts renewing a leased work unit, {@link
 * WorkHeartbeat.lost} aborts when a renewal finds the lease taken over, {@link WorkHeartbeat.drop}
 * stops renewing before the unit is finished or given back.
 *
 * @module
 */
import { StoreError, type WorkLease } from "../store/store.ts";

/** What the main thread tells the heartbeat thread. */
export type HeartbeatCommand =
  | { kind: "open"; location: string }
  | { kind: "hold"; lease: WorkLease; intervalMs: number }
  | { kind: "drop" }
  | { kind: "close" };

/** What the heartbeat thread answers. */
export type HeartbeatEvent =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "lost"; message: string }
  | { kind: "dropped" }
  | { kind: "closed" };

/** A heartbeat thread with its own store handle. */
export class WorkHeartbeat {
  readonly #worker: Worker;
  #lost = new AbortController();
  #waiting = new Map<HeartbeatEvent["kind"], (e: HeartbeatEvent) => void>();

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<HeartbeatEvent>) => {
      const event = e.data;
      if (event.kind === "lost") this.#lost.abort(new StoreError("conflict", event.message));
      const waiter = this.#waiting.get(event.kind);
      this.#waiting.delete(event.kind);
      waiter?.(event);
    };
  }

  /** Starts the thread and opens the store at `location` there. */
  static async open(location: string): Promise<WorkHeartbeat> {
    const worker = new Worker(new URL("./worker_heartbeat.ts", import.meta.url).href, {
      type: "module",
    });
    const beat = new WorkHeartbeat(worker);
    const answer = await beat.#ask({ kind: "open", location }, ["ready", "failed"]);
    if (answer.kind === "failed") {
      worker.terminate();
      throw new StoreError(
        "backend",
        `the heartbeat thread could not open the store: ${answer.message}`,
      );
    }
    return beat;
  }

  /** Aborts when the lease being held was lost (expired and taken by another worker). */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Renews `lease` every third of its time to live until {@link drop}. */
  hold(lease: WorkLease): void {
    this.#lost = new AbortController();
    this.#post({ kind: "hold", lease, intervalMs: Math.max(10, Math.floor(lease.ttlMs / 3)) });
  }

  /** Stops renewing (waits until the thread has stopped, so no renewal follows a finish). */
  async drop(): Promise<void> {
    await this.#ask({ kind: "drop" }, ["dropped"]);
  }

  /** Closes the thread's store handle and ends the thread. */
  async close(): Promise<void> {
    try {
      await this.#ask({ kind: "close" }, ["closed"]);
    } finally {
      this.#worker.terminate();
    }
  }

  #post(cmd: HeartbeatCommand): void {
    this.#worker.postMessage(cmd);
  }

  #ask(cmd: HeartbeatCommand, answers: HeartbeatEvent["kind"][]): Promise<HeartbeatEvent> {
    return new Promise((resolve) => {
      for (const kind of answers) this.#waiting.set(kind, resolve);
      this.#post(cmd);
    });
  }
}
