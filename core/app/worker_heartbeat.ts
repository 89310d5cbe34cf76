/**
 * The heartbeat of a worker process, on a thread of its own: while the main thread computes a
 * work unit it renews the unit's lease every third of its time to live. It runs apart because
 * experiments compute on the main thread too (RBM training, analyses, a DBM round on the CPU), and
 * a timer on a busy main thread would fire late, let the lease expire and hand a live unit to
 * another worker. The thread holds its own store handle (one connection on PostgreSQL).
 *
 * Protocol: the main thread sends {@link HeartbeatCommand}s; the thread answers with
 * {@link HeartbeatEvent}s. {@link WorkHeartbeat} is the main thread's side.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { openStore, type ResultStore, StoreError, type WorkLease } from "../store/store.ts";
import type { HeartbeatCommand, HeartbeatEvent } from "./worker_beat.ts";

let store: ResultStore | null = null;
let held: WorkLease | null = null;
/** Bumped by every hold/drop, so a renewal in flight for a dropped lease reports nothing. */
let generation = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function send(event: HeartbeatEvent): void {
  self.postMessage(event);
}

async function renew(gen: number): Promise<void> {
  const lease = held;
  if (!store || !lease) return;
  try {
    const next = await store.renewWork(lease);
    if (gen === generation) held = next;
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof StoreError && err.kind === "conflict") {
      clearInterval(timer);
      held = null;
      send({ kind: "lost", message: err.message });
    }
    // Anything else (a dropped connection) is tried again at the next beat, before the expiry.
  }
}

self.onmessage = async (e: MessageEvent<HeartbeatCommand>): Promise<void> => {
  const cmd = e.data;
  switch (cmd.kind) {
    case "open":
      try {
        store = await openStore(cmd.location, { create: false, maxConnections: 1 });
        send({ kind: "ready" });
      } catch (err) {
        send({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
      }
      return;
    case "hold": {
      clearInterval(timer);
      held = cmd.lease;
      const gen = ++generation;
      timer = setInterval(() => void renew(gen), cmd.intervalMs);
      return;
    }
    case "drop":
      clearInterval(timer);
      held = null;
      generation++;
      send({ kind: "dropped" });
      return;
    case "close":
      clearInterval(timer);
      held = null;
      await store?.close();
      store = null;
      send({ kind: "closed" });
      self.close();
  }
};
