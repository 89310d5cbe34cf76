/**
 * The dashboard's HTTP application (Hono), separate from the listener so tests can call
 * `app.request()`. Read-only: only GET and HEAD are answered; anything else gets 405.
 *
 * - `GET /api/runs` -> `{version, runs: RunSummary[]}`
 * - `GET /api/runs/:id[?param=value]` -> {@link RunDetail} (400 bad id or parameter, 404 unknown)
 * - `GET /api/runs/:id/config` -> {@link RunConfigBody} (config, seed, engine, versions: for diffs)
 * - `GET /api/runs/:id/claims` -> the papers' claims this run tests, judged on it (404 unknown)
 * - `GET /api/claims` -> the reproduction scorecard of the whole store
 * - `GET /api/events` -> server-sent events: `hello` then `update` `{version, runs}` on every store
 *   change made by any process
 * - anything else -> a file of the bundled UI (never outside its folder), or 404
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { RUN_ID_PATTERN } from "../core/store/kv_store.ts";
import type { ResultStore } from "../core/store/kv_store.ts";
import { type AssetSource, contentType, safeAssetPath } from "./assets.ts";
import { BadParameter, type ExperimentMap, RunData } from "./run_data.ts";
import { ClaimsData } from "./claims_data.ts";
import type { StoreChange } from "../core/app/api_types.ts";
import { VersionWatcher } from "./version_watcher.ts";
import { allowedHosts, hostAllowed, SECURITY_HEADERS } from "./security.ts";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The results store to read. */
  store: ResultStore;
  /** The bundled UI. */
  assets: AssetSource;
  /** Experiments by id (normally `EXPERIMENTS` from experiments/registry.ts). */
  experiments: ExperimentMap;
  /** Store poll interval for live updates, milliseconds (default 300). */
  pollMs?: number;
  /** SSE keep-alive comment interval, milliseconds (default 15000). */
  keepAliveMs?: number;
  /**
   * Host names requests may name in their `Host` header (see server/security.ts); default: the
   * loopback names only.
   */
  hosts?: ReadonlySet<string>;
}

/** The application plus the handle that stops its background polling. */
export interface DashboardApp {
  /** The Hono app (`app.fetch` for Deno.serve, `app.request` for tests). */
  app: Hono;
  /** The store watcher behind `/api/events`. */
  watcher: VersionWatcher;
  /** The run reader and its caches (call `data.warm()` to prepare the newest runs). */
  data: RunData;
}

function jsonError(
  c: Context,
  status: 400 | 403 | 404 | 405 | 500,
  message: string,
): Response {
  return c.json({ error: message }, status);
}

/** Creates the dashboard application. */
export function createApp(options: AppOptions): DashboardApp {
  const app = new Hono();
  const data = new RunData(options.store, options.experiments);
  const claims = new ClaimsData(options.store, options.experiments);
  const watcher = new VersionWatcher(options.store, { intervalMs: options.pollMs ?? 300 });
  const keepAliveMs = options.keepAliveMs ?? 15_000;

  app.onError((err, c) => {
    // The browser gets a generic message; the details stay in the server's log.
    console.error(`dashboard error on ${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    return jsonError(c, 500, "internal error");
  });

  const hosts = options.hosts ?? allowedHosts({ bind: "127.0.0.1" });
  app.use("*", async (c, next) => {
    // Set first, so every answer carries them, the early ones below included.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(host, hosts)) {
      return jsonError(c, 403, `this dashboard does not answer to the host name '${host}'`);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.header("Allow", "GET, HEAD");
      return jsonError(c, 405, "the dashboard is read-only");
    }
    await next();
    // Responses built directly (assets, events, errors) get them here.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.get("/api/runs", async (c) => c.json(await data.list()));

  app.get("/api/runs/:id", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID_PATTERN.test(id)) return jsonError(c, 400, "malformed run id");
    try {
      const detail = await data.detail(id, c.req.query());
      if (!detail) return jsonError(c, 404, `no run '${id}'`);
      return c.json(detail);
    } catch (err) {
      if (err instanceof BadParameter) return jsonError(c, 400, err.message);
      throw err;
    }
  });

  app.get("/api/runs/:id/config", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID_PATTERN.test(id)) return jsonError(c, 400, "malformed run id");
    const body = await data.config(id);
    return body ? c.json(body) : jsonError(c, 404, `no run '${id}'`);
  });

  app.get("/api/claims", async (c) => c.json(await claims.scorecard()));

  app.get("/api/runs/:id/claims", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID_PATTERN.test(id)) return jsonError(c, 400, "malformed run id");
    const body = await claims.run(id);
    return body ? c.json(body) : jsonError(c, 404, `no run '${id}'`);
  });

  app.get("/api/events", () => {
    const enc = new TextEncoder();
    let cleanup = (): void => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string): void => {
          try {
            controller.enqueue(enc.encode(text));
          } catch {
            cleanup();
          }
        };
        const onChange = (change: StoreChange): void => {
          send(`event: update\ndata: ${JSON.stringify(change)}\n\n`);
        };
        const unsubscribe = watcher.subscribe(onChange);
        const ping = setInterval(() => send(`: keep-alive\n\n`), keepAliveMs);
        cleanup = () => {
          clearInterval(ping);
          unsubscribe();
        };
        send(`retry: 1000\nevent: hello\ndata: {}\n\n`);
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  });

  app.all("/api/*", (c) => jsonError(c, 404, "no such API endpoint"));

  app.get("*", async (c) => {
    // The raw path, not Hono's decoded one, so encoded traversal is checked after one decode.
    const raw = c.req.url.replace(/^[a-z]+:\/\/[^/]*/i, "").split(/[?#]/)[0];
    const rel = safeAssetPath(raw);
    if (rel === null) return jsonError(c, 400, "bad path");
    const bytes = await options.assets.read(rel);
    if (!bytes) return jsonError(c, 404, "not found");
    return new Response(c.req.method === "HEAD" ? null : bytes, {
      headers: {
        "content-type": contentType(rel),
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      },
    });
  });

  return { app, watcher, data };
}
