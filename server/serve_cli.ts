/**
 * The `serve` command (`deno task serve`, `prunelab serve`): parses `--port`, `--host`, `--store`,
 * builds the UI bundle when it is missing or stale (source checkouts only), opens the store and
 * serves until interrupted.
 *
 * @module
 */
import { openStore, resolveStoreLocation, type ResultStore } from "../core/store/store.ts";
import { DEFAULT_ASSET_ROOT, fileAssets } from "./assets.ts";
import { ensureUiBuilt } from "./build_ui.ts";
import { startServer } from "./listen.ts";
import type { ExperimentMap } from "./run_data.ts";

/** Help text of the serve command. */
export const SERVE_HELP = `Usage: serve [--port N] [--host ADDR] [--store PATH]

Serves the live results dashboard.
  --port N        port to listen on (default 8000)
  --host ADDR     interface to bind (default 127.0.0.1; anything else prints a warning)
  --store PATH    results store: a Deno KV file or a postgres:// URL
                  (default: $PRUNELAB_STORE or prunelab.kv)
  --help          this text`;

/** Parsed serve options. */
export interface ServeArgs {
  /** Port. */
  port: number;
  /** Host. */
  host: string;
  /** Store path flag, if given. */
  store?: string;
  /** --help was given. */
  help: boolean;
}

/** Parses serve flags; throws a one-line Error on bad input. */
export function parseServeArgs(args: string[]): ServeArgs {
  const out: ServeArgs = { port: 8000, host: "127.0.0.1", help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [name, inline] = a.startsWith("--") && a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--help":
      case "-h":
        out.help = true;
        break;
      case "--port": {
        const v = value();
        const p = Number(v);
        if (!/^\d+$/.test(v) || p > 65535) throw new Error(`--port must be 0-65535, got '${v}'`);
        out.port = p;
        break;
      }
      case "--host":
        out.host = value();
        break;
      case "--store":
        out.store = value();
        break;
      default:
        throw new Error(`unknown argument '${a}' (see --help)`);
    }
  }
  return out;
}

/** Runs the serve command; resolves with the exit code when the server stops. */
export async function runServeCli(args: string[], experiments: ExperimentMap): Promise<number> {
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (err) {
    console.error(`serve: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  if (parsed.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  try {
    const what = await ensureUiBuilt();
    if (what === "built") {
      console.log(`built the dashboard bundle in ${DEFAULT_ASSET_ROOT.pathname}`);
    }
  } catch (err) {
    console.error(`serve: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
  let store: ResultStore;
  try {
    // Read-only: the dashboard never writes, a missing store is an error rather than created, and
    // a store with damaged pages can still be read.
    store = await openStore(resolveStoreLocation(parsed.store), { readOnly: true });
    if (store.notice) console.error(`warning: ${store.notice}`);
  } catch (err) {
    console.error(`serve: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  let server;
  try {
    server = startServer(
      { store, assets: fileAssets(), experiments },
      { host: parsed.host, port: parsed.port },
    );
  } catch (err) {
    console.error(
      `serve: cannot listen on ${parsed.host}:${parsed.port}: ${
        err instanceof Error ? err.message.split("\n")[0] : err
      }`,
    );
    await store.close();
    return 1;
  }
  const stop = (): void => void server.close();
  Deno.addSignalListener("SIGINT", stop);
  try {
    Deno.addSignalListener("SIGTERM", stop);
  } catch {
    // SIGTERM listeners are not available on every platform.
  }
  await server.finished;
  await store.close();
  return 0;
}
