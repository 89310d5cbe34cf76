/**
 * The initial DBM of each seed (spec 3.3-3.5): greedy CD-1 pre-training of RBM1 (receptive
 * fields, doubled hidden input) and RBM2 (dense, doubled visible input, trained on the fixed
 * binary codes Q of RBM1), stacking, and joint training with mean-field and PCD. Seeds form a
 * population trained in lockstep; each seed's randomness comes from streams derived from it, one
 * per stage, so a seed's model does not depend on the other seeds in the call. Checkpoints after
 * RBM1, RBM2 and each joint-training epoch let an interrupted training continue bit-identically.
 *
 * @module
 */
import type { DbmKernels } from "../../engine/dbm.ts";
import { deriveSeed, Rng } from "../../util/rng.ts";
import { type BinaryRows, firstRows } from "./data.ts";
import { type Dbm, maskedNormal, receptiveFieldMask } from "./model.ts";
import {
  DbmPopulation,
  type JointOptions,
  type MeanFieldOptions,
  type Moments,
  type Particles,
} from "./population.ts";
import {
  type EpochSchedule,
  type LoopHooks,
  type RbmData,
  type RbmParams,
  sampleHidden,
  trainRbms,
} from "./rbm_stage.ts";
import { SlotStreams, type StreamState } from "./streams.ts";

/** Settings of the initial model (spec 3.3-3.5 and 14). */
export interface InitialTrainingConfig {
  /** Image side (20) and receptive-field radius (2; 5 x 5 windows). */
  side: number;
  /** Receptive-field radius. */
  radius: number;
  /** h1 units (400 = side^2: one receptive field per pixel). */
  n1: number;
  /** h2 units (676). */
  n2: number;
  /** Standard deviation of the initial weights (0.1). */
  weightSd: number;
  /** Initial visible biases of both RBMs (-1). */
  visibleBias: number;
  /** Initial hidden biases of both RBMs (-2). */
  hiddenBias: number;
  /** RBM1 schedule (spec 3.3.1). */
  rbm1: EpochSchedule;
  /** RBM2 schedule (spec 3.3.3). */
  rbm2: EpochSchedule;
  /** Joint-training schedule (spec 3.5). */
  joint: EpochSchedule;
  /** Persistent chains n_p (100 DEFAULT, D4). */
  particles: number;
  /** Mean-field settings. */
  meanField: MeanFieldOptions;
  /** Column max-norm (6). */
  maxNorm: number;
}

/** A trained initial model with what the sampler and retraining continue from. */
export interface InitialModel {
  /** The seed. */
  seed: number;
  /** The DBM after joint training. */
  model: Dbm;
  /** The PCD particles after joint training (the sampler starts from them, spec 4.2). */
  particles: Particles;
  /** The seed's joint-training stream after training. */
  stream: StreamState;
}

/** Stages of initial training, for progress reports. */
export type InitialStage = "rbm1" | "q" | "rbm2" | "joint";

/** A pre-training stage that ends in a checkpoint (its RBMs, one per seed). */
export type PretrainStage = "rbm1" | "rbm2";

/** One seed's joint training after a finished epoch: everything the next epoch reads. */
export interface JointSlotCheckpoint {
  /** The DBM. */
  model: Dbm;
  /** The PCD particles. */
  particles: Particles;
  /** The seed's joint-training stream. */
  stream: StreamState;
  /** The momentum buffers. */
  moments: Moments;
}

/** Joint training after `epochs` finished epochs, one slot per seed. */
export interface JointCheckpoint {
  /** Finished epochs (1 to the schedule's epochs - 1). */
  epochs: number;
  /** One per seed. */
  slots: JointSlotCheckpoint[];
}

/**
 * What an interrupted initial training finished, one entry per seed in the order of the seeds:
 * the RBMs of finished pre-training stages (`rbm2` needs `rbm1`: RBM2's data Q are sampled again
 * from RBM1, from the same stream), or joint training after a finished epoch (which needs
 * neither).
 */
export type PretrainedRbms =
  | { rbm1: RbmParams[]; rbm2?: RbmParams[]; joint?: undefined }
  | { joint: JointCheckpoint; rbm1?: undefined; rbm2?: undefined };

