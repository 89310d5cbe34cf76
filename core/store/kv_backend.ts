/**
 * The results store in a local Deno KV file: the embedded default backend.
 *
 * Layout (all keys start with a kind; unchanged from the first store, so old files open as they
 * are):
 * - `["run", runId]` -> {@link RunRecord}
 * - `["unit", runId, ...unitKey]` -> {@link UnitRecord} plus `gen` (small: metrics, blob
 *   descriptors, the generation its chunks live under)
 * - `["blob", runId, ...unitKey, gen, name, chunk]` -> Uint8Array chunk of a typed array (units
 *   written before generations: `["blob", runId, ...unitKey, name, chunk]` and no `gen`)
 * - `["cache", key]` -> {@link UnitRecord} plus `gen`; its chunks at
 *   `["cacheblob", key, gen, name, chunk]` (entries written before generations existed keep
 *   `["cacheblob", key, name, chunk]` and no `gen`)
 * - `["lease", runId]` -> {@link KvLease}
 * - `["work", runId, index]` -> {@link KvWork}: the work units of a detached run (one machine's
 *   worker processes share them; check-and-set commits make a lease exclusive)
 * - `["version"]` -> Deno.KvU64 bumped by every data write, so a reader in another process can poll
 *   one key to learn that something changed (Deno KV's `watch()` does not see other processes'
 *   writes).
 *
 * A unit and its run's progress are written in one atomic commit: an interrupted run keeps every
 * finished unit and nothing half-written. Deno KV limits a value to 64 KiB and a commit to 1,000
 * mutations and 800 KB, so typed arrays are split into 60 KiB chunks and a unit's blobs may take
 * several commits before the one that writes the unit record (the unit only exists once complete).
 * Every write attempt puts its chunks under a fresh generation and the record naming it is
 * committed last: a kill mid-write leaves a previous cache entry intact, and two processes racing
 * to write one unit never touch each other's chunks (the loser deletes its own).
 *
 * Damage: the file is checked before Deno opens it (see `kv_check.ts`), and any operation that meets
 * a damaged page throws a one-line `StoreError` naming the file.
 *
 * One file over 600 lines by design: it is the one class implementing `ResultStore` on Deno KV,
 * and its methods share the handle, the damage guard and the generation protocol of chunked writes
 * above, which a split would spread over files; blobs, keys, values, damage checks and the change
 * feed are modules of their own.
 *
 * @module
 */
import { blobProblem, CHUNK_BYTES, describeBlob, fromBytes, toBytes } from "./blobs.ts";
import { pollChanges } from "./change_feed.ts";
import { concatTyped } from "../util/typed_arrays.ts";
import { firstLine, StoreError } from "./errors.ts";
import { checkKvFile, isCorruptionMessage } from "./kv_check.ts";
import { countWork, lostWork, phaseReady } from "./work.ts";
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

/**
 * A unit or cache record as stored: plus the generation its chunks live under (absent in records
 * written before generations, whose chunks sit directly under the unit or cache key).
 */
interface KvRecord extends UnitRecord {
  gen?: string;
}

