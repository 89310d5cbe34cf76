/**
 * The results store in PostgreSQL (postgres.js), for runs shared between processes and machines.
 *
 * Every write is one transaction: a unit, its blobs and its run's progress are committed together
 * or not at all; a cache entry replaces the previous one atomically; a run copied in is visible
 * only once all its units are. After each committed write one autocommit statement bumps the change
 * counter (`change_seq`) and sends a notification on the store's channel carrying the run id, so
 * a poller never sees a new counter before the data, and LISTENers wake once the data is visible.
 *
 * Tables, the reasons for their layout and their creation: `pg_schema.ts`. Locations:
 * `pg_location.ts`. Errors: `pg_errors.ts`.
 *
 * One file over 600 lines by design: it is the one class implementing `ResultStore` on PostgreSQL,
 * and its methods share the connection, the read and write transaction wrappers and the change
 * announcement; what has a job of its own (errors, schema, locations, blobs, keys) is a module.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import postgres from "postgres";
import { blobProblem, describeBlob, fromBytes, toBytes } from "./blobs.ts";
import { pushChanges } from "./change_feed.ts";
import { StoreError } from "./errors.ts";
import { decodeKey, encodeKey, prefixEnd } from "./key_codec.ts";
import { parsePgLocation, type PgLocation } from "./pg_location.ts";
import { ensureSchema } from "./pg_schema.ts";
import { errorCode, pgError, withTimeout } from "./pg_errors.ts";
import { lostWork } from "./work.ts";
import { decodeValue, encodeValue } from "./value_codec.ts";
import type {
  BlobArray,
  BlobDescriptor,
  CacheEntry,
  ChangeOptions,
  CreateRunOptions,
  FullUnit,
  GetCacheOptions,
  KeyPart,
  Lease,
  LeaseInfo,
  LeaseOptions,
  LeaseResult,
  ListedUnit,
  OpenStoreOptions,
  ResultStore,
  RunFilter,
  RunRecord,
  StoreChange,
  UnitPayload,
  UnitRecord,
  UnitsWithBlobsOptions,
  WorkCounts,
  WorkLease,
  WorkLeaseOptions,
  WorkOutcome,
  WorkState,
  WorkUnitInfo,
} from "./types.ts";

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

/** A `runs` row as read. */
interface RunRow {
  done: number;
  updated_at: string;
  record: string;
}

/** A `work_units` row as read (`live`: a leased unit whose lease has not expired). */
interface WorkRow {
  idx: number;
  phase: number;
  spec: string;
  state: WorkState;
  holder: string | null;
  expires_at: Date | null;
  attempts: number;
  error: string | null;
  live: boolean;
}

/** Work units inserted per statement when a detached run is created. */
const WORK_BATCH = 1000;

/** Units read per query when streaming a run's units. */
const PAGE = 200;

