/**
 * What a family-B run (`run.ts`) keeps in the store beyond the metrics, and how it reads it back:
 * the blobs of a unit (model, persistent particles, generated digits), the state a resumed seed
 * continues from, the store's cache of trained initial models that later runs reuse, and the
 * checkpoints (after RBM1, RBM2 and each joint-training epoch) an interrupted initial training
 * continues from.
 *
 * @module
 */
import { type RunContext, unitMetrics } from "../../core/app/experiment.ts";
import {
  type Dbm,
  type DbmArrays,
  dbmFromArrays,
  dbmToArrays,
  dbmToJson,
} from "../../core/bm/dbm/model.ts";
import {
  criterionCode,
  type DbmRunState,
  particlesToJson,
  type SlotState,
} from "../../core/bm/dbm/run.ts";
import type { Particles } from "../../core/bm/dbm/population.ts";
import type {
  JointSlotCheckpoint,
  PretrainedRbms,
  PretrainStage,
} from "../../core/bm/dbm/pretrain.ts";
import type { RbmParams } from "../../core/bm/dbm/rbm_stage.ts";
import type { StreamState } from "../../core/bm/dbm/streams.ts";
import type { BlobArray, KeyPart, ResultStore } from "../../core/store/store.ts";
import type { DbmConfig } from "./config.ts";
import type { DataRecord, InitialRecord, RoundRecord } from "./records.ts";

/** The digit strings as bytes (one per pixel) for a blob. */
export function digitBytes(digits: readonly string[]): Uint8Array {
  const out = new Uint8Array(digits.length * 400);
  digits.forEach((d, s) => {
    for (let i = 0; i < 400; i++) out[s * 400 + i] = d.charCodeAt(i) === 49 ? 1 : 0;
  });
  return out;
}

/** Blobs of a model (prefixed "model.") and its particles (prefixed "particles."). */
export function stateBlobs(model: Dbm, particles: Particles | null): Record<string, BlobArray> {
  const out: Record<string, BlobArray> = {};
  for (const [k, v] of Object.entries(dbmToArrays(model))) out[`model.${k}`] = v;
  if (particles) {
    out["particles.v"] = particles.v;
    out["particles.h1"] = particles.h1;
    out["particles.h2"] = particles.h2;
  }
  return out;
}