/** A fresh generation: each write attempt puts its chunks under its own. */
function newGen(): string {
  return `g${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

/** The record callers see (the generation is this backend's business). */
function publicRecord(r: KvRecord): UnitRecord {
  return { metrics: r.metrics, blobs: r.blobs };
}

/** A lease as stored (times in ms since the epoch of this machine's clock: the file is local). */
interface KvLease {
  holder: string;
  token: string;
  expiresAtMs: number;
}

/** A work unit as stored (lease times in ms since the epoch of this machine's clock). */
interface KvWork {
  phase: number;
  spec: Record<string, unknown>;
  state: WorkState;
  holder: string | null;
  token: string | null;
  expiresAtMs: number | null;
  attempts: number;
  error: string | null;
}

/** A listed work unit; a lease that expired counts as open (its holder is presumed dead). */
function workInfo(index: number, w: KvWork, now: number): WorkUnitInfo {
  const expired = w.state === "leased" && (w.expiresAtMs ?? 0) <= now;
  return {
    index,
    phase: w.phase,
    spec: w.spec,
    state: expired ? "open" : w.state,
    holder: w.holder,
    expiresAt: w.expiresAtMs === null ? null : new Date(w.expiresAtMs).toISOString(),
    attempts: w.attempts,
    error: w.error,
  };
}

/** Run order of leasing: start time, then id, bytewise (as PostgreSQL's "C" collation sorts). */
function oldestFirst(a: RunRecord, b: RunRecord): number {
  const x = `${a.startedAt} ${a.id}`, y = `${b.startedAt} ${b.id}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Open units of a run among which a lease picks at random. */
const LEASE_SPREAD = 8;

/** Work units written with their run in one commit (the rest go in batches before it). */
const WORK_IN_RUN_COMMIT = 900;

/** Retries of optimistic (check-and-set) commits before giving up. */
const MAX_ATTEMPTS = 20;

function leaseInfo(l: KvLease, now: number): LeaseInfo {
  return {
    holder: l.holder,
    expiresAt: new Date(l.expiresAtMs).toISOString(),
    expired: l.expiresAtMs <= now,
  };
}

/**
 * Runs `fn`, retrying with a growing random pause (60 retries, about 5 s in all) while SQLite
 * reports the file locked by another handle: Deno KV answers "database is locked" instead of
 * waiting. Only for operations that are safe to repeat; other errors, and the last locked one, are
 * thrown as they are.
 */
export async function whileLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError || attempt >= 60) throw err;
      if (!/database is locked|database table is locked|busy/i.test(firstLine(err))) throw err;
      await new Promise((r) =>
        setTimeout(r, Math.min(200, 2 + attempt * attempt) * Math.random() + 1)
      );
    }
  }
}

/** A results store in one Deno KV file. */
export class KvStore implements ResultStore {
  /** Always "kv". */
  readonly backend = "kv" as const;
  /** Path of the store file. */
  readonly location: string;
  /** True when opened read-only. */
  readonly readOnly: boolean;
  /** Damage found at open, when the store was opened read-only anyway. */
  readonly notice: string | null;
  readonly #kv: Deno.Kv;

  private constructor(kv: Deno.Kv, path: string, readOnly: boolean, notice: string | null) {
    this.#kv = kv;
    this.location = path;
    this.readOnly = readOnly;
    this.notice = notice;
  }

  /**
   * Opens the store file at `path`, creating it unless `create` is false or `readOnly` is set.
   * Damage that would make Deno panic is refused; damaged data pages are refused for writing and
   * allowed read-only (with {@link KvStore.notice} set). Failures are one-line `StoreError`s.
   */
  static async open(path: string, options: OpenStoreOptions = {}): Promise<KvStore> {
    const readOnly = options.readOnly ?? false;
    const create = options.create ?? !readOnly;
    if (path.trim() === "") throw new StoreError("location", "the store path is empty");
    let info: Deno.FileInfo | null = null;
    try {
      info = await Deno.stat(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new StoreError(
          "location",
          `cannot open the results store '${path}': ${firstLine(err)}`,
        );
      }
    }
    let notice: string | null = null;
    if (info === null) {
      if (!create) {
        throw new StoreError(
          "missing",
          `no results store at '${path}' (run an experiment first, or pass --store)`,
        );
      }
    } else {
      if (!info.isFile) {
        throw new StoreError("location", `the results store '${path}' is not a file`);
      }
      const check = checkKvFile(path);
      if (check.state === "fatal") {
        throw new StoreError(
          "damaged",
          `the results store '${path}' is damaged and cannot be opened (${check.detail}): ` +
            `move it aside and restore a backup, or start a new store with --store`,
        );
      }
      if (check.state === "damaged") {
        const what = `the results store '${path}' has damaged pages (${check.detail})`;
        if (!readOnly) {
          throw new StoreError(
            "damaged",
            `${what}: it takes no new writes; open it read-only (deno task serve) to read what ` +
              `is left, copy the runs you need to a new store, and move it aside`,
          );
        }
        notice = `${what}: some runs may not be readable; copy what you need to a new store`;
      }
    }
    try {
      // Opening sets the file up (schema, WAL), which another process opening or writing it at
      // that moment can hold locked: seen once in a loop of the full suite, when a test polled a
      // store its child was creating.
      const kv = await whileLocked(() => Deno.openKv(path));
      return new KvStore(kv, path, readOnly, notice);
    } catch (err) {
      const why = firstLine(err);
      const kind = isCorruptionMessage(why) ? "damaged" : "location";
      throw new StoreError(kind, `cannot open the results store '${path}': ${why}`);
    }
  }

