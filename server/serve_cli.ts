/**
 * The `serve` command (`deno task serve`, `prunelab serve`): parses `--port`, `--host`, `--store`,
 * builds the UI bundle when it is missing or stale (source checkouts only), opens the store and
 * serves until interrupted.
 *
 * @module
 */
import { flagHelp, type FlagSpec, parseFlags, stringFlag } from "../core/app/args.ts";
import { UsageError } from "../core/util/errors.ts";
import { openStore, resolveStoreLocation, type ResultStore } from "../core/store/store.ts";
import { DEFAULT_ASSET_ROOT, fileAssets } from "./assets.ts";
import { ensureUiBuilt } from "./build_ui.ts";
import { startServer } from "./listen.ts";
import type { ExperimentMap } from "./run_data.ts";

/** Flags of the serve command. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: "port", type: "string", value: "N", help: "port to listen on", default: "8000" },
  {
    name: "host",
    type: "string",
    value: "ADDR",
    help: "interface to bind (anything but loopback prints a warning)",
    default: "127.0.0.1",
  },
  {
    name: "store",
    type: "string",
    value: "PATH",
    help: "results store: a Deno KV file or a postgres:// URL",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  {
    name: "allow-host",
    type: "string",
    value: "NAMES",
    help: "further host names to answer to, comma-separated (e.g. a reverse proxy's)",
    default: "loopback and the --host address only",
  },
  { name: "help", type: "boolean", help: "this text" },
];

/** Help text of the serve command. */
export const SERVE_HELP = `Usage: serve [--port N] [--host ADDR] [--store PATH] [--allow-host NAMES]

Serves the live results dashboard.
${flagHelp(SERVE_FLAGS)}`;

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
  /** `--allow-host` names, when given. */
  allowHosts?: string[];
}

/** Parses serve flags; throws a one-line {@link UsageError} on bad input. */
export function parseServeArgs(args: string[]): ServeArgs {
  const { flags } = parseFlags(SERVE_FLAGS, args);
  const out: ServeArgs = { port: 8000, host: "127.0.0.1", help: flags.help === true };
  const port = stringFlag(flags, "port");
  if (port !== undefined) {
    const p = Number(port);
    if (!/^\d+$/.test(port) || p > 65535) {
      throw new UsageError(`--port must be 0-65535, got '${port}'`);
    }
    out.port = p;
  }
  const host = stringFlag(flags, "host");
  if (host !== undefined) out.host = host;
  const store = stringFlag(flags, "store");
  if (store !== undefined) out.store = store;
  const allow = stringFlag(flags, "allow-host");
  if (allow !== undefined) {
    const names = allow.split(",").map((h) => h.trim());
    const bad = names.find((h) => !/^[A-Za-z0-9.:\[\]-]+$/.test(h));
    if (bad !== undefined) throw new UsageError(`--allow-host: '${bad}' is not a host name`);
    out.allowHosts = names;
  }
  return out;
}

/** The first line of an error's message. */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/** Runs the serve command; resolves with the exit code when the server stops. */
export async function runServeCli(args: string[], experiments: ExperimentMap): Promise<number> {
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (err) {
    console.error(`error: serve: ${oneLine(err)}`);
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
    console.error(`error: serve: ${oneLine(err)}`);
    return 1;
  }
  let store: ResultStore;
  try {
    // Read-only: the dashboard never writes, a missing store is an error rather than created, and
    // a store with damaged pages can still be read.
    store = await openStore(resolveStoreLocation(parsed.store), { readOnly: true });
    if (store.notice) console.error(`warning: ${store.notice}`);
  } catch (err) {
    console.error(`error: serve: ${oneLine(err)}`);
    return 2;
  }
  let server;
  try {
    server = startServer(
      { store, assets: fileAssets(), experiments },
      { host: parsed.host, port: parsed.port, allowHosts: parsed.allowHosts },
    );
  } catch (err) {
    console.error(`error: serve: cannot listen on ${parsed.host}:${parsed.port}: ${oneLine(err)}`);
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
