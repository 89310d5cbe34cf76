/**
 * The per-model work of a pruning run (spec 6.4 steps 3.6-3.8) for a group of models on one set of
 * kernels: a freshly pruned model gets data-initialised particles, is optionally evaluated
 * ("pruned" checkpoint), retrained and evaluated ("retrained" checkpoint); an unpruned or resumed
 * model with its particles is only evaluated. Every model's randomness comes from its own stream,
 * so splitting a population into groups (threads, workers) never changes a bit of any result;
 * `runDbmPruning` hands each iteration's tasks to a {@link RoundRunner}, in-thread by default.
 *
 * Everything here is structured-clonable, so a worker can run a group.
 *
 * @module
 */
import type { DbmKernels } from "../../engine/dbm.ts";
import type { BinaryRows } from "./data.ts";
import {
  CheckpointAccumulator,
  type CheckpointMeasures,
  encodingError,
  type LabelledDigits,
} from "./evaluate.ts";
import type { DbmScores } from "./fisher.ts";
import type { LogRegModel } from "./logreg.ts";
import type { Dbm } from "./model.ts";
import { DbmPopulation, type Particles } from "./population.ts";
import type { DbmProtocol } from "./protocol.ts";
import { SlotStreams, type StreamState } from "./streams.ts";

/** What every round of a run shares: the protocol, the digits and the judge. */
export interface RoundSetting {
  /** Protocol. */
  protocol: DbmProtocol;
  /** The DBM's training digits (retraining, particle initialisation, encodings) with labels. */
  train: LabelledDigits;
  /** Test digits (encodings). */
  test: LabelledDigits;
  /** The raw-digit classifier that judges generated digits. */
  judge: LogRegModel;
}

/** One model's work in a round. */
export type RoundTask =
  | {
    /** Retrain a freshly pruned model, then evaluate it. */
    kind: "retrain";
    /** The pruned model. */
    model: Dbm;
    /** Seed of its stream for this round. */
    streamSeed: number;
  }
  | {
    /** Evaluate a model as it is (iteration 0, or the replay of a resumed checkpoint). */
    kind: "evaluate";
    /** The model. */
    model: Dbm;
    /** Its persistent particles. */
    particles: Particles;
    /** Its stream before the checkpoint samples. */
    stream: StreamState;
  };

/** What one model's round produced. */
export interface RoundResult {
  /** The model after retraining (or as given). */
  model: Dbm;
  /** Its persistent particles after retraining (what the sampler started from). */
  particles: Particles;
  /** Its stream before the checkpoint samples (a resume re-draws them from here). */
  stream: StreamState;
  /** The pruned model's measures before retraining, when the protocol measures them. */
  pruned?: CheckpointMeasures;
  /** The measures of the checkpoint. */
  measures: CheckpointMeasures;
  /** Layer-wise FI scores of the checkpoint's samples (the next pruning step's input). */
  scores: DbmScores;
}

/** Progress of a round: phase, units done and total within the phase. */
export type RoundProgress = (
  phase: "sample" | "retrain" | "encode",
  done: number,
  total: number,
) => void;

/** Hooks of a round. */
export interface RoundHooks {
  /** Stops the round between mini-batches, sweeps and fit iterations. */
  signal?: AbortSignal;
  /** Progress within the round. */
  onProgress?: RoundProgress;
}

/**
 * Runs the tasks of one iteration for a group of models (all of one kind) and returns their
 * results in task order. How tasks are grouped (threads, workers) does not change any result.
 */
export type RoundRunner = (
  tasks: readonly RoundTask[],
  hooks: RoundHooks,
) => Promise<RoundResult[]>;

/** Samples and measures every model of a population (spec 4.2, 5.5, 7.2). */
async function evaluate(
  pop: DbmPopulation,
  models: readonly Dbm[],
  setting: RoundSetting,
  hooks: RoundHooks,
): Promise<{ measures: CheckpointMeasures; scores: DbmScores }[]> {
  const pr = setting.protocol;
  const acc = models.map((m) =>
    new CheckpointAccumulator(m, { judge: setting.judge, keep: pr.keepSamples })
  );
  await pop.sample({
    ...pr.sampler,
    signal: hooks.signal,
    onProgress: (d, t) => hooks.onProgress?.("sample", d, t),
    onRecord: (r) => acc[r.slot].add(r),
  });
  const out = acc.map((a) => a.finish());
  if (pr.encoding.enabled) {
    const mf = {
      maxIterations: pr.encoding.maxIterations,
      tolerance: pr.encoding.tolerance,
      signal: hooks.signal,
      onProgress: (d: number, t: number) => hooks.onProgress?.("encode", d, t),
    };
    const tr = await pop.encode(setting.train, mf);
    const te = await pop.encode(setting.test, mf);
    for (const [p, m] of models.entries()) {
      out[p].measures.classifierError = await encodingError(
        { mu2: tr[p].mu2, labels: setting.train.labels },
        { mu2: te[p].mu2, labels: setting.test.labels },
        {
          n2: m.n2,
          c: pr.classifier.cEncoding,
          tolerance: pr.classifier.tolerance,
          maxIterations: pr.classifier.maxIterations,
          signal: hooks.signal,
        },
      );
    }
  }
  return out;
}

/** Runs a group of tasks (all of one kind) on `k` (see {@link RoundRunner}). */
export async function runRoundTasks(
  k: DbmKernels,
  setting: RoundSetting,
  input: { tasks: readonly RoundTask[] } & RoundHooks,
): Promise<RoundResult[]> {
  const { tasks } = input;
  if (tasks.length === 0) return [];
  const kind = tasks[0].kind;
  if (tasks.some((t) => t.kind !== kind)) throw new Error("a round's tasks must be of one kind");
  const pr = setting.protocol;
  const models = tasks.map((t) => t.model);
  const streams = new SlotStreams(
    tasks.map((t) => t.kind === "retrain" ? { seed: t.streamSeed, counter: 0 } : t.stream),
  );
  const pop = new DbmPopulation(k, models, { particles: pr.initial.particles, streams });
  const digits: BinaryRows = setting.train;
  try {
    let pruned: { measures: CheckpointMeasures }[] | null = null;
    let current = models;
    if (kind === "retrain") {
      pop.initParticlesFromData(digits);
      if (pr.evaluateBeforeRetraining) pruned = await evaluate(pop, models, setting, input);
      await pop.train(digits, {
        schedule: pr.retrain,
        meanField: pr.initial.meanField,
        maxNorm: pr.initial.maxNorm,
        signal: input.signal,
        onProgress: (d, t) => input.onProgress?.("retrain", d, t),
      });
      current = await pop.models();
    } else {
      tasks.forEach((t, p) => {
        if (t.kind === "evaluate") pop.setParticles(p, t.particles);
      });
    }
    const particles = await Promise.all(current.map((_, p) => pop.getParticles(p)));
    const states = pop.streamStates();
    const res = await evaluate(pop, current, setting, input);
    return current.map((model, p) => ({
      model,
      particles: particles[p],
      stream: states[p],
      ...(pruned ? { pruned: pruned[p].measures } : {}),
      measures: res[p].measures,
      scores: res[p].scores,
    }));
  } finally {
    pop.free();
  }
}