  /** Closes the file. */
  close(): Promise<void> {
    this.#kv.close();
    return Promise.resolve();
  }

  /**
   * Creates a new run record with its work units; fails if the id exists. Work units beyond what
   * one commit holds are written first: without their run record no worker sees them.
   */
  createRun(run: RunRecord, options: CreateRunOptions = {}): Promise<void> {
    return this.#guard(async () => {
      this.#writable();
      const work = (options.work ?? []).map((u): KvWork => ({
        phase: u.phase,
        spec: u.spec,
        state: "open",
        holder: null,
        token: null,
        expiresAtMs: null,
        attempts: 0,
        error: null,
      }));
      const conflict = (): StoreError => new StoreError("conflict", `run ${run.id} already exists`);
      const op = this.#kv.atomic().check({ key: ["run", run.id], versionstamp: null });
      if (work.length > WORK_IN_RUN_COMMIT) {
        if ((await this.#kv.get(["run", run.id])).value) throw conflict();
        for (let i = 0; i < work.length; i += WORK_IN_RUN_COMMIT) {
          const batch = this.#kv.atomic();
          work.slice(i, i + WORK_IN_RUN_COMMIT).forEach((w, k) => {
            batch.set(["work", run.id, i + k], w);
          });
          await this.#commit(batch);
        }
      } else {
        work.forEach((w, i) => op.set(["work", run.id, i], w));
      }
      const res = await op.set(["run", run.id], run).sum(["version"], 1n).commit();
      if (!res.ok) throw conflict();
    });
  }

  /** Reads a run record. */
  getRun(id: string): Promise<RunRecord | null> {
    return this.#guard(async () => (await this.#kv.get<RunRecord>(["run", id])).value);
  }