/** Hooks of {@link trainInitialDbms}. */
export interface InitialHooks {
  /** Checked between mini-batches. */
  signal?: AbortSignal;
  /** Progress within a stage (not reported for stages taken from `pretrained`). */
  onProgress?: (stage: InitialStage, done: number, total: number) => void;
  /**
   * Stages finished by an earlier, interrupted call with the same seeds, digits and settings
   * (what `onPretrained` gave it): they are not trained again. Each stage draws from its own
   * streams, derived from the seed, so the result is bit-identical to an uninterrupted call.
   */
  pretrained?: PretrainedRbms;
  /** Called after each pre-training stage with every seed's trained RBMs (a checkpoint). */
  onPretrained?: (stage: PretrainStage, rbms: RbmParams[]) => void | Promise<void>;
  /** Called after each joint-training epoch but the last (a checkpoint). */
  onJointEpoch?: (checkpoint: JointCheckpoint) => void | Promise<void>;
}

/** Stream labels of the stages (derived seeds: deriveSeed(seed, STREAM.x)). */
export const STREAM = {
  rbm1Init: 1,
  rbm1Cd: 2,
  q: 3,
  rbm2Init: 4,
  rbm2Cd: 5,
  g: 6,
  joint: 7,
} as const;

function hooksFor(h: InitialHooks, stage: InitialStage): LoopHooks {
  return {
    signal: h.signal,
    onProgress: h.onProgress ? (d, t) => h.onProgress?.(stage, d, t) : undefined,
  };
}

function streamsFor(seeds: readonly number[], label: number): SlotStreams {
  return SlotStreams.fromSeeds(seeds.map((s) => deriveSeed(s, label)));
}

/**
 * Trains the initial DBM of every seed on `digits` (in their fixed order) and returns the models,
 * their PCD particles and stream states.
 */
export async function trainInitialDbms(
  k: DbmKernels,
  digits: BinaryRows,
  options: { seeds: readonly number[]; config: InitialTrainingConfig } & InitialHooks,
): Promise<InitialModel[]> {
  const { seeds, config: c } = options;
  const nv = c.side * c.side;
  if (digits.width !== nv) throw new Error(`digits have ${digits.width} pixels, expected ${nv}`);
  if (c.n1 !== nv) throw new Error("receptive fields need one h1 unit per pixel (n1 = side^2)");
  const done = options.pretrained;
  if (done) checkPretrained(done, seeds.length);
  if (done?.joint) {
    const cp = done.joint;
    const streams = new SlotStreams(cp.slots.map((x) => x.stream));
    const pop = new DbmPopulation(k, cp.slots.map((x) => x.model), {
      particles: c.particles,
      streams,
    });
    cp.slots.forEach((x, p) => pop.setParticles(p, x.particles));
    const from = { epochs: cp.epochs, moments: cp.slots.map((x) => x.moments) };
    return await trainJoint(pop, { digits, seeds, config: c, hooks: options, from });
  }
  const mask1 = receptiveFieldMask(c.side, c.radius);
  // A stage finished by an interrupted earlier call is taken as it was (same bits).
  const rbmStage = async (
    stage: PretrainStage,
    o: { init: () => RbmParams[]; data: RbmData; label: number; mUp: number; mDown: number },
  ): Promise<RbmParams[]> => {
    const given = done?.[stage];
    if (given) return given;
    const rbms = await trainRbms(k, o.init(), {
      data: o.data,
      streams: streamsFor(seeds, o.label),
      schedule: c[stage],
      mUp: o.mUp,
      mDown: o.mDown,
      ...hooksFor(options, stage),
    });
    await options.onPretrained?.(stage, rbms);
    return rbms;
  };
  const rbm1 = await rbmStage("rbm1", {
    init: () =>
      seeds.map((s) => ({
        nv,
        nh: c.n1,
        w: maskedNormal(mask1, { sd: c.weightSd, rng: new Rng(deriveSeed(s, STREAM.rbm1Init)) }),
        bv: new Float32Array(nv).fill(c.visibleBias),
        bh: new Float32Array(c.n1).fill(c.hiddenBias),
        mask: mask1,
      })),
    data: digits,
    label: STREAM.rbm1Cd,
    mUp: 2,
    mDown: 1,
  });
  options.onProgress?.("q", 0, 1);
  const q = await sampleHidden(k, rbm1, {
    data: digits,
    streams: streamsFor(seeds, STREAM.q),
    multiplier: 2,
  });
  options.onProgress?.("q", 1, 1);
  const dense = new Uint8Array(c.n1 * c.n2).fill(1);
  const rbm2 = await rbmStage("rbm2", {
    init: () =>
      seeds.map((s) => ({
        nv: c.n1,
        nh: c.n2,
        w: maskedNormal(dense, { sd: c.weightSd, rng: new Rng(deriveSeed(s, STREAM.rbm2Init)) }),
        bv: new Float32Array(c.n1).fill(c.visibleBias),
        bh: new Float32Array(c.n2).fill(c.hiddenBias),
        mask: null,
      })),
    data: q,
    label: STREAM.rbm2Cd,
    mUp: 1,
    mDown: 2,
  });
  const qHead = q.map((rows) => ({
    n: c.particles,
    width: c.n1,
    bits: firstRows(rows, c.particles),
  }));
  const g = await sampleHidden(k, rbm2, {
    data: qHead,
    streams: streamsFor(seeds, STREAM.g),
    multiplier: 1,
  });
  const models: Dbm[] = seeds.map((_, p) => stack(rbm1[p], rbm2[p]));
  const streams = streamsFor(seeds, STREAM.joint);
  const pop = new DbmPopulation(k, models, { particles: c.particles, streams });
  const v = firstRows(digits, c.particles);
  seeds.forEach((_, p) => pop.setParticles(p, { v, h1: qHead[p].bits, h2: g[p].bits }));
  return await trainJoint(pop, { digits, seeds, config: c, hooks: options });
}

