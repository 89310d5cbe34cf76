/**
 * Running the family-B protocol (spec 6.4) as store units, shared by `bm-fig3` and `bm-fig4`.
 *
 * Units (their metrics are the typed records below):
 * - `["references"]`: the data (source, split sizes) and the raw-digit references (spec 7.2);
 * - `["initial", s]`: seed s's initial model, shared by every criterion: the iteration-0 measures,
 *   and as blobs the model, its persistent particles and its generated digits;
 * - `["round", s, criterion, k]`: pruning iteration k of one criterion: the measures of the
 *   retrained model (and of the pruned one when the protocol measures it), the prune report, and
 *   as blobs the retrained model, its particles (with the stream state in the metrics: what a
 *   resume continues from) and its generated digits. A criterion that ran out of weights or units
 *   (spec 6.4 [R]) stores its remaining rounds as `stopped` units.
 *
 * Seeds run one after the other on the CPU (a population of 6 criteria needs ~0.3 GB of sampler
 * chains; 60 at once would not fit in WebAssembly memory) and all together on WebGPU.
 *
 * @module
 */
import {
  jsonRecord,
  networkIndices,
  type RunContext,
  unitMetrics,
} from "../../core/app/experiment.ts";
import type { PruneReport } from "../../core/bm/dbm/criteria.ts";
import type { CheckpointMeasures, References } from "../../core/bm/dbm/evaluate.ts";
import type { GenerativeStats } from "../../core/bm/dbm/metrics.ts";
import {
  bytesToBase64,
  type Dbm,
  type DbmArrays,
  dbmFromArrays,
  dbmFromJson,
  dbmToArrays,
  dbmToJson,
  packBits,
} from "../../core/bm/dbm/model.ts";
import {
  criterionCode,
  type DbmCheckpoint,
  dbmReferences,
  type DbmRunData,
  type DbmRunState,
  particlesFromJson,
  particlesToJson,
  roundSetting,
  runDbmPruning,
  type SlotState,
} from "../../core/bm/dbm/run.ts";
import type { Particles } from "../../core/bm/dbm/population.ts";
import type { StreamState } from "../../core/bm/dbm/streams.ts";
import { loadMnistIdx, loadMnistSubstitute, type MnistData } from "../../core/data/mnist.ts";
import type { DbmKernels } from "../../core/engine/dbm.ts";
import { createDbmKernels } from "../../core/engine/select_dbm.ts";
import type { BlobArray, KeyPart, ResultStore } from "../../core/store/store.ts";
import { deriveSeed } from "../../core/util/rng.ts";
import type { DbmConfig } from "./config.ts";
import { RoundPool } from "./round_pool.ts";
import { workPlan, WorkTracker } from "./work.ts";

/** The data a run used. */
export interface DataRecord {
  /** Where the digits came from. */
  source: string;
  /** True for the npm substitute (not the official split). */
  substitute: boolean;
  /** Training digits (the raw-digit classifier's training set). */
  train: number;
  /** Test digits. */
  test: number;
  /** Training digits the DBM is trained on. */
  trainDigitsUsed: number;
  /** Binarisation thresholds (the mean of each cropped set, spec 8.2). */
  threshold: { train: number; test: number };
}

/** Metrics of the `["references"]` unit. */
export interface ReferencesRecord {
  /** The data. */
  data: DataRecord;
  /** 1 - accuracy of the raw-digit classifier on the test digits (Fig 3B's dashed line). */
  baselineError: number;
  /** The test digits under the raw-digit classifier. */
  testDigits: GenerativeStats;
  /** i.i.d. Bern(0.5) patterns under it. */
  randomPatterns: GenerativeStats;
  /** L-BFGS iterations of the classifier's fit. */
  iterations: number;
  /**
   * The raw-digit classifier trained on only the DBM's training digits (those the encoding
   * classifier is trained on): its test error, the fair baseline of Fig 3B; null when the DBM
   * sees every training digit or the encoding classifier is off.
   */
  subsetBaseline: { digits: number; error: number } | null;
}

