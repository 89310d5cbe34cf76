/**
 * The pruning experiment of family B (spec 6.4) as one resumable run: references, initial models
 * (one per seed, shared by every criterion), iteration 0, then per iteration and for every
 * (seed, criterion) slot in lockstep on the engine: prune from the previous samples' scores,
 * re-initialise particles, optionally evaluate, retrain, sample and evaluate.
 *
 * An experiment drives it through hooks: progress (with phase names for an ETA), references,
 * checkpoints (every measure of one model at one point), and serialisable states to persist;
 * an AbortSignal stops it between mini-batches and sweeps. Resuming from the last state redoes
 * only the unfinished work; a resumed slot re-draws the samples of its last finished checkpoint
 * from the saved stream (bit-identical), so its next pruning step is the one it would have taken.
 *
 * @module
 */
import type { DbmKernels } from "../../engine/dbm.ts";
import { deriveSeed, Rng } from "../../util/rng.ts";
import { DBM_CRITERIA, dbmCriterion, type PruneReport, pruneStep } from "./criteria.ts";
import type { BinaryRows } from "./data.ts";
import {
  type CheckpointMeasures,
  type LabelledDigits,
  rawReferences,
  type References,
} from "./evaluate.ts";
import type { DbmScores } from "./fisher.ts";
import {
  base64ToBytes,
  bytesToBase64,
  countOnes,
  type Dbm,
  dbmFromJson,
  type DbmJson,
  dbmToJson,
} from "./model.ts";
import type { Particles } from "./population.ts";
import { type RoundRunner, type RoundSetting, type RoundTask, runRoundTasks } from "./round.ts";
import {
  type InitialHooks,
  type InitialModel,
  type InitialStage,
  trainInitialDbms,
} from "./pretrain.ts";
import type { DbmProtocol } from "./protocol.ts";
import type { StreamState } from "./streams.ts";

/** Data of a run. */
export interface DbmRunData {
  /** Training digits (the DBM uses the first protocol.trainDigits of them). */
  train: LabelledDigits;
  /** Test digits. */
  test: LabelledDigits;
}

/** A phase of the run, for progress and ETA. */
export type DbmPhase =
  | "references"
  | InitialStage
  | "sample"
  | "retrain"
  | "encode";

/** One progress report. */
export interface DbmProgress {
  /** Phase. */
  phase: DbmPhase;
  /** Pruning iteration (0 before pruning). */
  iteration: number;
  /** Units done in this phase call. */
  done: number;
  /** Units of this phase call. */
  total: number;
}

/** The measures of one model at one point of the run. */
export interface DbmCheckpoint {
  /** Seed. */
  seed: number;
  /** Criterion id, or null for iteration 0 (the initial model, shared by every criterion). */
  criterion: string | null;
  /** Pruning iteration (0 = unpruned). */
  iteration: number;
  /** "initial", "pruned" (checkpoint 1, before retraining) or "retrained" (checkpoint 2). */
  stage: "initial" | "pruned" | "retrained";
  /** Measures. */
  measures: CheckpointMeasures;
  /** What the pruning step did (pruned and retrained stages). */
  prune?: PruneReport;
  /** True when this checkpoint was measured before and re-drawn while resuming. */
  replayed: boolean;
}

/** Serialised binary particles. */
export interface ParticlesJson {
  /** Base64 of the v, h1 and h2 bytes. */
  v: string;
  /** h1. */
  h1: string;
  /** h2. */
  h2: string;
}

/** Saved state of one (seed, criterion) slot after retraining in `iteration`. */
export interface SlotState {
  /** Seed. */
  seed: number;
  /** Criterion id. */
  criterion: string;
  /** Last completed iteration. */
  iteration: number;
  /** The retrained model. */
  model: DbmJson;
  /** Its PCD particles (absent for a stopped slot). */
  particles?: ParticlesJson;
  /** Its stream before the checkpoint samples were drawn (absent for a stopped slot). */
  stream?: StreamState;
  /** Why the slot stopped early (spec 6.4 [R]: a layer ran out of weights or units). */
  stopped?: string;
}

/** Everything needed to resume a run. */
export interface DbmRunState {
  /** Format version. */
  version: 1;
  /** The initial models, one per seed. */
  initial: { seed: number; model: DbmJson; particles: ParticlesJson; stream: StreamState }[];
  /** Slots that finished at least one iteration. */
  slots: SlotState[];
}

