/**
 * The results store: a local Deno KV file holding run records, per-unit results (one unit = one
 * network at one prune level, or whatever an experiment declares), large arrays in chunks, and a
 * cache of expensive reusable artefacts (trained starting networks).
 *
 * Layout (all keys start with a kind):
 * - `["run", runId]` -> {@link RunRecord}
 * - `["unit", runId, ...unitKey]` -> {@link UnitRecord} (small: metrics and blob descriptors)
 * - `["blob", runId, ...unitKey, name, chunk]` -> Uint8Array chunk of a typed array
 * - `["cache", key]` / `["cacheblob", key, name, chunk]` -> cached artefacts
 * - `["version"]` -> Deno.KvU64 bumped by every write, so a reader in another process can poll one
 *   key to learn that something changed (Deno KV's `watch()` does not see other processes' writes).
 *
 * A unit and its run's progress are written in one atomic commit: an interrupted run keeps every
 * finished unit and nothing half-written. Deno KV limits a value to 64 KiB and a commit to 1,000
 * mutations and 800 KB, so typed arrays are split into 60 KiB chunks and a unit's blobs may take
 * several commits, the last of which writes the unit record (the unit only exists once complete).
 *
 * @module
 */

/** Lifecycle of a run. */
export type RunStatus = "running" | "done" | "failed" | "interrupted";

/** The record describing one invocation of an experiment. */
export interface RunRecord {
  /** Run id, {@link RUN_ID_PATTERN}. */
  id: string;
  /** Experiment id, e.g. "fig5". */
  figure: string;
  /** Preset the config started from. */
  preset: string;
  /** True unless the config is the paper's full protocol. */
  reduced: boolean;
  /** Full resolved config (JSON). */
  config: Record<string, unknown>;
  /** Master seed. */
  seed: number;
  /** Engine name and description. */
  engine: string;
  /** Engine details (device, precision, workers). */
  engineDescription: string;
  /** Versions of prunelab, Deno, V8, TypeScript. */
  versions: Record<string, string>;
  /** ISO start time. */
  startedAt: string;
  /** ISO end time, when finished. */
  endedAt?: string;
  /** ISO time of the last write. */
  updatedAt: string;
  /** Status. */
  status: RunStatus;
  /** Finished and total work units. */
  progress: { done: number; total: number };
  /** Reason for failure, or notes (e.g. failed lineages). */
  message?: string;
}

/** Typed arrays the store can keep. */
export type BlobArray = Float64Array | Float32Array | Uint8Array | Int32Array;

/** A finished work unit: small JSON metrics plus named typed arrays stored in chunks. */
export interface UnitRecord {
  /** Small JSON-serialisable values (metrics, histories). */
  metrics: Record<string, unknown>;
  /** Names and types of the blobs written with this unit. */
  blobs: { name: string; type: string; length: number; chunks: number }[];
}

/** Run ids: a figure name, a timestamp and a random suffix; lower-case, digits and dashes. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,79}$/;
/** Default store path when neither `--store` nor `PRUNELAB_STORE` is given. */
export const DEFAULT_STORE_PATH = "prunelab.kv";
const CHUNK = 60 * 1024;

type KeyPart = string | number;

