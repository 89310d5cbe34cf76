/**
 * The work of a family-B run in one measure, for the progress bar's ETA: each phase of
 * `runDbmPruning` (references, pre-training, joint training, sampling, retraining, encodings) is
 * given an estimated cost in weight operations from the config, so that the ETA of a run that
 * spends most of its time in one long initial training does not wait for finished units.
 *
 * The costs are rough (they ignore how sparse the binary states are) but proportional to what the
 * kernels do, which is all an ETA needs: the progress bar turns work into time with the rate
 * observed so far.
 *
 * @module
 */
import type { DbmPhase, DbmProgress } from "../../core/bm/dbm/run.ts";
import type { DbmConfig } from "./config.ts";

/** Initial weights of the paper's DBM (spec 1.3). */
const NW1 = 8836;
const NW2 = 270400;
/** Mean-field iterations a converging update takes on average (the cap is often not reached). */
const TYPICAL_MF = 20;
/**
 * Weight operations of the raw-digit classifier and its references, and of its refit on the DBM's
 * digits (bm-fig3 with --digits): measured against the joint training of the reduced default
 * (about 1/20 of it on this machine, run bm-fig4-20261202-002112-276b6).
 */
const REFERENCES = 4e10;
const SUBSET_REFERENCES = 0.5e10;
/**
 * Fixed cost of one training update in weight operations (kernel calls, mean-field bookkeeping):
 * it dominates batch-1 pre-training of the small RBM1 (20,000 updates took ~0.09 of the joint
 * training's time in that run, where its multiply-adds alone are ~0.001 of it).
 */
const UPDATE = 3e6;
/** The encoding classifier's fit (L-BFGS, up to 800 iterations over 676 features x 10 classes). */
const FIT = 1e10;

/** Estimated work of every phase call, and the total of a run. */
export interface WorkPlan {
  /** Work of one call of a phase at a pruning iteration (0 = before pruning). */
  phase(phase: DbmPhase, iteration: number): number;
  /** Work of one seed (initial model, iteration 0, every pruning iteration). */
  perSeed: number;
  /** Work of one seed's initial model (pre-training and joint training). */
  initial: number;
  /** Work of one (seed, criterion) at pruning iteration k (retraining and checkpoints). */
  round(k: number): number;
  /** Work of the whole run. */
  total: number;
}

/**
 * The work plan of a config with `digits` training digits (and `testDigits` test digits, which
 * the encoding classifier encodes too: 1,666 in the substitute).
 */
export function workPlan(
  c: DbmConfig,
  digits: number,
  options: { testDigits?: number } = {},
): WorkPlan {
  const testDigits = options.testDigits ?? 1666;
  const p = c.protocol;
  const i = p.initial;
  const slots = c.criteria.length;
  const mf = Math.min(i.meanField.maxIterations, TYPICAL_MF);
  const size = (k: number): { w1: number; w2: number } => ({
    w1: NW1 * (1 - p.prune.fraction1) ** k,
    w2: NW2 * (1 - p.prune.fraction2) ** k,
  });
  const updates = (s: { epochs: number; batch: number }): number =>
    s.epochs * Math.ceil(digits / s.batch) * UPDATE;
  // A mini-batch's mean field runs until its slowest digit converges: about the cap.
  const mfOf = (batch: number): number => batch > 1 ? i.meanField.maxIterations : mf;
  const joint = (s: { epochs: number; batch: number }, w: { w1: number; w2: number }): number =>
    s.epochs * digits * (mfOf(s.batch) * 2 * (w.w1 + w.w2) + 3 * (w.w1 + w.w2)) +
    s.epochs * Math.ceil(digits / s.batch) * i.particles * (w.w1 + w.w2) + updates(s);
  const sample = (k: number): number => {
    const w = size(k);
    const sweeps = Math.ceil(p.sampler.samples / p.sampler.chains) * p.sampler.sweeps;
    return p.sampler.chains * sweeps * (w.w1 + w.w2);
  };
  // The encodings of the training and test digits (mean field in batches, so to about the cap)
  // and the classifier's fit on them.
  const encode = (k: number): number => {
    if (!p.encoding.enabled) return 0;
    const w = size(k);
    return (digits + testDigits) * p.encoding.maxIterations * 2 * (w.w1 + w.w2) + FIT;
  };
  const rbm1 = 3 * digits * i.rbm1.epochs * NW1 + updates(i.rbm1);
  const rbm2 = 3 * digits * i.rbm2.epochs * NW2 + updates(i.rbm2);
  const initial = rbm1 + rbm2 + joint(i.joint, size(0));
  const references = REFERENCES +
    (p.encoding.enabled && p.trainDigits !== null ? SUBSET_REFERENCES : 0);
  const checkpoint = (k: number, n: number): number => n * (sample(k) + encode(k));
  const round = (k: number): number =>
    joint(p.retrain, size(k)) + checkpoint(k, p.evaluateBeforeRetraining ? 2 : 1);
  let rounds = 0;
  for (let k = 1; k <= p.prune.iterations; k++) rounds += slots * round(k);
  const perSeed = initial + checkpoint(0, 1) + rounds;
  const phase = (ph: DbmPhase, k: number): number => {
    switch (ph) {
      case "references":
        return references;
      case "rbm1":
        return rbm1;
      case "q":
        return digits * NW1;
      case "rbm2":
        return rbm2;
      case "joint":
        return joint(i.joint, size(0));
      case "sample":
        return (k === 0 ? 1 : slots) * sample(k);
      case "retrain":
        return slots * joint(p.retrain, size(k));
      case "encode":
        // Two calls per checkpoint (training and test digits); the first carries most.
        return (k === 0 ? 1 : slots) * encode(k) / 2;
    }
  };
  return { phase, perSeed, initial, round, total: references + c.seeds * perSeed };
}

/**
 * Turns the run's progress reports into work done: a phase call's work counts in proportion to
 * its reported progress, and in full once the next call starts.
 */
export class WorkTracker {
  readonly #plan: WorkPlan;
  #completed: number;
  #current: { phase: DbmPhase; iteration: number; done: number; work: number } | null = null;

  /** Starts at `completed` work (e.g. seeds finished before a resume). */
  constructor(plan: WorkPlan, completed = 0) {
    this.#plan = plan;
    this.#completed = completed;
  }

  /** Work done after a progress report. */
  report(p: DbmProgress): number {
    const cur = this.#current;
    const fresh = !cur || cur.phase !== p.phase || cur.iteration !== p.iteration ||
      p.done < cur.done;
    if (fresh) {
      if (cur) this.#completed += cur.work;
      this.#current = {
        phase: p.phase,
        iteration: p.iteration,
        done: p.done,
        work: this.#plan.phase(p.phase, p.iteration),
      };
    } else if (cur) {
      cur.done = p.done;
    }
    const c = this.#current;
    return Math.min(
      this.#plan.total,
      this.#completed + (c && p.total > 0 ? c.work * Math.min(1, p.done / p.total) : 0),
    );
  }

  /** Adds work that was skipped (a seed finished before a resume) or done outside reports. */
  add(work: number): void {
    if (this.#current) this.#completed += this.#current.work;
    this.#current = null;
    this.#completed += work;
  }
}