/** What is stored of one checkpoint (CheckpointMeasures without the digit strings). */
export type CheckpointRecord = Omit<CheckpointMeasures, "digits" | "classifierError"> & {
  /** Encoding classifier error, or null when the run does not measure it. */
  classifierError: number | null;
  /** The first 25 generated digits (Fig 4C), 400 bits each, bit-packed, base64. */
  grid: string;
};

/** Metrics of an `["initial", s]` unit. */
export interface InitialRecord {
  /** Seed index s. */
  seed: number;
  /** The seed value the model's randomness derives from. */
  seedValue: number;
  /** The stream of joint training after training (the sampler continues it). */
  stream: StreamState;
  /** Measures of the unpruned model (iteration 0). */
  checkpoint: CheckpointRecord;
}

/** Metrics of a `["round", s, criterion, k]` unit. */
export interface RoundRecord {
  /** Seed index. */
  seed: number;
  /** Criterion id. */
  criterion: string;
  /** Pruning iteration k (1-based). */
  iteration: number;
  /** Why the criterion stopped before this round (a layer ran out), else absent. */
  stopped?: string;
  /** The retrained model's measures (checkpoint 2). */
  retrained?: CheckpointRecord;
  /** The pruned model's measures before retraining (checkpoint 1), when measured. */
  pruned?: CheckpointRecord;
  /** What the pruning step did. */
  prune?: PruneReport;
  /** The slot's stream after retraining, before the checkpoint's samples (resume). */
  stream?: StreamState;
}

/** Digits shown in a sample grid (Fig 4C: 5 x 5). */
export const GRID_DIGITS = 25;

/** The seed value of seed index `s` of a run with master seed `master`. */
export function seedValue(master: number, s: number): number {
  return deriveSeed(master, 0xdb, s);
}

/** Loads the run's digits: the IDX files of `--data`, else the embedded substitute. */
export function loadDbmData(c: DbmConfig): MnistData {
  return c.data ? loadMnistIdx(c.data) : loadMnistSubstitute();
}

/** Packs the first {@link GRID_DIGITS} 0/1 digit strings for a panel. */
function gridOf(digits: readonly string[]): string {
  const n = Math.min(GRID_DIGITS, digits.length);
  const bits = new Uint8Array(n * 400);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < 400; i++) bits[s * 400 + i] = digits[s].charCodeAt(i) === 49 ? 1 : 0;
  }
  return bytesToBase64(packBits(bits));
}

/** The digit strings as bytes (one per pixel) for a blob. */
function digitBytes(digits: readonly string[]): Uint8Array {
  const out = new Uint8Array(digits.length * 400);
  digits.forEach((d, s) => {
    for (let i = 0; i < 400; i++) out[s * 400 + i] = d.charCodeAt(i) === 49 ? 1 : 0;
  });
  return out;
}

function checkpointRecord(m: CheckpointMeasures): CheckpointRecord {
  const { digits, classifierError, ...rest } = m;
  return { ...rest, classifierError: classifierError ?? null, grid: gridOf(digits) };
}

/** Blobs of a model (prefixed "model.") and its particles (prefixed "particles."). */
function stateBlobs(model: Dbm, particles: Particles | null): Record<string, BlobArray> {
  const out: Record<string, BlobArray> = {};
  for (const [k, v] of Object.entries(dbmToArrays(model))) out[`model.${k}`] = v;
  if (particles) {
    out["particles.v"] = particles.v;
    out["particles.h1"] = particles.h1;
    out["particles.h2"] = particles.h2;
  }
  return out;
}

async function blob(store: ResultStore, at: { runId: string; key: KeyPart[] }, name: string) {
  const b = await store.getBlob(at.runId, at.key, name);
  if (!b) throw new Error(`unit ${at.key.join("/")} has no blob ${name}`);
  return b;
}

