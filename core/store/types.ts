/**
 * The results store's data model and interface, shared by both backends (a Deno KV file and
 * PostgreSQL). Callers import these through `core/store/store.ts`.
 *
 * A store holds run records, finished work units (small JSON metrics plus named typed arrays called
 * blobs), a cache of expensive reusable artefacts (trained starting networks) and run leases.
 *
 * @module
 */

/** Lifecycle of a run. */
export type RunStatus = "running" | "done" | "failed" | "interrupted";

/** The record describing one invocation of an experiment. */
export interface RunRecord {
  /** Run id, see `RUN_ID_PATTERN`. */
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
  /** Engine name. */
  engine: string;
  /** Engine details (device, precision, workers). */
  engineDescription: string;
  /**
   * Arithmetic id of the engine that computed the run (results are bit-identical only within one
   * id); `--resume` must refuse another. Absent in runs written before it was recorded.
   */
  arithmetic?: string;
  /** Kernel build the engine used (e.g. "wasm-simd"), fixed at creation like `arithmetic`. */
  kernel?: string;
  /** Where SCG keeps its state ("host" or "device"), fixed at creation like `arithmetic`. */
  scgState?: string;
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
  /**
   * Live status of a running run, written by the CLI at most every ~2 s for the dashboard (see
   * docs/dashboard.md): the phase in its own measure of work...
   */
  phase?: { label: string; done: number; total: number };
  /** ...the time left as estimated at `at` (with a caveat, e.g. the bound at the caps)... */
  eta?: { remainingMs: number; at: string; note?: string };
  /** ...and the loss per outer iteration so far of the networks training now. */
  liveLoss?: { lineage: string; network: number; loss: number[] }[];
}

/** Typed arrays the store can keep. */
export type BlobArray = Float64Array | Float32Array | Uint8Array | Int32Array;

/** How one blob of a unit or cache entry was stored. */
export interface BlobDescriptor {
  /** Blob name, unique within its unit. */
  name: string;
  /** Constructor name of the typed array ("Float64Array", ...). */
  type: string;
  /** Number of elements. */
  length: number;
  /**
   * Number of 60 KiB chunks the bytes take (the Deno KV layout). PostgreSQL keeps a blob whole but
   * records the same count, so records compare equal across backends.
   */
  chunks: number;
}

/** A finished work unit: small JSON metrics plus named typed arrays stored in chunks. */
export interface UnitRecord {
  /** Small JSON-serialisable values (metrics, histories). */
  metrics: Record<string, unknown>;
  /** Names and types of the blobs written with this unit. */
  blobs: BlobDescriptor[];
}

/** One part of a unit key: units are addressed by short tuples such as `["level", 3, 0]`. */
export type KeyPart = string | number;

/** What a caller writes as a unit or cache entry. */
export interface UnitPayload {
  /** Small JSON-serialisable values. */
  metrics: Record<string, unknown>;
  /** Named typed arrays. */
  blobs?: Record<string, BlobArray>;
}

/** A unit as listed: its key within the run and its record (no blob bytes). */
export interface ListedUnit {
  /** Unit key within the run. */
  key: KeyPart[];
  /** Metrics and blob descriptors. */
  record: UnitRecord;
}

/** A unit with its blob bytes, as read for copying a run between stores. */
export interface FullUnit {
  /** Unit key within the run. */
  key: KeyPart[];
  /** Metrics as stored. */
  metrics: Record<string, unknown>;
  /** Every blob of the unit. */
  blobs: Record<string, BlobArray>;
}

/** A cache entry as read back. */
export interface CacheEntry {
  /** Small JSON-serialisable values. */
  metrics: Record<string, unknown>;
  /** Named typed arrays. */
  blobs: Record<string, BlobArray>;
}

/** Options of {@link ResultStore.getCache}. */
export interface GetCacheOptions {
  /**
   * Called when the entry existed but was damaged (missing or short chunks, a wrong length) and was
   * discarded; `getCache` then returns null so the caller recomputes. Use it to print a notice.
   */
  onDiscarded?: (reason: string) => void;
}

/** Filters of {@link ResultStore.listRuns}. */
export interface RunFilter {
  /** Only runs of this experiment id. */
  figure?: string;
  /** Only runs with this status. */
  status?: RunStatus;
}

/** What the change feed yields: something in the store changed. */
export interface StoreChange {
  /** The store's change counter after the change (see {@link ResultStore.version}). */
  version: bigint;
  /**
   * Ids of the runs that changed when the backend knows them (PostgreSQL's notifications carry
   * them); null when it does not (the Deno KV file only has a counter): re-read every run.
   */
  runs: string[] | null;
}

/** Options of {@link ResultStore.changes}. */
export interface ChangeOptions {
  /** Ends the feed. */
  signal?: AbortSignal;
  /** Poll interval for backends that poll (Deno KV), in ms (default 300). */
  intervalMs?: number;
  /**
   * Yield once as soon as the feed is live (runs: null), before any change: read the baseline
   * state then, and no change after it can be missed.
   */
  initial?: boolean;
}

