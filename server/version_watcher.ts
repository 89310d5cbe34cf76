/**
 * Detects writes to the results store made by any process, from the store's change feed
 * (`ResultStore.changes`): PostgreSQL pushes them (LISTEN/NOTIFY); the Deno KV file is polled
 * (one key read, bumped by every write), since Deno KV's `watch()` only sees writes made through
 * the same process's handle. On a change it works out which runs changed by comparing their
 * `updatedAt` stamps.
 *
 * The feed only runs while someone listens, so an idle server (and every test) holds no timers or
 * listening connections.
 *
 * @module
 */
import type { StoreChange } from "../core/app/api_types.ts";
import type { ResultStore } from "../core/store/store.ts";

/** Options of {@link VersionWatcher}. */
export interface WatcherOptions {
  /** Poll interval in milliseconds for stores that poll (default 300). */
  intervalMs?: number;
}

/** Follows the store's change feed while there are listeners and reports changed runs. */
export class VersionWatcher {
  #store: ResultStore;
  #intervalMs: number;
  #listeners = new Set<(change: StoreChange) => void>();
  #feed: AbortController | undefined;
  #stamps = new Map<string, string>();

  /** Creates a watcher; nothing runs until the first listener subscribes. */
  constructor(store: ResultStore, options: WatcherOptions = {}) {
    this.#store = store;
    this.#intervalMs = options.intervalMs ?? 300;
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    if (this.#feed === undefined) {
      this.#feed = new AbortController();
      void this.#follow(this.#feed.signal);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Number of current listeners. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Stops following (listeners stay registered but get nothing until the next subscribe). */
  stop(): void {
    this.#feed?.abort();
    this.#feed = undefined;
  }

  async #follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const feed = this.#store.changes({ signal, intervalMs: this.#intervalMs, initial: true });
        let baseline = true;
        for await (const change of feed) {
          const runs = await this.#changedRuns();
          if (baseline) {
            baseline = false;
            continue;
          }
          if (signal.aborted) return;
          const payload = { version: change.version.toString(), runs };
          for (const l of [...this.#listeners]) l(payload);
        }
      } catch (err) {
        if (signal.aborted) return;
        // A transient read error or a lost connection: follow again after a pause.
        console.error(`store watch failed: ${err instanceof Error ? err.message : err}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#intervalMs);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      }
    }
  }

  async #changedRuns(): Promise<string[]> {
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const run of await this.#store.listRuns()) {
      seen.add(run.id);
      const stamp = `${run.updatedAt}|${run.status}|${run.progress.done}`;
      if (this.#stamps.get(run.id) !== stamp) changed.push(run.id);
      this.#stamps.set(run.id, stamp);
    }
    for (const id of [...this.#stamps.keys()]) {
      if (!seen.has(id)) {
        changed.push(id);
        this.#stamps.delete(id);
      }
    }
    return changed;
  }
}