/** Hooks of {@link runDbmPruning}; async hooks are awaited. */
export interface DbmRunHooks {
  /** Stops the run between mini-batches and sweeps. */
  signal?: AbortSignal;
  /** Progress. */
  onProgress?: (p: DbmProgress) => void;
  /** The raw-digit references, once. */
  onReferences?: (r: References) => void | Promise<void>;
  /** Each checkpoint. */
  onCheckpoint?: (c: DbmCheckpoint) => void | Promise<void>;
  /** A state to persist (after initial training and after each iteration). */
  onState?: (s: DbmRunState) => void | Promise<void>;
  /** A pre-training checkpoint to persist (after RBM1 and after RBM2 of initial training). */
  onPretrained?: InitialHooks["onPretrained"];
  /** A joint-training checkpoint to persist (after each epoch of initial joint training). */
  onJointEpoch?: InitialHooks["onJointEpoch"];
}

/** Options of {@link runDbmPruning}. */
export interface DbmRunOptions extends DbmRunHooks {
  /** Protocol. */
  protocol: DbmProtocol;
  /** Seeds (one initial model each). */
  seeds: readonly number[];
  /** Criterion ids (default: all six). */
  criteria?: readonly string[];
  /** A state from an earlier run with the same protocol, seeds and data. */
  resume?: DbmRunState;
  /**
   * Initial models trained earlier with the same protocol, seeds and data (e.g. from a cache):
   * used instead of training them; unlike `resume`, everything after is computed and reported.
   */
  initial?: DbmRunState["initial"];
  /**
   * What an interrupted earlier run with the same protocol, seeds and data finished of initial
   * training (what its `onPretrained` or `onJointEpoch` got): initial training continues from it.
   */
  pretrained?: InitialHooks["pretrained"];
  /**
   * References computed earlier for the same data and protocol (they are recomputed, and
   * reported through `onReferences`, only when absent).
   */
  references?: References;
  /**
   * Runs each iteration's per-model work (e.g. spread over workers); default: in this thread on
   * `k`. Built for a {@link RoundSetting} of these data, protocol and references: see
   * {@link roundSetting}.
   */
  runner?: RoundRunner;
}

/** What a finished run returns. */
export interface DbmRunResult {
  /** References. */
  references: References;
  /** The final state. */
  state: DbmRunState;
}

/** Particles as base64 strings (resume states). */
export function particlesToJson(p: Particles): ParticlesJson {
  return { v: bytesToBase64(p.v), h1: bytesToBase64(p.h1), h2: bytesToBase64(p.h2) };
}

/** The particles of {@link particlesToJson}. */
export function particlesFromJson(p: ParticlesJson): Particles {
  return { v: base64ToBytes(p.v), h1: base64ToBytes(p.h1), h2: base64ToBytes(p.h2) };
}

/** A stable 32-bit code of a criterion id (its random streams do not depend on table order). */
export function criterionCode(id: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
  return h >>> 0;
}

/** Replaces or adds a slot's saved state. */
function upsert(state: DbmRunState, st: SlotState): void {
  state.slots = state.slots.filter((s) => !(s.seed === st.seed && s.criterion === st.criterion));
  state.slots.push(st);
}

/** Stream labels of the run (beyond the initial-training labels of pretrain.ts). */
const RUN_STREAM = { references: 11, prune: 12, slot: 13 } as const;

interface Slot {
  seed: number;
  criterion: string;
  iteration: number;
  model: Dbm;
  scores: DbmScores | null;
  stopped?: string;
}

/**
 * The raw-digit classifier and the reference lines (spec 7.2): fitted on all training digits, the
 * random patterns drawn from a stream of `seed`.
 */
export function dbmReferences(
  data: DbmRunData,
  options: { protocol: DbmProtocol; seed: number; signal?: AbortSignal },
): Promise<References> {
  const pr = options.protocol;
  return rawReferences(data.train, data.test, {
    c: pr.classifier.cRaw,
    tolerance: pr.classifier.tolerance,
    maxIterations: pr.classifier.maxIterations,
    randomPatterns: pr.referencePatterns,
    rng: new Rng(deriveSeed(options.seed, RUN_STREAM.references)),
    subset: pr.encoding.enabled && pr.trainDigits !== null ? pr.trainDigits : undefined,
    signal: options.signal,
  });
}