async function blob(
  store: ResultStore,
  at: { runId: string; key: KeyPart[] },
  name: string,
): Promise<BlobArray> {
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
export async function resumeState(
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

/** One seed's initial state, as the protocol's run state holds it. */
export type InitialState = DbmRunState["initial"][number];

/**
 * The initial state cached under `key` by an earlier run with the same settings; null when there
 * is none (or its metrics are not a seed and a stream).
 */
export async function readCachedInitial(
  store: ResultStore,
  key: string,
): Promise<InitialState | null> {
  const hit = await store.getCache(key);
  if (!hit) return null;
  const { seed, stream } = hit.metrics;
  if (typeof seed !== "number" || !isStreamState(stream)) return null;
  const { model, particles } = cachedState(key, hit.blobs);
  return {
    seed,
    model: dbmToJson(model),
    particles: particlesToJson(particles),
    stream,
  };
}

/** The model and particles of a cache entry written with {@link stateBlobs}. */
function cachedState(
  key: string,
  blobs: Record<string, BlobArray>,
): { model: Dbm; particles: Particles } {
  const u8 = (n: string): Uint8Array => {
    const b = blobs[n];
    if (!(b instanceof Uint8Array)) throw new Error(`cache ${key}: ${n} type`);
    return b;
  };
  const model = dbmFromArrays({
    sizes: int32(blobs["model.sizes"]),
    w1: float32(blobs["model.w1"]),
    w2: float32(blobs["model.w2"]),
    bv: float32(blobs["model.bv"]),
    b1: float32(blobs["model.b1"]),
    b2: float32(blobs["model.b2"]),
    m1: u8("model.m1"),
    m2: u8("model.m2"),
    units1: int32(blobs["model.units1"]),
    units2: int32(blobs["model.units2"]),
  });
  return {
    model,
    particles: { v: u8("particles.v"), h1: u8("particles.h1"), h2: u8("particles.h2") },
  };
}

/**
 * The cache key of a seed's checkpoint after pre-training `stage` or a joint-training epoch
 * ("joint", overwritten each epoch), below its initial model's key (`initialKey`). Seeds trained
 * together in one population (WebGPU) keep theirs for that group.
 */
export function pretrainCacheKey(
  initialKey: string,
  at: { stage: PretrainStage | "joint"; group: readonly number[] },
): string {
  const group = at.group.length > 1 ? `/with-${at.group.join("-")}` : "";
  return `${initialKey}/pretrain${group}/${at.stage}`;
}

/** Keeps one seed's RBM after a pre-training stage under `key`. */
export async function writePretrainedRbm(
  store: ResultStore,
  key: string,
  rbm: RbmParams,
): Promise<void> {
  await store.putCache(key, {
    metrics: { nv: rbm.nv, nh: rbm.nh },
    blobs: { w: rbm.w, bv: rbm.bv, bh: rbm.bh, ...(rbm.mask ? { mask: rbm.mask } : {}) },
  });
}

async function readPretrainedRbm(store: ResultStore, key: string): Promise<RbmParams | null> {
  const hit = await store.getCache(key);
  if (!hit) return null;
  const { nv, nh } = hit.metrics;
  const mask = hit.blobs.mask;
  if (typeof nv !== "number" || typeof nh !== "number") return null;
  if (mask !== undefined && !(mask instanceof Uint8Array)) return null;
  return {
    nv,
    nh,
    w: float32(hit.blobs.w),
    bv: float32(hit.blobs.bv),
    bh: float32(hit.blobs.bh),
    mask: mask ?? null,
  };
}

/** Keeps one seed's joint training after a finished epoch under `key` (overwritten each epoch). */
export async function writeJointCheckpoint(
  store: ResultStore,
  key: string,
  at: { epochs: number; slot: JointSlotCheckpoint },
): Promise<void> {
  const { model, particles, stream, moments } = at.slot;
  const blobs = stateBlobs(model, particles);
  for (const [n, b] of Object.entries(moments)) blobs[`moments.${n}`] = b;
  await store.putCache(key, { metrics: { epochs: at.epochs, stream }, blobs });
}

async function readJointSlot(
  store: ResultStore,
  key: string,
): Promise<{ epochs: number; slot: JointSlotCheckpoint } | null> {
  const hit = await store.getCache(key);
  if (!hit) return null;
  const { epochs, stream } = hit.metrics;
  if (typeof epochs !== "number" || !isStreamState(stream)) return null;
  const m = (n: string): Float32Array => float32(hit.blobs[`moments.${n}`]);
  const moments = { w1: m("w1"), w2: m("w2"), bv: m("bv"), b1: m("b1"), b2: m("b2") };
  return { epochs, slot: { ...cachedState(key, hit.blobs), stream, moments } };
}

/**
 * What every seed of a group finished of an earlier, interrupted initial training (`keys`: the
 * seeds' initial-model cache keys, `group`: their seed values): joint training after the same
 * epoch, else the pre-training stages; undefined when not even RBM1 of every seed is there.
 */
export async function readPretrained(
  store: ResultStore,
  at: { keys: readonly string[]; group: readonly number[] },
): Promise<PretrainedRbms | undefined> {
  const joint = await Promise.all(
    at.keys.map((k) =>
      readJointSlot(store, pretrainCacheKey(k, { stage: "joint", group: at.group }))
    ),
  );
  const epochs = joint[0]?.epochs;
  if (joint.every((x) => x !== null && x.epochs === epochs) && epochs !== undefined) {
    return { joint: { epochs, slots: joint.filter((x) => x !== null).map((x) => x.slot) } };
  }
  const stage = async (stage: PretrainStage): Promise<RbmParams[] | undefined> => {
    const rbms = await Promise.all(
      at.keys.map((k) => readPretrainedRbm(store, pretrainCacheKey(k, { stage, group: at.group }))),
    );
    return rbms.every((r) => r !== null) ? rbms.filter((r) => r !== null) : undefined;
  };
  const rbm1 = await stage("rbm1");
  if (!rbm1) return undefined;
  const rbm2 = await stage("rbm2");
  return rbm2 ? { rbm1, rbm2 } : { rbm1 };
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

/** One run state of several seeds' states (a group of seeds resumed together). */
export function mergeStates(states: (DbmRunState | null)[]): DbmRunState {
  const out: DbmRunState = { version: 1, initial: [], slots: [] };
  for (const s of states) {
    if (!s) continue;
    out.initial.push(...s.initial);
    out.slots.push(...s.slots);
  }
  return out;
}

/** The part of a run state that belongs to one seed value. */
export function filterState(st: DbmRunState, seed: number): DbmRunState {
  return {
    version: st.version,
    initial: st.initial.filter((x) => x.seed === seed),
    slots: st.slots.filter((x) => x.seed === seed),
  };
}