/** Reads a model stored by {@link stateBlobs}. */
async function loadModel(
  store: ResultStore,
  at: { runId: string; key: KeyPart[] },
): Promise<Dbm> {
  const get = (n: string) => blob(store, at, `model.${n}`);
  const f32 = async (n: string): Promise<Float32Array> => {
    const b = await get(n);
    if (!(b instanceof Float32Array)) throw new Error(`unit ${at.key.join("/")}: model.${n} type`);
    return b;
  };
  const i32 = async (n: string): Promise<Int32Array> => {
    const b = await get(n);
    if (!(b instanceof Int32Array)) throw new Error(`unit ${at.key.join("/")}: model.${n} type`);
    return b;
  };
  const u8 = async (n: string): Promise<Uint8Array> => {
    const b = await get(n);
    if (!(b instanceof Uint8Array)) throw new Error(`unit ${at.key.join("/")}: model.${n} type`);
    return b;
  };
  const arrays: DbmArrays = {
    sizes: await i32("sizes"),
    w1: await f32("w1"),
    w2: await f32("w2"),
    bv: await f32("bv"),
    b1: await f32("b1"),
    b2: await f32("b2"),
    m1: await u8("m1"),
    m2: await u8("m2"),
    units1: await i32("units1"),
    units2: await i32("units2"),
  };
  return dbmFromArrays(arrays);
}

async function loadParticles(
  store: ResultStore,
  at: { runId: string; key: KeyPart[] },
): Promise<Particles> {
  const u8 = async (n: string): Promise<Uint8Array> => {
    const b = await blob(store, at, `particles.${n}`);
    if (!(b instanceof Uint8Array)) throw new Error(`unit ${at.key.join("/")}: particles type`);
    return b;
  };
  return { v: await u8("v"), h1: await u8("h1"), h2: await u8("h2") };
}

/**
 * The state a resumed seed continues from: its initial model and each criterion's last stored
 * round; null when the seed's initial model was not stored yet (the seed starts afresh).
 */
async function resumeState(
  ctx: RunContext<DbmConfig>,
  s: number,
): Promise<DbmRunState | null> {
  const { store, runId, config } = ctx;
  if (!ctx.finished.has(`initial/${s}`)) return null;
  const key = ["initial", s];
  const rec = await store.getUnit(runId, key);
  if (!rec) return null;
  const init = unitMetrics<InitialRecord>({ record: rec });
  const state: DbmRunState = {
    version: 1,
    initial: [{
      seed: init.seedValue,
      model: dbmToJson(await loadModel(store, { runId, key })),
      particles: particlesToJson(await loadParticles(store, { runId, key })),
      stream: init.stream,
    }],
    slots: [],
  };
  for (const c of config.criteria) {
    let last = 0;
    for (let k = 1; k <= config.protocol.prune.iterations; k++) {
      if (ctx.finished.has(`round/${s}/${c}/${k}`)) last = k;
    }
    if (last === 0) continue;
    const rkey = ["round", s, c, last];
    const r = await store.getUnit(runId, rkey);
    if (!r) continue;
    const m = unitMetrics<RoundRecord>({ record: r });
    const model = dbmToJson(await loadModel(store, { runId, key: rkey }));
    const slot: SlotState = m.stopped
      ? { seed: init.seedValue, criterion: c, iteration: last, model, stopped: m.stopped }
      : {
        seed: init.seedValue,
        criterion: c,
        iteration: last,
        model,
        particles: particlesToJson(await loadParticles(store, { runId, key: rkey })),
        stream: m.stream,
      };
    state.slots.push(slot);
  }
  return state;
}

/**
 * The cache key of a seed's initial model: everything it depends on (the kernels' arithmetic,
 * the digits, the initial-training settings, the seed value), so a later run of either figure
 * with the same settings reuses it instead of training it again (the bits are the same).
 */
export function initialCacheKey(
  c: DbmConfig,
  at: { kernels: string; data: DataRecord; seedValue: number },
): string {
  const what = JSON.stringify({
    data: [at.data.source, at.data.train, at.data.test, at.data.trainDigitsUsed],
    initial: c.protocol.initial,
  });
  const h1 = criterionCode(what);
  const h2 = criterionCode(`${what.length}:${what}`);
  return `dbm-initial/v1/${at.kernels}/${at.seedValue}/${h1.toString(16)}${h2.toString(16)}`;
}

type InitialState = DbmRunState["initial"][number];

