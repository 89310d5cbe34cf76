/**
 * Running the family-B protocol (spec 6.4) as store units, shared by `bm-fig3` and `bm-fig4`.
 *
 * Units (their metrics are the typed records of `records.ts`; their blobs, and reading them back
 * to resume, are `store_state.ts`):
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
import { jsonRecord, networkIndices, type RunContext } from "../../core/app/experiment.ts";
import { dbmFromJson } from "../../core/bm/dbm/model.ts";
import {
  type DbmCheckpoint,
  dbmReferences,
  type DbmRunData,
  type DbmRunState,
  particlesFromJson,
  roundSetting,
  runDbmPruning,
} from "../../core/bm/dbm/run.ts";
import { loadMnistIdx, loadMnistSubstitute, type MnistData } from "../../core/data/mnist.ts";
import type { DbmKernels } from "../../core/engine/dbm.ts";
import { createDbmKernels } from "../../core/engine/select_dbm.ts";
import type { BlobArray, KeyPart } from "../../core/store/store.ts";
import { deriveSeed } from "../../core/util/rng.ts";
import type { DbmConfig } from "./config.ts";
import {
  checkpointRecord,
  dataRecord,
  type InitialRecord,
  referencesRecord,
  type RoundRecord,
} from "./records.ts";
import { RoundPool } from "./round_pool.ts";
import {
  digitBytes,
  filterState,
  initialCacheKey,
  mergeStates,
  pretrainCacheKey,
  readCachedInitial,
  readPretrained,
  resumeState,
  stateBlobs,
  writeJointCheckpoint,
  writePretrainedRbm,
} from "./store_state.ts";
import { workPlan, WorkTracker } from "./work.ts";

/** The seed value of seed index `s` of a run with master seed `master`. */
export function seedValue(master: number, s: number): number {
  return deriveSeed(master, 0xdb, s);
}

/** Loads the run's digits: the IDX files of `--data`, else the embedded substitute. */
export function loadDbmData(c: DbmConfig): MnistData {
  return c.data ? loadMnistIdx(c.data) : loadMnistSubstitute();
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
    const references = await dbmReferences(data, {
      protocol: config.protocol,
      seed: seedValue(ctx.seed, 0),
      signal: ctx.signal,
    });
    tracker.add(plan.phase("references", 0));
    await put(ctx, ["references"], {
      metrics: referencesRecord(references, dataRecord(mnist, digits)),
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
      // An interrupted initial training continues from its last checkpoint (a stage or an epoch).
      const seeds = group.map((s) => seedValue(ctx.seed, s));
      const pretrained = resume || initial
        ? undefined
        : await readPretrained(ctx.store, { keys, group: seeds });
      if (pretrained) {
        const stages = pretrained.joint
          ? `RBM1, RBM2 and ${pretrained.joint.epochs} joint-training epoch(s)`
          : pretrained.rbm2
          ? "RBM1 and RBM2"
          : "RBM1";
        ctx.log(`seed(s) ${group.join(", ")}: ${stages} from the store's pre-training checkpoint`);
        // Joint training reports its skipped epochs as done itself.
        const skipped = pretrained.joint
          ? ["rbm1", "q", "rbm2"] as const
          : pretrained.rbm2
          ? ["rbm1", "rbm2"] as const
          : ["rbm1"] as const;
        for (const ph of skipped) tracker.add(group.length * plan.phase(ph, 0));
      }
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
        seeds,
        criteria: config.criteria,
        references,
        resume,
        initial,
        pretrained,
        onPretrained: async (stage, rbms) => {
          for (const [g, key] of keys.entries()) {
            const at = pretrainCacheKey(key, { stage, group: seeds });
            await writePretrainedRbm(ctx.store, at, rbms[g]);
          }
        },
        onJointEpoch: async ({ epochs, slots }) => {
          for (const [g, key] of keys.entries()) {
            const at = pretrainCacheKey(key, { stage: "joint", group: seeds });
            await writeJointCheckpoint(ctx.store, at, { epochs, slot: slots[g] });
          }
        },
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