/** Options of {@link ResultStore.acquireLease}. */
export interface LeaseOptions {
  /** Who holds it, shown to whoever is refused (e.g. "pid 4242 on node17"). */
  holder: string;
  /** Time to live in ms; renew before it passes, or the lease expires and anyone may take it. */
  ttlMs: number;
}

/** A lease held by this process. */
export interface Lease {
  /** The run it locks. */
  runId: string;
  /** Holder description. */
  holder: string;
  /** Random token of this acquisition: renew and release only act when it still matches. */
  token: string;
  /** Time to live used by renewals that do not give one, in ms. */
  ttlMs: number;
  /** ISO time the lease expires unless renewed. */
  expiresAt: string;
}

/** The lease currently recorded for a run (by anyone). */
export interface LeaseInfo {
  /** Holder description. */
  holder: string;
  /** ISO expiry time. */
  expiresAt: string;
  /** True when the expiry has passed (the holder is presumed dead; anyone may take it). */
  expired: boolean;
}

/** Result of {@link ResultStore.acquireLease}. */
export type LeaseResult =
  | { acquired: true; lease: Lease }
  | { acquired: false; heldBy: LeaseInfo };

/** Options of {@link ResultStore.unitsWithBlobs}. */
export interface UnitsWithBlobsOptions {
  /** Only units whose key starts with this prefix. */
  prefix?: KeyPart[];
}

/** State of a work unit of a detached run. */
export type WorkState = "open" | "leased" | "done" | "failed";

/**
 * One work unit of a detached run, as `--detach` plans it: what one worker process computes under
 * one lease (docs/cluster.md).
 */
export interface WorkPlanUnit {
  /**
   * Units are leased in phase order: a unit is handed out only once every unit of a lower phase of
   * its run is done (e.g. a shared starting network before the lineages that start from it).
   */
  phase: number;
  /** What to compute, as JSON (e.g. the range of networks); the framework reads it. */
  spec: Record<string, unknown>;
}

/** Options of {@link ResultStore.createRun}. */
export interface CreateRunOptions {
  /**
   * The run's work units (a detached run): stored with the run, numbered 0, 1, ... in this order,
   * all visible with the run record or not at all.
   */
  work?: readonly WorkPlanUnit[];
}

/** A work unit as listed. */
export interface WorkUnitInfo extends WorkPlanUnit {
  /** Its number within the run (0-based, the planned order). */
  index: number;
  /** Where it stands. */
  state: WorkState;
  /** Who holds or last held it ("pid N on HOST"), or null when never leased. */
  holder: string | null;
  /** ISO expiry of its lease (leased units), or null. */
  expiresAt: string | null;
  /** Leases taken so far (a unit re-leased after a worker died counts each lease). */
  attempts: number;
  /** The last failure reported for it, or null. */
  error: string | null;
}

/** Options of {@link ResultStore.leaseWork}. */
export interface WorkLeaseOptions {
  /** Only this run's units; default: any run whose status is "running", oldest first. */
  runId?: string;
  /** Never these runs' units (runs this worker cannot compute, e.g. another engine's). */
  excludeRuns?: readonly string[];
  /** Who takes it (e.g. "pid 4242 on node17"), shown by `runs show`. */
  holder: string;
  /** Time to live in ms: renew before it passes, or the unit goes to another worker. */
  ttlMs: number;
}

/** A work unit leased by this process. */
export interface WorkLease {
  /** The run. */
  runId: string;
  /** The unit's number within the run. */
  index: number;
  /** The unit's phase. */
  phase: number;
  /** What to compute. */
  spec: Record<string, unknown>;
  /** Random token of this lease: renew and finish act only while it still matches. */
  token: string;
  /** Who holds it. */
  holder: string;
  /** Leases of this unit so far, this one included. */
  attempts: number;
  /** Time to live used by renewals that do not give one, in ms. */
  ttlMs: number;
  /** ISO time the lease expires unless renewed. */
  expiresAt: string;
}

/** How a leased unit ends (see {@link ResultStore.finishWork}). */
export interface WorkOutcome {
  /** "done" (computed and stored), "open" (given back: another worker may take it), "failed". */
  state: "done" | "open" | "failed";
  /** Why it was given back or failed (one line), recorded with the unit. */
  error?: string;
}

/** A run's work units counted by state. */
export interface WorkCounts {
  /** Waiting for a worker (including leases that expired). */
  open: number;
  /** Held by a live lease. */
  leased: number;
  /** Computed and stored. */
  done: number;
  /** Given up on. */
  failed: number;
  /** All units of the run (0 for a run that was not detached). */
  total: number;
}

/** Which backend a store uses. */
export type StoreBackend = "kv" | "postgres";

/**
 * A handle on one results store. Every write is atomic at the level documented per method; every
 * failure a user can act on is a `StoreError` with a one-line message.
 */