async function readCachedInitial(store: ResultStore, key: string): Promise<InitialState | null> {
  const hit = await store.getCache(key);
  if (!hit) return null;
  const u8 = (n: string): Uint8Array => {
    const b = hit.blobs[n];
    if (!(b instanceof Uint8Array)) throw new Error(`cache ${key}: ${n} type`);
    return b;
  };
  const model = dbmFromArrays({
    sizes: int32(hit.blobs["model.sizes"]),
    w1: float32(hit.blobs["model.w1"]),
    w2: float32(hit.blobs["model.w2"]),
    bv: float32(hit.blobs["model.bv"]),
    b1: float32(hit.blobs["model.b1"]),
    b2: float32(hit.blobs["model.b2"]),
    m1: u8("model.m1"),
    m2: u8("model.m2"),
    units1: int32(hit.blobs["model.units1"]),
    units2: int32(hit.blobs["model.units2"]),
  });
  const { seed, stream } = hit.metrics;
  if (typeof seed !== "number" || !isStreamState(stream)) return null;
  return {
    seed,
    model: dbmToJson(model),
    particles: particlesToJson({
      v: u8("particles.v"),
      h1: u8("particles.h1"),
      h2: u8("particles.h2"),
    }),
    stream,
  };
}

function isStreamState(x: unknown): x is StreamState {
  return typeof x === "object" && x !== null && "seed" in x && "counter" in x &&
    typeof x.seed === "number" && typeof x.counter === "number";
}

function float32(b: BlobArray | undefined): Float32Array {
  if (!(b instanceof Float32Array)) throw new Error("cached model: a float32 array is missing");
  return b;
}

function int32(b: BlobArray | undefined): Int32Array {
  if (!(b instanceof Int32Array)) throw new Error("cached model: an int32 array is missing");
  return b;
}

/** Stores a unit unless a previous attempt already did; ticks the progress bar. */
async function put(
  ctx: RunContext<DbmConfig>,
  key: KeyPart[],
  unit: { metrics: object; blobs?: Record<string, BlobArray> },
  label: string,
): Promise<void> {
  if (ctx.finished.has(key.join("/"))) return;
  await ctx.store.putUnit(ctx.runId, key, {
    metrics: jsonRecord(unit.metrics),
    blobs: unit.blobs,
  });
  ctx.progress.tick(1, label);
}

/** The hooks that turn one seed's checkpoints and states into units. */
class SeedWriter {
  readonly #ctx: RunContext<DbmConfig>;
  readonly #s: number;
  #state: DbmRunState | null = null;
  readonly #pruned = new Map<string, DbmCheckpoint>();
  readonly #stoppedWritten = new Set<string>();

  readonly #cacheKey: string | null;

  /** `cacheKey`: where to keep the seed's freshly trained initial model (null: it is not new). */
  constructor(ctx: RunContext<DbmConfig>, s: number, cacheKey: string | null) {
    this.#ctx = ctx;
    this.#s = s;
    this.#cacheKey = cacheKey;
  }