/** Returns the store path from a flag, the `PRUNELAB_STORE` environment variable or the default. */
export function resolveStorePath(flag?: string): string {
  if (flag) return flag;
  try {
    return Deno.env.get("PRUNELAB_STORE") || DEFAULT_STORE_PATH;
  } catch {
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

function toBytes(a: BlobArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function fromBytes(type: string, bytes: Uint8Array): BlobArray {
  const buf = bytes.slice().buffer;
  switch (type) {
    case "Float64Array":
      return new Float64Array(buf);
    case "Float32Array":
      return new Float32Array(buf);
    case "Int32Array":
      return new Int32Array(buf);
    case "Uint8Array":
      return new Uint8Array(buf);
  }
  throw new Error(`unknown blob type ${type}`);
}

/** A handle on one store file. */
export class ResultStore {
  /** The underlying KV handle (for advanced readers such as the dashboard). */
  readonly kv: Deno.Kv;
  /** Path of the store file. */
  readonly path: string;

  private constructor(kv: Deno.Kv, path: string) {
    this.kv = kv;
    this.path = path;
  }

  /** Opens (creating if needed) the store at `path`. Throws a one-line error when it cannot. */
  static async open(path: string): Promise<ResultStore> {
    try {
      const kv = await Deno.openKv(path);
      return new ResultStore(kv, path);
    } catch (err) {
      const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
      throw new Error(`cannot open the results store '${path}': ${why}`);
    }
  }

  /** Closes the store. */
  close(): void {
    this.kv.close();
  }

  /** Creates a new run record; fails if the id exists. */
  async createRun(run: RunRecord): Promise<void> {
    const res = await this.kv.atomic().check({ key: ["run", run.id], versionstamp: null })
      .set(["run", run.id], run).sum(["version"], 1n).commit();
    if (!res.ok) throw new Error(`run ${run.id} already exists`);
  }

  /** Reads a run record. */
  async getRun(id: string): Promise<RunRecord | null> {
    return (await this.kv.get<RunRecord>(["run", id])).value;
  }

  /** All run records, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for await (const e of this.kv.list<RunRecord>({ prefix: ["run"] })) runs.push(e.value);
    runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    return runs;
  }

  /** Applies a patch to a run record (read-modify-write with a version check, retried). */
  async updateRun(id: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.kv.get<RunRecord>(["run", id]);
      if (!cur.value) throw new Error(`unknown run ${id}`);
      const next = { ...cur.value, ...patch, updatedAt: new Date().toISOString() };
      const res = await this.kv.atomic().check(cur).set(["run", id], next).sum(["version"], 1n)
        .commit();
      if (res.ok) return next;
    }
    throw new Error(`could not update run ${id}: too much contention`);
  }

  /** A counter bumped by every write; poll it to detect changes made by other processes. */
  async version(): Promise<bigint> {
    const v = await this.kv.get<Deno.KvU64>(["version"]);
    return v.value ? v.value.value : 0n;
  }

  /**
   * Writes a finished unit: its blobs (chunked) and then, atomically with the run's progress
   * counter, the unit record. If the unit already exists, nothing changes (idempotent resume).
   */
  async putUnit(
    runId: string,
    key: KeyPart[],
    unit: { metrics: Record<string, unknown>; blobs?: Record<string, BlobArray> },
  ): Promise<void> {
    const unitKey = ["unit", runId, ...key];
    // A finished unit is immutable: re-putting it (a resumed run) must not touch its blobs.
    if ((await this.kv.get(unitKey)).value) return;
    await this.#deletePrefix(["blob", runId, ...key]);
    const descriptors = await this.#writeBlobs(["blob", runId, ...key], unit.blobs ?? {});
    const record: UnitRecord = { metrics: unit.metrics, blobs: descriptors };
    for (let attempt = 0; attempt < 20; attempt++) {
      const [existing, run] = await this.kv.getMany<[UnitRecord, RunRecord]>([
        unitKey,
        ["run", runId],
      ]);
      if (existing.value) return;
      if (!run.value) throw new Error(`unknown run ${runId}`);
      const next: RunRecord = {
        ...run.value,
        progress: { ...run.value.progress, done: run.value.progress.done + 1 },
        updatedAt: new Date().toISOString(),
      };
      const res = await this.kv.atomic().check(existing).check(run).set(unitKey, record)
        .set(["run", runId], next).sum(["version"], 1n).commit();
      if (res.ok) return;
    }
    throw new Error(`could not write unit ${key.join("/")} of run ${runId}`);
  }

  /** Reads one unit's record, or null. */
  async getUnit(runId: string, key: KeyPart[]): Promise<UnitRecord | null> {
    return (await this.kv.get<UnitRecord>(["unit", runId, ...key])).value;
  }

  /** Lists the units of a run (metrics only, no blobs), in key order. */
  async listUnits(
    runId: string,
    prefix: KeyPart[] = [],
  ): Promise<{ key: KeyPart[]; record: UnitRecord }[]> {
    const out: { key: KeyPart[]; record: UnitRecord }[] = [];
    const iter = this.kv.list<UnitRecord>({ prefix: ["unit", runId, ...prefix] }, {
      batchSize: 1000,
    });
    for await (const e of iter) {
      out.push({ key: e.key.slice(2) as KeyPart[], record: e.value });
    }
    return out;
  }

  /** Reads a named blob of a unit. */
  async getBlob(runId: string, key: KeyPart[], name: string): Promise<BlobArray | null> {
    const unit = await this.getUnit(runId, key);
    const d = unit?.blobs.find((b) => b.name === name);
    if (!d) return null;
    return await this.#readBlob(["blob", runId, ...key, name], d.type, d.chunks);
  }

  /** Stores a cached artefact (metrics + blobs) under a string key, replacing any previous one. */
  async putCache(
    key: string,
    entry: { metrics: Record<string, unknown>; blobs?: Record<string, BlobArray> },
  ): Promise<void> {
    // Old chunks must go first: a shorter new blob would otherwise be read with stale chunks.
    await this.#deletePrefix(["cacheblob", key]);
    const descriptors = await this.#writeBlobs(["cacheblob", key], entry.blobs ?? {});
    await this.kv.atomic().set(["cache", key], { metrics: entry.metrics, blobs: descriptors })
      .sum(["version"], 1n).commit();
  }

  /** Reads a cached artefact with all its blobs, or null. */
  async getCache(
    key: string,
  ): Promise<{ metrics: Record<string, unknown>; blobs: Record<string, BlobArray> } | null> {
    const rec = (await this.kv.get<UnitRecord>(["cache", key])).value;
    if (!rec) return null;
    const blobs: Record<string, BlobArray> = {};
    for (const d of rec.blobs) {
      blobs[d.name] = await this.#readBlob(["cacheblob", key, d.name], d.type, d.chunks);
    }
    return { metrics: rec.metrics, blobs };
  }

  /** Deletes a run and everything under it. */
  async deleteRun(runId: string): Promise<void> {
    await this.#deletePrefix(["unit", runId]);
    await this.#deletePrefix(["blob", runId]);
    await this.kv.atomic().delete(["run", runId]).sum(["version"], 1n).commit();
  }

  async #deletePrefix(prefix: KeyPart[]): Promise<void> {
    let batch = this.kv.atomic();
    let n = 0;
    for await (const e of this.kv.list({ prefix })) {
      batch.delete(e.key);
      if (++n % 500 === 0) {
        await commitOrThrow(batch);
        batch = this.kv.atomic();
      }
    }
    if (n % 500 !== 0) await commitOrThrow(batch);
  }

  async #writeBlobs(
    prefix: KeyPart[],
    blobs: Record<string, BlobArray>,
  ): Promise<UnitRecord["blobs"]> {
    const out: UnitRecord["blobs"] = [];
    let batch = this.kv.atomic();
    let bytesInBatch = 0;
    let mutations = 0;
    for (const [name, arr] of Object.entries(blobs)) {
      const bytes = toBytes(arr);
      const chunks = Math.max(1, Math.ceil(bytes.byteLength / CHUNK));
      for (let c = 0; c < chunks; c++) {
        const part = bytes.slice(c * CHUNK, Math.min(bytes.byteLength, (c + 1) * CHUNK));
        if (bytesInBatch + part.byteLength > 700_000 || mutations >= 900) {
          await commitOrThrow(batch);
          batch = this.kv.atomic();
          bytesInBatch = 0;
          mutations = 0;
        }
        batch.set([...prefix, name, c], part);
        bytesInBatch += part.byteLength;
        mutations++;
      }
      out.push({ name, type: arr.constructor.name, length: arr.length, chunks });
    }
    if (mutations > 0) await commitOrThrow(batch);
    return out;
  }

  async #readBlob(prefix: KeyPart[], type: string, chunks: number): Promise<BlobArray> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const e of this.kv.list<Uint8Array>({ prefix })) {
      parts.push(e.value);
      total += e.value.byteLength;
    }
    if (parts.length !== chunks) throw new Error(`blob ${prefix.join("/")} is incomplete`);
    const all = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.byteLength;
    }
    return fromBytes(type, all);
  }
}

async function commitOrThrow(op: Deno.AtomicOperation): Promise<void> {
  const res = await op.commit();
  if (!res.ok) throw new Error("store write failed");
}