export interface ResultStore {
  /** Which backend this is. */
  readonly backend: StoreBackend;
  /** The store's location for messages: a file path, or a connection URL without its password. */
  readonly location: string;
  /** True when opened read-only: every write throws a `StoreError` of kind "read-only". */
  readonly readOnly: boolean;
  /** A one-line warning about the store found at open (e.g. damaged pages), or null. */
  readonly notice: string | null;

  /** Closes the handle (and its connections). */
  close(): Promise<void>;

  /**
   * Creates a new run record, with its work units when `options.work` is given (a detached run);
   * a `StoreError` of kind "conflict" if the id exists.
   */
  createRun(run: RunRecord, options?: CreateRunOptions): Promise<void>;
  /** Reads a run record, or null. */
  getRun(id: string): Promise<RunRecord | null>;
  /** Run records, newest first, optionally filtered. */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Applies a patch to a run record atomically and returns the new record. */
  updateRun(id: string, patch: Partial<RunRecord>): Promise<RunRecord>;
  /** Deletes a run, its units, blobs and lease. */
  deleteRun(id: string): Promise<void>;

  /**
   * Writes a finished unit: its blobs and, atomically with the run's progress counter, its record;
   * a unit is visible whole or not at all. If the unit exists, nothing changes (idempotent resume).
   */
  putUnit(runId: string, key: KeyPart[], unit: UnitPayload): Promise<void>;
  /** Reads one unit's record, or null. */
  getUnit(runId: string, key: KeyPart[]): Promise<UnitRecord | null>;
  /** The units of a run (records only), in key order, optionally under a key prefix. */
  listUnits(runId: string, prefix?: KeyPart[]): Promise<ListedUnit[]>;
  /**
   * Reads a named blob of a unit, or null when the unit or blob does not exist. A blob whose stored
   * bytes do not match its descriptor throws a `StoreError` of kind "damaged".
   */
  getBlob(runId: string, key: KeyPart[], name: string): Promise<BlobArray | null>;
  /** The keys of a run's stored units, in key order (cheaper than {@link listUnits}). */
  unitKeys(runId: string): Promise<KeyPart[][]>;
  /** Every unit of a run with its blobs, in key order (for copying runs between stores). */
  unitsWithBlobs(runId: string, options?: UnitsWithBlobsOptions): AsyncIterable<FullUnit>;
  /**
   * Writes a whole run (record and units) from another store. The run becomes visible only once
   * every unit is written; a `StoreError` of kind "conflict" if the id exists.
   */
  importRun(run: RunRecord, units: AsyncIterable<FullUnit>): Promise<void>;

  /** Stores a cache entry under a key, replacing any previous one atomically. */
  putCache(key: string, entry: UnitPayload): Promise<void>;
  /** Reads a verified cache entry, or null (also when a damaged entry was discarded). */
  getCache(key: string, options?: GetCacheOptions): Promise<CacheEntry | null>;

  /** A counter that grows with every write (run, unit, cache), in any process. */
  version(): Promise<bigint>;
  /** Yields whenever something in the store changed, until the signal aborts or the loop ends. */
  changes(options?: ChangeOptions): AsyncIterableIterator<StoreChange>;

  /**
   * Takes the lease on a run for `ttlMs`: refused (with who holds it) while another holder's lease
   * is unexpired; an expired lease is taken over. A `StoreError` "not-found" for an unknown run.
   */
  acquireLease(runId: string, options: LeaseOptions): Promise<LeaseResult>;
  /** Extends a held lease; a `StoreError` "conflict" when it was lost (expired and taken). */
  renewLease(lease: Lease, options?: { ttlMs?: number }): Promise<Lease>;
  /** Releases a held lease (no-op when it was already lost). */
  releaseLease(lease: Lease): Promise<void>;
  /** The lease recorded for a run, or null. */
  getLease(runId: string): Promise<LeaseInfo | null>;

  /**
   * Leases the next work unit that is open, or whose lease expired (its worker died), from runs
   * whose status is "running", respecting phases; null when none can be handed out now. Two
   * callers never get the same unit while its lease lives (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   */
  leaseWork(options: WorkLeaseOptions): Promise<WorkLease | null>;
  /** Extends a work lease; a `StoreError` "conflict" when it was lost (expired and re-leased). */
  renewWork(lease: WorkLease, options?: { ttlMs?: number }): Promise<WorkLease>;
  /**
   * Ends a work lease: the unit becomes done, open again or failed, and the run's counts after
   * it are returned. Marking done a lease that was lost is a `StoreError` "conflict"; giving back
   * or failing a lost lease changes nothing.
   */
  finishWork(lease: WorkLease, outcome: WorkOutcome): Promise<WorkCounts>;
  /** A run's work units in order (empty for a run that was not detached). */
  listWork(runId: string): Promise<WorkUnitInfo[]>;
}

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Open without writing: writes throw; a missing store is an error; PostgreSQL schema untouched. */
  readOnly?: boolean;
  /** Create the store when it does not exist (default true unless `readOnly`). */
  create?: boolean;
  /** PostgreSQL: how long to wait for the server before giving up, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** PostgreSQL: maximum connections of this handle (default 4). */
  maxConnections?: number;
}