/** What every round of a run shares (see {@link RoundSetting}): the DBM's digits and the judge. */
export function roundSetting(
  data: DbmRunData,
  options: { protocol: DbmProtocol; references: References },
): RoundSetting {
  const pr = options.protocol;
  const n = Math.min(pr.trainDigits ?? data.train.n, data.train.n);
  const w = data.train.width;
  return {
    protocol: pr,
    train: {
      n,
      width: w,
      bits: data.train.bits.subarray(0, n * w),
      labels: data.train.labels.subarray(0, n),
    },
    test: {
      n: data.test.n,
      width: data.test.width,
      bits: data.test.bits,
      labels: data.test.labels,
    },
    judge: options.references.classifier,
  };
}

/**
 * Runs (or resumes) the DBM pruning experiment and reports everything through the hooks.
 */
export async function runDbmPruning(
  k: DbmKernels,
  data: DbmRunData,
  options: DbmRunOptions,
): Promise<DbmRunResult> {
  const { protocol: pr, seeds } = options;
  const criteria = (options.criteria ?? DBM_CRITERIA.map((c) => c.id)).map((id) =>
    dbmCriterion(id).id
  );
  const nDigits = Math.min(pr.trainDigits ?? data.train.n, data.train.n);
  const digits: BinaryRows = {
    n: nDigits,
    width: data.train.width,
    bits: data.train.bits.subarray(0, nDigits * data.train.width),
  };
  const progress = (phase: DbmPhase, iteration: number) => (done: number, total: number): void =>
    options.onProgress?.({ phase, iteration, done, total });
  options.signal?.throwIfAborted();

  // References (the judge of generated digits).
  let references = options.references;
  if (!references) {
    progress("references", 0)(0, 1);
    references = await dbmReferences(data, {
      protocol: pr,
      seed: seeds[0] ?? 0,
      signal: options.signal,
    });
    progress("references", 0)(1, 1);
    await options.onReferences?.(references);
  }

  // Initial models.
  let initial: InitialModel[];
  const given = options.resume?.initial ?? options.initial;
  if (given) {
    initial = seeds.map((seed) => {
      const s = given.find((x) => x.seed === seed);
      if (!s) throw new Error(`resume: no initial model for seed ${seed}`);
      return {
        seed,
        model: dbmFromJson(s.model),
        particles: particlesFromJson(s.particles),
        stream: s.stream,
      };
    });
  } else {
    initial = await trainInitialDbms(k, digits, {
      seeds,
      config: pr.initial,
      signal: options.signal,
      pretrained: options.pretrained,
      onPretrained: options.onPretrained,
      onJointEpoch: options.onJointEpoch,
      onProgress: (stage, done, total) =>
        options.onProgress?.({ phase: stage, iteration: 0, done, total }),
    });
  }
  const state: DbmRunState = {
    version: 1,
    initial: initial.map((m) => ({
      seed: m.seed,
      model: dbmToJson(m.model),
      particles: particlesToJson(m.particles),
      stream: m.stream,
    })),
    slots: options.resume ? options.resume.slots.slice() : [],
  };
  if (!options.resume) await options.onState?.(state);

  const setting = roundSetting(data, { protocol: pr, references });
  const runner: RoundRunner = options.runner ??
    ((tasks, hooks) => runRoundTasks(k, setting, { tasks, ...hooks }));
  const hooksAt = (iteration: number) => ({
    signal: options.signal,
    onProgress: (phase: "sample" | "retrain" | "encode", done: number, total: number) =>
      options.onProgress?.({ phase, iteration, done, total }),
  });

  // Slots, fresh or resumed; a resumed slot re-draws its last checkpoint's samples below.
  const slots: Slot[] = [];
  for (const seed of seeds) {
    for (const criterion of criteria) {
      const saved = state.slots.find((s) => s.seed === seed && s.criterion === criterion);
      const init = initial.find((m) => m.seed === seed);
      if (!init) throw new Error(`no initial model for seed ${seed}`);
      slots.push({
        seed,
        criterion,
        iteration: saved ? saved.iteration : 0,
        model: saved ? dbmFromJson(saved.model) : init.model,
        scores: null,
        stopped: saved?.stopped,
      });
    }
  }

  // Iteration 0 (needed for reporting on a fresh run, or as scores for slots still at 0).
  const needInitial = !options.resume || slots.some((s) => s.iteration === 0 && !s.stopped);
  if (needInitial) {
    const res = await runner(
      initial.map((m) => ({
        kind: "evaluate",
        model: m.model,
        particles: m.particles,
        stream: m.stream,
      })),
      hooksAt(0),
    );
    for (const [p, m] of initial.entries()) {
      for (const s of slots) if (s.seed === m.seed && s.iteration === 0) s.scores = res[p].scores;
      await options.onCheckpoint?.({
        seed: m.seed,
        criterion: null,
        iteration: 0,
        stage: "initial",
        measures: res[p].measures,
        replayed: Boolean(options.resume),
      });
    }
  }

  // Resumed slots beyond iteration 0: re-draw their last checkpoint's samples for the scores.
  const resumed = slots.filter((s) => s.iteration > 0 && !s.stopped);
  if (resumed.length > 0) {
    const tasks: RoundTask[] = resumed.map((s) => {
      const st = state.slots.find((x) => x.seed === s.seed && x.criterion === s.criterion);
      if (!st?.particles || !st.stream) throw new Error("resume: inconsistent state");
      return {
        kind: "evaluate",
        model: s.model,
        particles: particlesFromJson(st.particles),
        stream: st.stream,
      };
    });
    const res = await runner(tasks, hooksAt(resumed[0].iteration));
    for (const [p, s] of resumed.entries()) {
      s.scores = res[p].scores;
      await options.onCheckpoint?.({
        seed: s.seed,
        criterion: s.criterion,
        iteration: s.iteration,
        stage: "retrained",
        measures: res[p].measures,
        replayed: true,
      });
    }
  }

  const initialWeights = new Map(
    initial.map((m) => [m.seed, { nw1: countOnes(m.model.m1), nw2: countOnes(m.model.m2) }]),
  );
  for (let it = 1; it <= pr.prune.iterations; it++) {
    const batch = slots.filter((s) => s.iteration === it - 1 && !s.stopped);
    if (batch.length === 0) continue;
    const pruned: { slot: Slot; model: Dbm; report: PruneReport }[] = [];
    for (const s of batch) {
      options.signal?.throwIfAborted();
      const scores = s.scores;
      if (!scores) throw new Error(`slot ${s.seed}/${s.criterion}: no scores for iteration ${it}`);
      const rng = new Rng(deriveSeed(s.seed, RUN_STREAM.prune, criterionCode(s.criterion), it));
      const { model, report } = pruneStep(s.model, dbmCriterion(s.criterion), {
        fi: scores,
        rng,
        fraction1: pr.prune.fraction1,
        fraction2: pr.prune.fraction2,
        initialWeights: initialWeights.get(s.seed) ?? { nw1: 0, nw2: 0 },
        iteration: it,
      });
      const a = report.after;
      if (a.n1 === 0 || a.n2 === 0 || a.nw1 === 0 || a.nw2 === 0) {
        s.stopped =
          `iteration ${it}: a layer ran out of weights or units (${a.nw1}/${a.nw2} weights, ${a.n1}/${a.n2} units)`;
        s.iteration = it;
        continue;
      }
      pruned.push({ slot: s, model, report });
    }
    for (const s of batch) {
      if (s.stopped) {
        upsert(state, {
          seed: s.seed,
          criterion: s.criterion,
          iteration: s.iteration,
          model: dbmToJson(s.model),
          stopped: s.stopped,
        });
      }
    }
    if (pruned.length === 0) {
      await options.onState?.(state);
      continue;
    }
    const res = await runner(
      pruned.map((x) => ({
        kind: "retrain",
        model: x.model,
        streamSeed: deriveSeed(x.slot.seed, RUN_STREAM.slot, criterionCode(x.slot.criterion), it),
      })),
      hooksAt(it),
    );
    for (const [p, x] of pruned.entries()) {
      const r = res[p];
      upsert(state, {
        seed: x.slot.seed,
        criterion: x.slot.criterion,
        iteration: it,
        model: dbmToJson(r.model),
        particles: particlesToJson(r.particles),
        stream: r.stream,
      });
    }
    await options.onState?.(state);
    for (const [p, x] of pruned.entries()) {
      const r = res[p];
      x.slot.model = r.model;
      x.slot.scores = r.scores;
      x.slot.iteration = it;
      const base = { seed: x.slot.seed, criterion: x.slot.criterion, iteration: it };
      if (r.pruned) {
        await options.onCheckpoint?.({
          ...base,
          stage: "pruned",
          measures: r.pruned,
          prune: x.report,
          replayed: false,
        });
      }
      await options.onCheckpoint?.({
        ...base,
        stage: "retrained",
        measures: r.measures,
        prune: x.report,
        replayed: false,
      });
    }
  }
  return { references, state };
}
