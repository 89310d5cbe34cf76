/**
 * Starts the dashboard listener (Deno.serve) for an app built by {@link createApp}, warning when
 * it is bound to anything but loopback.
 *
 * @module
 */
import type { ResultStore } from "../core/store/store.ts";
import { createApp } from "./app.ts";
import type { AssetSource } from "./assets.ts";
import type { ExperimentMap } from "./run_data.ts";
import { allowedHosts, SECURITY_HEADERS } from "./security.ts";

/** Options of {@link startServer}. */
export interface ListenOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Store poll interval for live updates, ms. */
  pollMs?: number;
  /** Print the URL and warnings (default true). */
  verbose?: boolean;
  /** Prepare the newest runs' pages in the background at start (default true). */
  prewarm?: boolean;
  /** Host names to answer to beyond loopback and the bind address (`--allow-host`). */
  allowHosts?: readonly string[];
}

/** A running dashboard. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8000/ */
  url: string;
  /** Port actually bound. */
  port: number;
  /** Stops the listener and the store polling (the store stays open). */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Resolves when the start-up preparation of the newest runs is done. */
  ready: Promise<void>;
}

/** True for loopback host names and addresses. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Serves the dashboard for a store (throws when it cannot listen). */
export function startServer(
  deps: { store: ResultStore; assets: AssetSource; experiments: ExperimentMap },
  options: ListenOptions = {},
): RunningServer {
  const host = options.host ?? "127.0.0.1";
  const verbose = options.verbose ?? true;
  const hosts = allowedHosts({ bind: host, extra: options.allowHosts });
  const { app, watcher, data } = createApp({ ...deps, pollMs: options.pollMs, hosts });
  if (!isLoopback(host) && verbose) {
    console.warn(
      `warning: the dashboard is bound to ${host}, not loopback: anyone who can reach this ` +
        `machine can read every run in ${deps.store.location}. It has no authentication.`,
    );
  }
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: host,
    port: options.port ?? 8000,
    signal: ac.signal,
    onListen: () => {},
    onError: () =>
      new Response(JSON.stringify({ error: "internal error" }), {
        status: 500,
        headers: { ...SECURITY_HEADERS, "content-type": "application/json" },
      }),
  }, app.fetch);
  const port = server.addr.port;
  const shown = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shown}:${port}/`;
  if (verbose) console.log(`prunelab dashboard on ${url} (store ${deps.store.location})`);
  const warming = options.prewarm ?? true ? data.warm() : Promise.resolve();
  return {
    url,
    port,
    close: async () => {
      watcher.stop();
      ac.abort();
      await server.finished;
      await warming;
    },
    finished: server.finished,
    ready: warming,
  };
}