/** Joint training (spec 3.5) of a population with its particles set; frees the population. */
async function trainJoint(
  pop: DbmPopulation,
  o: {
    digits: BinaryRows;
    seeds: readonly number[];
    config: InitialTrainingConfig;
    hooks: InitialHooks;
    from?: JointOptions["from"];
  },
): Promise<InitialModel[]> {
  const { config: c, hooks } = o;
  const slots = async (): Promise<Omit<JointSlotCheckpoint, "moments">[]> => {
    const trained = await pop.models();
    const states = pop.streamStates();
    return await Promise.all(trained.map(async (model, p) => ({
      model,
      particles: await pop.getParticles(p),
      stream: states[p],
    })));
  };
  const onJointEpoch = hooks.onJointEpoch;
  try {
    const joint: JointOptions = {
      schedule: c.joint,
      meanField: c.meanField,
      maxNorm: c.maxNorm,
      from: o.from,
      onEpoch: onJointEpoch
        ? async (epochs) => {
          const moments = await pop.moments();
          const at = (await slots()).map((x, p) => ({ ...x, moments: moments[p] }));
          await onJointEpoch({ epochs, slots: at });
        }
        : undefined,
      ...hooksFor(hooks, "joint"),
    };
    await pop.train(o.digits, joint);
    return (await slots()).map((x, p) => ({ seed: o.seeds[p], ...x }));
  } finally {
    pop.free();
  }
}

function checkPretrained(done: PretrainedRbms, seeds: number): void {
  const fits = (r: readonly unknown[] | undefined) => !r || r.length === seeds;
  if (!fits(done.rbm1) || !fits(done.rbm2) || !fits(done.joint?.slots)) {
    throw new Error("pretrained: one checkpoint per seed needed");
  }
}

/**
 * Stacking (spec 3.4): W1 = W_rbm1 (masked), W2 = W_rbm2, bv = bv_rbm1,
 * b1 = (bh_rbm1 + bv_rbm2) / 2, b2 = bh_rbm2; M1 = RBM1's mask (the receptive fields), M2 = all ones.
 */
export function stack(rbm1: RbmParams, rbm2: RbmParams): Dbm {
  const n1 = rbm1.nh;
  const mask1 = rbm1.mask ?? new Uint8Array(rbm1.nv * n1).fill(1);
  const n2 = rbm2.nh;
  const b1 = new Float32Array(n1);
  for (let j = 0; j < n1; j++) b1[j] = 0.5 * rbm1.bh[j] + 0.5 * rbm2.bv[j];
  return {
    nv: rbm1.nv,
    n1,
    n2,
    w1: rbm1.w.slice(),
    w2: rbm2.w.slice(),
    bv: rbm1.bv.slice(),
    b1,
    b2: rbm2.bh.slice(),
    m1: mask1.slice(),
    m2: new Uint8Array(n1 * n2).fill(1),
    units1: Int32Array.from({ length: n1 }, (_, j) => j),
    units2: Int32Array.from({ length: n2 }, (_, j) => j),
  };
}
