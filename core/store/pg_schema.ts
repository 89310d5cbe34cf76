/**
 * The PostgreSQL store's schema, created on first use and versioned, and {@link ensureSchema},
 * which creates or migrates it.
 *
 * All tables live in one PostgreSQL schema (default `prunelab`), reached through the connection's
 * `search_path`, so statements name tables unqualified. `meta` holds the schema version; a store
 * written by another version is refused with one line rather than misread.
 *
 * Blobs are one `bytea` per blob (`unit_blobs`, `cache_blobs`) with `STORAGE EXTERNAL`: PostgreSQL
 * already splits large values into 2 KB TOAST chunks behind the scenes (up to 1 GB a value, far above
 * the largest blob here, a few MB of DBM weights), so chunking by hand would only add rows and
 * round trips; EXTERNAL skips compression, which costs CPU and gains nothing on random-looking
 * float bits.
 *
 * @module
 */
import type postgres from "postgres";
import { StoreError } from "./errors.ts";
import type { PgLocation } from "./pg_location.ts";

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = 2;

/**
 * Statements creating schema version 1 (run inside one transaction under an advisory lock); a new
 * store then runs {@link MIGRATIONS} up to {@link SCHEMA_VERSION}.
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE meta (
     singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     schema_version integer NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  // Bumped after every committed data write: the change counter of ResultStore.version().
  `CREATE SEQUENCE change_seq`,
  // The record is JSON text (value_codec.ts); the columns duplicate what queries filter and sort
  // on, and progress.done / updatedAt, which unit writes change without rewriting the record.
  `CREATE TABLE runs (
     id text COLLATE "C" PRIMARY KEY,
     figure text NOT NULL,
     status text NOT NULL,
     started_at text COLLATE "C" NOT NULL,
     updated_at text NOT NULL,
     done integer NOT NULL,
     total integer NOT NULL,
     record text NOT NULL
   )`,
  // "C" collation: ids and ISO times sort bytewise, as the Deno KV backend sorts them.
  // The dashboard lists runs newest first, optionally by figure and status.
  `CREATE INDEX runs_started_idx ON runs (started_at DESC)`,
  `CREATE INDEX runs_figure_status_idx ON runs (figure, status, started_at DESC)`,
  // key: the unit key in Deno KV's order-preserving tuple encoding (key_codec.ts), so the primary
  // key's b-tree serves "units of a run in key order, under a prefix" as one range scan.
  `CREATE TABLE units (
     run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     key bytea NOT NULL,
     metrics text NOT NULL,
     blobs text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
     PRIMARY KEY (run_id, key)
   )`,
  `CREATE TABLE unit_blobs (
     run_id text NOT NULL,
     key bytea NOT NULL,
     name text NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (run_id, key, name),
     FOREIGN KEY (run_id, key) REFERENCES units (run_id, key) ON DELETE CASCADE
   )`,
  `ALTER TABLE unit_blobs ALTER COLUMN data SET STORAGE EXTERNAL`,
  `CREATE TABLE cache (
     key text PRIMARY KEY,
     metrics text NOT NULL,
     blobs text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE cache_blobs (
     key text NOT NULL REFERENCES cache (key) ON DELETE CASCADE,
     name text NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (key, name)
   )`,
  `ALTER TABLE cache_blobs ALTER COLUMN data SET STORAGE EXTERNAL`,
  // Expiry on the server's clock, so machines with skewed clocks agree on who holds a run.
  `CREATE TABLE leases (
     run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
     holder text NOT NULL,
     token uuid NOT NULL,
     expires_at timestamptz NOT NULL,
     acquired_at timestamptz NOT NULL DEFAULT now()
   )`,
];

/**
 * Additive migrations: `MIGRATIONS[v]` takes a store from version v to v + 1. A writable handle
 * applies them at open, in one transaction under the schema's advisory lock, so a store written by
 * an older prunelab keeps its runs; a read-only handle reads a version-1 store as it is.
 */
export const MIGRATIONS: Readonly<Record<number, readonly string[]>> = {
  // Version 2: work units of detached runs, leased by workers on any number of machines
  // (docs/cluster.md). Expiry is judged on the server's clock, like run leases; `seq` records
  // the order units were planned in across runs.
  1: [
    `CREATE TABLE work_units (
       run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       idx integer NOT NULL,
       seq bigserial NOT NULL,
       phase integer NOT NULL,
       spec text NOT NULL,
       state text NOT NULL DEFAULT 'open',
       holder text,
       token uuid,
       expires_at timestamptz,
       attempts integer NOT NULL DEFAULT 0,
       error text,
       PRIMARY KEY (run_id, idx)
     )`,
    // What a worker scans for: units not yet done, in order; small however large the history.
    `CREATE INDEX work_units_todo_idx ON work_units (seq) WHERE state IN ('open', 'leased')`,
  ],
};

/**
 * Checks the schema version, creating the schema when allowed and missing and migrating an older
 * version (writable handles only); returns the version the handle works with.
 */
export async function ensureSchema(
  sql: postgres.Sql,
  loc: PgLocation,
  options: { create: boolean; readOnly: boolean },
): Promise<number> {
  const refuse = (v: number | null): StoreError =>
    new StoreError(
      "schema",
      `the store ${loc.display} (schema '${loc.schema}') has schema version ${v ?? "none"}, ` +
        `this prunelab reads version ${SCHEMA_VERSION}: use the prunelab release that wrote it, ` +
        `or another ?schema=`,
    );
  // The stored version, or null when there is no store in the schema.
  const stored = async (q: postgres.Sql | postgres.TransactionSql): Promise<number | null> => {
    const exists = await q<{ present: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM information_schema.tables
                     WHERE table_schema = ${loc.schema} AND table_name = 'meta') AS present`;
    if (!exists[0].present) return null;
    const rows = await q<{ schema_version: number }[]>`SELECT schema_version FROM meta`;
    const v = rows.length > 0 ? rows[0].schema_version : null;
    if (v === SCHEMA_VERSION || (v !== null && v >= 1 && MIGRATIONS[v])) return v;
    throw refuse(v);
  };
  const found = await stored(sql);
  if (found === SCHEMA_VERSION) return found;
  // An older store is read as it is by a read-only handle (it only lacks newer tables).
  if (found !== null && options.readOnly) return found;
  if (found === null && !options.create) {
    throw new StoreError(
      "missing",
      `no results store in schema '${loc.schema}' of ${loc.display} ` +
        `(run an experiment with --store to create it)`,
    );
  }
  await sql.begin(async (tx) => {
    // Processes starting at once on an empty or older store must not both create or migrate it.
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`prunelab-schema:${loc.schema}`}))`;
    let v = await stored(tx);
    if (v === null) {
      await tx`CREATE SCHEMA IF NOT EXISTS ${tx(loc.schema)}`;
      for (const stmt of SCHEMA_STATEMENTS) await tx.unsafe(stmt);
      await tx`INSERT INTO meta (schema_version) VALUES (1)`;
      v = 1;
    }
    for (; v < SCHEMA_VERSION; v++) {
      for (const stmt of MIGRATIONS[v]) await tx.unsafe(stmt);
    }
    await tx`UPDATE meta SET schema_version = ${SCHEMA_VERSION}`;
  });
  return SCHEMA_VERSION;
}
