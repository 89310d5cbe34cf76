/**
 * The results store: what experiments, the CLI and the dashboard use to keep runs, work units,
 * blobs, a cache of reusable artefacts and run leases. Two backends implement one interface
 * ({@link ResultStore}): a local Deno KV file (the embedded default) and PostgreSQL (shared by
 * processes on many machines). {@link openStore} picks one from the location: a `postgres://` or
 * `postgresql://` URL, otherwise a file path. docs/store.md describes both and what they guarantee.
 *
 * @module
 */
import { KvStore } from "./kv_backend.ts";
import { isPostgresLocation } from "./pg_location.ts";
import type { OpenStoreOptions, ResultStore } from "./types.ts";

export type * from "./types.ts";
export { StoreError, type StoreErrorKind } from "./errors.ts";
export { isPostgresLocation, redactLocation } from "./pg_location.ts";
export { copyRun, type CopyStores } from "./copy.ts";
export { countWork } from "./work.ts";
export {
  DEFAULT_LEASE_TTL_MS,
  defaultHolder,
  type HeldLease,
  type HoldLeaseOptions,
  holdRunLease,
} from "./lease_keeper.ts";

/** Run ids: a figure name, a timestamp and a random suffix; lower-case, digits and dashes. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,79}$/;
/** Default store location when neither `--store` nor `PRUNELAB_STORE` is given. */
export const DEFAULT_STORE_PATH = "prunelab.kv";

/** The store location from a flag, the `PRUNELAB_STORE` environment variable or the default. */
export function resolveStoreLocation(flag?: string): string {
  if (flag) return flag;
  try {
    return Deno.env.get("PRUNELAB_STORE") || DEFAULT_STORE_PATH;
  } catch {
    // No --allow-env: the default.
    return DEFAULT_STORE_PATH;
  }
}

/** Makes a new run id such as `fig5-20261121-101500-k3x9`. */
export function newRunId(figure: string, now: Date = new Date()): string {
  const p = (v: number): string => String(v).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const rand = crypto.getRandomValues(new Uint8Array(3));
  const suffix = Array.from(rand, (b) => b.toString(36).padStart(2, "0")).join("").slice(0, 5);
  return `${figure.toLowerCase()}-${stamp}-${suffix}`;
}

/**
 * Opens the store at `location`: a PostgreSQL URL or a Deno KV file path. Every failure is a
 * one-line `StoreError` (bad location, missing store when `create` is false or `readOnly` is set,
 * unreachable server, refused login, another schema version, a damaged file).
 */
export async function openStore(
  location: string,
  options: OpenStoreOptions = {},
): Promise<ResultStore> {
  if (isPostgresLocation(location)) {
    // Loaded only for PostgreSQL locations, so KV users never load the driver.
    const { PgStore } = await import("./pg_backend.ts");
    return await PgStore.open(location, options);
  }
  return await KvStore.open(location, options);
}
