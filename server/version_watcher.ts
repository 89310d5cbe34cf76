/**
 * Detects writes to the results store made by any process. Deno KV's `watch()` only sees writes
 * made through the same process's handle, and cross-process `listenQueue` delivery took about a
 * minute here, so the server polls the store's `version()` counter (one key read, bumped by every
 * write) and, on change, works out which runs changed by comparing their `updatedAt` stamps.
 *
 * The poll timer only runs while someone listens, so an idle server (and every test) holds no
 * timers.
 *
 * @module
 */
import type { ResultStore } from "../core/store/kv_store.ts";

/** What listeners receive when the store changed. */
export interface StoreChange {
  /** New store version (decimal string, JSON-safe). */
  version: string;
  /** Ids of runs whose record changed (new, updated or deleted). */
  runs: string[];
}

/** Options of {@link VersionWatcher}. */
export interface WatcherOptions {
  /** Poll interval in milliseconds (default 300). */
  intervalMs?: number;
}

/** Polls the store version while there are listeners and reports changed runs. */
export class VersionWatcher {
  #store: ResultStore;
  #intervalMs: number;
  #listeners = new Set<(change: StoreChange) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #version: bigint | undefined;
  #stamps = new Map<string, string>();

  /** Creates a watcher; nothing runs until the first listener subscribes. */
  constructor(store: ResultStore, options: WatcherOptions = {}) {
    this.#store = store;
    this.#intervalMs = options.intervalMs ?? 300;
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
      void this.#poll();
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

  /** Stops polling (listeners stay registered but get nothing until the next subscribe). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#version = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const v = await this.#store.version();
      if (this.#version === undefined) {
        this.#version = v;
        await this.#changedRuns();
        return;
      }
      if (v === this.#version) return;
      this.#version = v;
      const runs = await this.#changedRuns();
      const change = { version: v.toString(), runs };
      for (const l of [...this.#listeners]) l(change);
    } catch (err) {
      // A store closed under us (shutdown) or a transient read error: try again next tick.
      console.error(`store poll failed: ${err instanceof Error ? err.message : err}`);
    } finally {
      this.#busy = false;
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