  /** Run records, newest first. */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#guard(async () => {
      const runs: RunRecord[] = [];
      for await (const e of this.#kv.list<RunRecord>({ prefix: ["run"] })) {
        const r = e.value;
        if (filter.figure !== undefined && r.figure !== filter.figure) continue;
        if (filter.status !== undefined && r.status !== filter.status) continue;
        runs.push(r);
      }
      runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
      return runs;
    });
  }

  /** Applies a patch to a run record (read-modify-write with a version check, retried). */
  updateRun(id: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    return this.#guard(async () => {
      this.#writable();
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const cur = await this.#kv.get<RunRecord>(["run", id]);
        if (!cur.value) throw new StoreError("not-found", `unknown run ${id}`);
        const next = { ...cur.value, ...patch, updatedAt: new Date().toISOString() };
        const res = await this.#kv.atomic().check(cur).set(["run", id], next).sum(["version"], 1n)
          .commit();
        if (res.ok) return next;
      }
      throw new StoreError("conflict", `could not update run ${id}: too much contention`);
    });
  }

  /** Deletes a run and everything under it. */
  deleteRun(id: string): Promise<void> {
    return this.#guard(async () => {
      this.#writable();
      await this.#deletePrefix(["unit", id]);
      await this.#deletePrefix(["blob", id]);
      await this.#deletePrefix(["work", id]);
      await this.#kv.atomic().delete(["run", id]).delete(["lease", id]).sum(["version"], 1n)
        .commit();
    });
  }

  /** Writes a finished unit (see {@link ResultStore.putUnit}). */
  putUnit(runId: string, key: KeyPart[], unit: UnitPayload): Promise<void> {
    // Chosen outside the retried operation: a retry rewrites the same chunks, leaving no orphans.
    const gen = newGen();
    return this.#guard(async () => {
      this.#writable();
      const unitKey = ["unit", runId, ...key];
      // Another writer finished this unit first, or the run vanished: drop the chunks of this
      // attempt (also those a retried attempt wrote before failing), never a committed unit's.
      const discard = (found: KvRecord | null): Promise<void> =>
        found?.gen === gen ? Promise.resolve() : this.#deletePrefix(["blob", runId, ...key, gen]);
      // A finished unit is immutable: re-putting it (a resumed run) must not touch its blobs.
      const found = (await this.#kv.get<KvRecord>(unitKey)).value;
      if (found) return await discard(found);
      if (!(await this.#kv.get(["run", runId])).value) {
        await discard(null);
        throw new StoreError("not-found", `unknown run ${runId}`);
      }
      const record = await this.#writeUnitBlobs(["blob", runId, ...key, gen], unit);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const [existing, run] = await this.#kv.getMany<[KvRecord, RunRecord]>([
          unitKey,
          ["run", runId],
        ]);
        if (existing.value) return await discard(existing.value);
        if (!run.value) {
          await discard(null);
          throw new StoreError("not-found", `unknown run ${runId}`);
        }
        const next: RunRecord = {
          ...run.value,
          progress: { ...run.value.progress, done: run.value.progress.done + 1 },
          updatedAt: new Date().toISOString(),
        };
        const res = await this.#kv.atomic().check(existing).check(run).set(unitKey, record)
          .set(["run", runId], next).sum(["version"], 1n).commit();
        if (res.ok) return;
      }
      throw new StoreError("conflict", `could not write unit ${key.join("/")} of run ${runId}`);
    });
  }

  /** Reads one unit's record, or null. */
  getUnit(runId: string, key: KeyPart[]): Promise<UnitRecord | null> {
    return this.#guard(async () => {
      const rec = (await this.#kv.get<KvRecord>(["unit", runId, ...key])).value;
      return rec ? publicRecord(rec) : null;
    });
  }

  /** Lists the units of a run (metrics only, no blobs), in key order. */
  listUnits(runId: string, prefix: KeyPart[] = []): Promise<ListedUnit[]> {
    return this.#guard(async () => {
      const out: ListedUnit[] = [];
      const iter = this.#kv.list<KvRecord>({ prefix: ["unit", runId, ...prefix] }, {
        batchSize: 1000,
      });
      for await (const e of iter) {
        out.push({ key: unitKeyOf(e.key), record: publicRecord(e.value) });
      }
      return out;
    });
  }

  /** The keys of a run's units in key order. */
  async unitKeys(runId: string): Promise<KeyPart[][]> {
    return (await this.listUnits(runId)).map((u) => u.key);
  }

  /** Reads a named blob of a unit, verified against its descriptor. */
  getBlob(runId: string, key: KeyPart[], name: string): Promise<BlobArray | null> {
    return this.#guard(async () => {
      const unit = (await this.#kv.get<KvRecord>(["unit", runId, ...key])).value;
      const d = unit?.blobs.find((b) => b.name === name);
      if (!unit || !d) return null;
      const prefix = unit.gen
        ? ["blob", runId, ...key, unit.gen, name]
        : ["blob", runId, ...key, name];
      const got = await this.#readBlob(prefix, d);
      if (typeof got === "string") {
        throw new StoreError(
          "damaged",
          `the results store '${this.location}' is damaged: unit ${key.join("/")} of run ` +
            `${runId}: ${got}`,
        );
      }
      return got;
    });
  }

  /** Every unit of a run with its blobs, in key order. */
  async *unitsWithBlobs(
    runId: string,
    options: UnitsWithBlobsOptions = {},
  ): AsyncIterableIterator<FullUnit> {
    for (const u of await this.listUnits(runId, options.prefix ?? [])) {
      const blobs: Record<string, BlobArray> = {};
      for (const d of u.record.blobs) {
        const b = await this.getBlob(runId, u.key, d.name);
        if (b === null) {
          throw new StoreError("damaged", `blob ${d.name} of ${u.key.join("/")} vanished`);
        }
        blobs[d.name] = b;
      }
      yield { key: u.key, metrics: u.record.metrics, blobs };
    }
  }

  /** Writes a whole run: units first (invisible without their run), the record last. */
  importRun(run: RunRecord, units: AsyncIterable<FullUnit>): Promise<void> {
    const gens = new Map<string, string>(); // stable across retries, as in putUnit
    return this.#guard(async () => {
      this.#writable();
      if ((await this.#kv.get(["run", run.id])).value) {
        throw new StoreError("conflict", `run ${run.id} already exists`);
      }
      for await (const u of units) {
        const unitKey = ["unit", run.id, ...u.key];
        if ((await this.#kv.get(unitKey)).value) continue; // left by an interrupted import
        const k = JSON.stringify(u.key);
        const gen = gens.get(k) ?? newGen();
        gens.set(k, gen);
        const record = await this.#writeUnitBlobs(["blob", run.id, ...u.key, gen], u);
        await this.#commit(this.#kv.atomic().set(unitKey, record));
      }
      const res = await this.#kv.atomic().check({ key: ["run", run.id], versionstamp: null })
        .set(["run", run.id], run).sum(["version"], 1n).commit();
      if (!res.ok) throw new StoreError("conflict", `run ${run.id} already exists`);
    });
  }

  /** Stores a cache entry, replacing any previous one (see the module doc for why it is safe). */
  putCache(key: string, entry: UnitPayload): Promise<void> {
    const gen = newGen(); // stable across retries, as in putUnit
    return this.#guard(async () => {
      this.#writable();
      const blobs = await this.#writeBlobs(["cacheblob", key, gen], entry.blobs ?? {});
      const record: KvRecord = { metrics: entry.metrics, blobs, gen };
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const old = await this.#kv.get<KvRecord>(["cache", key]);
        const res = await this.#kv.atomic().check(old).set(["cache", key], record)
          .sum(["version"], 1n).commit();
        if (!res.ok) continue;
        if (old.value) await this.#deleteCacheChunks(key, old.value);
        return;
      }
      throw new StoreError("conflict", `could not write cache entry ${key}: too much contention`);
    });
  }

  /** Reads a cache entry with all its blobs, verified; a damaged one is discarded. */
  getCache(key: string, options: GetCacheOptions = {}): Promise<CacheEntry | null> {
    return this.#guard(async () => {
      const found = await this.#kv.get<KvRecord>(["cache", key]);
      const rec = found.value;
      if (!rec) return null;
      const blobs: Record<string, BlobArray> = {};
      for (const d of rec.blobs) {
        const prefix = rec.gen ? ["cacheblob", key, rec.gen, d.name] : ["cacheblob", key, d.name];
        const got = await this.#readBlob(prefix, d);
        if (typeof got === "string") {
          if (!this.readOnly) {
            // Only the record that was read goes: a concurrent writer's new entry survives.
            const res = await this.#kv.atomic().check(found).delete(["cache", key]).commit();
            if (res.ok) await this.#deleteCacheChunks(key, rec);
          }
          options.onDiscarded?.(`cache entry ${key} was damaged (${got}) and was discarded`);
          return null;
        }
        blobs[d.name] = got;
      }
      return { metrics: rec.metrics, blobs };
    });
  }

  /** The version counter. */
  version(): Promise<bigint> {
    return this.#guard(async () => {
      const v = await this.#kv.get<Deno.KvU64>(["version"]);
      return v.value ? v.value.value : 0n;
    });
  }

  /** Polls the version counter (Deno KV's watch() misses other processes' writes). */
  changes(options: ChangeOptions = {}): AsyncIterableIterator<StoreChange> {
    return pollChanges(() => this.version(), options);
  }

  /** Takes a run's lease unless another holder's is unexpired. */
  acquireLease(runId: string, options: LeaseOptions): Promise<LeaseResult> {
    return this.#guard(async () => {
      this.#writable();
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const [run, cur] = await this.#kv.getMany<[RunRecord, KvLease]>([
          ["run", runId],
          ["lease", runId],
        ]);
        if (!run.value) throw new StoreError("not-found", `unknown run ${runId}`);
        const now = Date.now();
        if (cur.value && cur.value.expiresAtMs > now) {
          return { acquired: false, heldBy: leaseInfo(cur.value, now) };
        }
        const stored: KvLease = {
          holder: options.holder,
          token: crypto.randomUUID(),
          expiresAtMs: now + options.ttlMs,
        };
        const res = await this.#kv.atomic().check(cur).check(run).set(["lease", runId], stored)
          .commit();
        if (res.ok) return { acquired: true, lease: toLease(runId, stored, options.ttlMs) };
      }
      throw new StoreError("conflict", `could not take the lease of run ${runId}: contention`);
    });
  }

  /** Extends a held lease. */
  renewLease(lease: Lease, options: { ttlMs?: number } = {}): Promise<Lease> {
    return this.#guard(async () => {
      this.#writable();
      const ttl = options.ttlMs ?? lease.ttlMs;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const cur = await this.#kv.get<KvLease>(["lease", lease.runId]);
        if (!cur.value || cur.value.token !== lease.token) {
          const by = cur.value ? ` (now held by ${cur.value.holder})` : "";
          throw new StoreError("conflict", `the lease of run ${lease.runId} was lost${by}`);
        }
        const stored: KvLease = { ...cur.value, expiresAtMs: Date.now() + ttl };
        const res = await this.#kv.atomic().check(cur).set(["lease", lease.runId], stored).commit();
        if (res.ok) return toLease(lease.runId, stored, ttl);
      }
      throw new StoreError("conflict", `could not renew the lease of run ${lease.runId}`);
    });
  }

  /** Releases a held lease. */
  releaseLease(lease: Lease): Promise<void> {
    return this.#guard(async () => {
      this.#writable();
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const cur = await this.#kv.get<KvLease>(["lease", lease.runId]);
        if (!cur.value || cur.value.token !== lease.token) return;
        const res = await this.#kv.atomic().check(cur).delete(["lease", lease.runId]).commit();
        if (res.ok) return;
      }
    });
  }

  /** The lease recorded for a run. */
  getLease(runId: string): Promise<LeaseInfo | null> {
    return this.#guard(async () => {
      const cur = (await this.#kv.get<KvLease>(["lease", runId])).value;
      return cur ? leaseInfo(cur, Date.now()) : null;
    });
  }

  /**
   * Leases the next unit: the first open (or expired) unit whose lower phases are done, of the
   * oldest running run, taken by a commit that checks the unit's versionstamp, so of two processes
   * racing for one unit exactly one gets it and the other looks again.
   */
  leaseWork(options: WorkLeaseOptions): Promise<WorkLease | null> {
    return this.#guard(async () => {
      this.#writable();
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const runs = options.runId !== undefined
          ? [await this.getRun(options.runId)].filter((r) => r?.status === "running")
          : (await this.listRuns({ status: "running" })).sort(oldestFirst);
        let raced = false;
        for (const run of runs) {
          if (!run || options.excludeRuns?.includes(run.id)) continue;
          const entries = await Array.fromAsync(
            this.#kv.list<KvWork>({ prefix: ["work", run.id] }),
          );
          const now = Date.now();
          const infos = entries.map((e) => workInfo(Number(e.key[2]), e.value, now));
          const ready = infos.flatMap((u, k) =>
            u.state === "open" && phaseReady(infos, u.phase) ? [k] : []
          );
          if (ready.length === 0) continue;
          // The first; after a collision one of the first few at random, or processes racing
          // for the first unit of a run would keep colliding on it.
          const spread = attempt === 0 ? 1 : Math.min(ready.length, LEASE_SPREAD);
          const k = ready[Math.floor(Math.random() * spread)];
          const e = entries[k];
          const token = crypto.randomUUID();
          const next: KvWork = {
            ...e.value,
            state: "leased",
            holder: options.holder,
            token,
            expiresAtMs: now + options.ttlMs,
            attempts: e.value.attempts + 1,
          };
          const res = await this.#kv.atomic().check(e).set(e.key, next).commit();
          if (!res.ok) {
            raced = true;
            break;
          }
          return {
            runId: run.id,
            index: infos[k].index,
            phase: next.phase,
            spec: next.spec,
            token,
            holder: options.holder,
            attempts: next.attempts,
            ttlMs: options.ttlMs,
            expiresAt: new Date(now + options.ttlMs).toISOString(),
          };
        }
        if (!raced) return null;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
      }
      throw new StoreError("conflict", "could not lease a work unit: too much contention");
    });
  }

  /** Extends a work lease while its token still matches. */
  renewWork(lease: WorkLease, options: { ttlMs?: number } = {}): Promise<WorkLease> {
    return this.#guard(async () => {
      this.#writable();
      const ttl = options.ttlMs ?? lease.ttlMs;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const cur = await this.#kv.get<KvWork>(["work", lease.runId, lease.index]);
        if (cur.value?.state !== "leased" || cur.value.token !== lease.token) throw lostWork(lease);
        const expiresAtMs = Date.now() + ttl;
        const res = await this.#kv.atomic().check(cur).set(cur.key, { ...cur.value, expiresAtMs })
          .commit();
        if (res.ok) {
          return { ...lease, ttlMs: ttl, expiresAt: new Date(expiresAtMs).toISOString() };
        }
      }
      throw new StoreError("conflict", `could not renew work unit ${lease.index}: contention`);
    });
  }

  /** Ends a work lease, then counts the run's units. */
  finishWork(lease: WorkLease, outcome: WorkOutcome): Promise<WorkCounts> {
    return this.#guard(async () => {
      this.#writable();
      for (let attempt = 0;; attempt++) {
        const cur = await this.#kv.get<KvWork>(["work", lease.runId, lease.index]);
        if (cur.value?.state !== "leased" || cur.value.token !== lease.token) {
          if (outcome.state === "done") throw lostWork(lease);
          break;
        }
        const next: KvWork = {
          ...cur.value,
          state: outcome.state,
          token: null,
          expiresAtMs: null,
          error: outcome.error ?? null,
        };
        const res = await this.#kv.atomic().check(cur).set(cur.key, next).sum(["version"], 1n)
          .commit();
        if (res.ok) break;
        if (attempt + 1 >= MAX_ATTEMPTS) {
          throw new StoreError("conflict", `could not finish work unit ${lease.index}: contention`);
        }
      }
      return countWork(await this.listWork(lease.runId));
    });
  }

  /** A run's work units in order. */
  listWork(runId: string): Promise<WorkUnitInfo[]> {
    return this.#guard(async () => {
      const now = Date.now();
      const out: WorkUnitInfo[] = [];
      for await (const e of this.#kv.list<KvWork>({ prefix: ["work", runId] })) {
        out.push(workInfo(Number(e.key[2]), e.value, now));
      }
      return out;
    });
  }

  /**
   * Runs `fn`, retrying while SQLite reports the file locked by another writer, and turns damage
   * reports into a one-line `StoreError` naming the file. Two handles writing at once (two
   * processes, or two handles in one) get "database is locked" from Deno KV instead of waiting;
   * every operation here is safe to repeat (a failed commit wrote nothing; unit writes are
   * idempotent), so it is retried with a growing pause.
   */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await whileLocked(fn);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw this.#storeError(err, firstLine(err));
    }
  }

  /** The error to throw for a failed KV operation: damage becomes a one-line `StoreError`. */
  #storeError(err: unknown, why: string): unknown {
    if (!isCorruptionMessage(why)) return err;
    return new StoreError(
      "damaged",
      `the results store '${this.location}' is damaged (${why}): stop writing to it; open it ` +
        `read-only (deno task serve) to read what is left and copy the runs you need to a new ` +
        `store`,
      { cause: err },
    );
  }

  #writable(): void {
    if (this.readOnly) {
      throw new StoreError("read-only", `the results store '${this.location}' is open read-only`);
    }
  }

  /**
   * Writes a unit's chunks under `prefix` (`["blob", runId, ...key, gen]`, a fresh generation) and
   * returns the record naming it. Nothing of a committed unit, nor of another writer's attempt, is
   * ever touched; chunks of an attempt killed before its commit stay unreferenced until the run is
   * deleted.
   */
  async #writeUnitBlobs(
    prefix: [string, string, ...KeyPart[]],
    unit: UnitPayload,
  ): Promise<KvRecord & { gen: string }> {
    const gen = String(prefix[prefix.length - 1]);
    const blobs = await this.#writeBlobs(prefix, unit.blobs ?? {});
    return { metrics: unit.metrics, blobs, gen };
  }

  async #deleteCacheChunks(key: string, rec: KvRecord): Promise<void> {
    if (rec.gen) await this.#deletePrefix(["cacheblob", key, rec.gen]);
    else for (const d of rec.blobs) await this.#deletePrefix(["cacheblob", key, d.name]);
  }

  async #commit(op: Deno.AtomicOperation): Promise<void> {
    const res = await op.commit();
    if (!res.ok) throw new StoreError("backend", `a write to '${this.location}' failed`);
  }

  async #deletePrefix(prefix: KeyPart[]): Promise<void> {
    let batch = this.#kv.atomic();
    let n = 0;
    for await (const e of this.#kv.list({ prefix })) {
      batch.delete(e.key);
      if (++n % 500 === 0) {
        await this.#commit(batch);
        batch = this.#kv.atomic();
      }
    }
    if (n % 500 !== 0) await this.#commit(batch);
  }

  async #writeBlobs(
    prefix: KeyPart[],
    blobs: Record<string, BlobArray>,
  ): Promise<BlobDescriptor[]> {
    const out: BlobDescriptor[] = [];
    let batch = this.#kv.atomic();
    let bytesInBatch = 0;
    let mutations = 0;
    for (const [name, arr] of Object.entries(blobs)) {
      const d = describeBlob(name, arr);
      const bytes = toBytes(arr);
      for (let c = 0; c < d.chunks; c++) {
        const part = bytes.slice(
          c * CHUNK_BYTES,
          Math.min(bytes.byteLength, (c + 1) * CHUNK_BYTES),
        );
        // Stay well inside Deno KV's 800 KB / 1,000 mutations per commit.
        if (bytesInBatch + part.byteLength > 700_000 || mutations >= 900) {
          await this.#commit(batch);
          batch = this.#kv.atomic();
          bytesInBatch = 0;
          mutations = 0;
        }
        batch.set([...prefix, name, c], part);
        bytesInBatch += part.byteLength;
        mutations++;
      }
      out.push(d);
    }
    if (mutations > 0) await this.#commit(batch);
    return out;
  }

  /** The blob's bytes, or a description of why they do not match the descriptor. */
  async #readBlob(prefix: KeyPart[], d: BlobDescriptor): Promise<BlobArray | string> {
    const parts: Uint8Array[] = [];
    for await (const e of this.#kv.list<Uint8Array>({ prefix })) {
      // Chunks must be 0, 1, 2, ... with none missing (list order is numeric key order).
      if (e.key[e.key.length - 1] !== parts.length || !(e.value instanceof Uint8Array)) {
        return `blob '${d.name}' is missing chunk ${parts.length}`;
      }
      parts.push(e.value);
    }
    const bytes = concatTyped(parts, (n) => new Uint8Array(n));
    const problem = blobProblem(d, { byteLength: bytes.byteLength, chunks: parts.length });
    return problem ?? fromBytes(d.type, bytes);
  }
}

function toLease(runId: string, l: KvLease, ttlMs: number): Lease {
  return {
    runId,
    holder: l.holder,
    token: l.token,
    ttlMs,
    expiresAt: new Date(l.expiresAtMs).toISOString(),
  };
}

/** A unit key from a KV key `["unit", runId, ...unitKey]` (units only hold strings and numbers). */
function unitKeyOf(key: Deno.KvKey): KeyPart[] {
  const out: KeyPart[] = [];
  for (const part of key.slice(2)) {
    if (typeof part === "string" || typeof part === "number") out.push(part);
    else out.push(String(part));
  }
  return out;
}