/** Driver bytes for a `bytea` parameter (a view, no copy). */
function bytea(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function runColumns(r: RunRecord): Record<string, string | number> {
  return {
    id: r.id,
    figure: r.figure,
    status: r.status,
    started_at: r.startedAt,
    updated_at: r.updatedAt,
    done: r.progress.done,
    total: r.progress.total,
    record: encodeValue(r),
  };
}

function runOf(row: RunRow): RunRecord {
  const r = decodeValue<RunRecord>(row.record);
  // Unit writes move these two columns without rewriting the record.
  return { ...r, progress: { ...r.progress, done: row.done }, updatedAt: row.updated_at };
}

/** A results store in a PostgreSQL schema. */
export class PgStore implements ResultStore {
  /** Always "postgres". */
  readonly backend = "postgres" as const;
  /** The connection URL without its password. */
  readonly location: string;
  /** True when opened read-only. */
  readonly readOnly: boolean;
  /** Always null (damage is the server's business). */
  readonly notice: string | null = null;
  readonly #sql: Sql;
  readonly #loc: PgLocation;
  readonly #channel: string;
  /** The schema version in effect (an older one only on read-only handles). */
  readonly #schema: number;

  private constructor(sql: Sql, loc: PgLocation, at: { readOnly: boolean; schema: number }) {
    this.#sql = sql;
    this.#loc = loc;
    this.location = loc.display;
    this.readOnly = at.readOnly;
    this.#schema = at.schema;
    this.#channel = `prunelab_${loc.schema}`;
  }

  /**
   * Connects, then checks the schema version, creating the schema first when it is missing (unless
   * `readOnly` or `create: false`). Gives up after `connectTimeoutMs` (default 5 s).
   */
  static async open(location: string, options: OpenStoreOptions = {}): Promise<PgStore> {
    const loc = parsePgLocation(location);
    const readOnly = options.readOnly ?? false;
    const create = options.create ?? !readOnly;
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const sql = postgres(loc.url, {
      max: options.maxConnections ?? 4,
      // postgres.js's own connect timeout does not fire under Deno; withTimeout below does.
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      path: loc.socketPath,
      fetch_types: false,
      onnotice: () => {},
      connection: {
        application_name: "prunelab",
        search_path: loc.schema,
        ...(readOnly ? { default_transaction_read_only: true } : {}),
      },
    });
    let schema: number;
    try {
      schema = await withTimeout(ensureSchema(sql, loc, { create, readOnly }), timeoutMs, loc);
    } catch (err) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw pgError(err, loc);
    }
    return new PgStore(sql, loc, { readOnly, schema });
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 2 });
  }

  /** Creates a new run record and its work units in one transaction; fails if the id exists. */
  createRun(run: RunRecord, options: CreateRunOptions = {}): Promise<void> {
    return this.#write(async (tx, changed) => {
      const res = await tx`INSERT INTO runs ${tx(runColumns(run))} ON CONFLICT (id) DO NOTHING`;
      if (res.count === 0) throw new StoreError("conflict", `run ${run.id} already exists`);
      const rows = (options.work ?? []).map((u, idx) => ({
        run_id: run.id,
        idx,
        phase: u.phase,
        spec: encodeValue(u.spec),
      }));
      // Inserted in plan order, so `seq` (the leasing order) follows it.
      for (let i = 0; i < rows.length; i += WORK_BATCH) {
        await tx`INSERT INTO work_units ${
          tx(rows.slice(i, i + WORK_BATCH), "run_id", "idx", "phase", "spec")
        }`;
      }
      changed(run.id);
    });
  }

  /** Reads a run record. */
  getRun(id: string): Promise<RunRecord | null> {
    return this.#read(async (sql) => {
      const rows = await sql<RunRow[]>`
        SELECT done, updated_at, record FROM runs WHERE id = ${id}`;
      return rows.length > 0 ? runOf(rows[0]) : null;
    });
  }

  /** Run records, newest first. */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#read(async (sql) => {
      const rows = await sql<RunRow[]>`
        SELECT done, updated_at, record FROM runs
        WHERE true
          ${filter.figure !== undefined ? sql`AND figure = ${filter.figure}` : sql``}
          ${filter.status !== undefined ? sql`AND status = ${filter.status}` : sql``}
        ORDER BY started_at DESC, id`;
      return rows.map(runOf);
    });
  }

  /** Applies a patch to a run record under a row lock. */
  updateRun(id: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    return this.#write(async (tx, changed) => {
      const rows = await tx<RunRow[]>`
        SELECT done, updated_at, record FROM runs WHERE id = ${id} FOR UPDATE`;
      if (rows.length === 0) throw new StoreError("not-found", `unknown run ${id}`);
      const next: RunRecord = { ...runOf(rows[0]), ...patch, updatedAt: new Date().toISOString() };
      const cols = runColumns(next);
      await tx`UPDATE runs SET ${
        tx(cols, "figure", "status", "started_at", "updated_at", "done", "total", "record")
      } WHERE id = ${id}`;
      changed(id);
      return next;
    });
  }

  /** Deletes a run; its units, blobs and lease go with it (ON DELETE CASCADE). */
  deleteRun(id: string): Promise<void> {
    return this.#write(async (tx, changed) => {
      await tx`DELETE FROM runs WHERE id = ${id}`;
      changed(id);
    });
  }

  /** Writes a finished unit, its blobs and the run's progress in one statement. */
  putUnit(runId: string, key: KeyPart[], unit: UnitPayload): Promise<void> {
    return this.#run(async () => {
      this.#writable();
      if (await writeUnit(this.#sql, runId, { ...unit, key }, { progress: true })) {
        await this.#announce([runId]);
      }
    });
  }

  /** Reads one unit's record, or null. */
  getUnit(runId: string, key: KeyPart[]): Promise<UnitRecord | null> {
    return this.#read(async (sql) => {
      const rows = await sql<{ metrics: string; blobs: string }[]>`
        SELECT metrics, blobs FROM units WHERE run_id = ${runId} AND key = ${
        bytea(encodeKey(key))
      }`;
      return rows.length > 0 ? unitOf(rows[0]) : null;
    });
  }

  /** The units of a run in key order (one range scan of the primary key). */
  listUnits(runId: string, prefix: KeyPart[] = []): Promise<ListedUnit[]> {
    return this.#read(async (sql) => {
      const p = encodeKey(prefix);
      const rows = await sql<{ key: Uint8Array; metrics: string; blobs: string }[]>`
        SELECT key, metrics, blobs FROM units
        WHERE run_id = ${runId} AND key > ${bytea(p)} AND key < ${bytea(prefixEnd(p))}
        ORDER BY key`;
      return rows.map((r) => ({ key: decodeKey(r.key), record: unitOf(r) }));
    });
  }

  /** Reads a named blob of a unit, verified against its descriptor. */
  getBlob(runId: string, key: KeyPart[], name: string): Promise<BlobArray | null> {
    return this.#read(async (sql) => {
      const k = bytea(encodeKey(key));
      const rows = await sql<{ blobs: string; data: Uint8Array | null }[]>`
        SELECT u.blobs, b.data FROM units u
        LEFT JOIN unit_blobs b ON b.run_id = u.run_id AND b.key = u.key AND b.name = ${name}
        WHERE u.run_id = ${runId} AND u.key = ${k}`;
      if (rows.length === 0) return null;
      const d = decodeValue<BlobDescriptor[]>(rows[0].blobs).find((b) => b.name === name);
      if (!d) return null;
      return this.#verified(d, rows[0].data, `unit ${key.join("/")} of run ${runId}`);
    });
  }

  /** The keys of a run's units in key order (no metrics: one narrow index scan). */
  unitKeys(runId: string): Promise<KeyPart[][]> {
    return this.#read(async (sql) => {
      const rows = await sql<{ key: Uint8Array }[]>`
        SELECT key FROM units WHERE run_id = ${runId} ORDER BY key`;
      return rows.map((r) => decodeKey(r.key));
    });
  }

  /** Every unit of a run with its blobs, in key order, read a page at a time. */
  async *unitsWithBlobs(
    runId: string,
    options: UnitsWithBlobsOptions = {},
  ): AsyncIterableIterator<FullUnit> {
    const p = encodeKey(options.prefix ?? []);
    let after = p;
    const end = prefixEnd(p);
    for (;;) {
      const page = await this.#read((sql) =>
        sql<{ key: Uint8Array; metrics: string; blobs: string }[]>`
          SELECT key, metrics, blobs FROM units
          WHERE run_id = ${runId} AND key > ${bytea(after)} AND key < ${bytea(end)}
          ORDER BY key LIMIT ${PAGE}`
      );
      for (const row of page) {
        const key = decodeKey(row.key);
        const record = unitOf(row);
        const data = await this.#read((sql) =>
          sql<{ name: string; data: Uint8Array }[]>`
            SELECT name, data FROM unit_blobs WHERE run_id = ${runId} AND key = ${bytea(row.key)}`
        );
        const byName = new Map(data.map((r) => [r.name, r.data]));
        const blobs: Record<string, BlobArray> = {};
        for (const d of record.blobs) {
          blobs[d.name] = this.#verified(d, byName.get(d.name) ?? null, `unit ${key.join("/")}`);
        }
        yield { key, metrics: record.metrics, blobs };
      }
      if (page.length < PAGE) return;
      after = new Uint8Array(page[page.length - 1].key);
    }
  }

  /** Writes a whole run in one transaction (invisible until every unit is in). */
  importRun(run: RunRecord, units: AsyncIterable<FullUnit>): Promise<void> {
    return this.#write(async (tx, changed) => {
      const res = await tx`INSERT INTO runs ${tx(runColumns(run))} ON CONFLICT (id) DO NOTHING`;
      if (res.count === 0) throw new StoreError("conflict", `run ${run.id} already exists`);
      for await (const u of units) await writeUnit(tx, run.id, u, { progress: false });
      changed(run.id);
    });
  }

  /** Replaces a cache entry in one transaction. */
  putCache(key: string, entry: UnitPayload): Promise<void> {
    return this.#write(async (tx, changed) => {
      const blobs = Object.entries(entry.blobs ?? {});
      const descriptors = blobs.map(([name, a]) => describeBlob(name, a));
      await tx`DELETE FROM cache WHERE key = ${key}`;
      await tx`INSERT INTO cache (key, metrics, blobs)
               VALUES (${key}, ${encodeValue(entry.metrics)}, ${encodeValue(descriptors)})`;
      for (const [name, a] of blobs) {
        await tx`INSERT INTO cache_blobs (key, name, data)
                 VALUES (${key}, ${name}, ${bytea(toBytes(a))})`;
      }
      changed("");
    });
  }

  /** Reads a cache entry, verified; a damaged one is deleted and reported. */
  async getCache(key: string, options: GetCacheOptions = {}): Promise<CacheEntry | null> {
    const found = await this.#read(async (sql) => {
      const rows = await sql<{ metrics: string; blobs: string; row: string }[]>`
        SELECT metrics, blobs, xmin::text AS row FROM cache WHERE key = ${key}`;
      if (rows.length === 0) return null;
      const data = await sql<{ name: string; data: Uint8Array }[]>`
        SELECT name, data FROM cache_blobs WHERE key = ${key}`;
      return {
        record: unitOf(rows[0]),
        row: rows[0].row,
        data: new Map(data.map((r) => [r.name, r.data])),
      };
    });
    if (!found) return null;
    const blobs: Record<string, BlobArray> = {};
    for (const d of found.record.blobs) {
      const bytes = found.data.get(d.name);
      const problem = bytes ? blobProblem(d, bytes) : `blob '${d.name}' is missing`;
      if (problem !== null || !bytes) {
        if (!this.readOnly) {
          // Only the row version that was read goes: a concurrent writer's new entry survives.
          await this.#write(async (tx, changed) => {
            await tx`DELETE FROM cache WHERE key = ${key} AND xmin::text = ${found.row}`;
            changed("");
          });
        }
        options.onDiscarded?.(`cache entry ${key} was damaged (${problem}) and was discarded`);
        return null;
      }
      blobs[d.name] = fromBytes(d.type, bytes);
    }
    return { metrics: found.record.metrics, blobs };
  }

  /** The change counter. */
  version(): Promise<bigint> {
    return this.#read(async (sql) => {
      const rows = await sql<{ last_value: string; is_called: boolean }[]>`
        SELECT last_value, is_called FROM change_seq`;
      return rows[0].is_called ? BigInt(rows[0].last_value) : 0n;
    });
  }

  /** Yields on every committed write by any process (LISTEN on the store's channel). */
  changes(options: ChangeOptions = {}): AsyncIterableIterator<StoreChange> {
    const subscribe = async (
      emit: (runId: string | null) => void,
    ): Promise<() => Promise<void>> => {
      let first = true;
      const req = await this.#sql.listen(
        this.#channel,
        (payload) => emit(payload.replace(/^\d+:/, "")),
        () => {
          // Called again after a reconnect: notifications may have been missed meanwhile.
          if (!first) emit(null);
          first = false;
        },
      ).catch((err) => {
        throw pgError(err, this.#loc);
      });
      return () => req.unlisten();
    };
    return pushChanges(subscribe, () => this.version(), options);
  }

  /** Takes a run's lease unless another holder's is unexpired (server clock). */
  acquireLease(runId: string, options: LeaseOptions): Promise<LeaseResult> {
    return this.#run(async () => {
      this.#writable();
      for (let attempt = 0; attempt < 5; attempt++) {
        const token = crypto.randomUUID();
        let taken: { expires_at: Date }[];
        try {
          taken = await this.#sql<{ expires_at: Date }[]>`
            INSERT INTO leases (run_id, holder, token, expires_at)
            VALUES (${runId}, ${options.holder}, ${token},
                    now() + ${options.ttlMs} * interval '1 millisecond')
            ON CONFLICT (run_id) DO UPDATE
              SET holder = EXCLUDED.holder, token = EXCLUDED.token,
                  expires_at = EXCLUDED.expires_at, acquired_at = now()
              WHERE leases.expires_at <= now()
            RETURNING expires_at`;
        } catch (err) {
          if (errorCode(err) === "23503") throw new StoreError("not-found", `unknown run ${runId}`);
          throw err;
        }
        if (taken.length > 0) {
          const lease: Lease = {
            runId,
            holder: options.holder,
            token,
            ttlMs: options.ttlMs,
            expiresAt: taken[0].expires_at.toISOString(),
          };
          return { acquired: true, lease };
        }
        const held = await this.getLease(runId);
        if (held && !held.expired) return { acquired: false, heldBy: held };
        // Expired or released between the two statements: try again.
      }
      throw new StoreError("conflict", `could not take the lease of run ${runId}: contention`);
    });
  }

  /** Extends a held lease. */
  renewLease(lease: Lease, options: { ttlMs?: number } = {}): Promise<Lease> {
    return this.#run(async () => {
      this.#writable();
      const ttl = options.ttlMs ?? lease.ttlMs;
      const rows = await this.#sql<{ expires_at: Date }[]>`
        UPDATE leases SET expires_at = now() + ${ttl} * interval '1 millisecond'
        WHERE run_id = ${lease.runId} AND token = ${lease.token}
        RETURNING expires_at`;
      if (rows.length === 0) {
        const held = await this.getLease(lease.runId);
        const by = held ? ` (now held by ${held.holder})` : "";
        throw new StoreError("conflict", `the lease of run ${lease.runId} was lost${by}`);
      }
      return { ...lease, ttlMs: ttl, expiresAt: rows[0].expires_at.toISOString() };
    });
  }

  /** Releases a held lease. */
  releaseLease(lease: Lease): Promise<void> {
    return this.#run(async () => {
      this.#writable();
      await this.#sql`DELETE FROM leases WHERE run_id = ${lease.runId} AND token = ${lease.token}`;
    });
  }

  /** The lease recorded for a run. */
  getLease(runId: string): Promise<LeaseInfo | null> {
    return this.#read(async (sql) => {
      const rows = await sql<{ holder: string; expires_at: Date; expired: boolean }[]>`
        SELECT holder, expires_at, expires_at <= now() AS expired FROM leases
        WHERE run_id = ${runId}`;
      if (rows.length === 0) return null;
      const r = rows[0];
      return { holder: r.holder, expiresAt: r.expires_at.toISOString(), expired: r.expired };
    });
  }

  /**
   * Leases the next unit with `FOR UPDATE SKIP LOCKED`: concurrent workers skip the row another
   * transaction is taking instead of waiting for it, and a row taken since this statement's
   * snapshot is re-checked against the conditions before it is locked, so no two workers get one
   * unit. Expired leases are taken over (the server's clock decides).
   */
  leaseWork(options: WorkLeaseOptions): Promise<WorkLease | null> {
    return this.#run(async () => {
      this.#writable();
      const sql = this.#sql;
      const token = crypto.randomUUID();
      const exclude = [...(options.excludeRuns ?? [])];
      const rows = await sql<(WorkRow & { run_id: string })[]>`
        WITH c AS (
          SELECT w.run_id, w.idx FROM work_units w JOIN runs r ON r.id = w.run_id
          WHERE w.state IN ('open', 'leased')
            AND (w.state = 'open' OR w.expires_at <= now())
            AND r.status = 'running'
            ${options.runId !== undefined ? sql`AND w.run_id = ${options.runId}` : sql``}
            ${exclude.length > 0 ? sql`AND w.run_id NOT IN ${sql(exclude)}` : sql``}
            AND NOT EXISTS (
              SELECT 1 FROM work_units p
              WHERE p.run_id = w.run_id AND p.phase < w.phase AND p.state <> 'done')
          ORDER BY r.started_at, r.id, w.idx
          LIMIT 1
          FOR UPDATE OF w SKIP LOCKED)
        UPDATE work_units w
          SET state = 'leased', holder = ${options.holder}, token = ${token},
              expires_at = now() + ${options.ttlMs} * interval '1 millisecond',
              attempts = w.attempts + 1
          FROM c WHERE w.run_id = c.run_id AND w.idx = c.idx
          RETURNING w.run_id, w.idx, w.phase, w.spec, w.attempts, w.expires_at`;
      if (rows.length === 0) return null;
      const r = rows[0];
      return {
        runId: r.run_id,
        index: r.idx,
        phase: r.phase,
        spec: decodeValue<Record<string, unknown>>(r.spec),
        token,
        holder: options.holder,
        attempts: r.attempts,
        ttlMs: options.ttlMs,
        expiresAt: (r.expires_at ?? new Date()).toISOString(),
      };
    });
  }

  /** Extends a work lease while its token still matches. */
  renewWork(lease: WorkLease, options: { ttlMs?: number } = {}): Promise<WorkLease> {
    return this.#run(async () => {
      this.#writable();
      const ttl = options.ttlMs ?? lease.ttlMs;
      const rows = await this.#sql<{ expires_at: Date }[]>`
        UPDATE work_units SET expires_at = now() + ${ttl} * interval '1 millisecond'
        WHERE run_id = ${lease.runId} AND idx = ${lease.index} AND token = ${lease.token}
          AND state = 'leased'
        RETURNING expires_at`;
      if (rows.length === 0) throw lostWork(lease);
      return { ...lease, ttlMs: ttl, expiresAt: rows[0].expires_at.toISOString() };
    });
  }

  /** Ends a work lease and counts the run's units, in one transaction. */
  finishWork(lease: WorkLease, outcome: WorkOutcome): Promise<WorkCounts> {
    return this.#write(async (tx, changed) => {
      const rows = await tx`
        UPDATE work_units
          SET state = ${outcome.state}, token = NULL, expires_at = NULL,
              error = ${outcome.error ?? null}
        WHERE run_id = ${lease.runId} AND idx = ${lease.index} AND token = ${lease.token}
          AND state = 'leased'
        RETURNING idx`;
      if (rows.length === 0 && outcome.state === "done") throw lostWork(lease);
      changed(lease.runId);
      // Counted on the server: a run's units do not travel to every finishing worker.
      const [c] = await tx<WorkCounts[]>`
        SELECT count(*) FILTER (WHERE state = 'open' OR (state = 'leased' AND expires_at <= now()))::int AS open,
               count(*) FILTER (WHERE state = 'leased' AND expires_at > now())::int AS leased,
               count(*) FILTER (WHERE state = 'done')::int AS done,
               count(*) FILTER (WHERE state = 'failed')::int AS failed,
               count(*)::int AS total
        FROM work_units WHERE run_id = ${lease.runId}`;
      return c;
    });
  }

  /** A run's work units in order. */
  listWork(runId: string): Promise<WorkUnitInfo[]> {
    // A store of schema version 1 (open read-only) has no work units.
    if (this.#schema < 2) return Promise.resolve([]);
    return this.#read(async (sql) => (await workRows(sql, runId)).map(workInfo));
  }

  /** The typed array of a blob's bytes, or a "damaged" error naming what is wrong. */
  #verified(d: BlobDescriptor, data: Uint8Array | null, where: string): BlobArray {
    const problem = data === null ? `blob '${d.name}' is missing` : blobProblem(d, data);
    if (problem !== null || data === null) {
      throw new StoreError(
        "damaged",
        `the store ${this.location} is damaged: ${where}: ${problem}`,
      );
    }
    return fromBytes(d.type, data);
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw pgError(err, this.#loc);
    }
  }

  #read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.#run(() => fn(this.#sql));
  }

  /**
   * Runs `fn` in a transaction. `changed(runId)` marks the write as a change ("" for one that is
   * not about a run); after the commit one statement bumps the counter and notifies listeners.
   */
  #write<T>(fn: (tx: Tx, changed: (runId: string) => void) => Promise<T>): Promise<T> {
    return this.#run(async () => {
      this.#writable();
      const runs = new Set<string>();
      const out: T[] = [];
      await this.#sql.begin(async (tx) => {
        out.push(await fn(tx, (id) => runs.add(id)));
      });
      await this.#announce([...runs]);
      return out[0];
    });
  }

  /**
   * After a commit: bumps the change counter and notifies listeners, in one autocommit statement
   * per changed run, so the counter never moves before the data is visible.
   */
  async #announce(runs: string[]): Promise<void> {
    for (const id of runs) {
      await this.#sql`
        SELECT pg_notify(${this.#channel}, nextval('change_seq')::text || ':' || ${id})`;
    }
  }

  #writable(): void {
    if (this.readOnly) {
      throw new StoreError("read-only", `the results store ${this.location} is open read-only`);
    }
  }
}

/** A run's work unit rows in order, with whether each lease is live on the server's clock. */
function workRows(q: Sql | Tx, runId: string): Promise<WorkRow[]> {
  return q<WorkRow[]>`
    SELECT idx, phase, spec, state, holder, expires_at, attempts, error,
           (state = 'leased' AND expires_at > now()) AS live
    FROM work_units WHERE run_id = ${runId} ORDER BY idx`;
}

/** A listed work unit; a lease that expired counts as open (its holder is presumed dead). */
function workInfo(r: WorkRow): WorkUnitInfo {
  return {
    index: r.idx,
    phase: r.phase,
    spec: decodeValue<Record<string, unknown>>(r.spec),
    state: r.state === "leased" && !r.live ? "open" : r.state,
    holder: r.holder,
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    attempts: r.attempts,
    error: r.error,
  };
}

function unitOf(row: { metrics: string; blobs: string }): UnitRecord {
  return {
    metrics: decodeValue<Record<string, unknown>>(row.metrics),
    blobs: decodeValue<BlobDescriptor[]>(row.blobs),
  };
}

/**
 * Inserts a unit and its blobs unless the unit exists, and with `progress` counts it in its run;
 * true when written. One statement (data-modifying CTEs), so it is atomic even outside a
 * transaction and costs one round trip: a unit write is bound by round trips, not bytes.
 */
async function writeUnit(
  q: Sql | Tx,
  runId: string,
  unit: FullUnit | (UnitPayload & { key: KeyPart[] }),
  options: { progress: boolean },
): Promise<boolean> {
  const entries = Object.entries(unit.blobs ?? {});
  const descriptors = entries.map(([name, a]) => describeBlob(name, a));
  const params: (string | Buffer)[] = [
    runId,
    bytea(encodeKey(unit.key)),
    encodeValue(unit.metrics),
    encodeValue(descriptors),
    new Date().toISOString(),
  ];
  const values = entries.map(([name, a]) => {
    params.push(name, bytea(toBytes(a)));
    return `($${params.length - 1}::text, $${params.length}::bytea)`;
  });
  const text = `
    WITH u AS (
      INSERT INTO units (run_id, key, metrics, blobs) VALUES ($1, $2, $3, $4)
      ON CONFLICT DO NOTHING RETURNING run_id, key
    )` +
    (values.length > 0
      ? `, b AS (
      INSERT INTO unit_blobs (run_id, key, name, data)
      SELECT u.run_id, u.key, v.name, v.data FROM u CROSS JOIN (VALUES ${values.join(", ")})
        AS v (name, data)
    )`
      : "") +
    (options.progress
      ? `, r AS (
      UPDATE runs SET done = done + 1, updated_at = $5 WHERE id = $1 AND EXISTS (SELECT 1 FROM u)
    )`
      : "") +
    ` SELECT count(*)::int AS n, $5::text AS at FROM u`;
  try {
    const rows = await q.unsafe<{ n: number }[]>(text, params);
    return rows[0].n > 0;
  } catch (err) {
    // The foreign key on runs: the unit belongs to no run.
    if (errorCode(err) === "23503") throw new StoreError("not-found", `unknown run ${runId}`);
    throw err;
  }
}
