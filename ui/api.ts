/// <reference lib="dom" />
/**
 * Browser-side access to the dashboard API and its live event stream.
 *
 * @module
 */
import type {
  RunClaimsBody,
  RunConfigBody,
  RunDetail,
  RunList,
  ScorecardBody,
  StoreChange,
} from "../core/app/api_types.ts";

export type * from "../core/app/api_types.ts";

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") msg = body.error;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new Error(msg);
  }
  return await res.json() as T;
}

/** Fetches the runs list. */
export function fetchRuns(): Promise<RunList> {
  return getJson("/api/runs");
}

/** Fetches a run's panels for the given parameter values. */
export function fetchRun(id: string, params: Record<string, number>): Promise<RunDetail> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, String(v));
  const qs = q.toString();
  return getJson(`/api/runs/${encodeURIComponent(id)}${qs ? `?${qs}` : ""}`);
}

/** Fetches a run's config, seed, engine and versions (for config diffs and archives). */
export function fetchConfig(id: string): Promise<RunConfigBody> {
  return getJson(`/api/runs/${encodeURIComponent(id)}/config`);
}

/** Fetches the reproduction scorecard of the store (every claim of both papers). */
export function fetchClaims(): Promise<ScorecardBody> {
  return getJson("/api/claims");
}

/** Fetches the claims of a run's experiment judged on that run. */
export function fetchRunClaims(id: string): Promise<RunClaimsBody> {
  return getJson(`/api/runs/${encodeURIComponent(id)}/claims`);
}

/** A store change announced by the server. */
export type Change = StoreChange;

type Listener = (change: Change) => void;
const listeners = new Set<Listener>();
const statusListeners = new Set<(connected: boolean) => void>();

/** Subscribes to store changes; returns the unsubscribe function. */
export function onChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Subscribes to the live connection state; returns the unsubscribe function. */
export function onConnection(listener: (connected: boolean) => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/** Opens the server-sent event stream (EventSource reconnects by itself). */
export function connectEvents(): void {
  const es = new EventSource("/api/events");
  es.addEventListener("hello", () => statusListeners.forEach((l) => l(true)));
  es.addEventListener("update", (ev) => {
    const change = JSON.parse((ev as MessageEvent).data) as Change;
    listeners.forEach((l) => l(change));
  });
  es.onerror = () => statusListeners.forEach((l) => l(false));
}