  async onState(st: DbmRunState): Promise<void> {
    const fresh = this.#state === null;
    this.#state = st;
    if (fresh && this.#cacheKey && st.initial.length === 1) {
      const init = st.initial[0];
      await this.#ctx.store.putCache(this.#cacheKey, {
        metrics: { seed: init.seed, stream: init.stream },
        blobs: stateBlobs(dbmFromJson(init.model), particlesFromJson(init.particles)),
      });
    }
    await this.#writeStopped(st);
  }

  async onCheckpoint(ck: DbmCheckpoint): Promise<void> {
    if (ck.replayed) return;
    const s = this.#s;
    const st = this.#state;
    if (!st) throw new Error("checkpoint before any state");
    const record = checkpointRecord(ck.measures);
    const digits = digitBytes(ck.measures.digits);
    if (ck.criterion === null) {
      const init = st.initial.find((x) => x.seed === ck.seed);
      if (!init) throw new Error(`no initial state for seed ${ck.seed}`);
      const metrics: InitialRecord = {
        seed: s,
        seedValue: ck.seed,
        stream: init.stream,
        checkpoint: record,
      };
      await put(this.#ctx, ["initial", s], {
        metrics,
        blobs: {
          ...stateBlobs(dbmFromJson(init.model), particlesFromJson(init.particles)),
          digits,
        },
      }, `seed ${s}: initial model, quality ${record.generative.qualityPerClass.toFixed(3)}`);
      return;
    }
    const tag = `${ck.criterion}/${ck.iteration}`;
    if (ck.stage === "pruned") {
      this.#pruned.set(tag, ck);
      return;
    }
    const slot = st.slots.find((x) => x.criterion === ck.criterion && x.seed === ck.seed);
    if (!slot?.particles || slot.iteration !== ck.iteration) {
      throw new Error(`no state for ${ck.criterion} after round ${ck.iteration}`);
    }
    const pruned = this.#pruned.get(tag);
    this.#pruned.delete(tag);
    const metrics: RoundRecord = {
      seed: s,
      criterion: ck.criterion,
      iteration: ck.iteration,
      retrained: record,
      ...(pruned ? { pruned: checkpointRecord(pruned.measures) } : {}),
      prune: ck.prune,
      stream: slot.stream,
    };
    await put(
      this.#ctx,
      ["round", s, ck.criterion, ck.iteration],
      {
        metrics,
        blobs: {
          ...stateBlobs(dbmFromJson(slot.model), particlesFromJson(slot.particles)),
          digits,
        },
      },
      `seed ${s} ${ck.criterion} round ${ck.iteration}: quality ${
        record.generative.qualityPerClass.toFixed(3)
      }, entropy ${record.generative.entropy.toFixed(3)}`,
    );
  }

  /** A criterion that stopped stores every round it will not run. */
  async #writeStopped(st: DbmRunState): Promise<void> {
    const rounds = this.#ctx.config.protocol.prune.iterations;
    for (const slot of st.slots) {
      if (!slot.stopped || this.#stoppedWritten.has(slot.criterion)) continue;
      this.#stoppedWritten.add(slot.criterion);
      for (let k = slot.iteration; k <= rounds; k++) {
        const metrics: RoundRecord = {
          seed: this.#s,
          criterion: slot.criterion,
          iteration: k,
          stopped: slot.stopped,
        };
        await put(this.#ctx, ["round", this.#s, slot.criterion, k], {
          metrics,
          blobs: stateBlobs(dbmFromJson(slot.model), null),
        }, `seed ${this.#s} ${slot.criterion}: stopped (${slot.stopped})`);
      }
    }
  }
}

/** Runs (or resumes) a family-B run, storing each unit as soon as it is finished. */
export async function runDbm(ctx: RunContext<DbmConfig>): Promise<void> {
  const { config, progress } = ctx;
  progress.update("loading digits");
  const mnist = loadDbmData(config);
  const data: DbmRunData = { train: mnist.train, test: mnist.test };
  const digits = Math.min(config.protocol.trainDigits ?? mnist.train.n, mnist.train.n);
  const kernels: DbmKernels = await createDbmKernels(ctx.engine.name);
  let pool: RoundPool | null = null;
  try {
    ctx.log(`DBM kernels: ${kernels.description}`);
    await ctx.store.updateRun(ctx.runId, { engineDescription: `DBM: ${kernels.description}` });
    const plan = workPlan(config, digits, { testDigits: mnist.test.n });
    const tracker = new WorkTracker(plan);
    const onProgress = (p: Parameters<WorkTracker["report"]>[0]): void => {
      const label = p.iteration > 0 ? `${p.phase} (round ${p.iteration})` : p.phase;
      progress.setWork(tracker.report(p), plan.total, label);
    };
    const references = dbmReferences(data, {
      protocol: config.protocol,
      seed: seedValue(ctx.seed, 0),
      signal: ctx.signal,
    });
    tracker.add(plan.phase("references", 0));
    await put(ctx, ["references"], {
      metrics: referencesRecord(references, mnist, digits),
    }, `references: baseline error ${references.baselineError.toFixed(4)}`);
    // The rounds' models (one per criterion) go to workers on the CPU; the GPU batches them. The
    // process's --workers sizes the pool (results do not depend on it).
    const threads = ctx.workers ?? navigator.hardwareConcurrency ?? 1;
    if (kernels.name === "cpu" && threads > 1 && config.criteria.length > 1) {
      pool = new RoundPool(
        Math.min(threads, config.criteria.length),
        roundSetting(data, { protocol: config.protocol, references }),
      );
      ctx.log(`pruning rounds on ${pool.size} worker threads`);
    }
    // On the GPU the seeds form one population (its batch dimension); on the CPU one at a time.
    const groups = kernels.name === "webgpu"
      ? [networkIndices(ctx, config.seeds)]
      : networkIndices(ctx, config.seeds).map((s) => [s]);
    for (const group of groups) {
      ctx.signal.throwIfAborted();
      const states = await Promise.all(group.map((s) => resumeState(ctx, s)));
      const allDone = group.every((s) =>
        config.criteria.every((c) =>
          ctx.finished.has(`round/${s}/${c}/${config.protocol.prune.iterations}`)
        )
      );
      if (allDone) {
        tracker.add(group.length * plan.perSeed);
        continue;
      }
      // A group resumes only when every seed in it has its initial model stored; a new group
      // takes its initial models from the store's cache when an earlier run trained them.
      const resume = states.every((x) => x !== null) ? mergeStates(states) : undefined;
      const keys = group.map((s) =>
        initialCacheKey(config, {
          kernels: kernels.name,
          data: dataRecord(mnist, digits),
          seedValue: seedValue(ctx.seed, s),
        })
      );
      const cached = resume
        ? []
        : await Promise.all(keys.map((key) => readCachedInitial(ctx.store, key)));
      const initial = !resume && cached.every((x) => x !== null)
        ? cached.filter((x) => x !== null)
        : undefined;
      if (initial) ctx.log(`seed(s) ${group.join(", ")}: initial model from the store's cache`);
      // Work not redone, so that the ETA counts only what is left: the initial models, and on a
      // resume each slot's finished rounds (its last one is replayed, and reported, again).
      if (initial || resume) tracker.add(group.length * plan.initial);
      for (const st of resume?.slots ?? []) {
        for (let k = 1; k < st.iteration; k++) tracker.add(plan.round(k));
      }
      const writers = new Map(
        group.map((s, g) => [
          seedValue(ctx.seed, s),
          new SeedWriter(ctx, s, resume || initial || group.length > 1 ? null : keys[g]),
        ]),
      );
      const runner = pool?.runner();
      await runDbmPruning(kernels, data, {
        protocol: config.protocol,
        seeds: group.map((s) => seedValue(ctx.seed, s)),
        criteria: config.criteria,
        references,
        resume,
        initial,
        runner,
        signal: ctx.signal,
        onProgress,
        onState: async (st) => {
          for (const [seed, w] of writers) await w.onState(filterState(st, seed));
        },
        onCheckpoint: async (ck) => {
          await writers.get(ck.seed)?.onCheckpoint(ck);
        },
      });
    }
  } finally {
    pool?.close();
    await kernels.close();
  }
}

function dataRecord(mnist: MnistData, digits: number): DataRecord {
  return {
    source: mnist.source,
    substitute: mnist.substitute,
    train: mnist.train.n,
    test: mnist.test.n,
    trainDigitsUsed: digits,
    threshold: { train: mnist.train.threshold, test: mnist.test.threshold },
  };
}

function referencesRecord(r: References, mnist: MnistData, digits: number): ReferencesRecord {
  return {
    data: dataRecord(mnist, digits),
    baselineError: r.baselineError,
    testDigits: r.testDigits,
    randomPatterns: r.randomPatterns,
    iterations: r.iterations,
    subsetBaseline: r.subsetBaseline ?? null,
  };
}

function mergeStates(states: (DbmRunState | null)[]): DbmRunState {
  const out: DbmRunState = { version: 1, initial: [], slots: [] };
  for (const s of states) {
    if (!s) continue;
    out.initial.push(...s.initial);
    out.slots.push(...s.slots);
  }
  return out;
}

function filterState(st: DbmRunState, seed: number): DbmRunState {
  return {
    version: st.version,
    initial: st.initial.filter((x) => x.seed === seed),
    slots: st.slots.filter((x) => x.seed === seed),
  };
}
