/**
 * Evaluation of family B (spec 7.2): the raw-digit classifier and its references (baseline error,
 * test digits, random patterns), and the per-checkpoint measures of a model: generated-digit
 * quality and diversity, layer-wise FI scores and their zero counts, unit activities, weight and
 * unit counts, disconnected pixels, a few generated digits, and (optionally) the error of a
 * classifier on mean-field h2 encodings.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import { type DbmScores, dbmScores, DbmStatistics, meanActivity } from "./fisher.ts";
import { accuracy, type Features, fitLogReg, type LogRegModel, predictProba } from "./logreg.ts";
import { ClassTally, type GenerativeStats } from "./metrics.ts";
import { countOnes, type Dbm, disconnectedVisibles } from "./model.ts";
import type { SampleRecord } from "./population.ts";

/** Labelled binary digits (structurally a BinaryRows with labels). */
export interface LabelledDigits {
  /** Digits. */
  n: number;
  /** Pixels per digit. */
  width: number;
  /** n x width bits. */
  bits: Uint8Array;
  /** Classes. */
  labels: Uint8Array;
}

/** The raw-digit judge and the reference lines of Figs 3B and 4A-B. */
export interface References {
  /** The raw-digit classifier (C = 0.1). */
  classifier: LogRegModel;
  /** 1 - accuracy of the raw-digit classifier on the test digits (Fig 3B dashed line). */
  baselineError: number;
  /** Quality and diversity of the test digits under the classifier. */
  testDigits: GenerativeStats;
  /** Quality and diversity of i.i.d. Bern(0.5) patterns. */
  randomPatterns: GenerativeStats;
  /** L-BFGS iterations of the fit. */
  iterations: number;
  /**
   * When the DBM (and so the encoding classifier of Fig 3B) sees only the first `digits` training
   * digits: the test error of the same raw-digit classifier trained on those digits, the baseline
   * Fig 3B's encoding error is compared with. Absent when all digits are used.
   */
  subsetBaseline?: { digits: number; error: number };
}

function features(rows: { n: number; width: number; bits: Uint8Array }): Features {
  return { n: rows.n, d: rows.width, values: rows.bits };
}

/** Fits the raw-digit classifier and measures the references (spec 7.2.1, 7.2.2). */
export async function rawReferences(
  train: LabelledDigits,
  test: LabelledDigits,
  options: {
    c: number;
    tolerance: number;
    maxIterations: number;
    randomPatterns: number;
    rng: Rng;
    /** Training digits of the encoding classifier, when fewer than all (see subsetBaseline). */
    subset?: number;
    /** Stops the fits. */
    signal?: AbortSignal;
  },
): Promise<References> {
  const fit = await fitLogReg(features(train), train.labels, {
    c: options.c,
    classes: 10,
    tolerance: options.tolerance,
    maxIterations: options.maxIterations,
    signal: options.signal,
  });
  const testProbs = predictProba(fit.model, features(test));
  const tallyTest = new ClassTally(10);
  tallyTest.add(testProbs);
  const tallyRandom = new ClassTally(10);
  const chunk = 10000;
  for (let done = 0; done < options.randomPatterns; done += chunk) {
    const n = Math.min(chunk, options.randomPatterns - done);
    const bits = new Uint8Array(n * train.width);
    for (let q = 0; q < bits.length; q++) bits[q] = options.rng.nextU32() >>> 31;
    tallyRandom.add(predictProba(fit.model, { n, d: train.width, values: bits }));
  }
  const out: References = {
    classifier: fit.model,
    baselineError: 1 - accuracy(testProbs, test.labels),
    testDigits: tallyTest.result(),
    randomPatterns: tallyRandom.result(),
    iterations: fit.iterations,
  };
  const n = options.subset;
  if (n !== undefined && n < train.n) {
    const sub = await fitLogReg(
      { n, d: train.width, values: train.bits.subarray(0, n * train.width) },
      train.labels.subarray(0, n),
      {
        c: options.c,
        classes: 10,
        tolerance: options.tolerance,
        maxIterations: options.maxIterations,
        signal: options.signal,
      },
    );
    out.subsetBaseline = {
      digits: n,
      error: 1 - accuracy(predictProba(sub.model, features(test)), test.labels),
    };
  }
  return out;
}

/** Everything measured at one checkpoint of one model. */
export interface CheckpointMeasures {
  /** Existing weights per layer and surviving units. */
  counts: { nw1: number; nw2: number; n1: number; n2: number };
  /** Visible units without v-h1 weights (Fig 3D). */
  disconnected: number[];
  /** Mean per-unit activity of v, h1, h2 in the samples (spec 7.2.3). */
  activity: { v: number; h1: number; h2: number };
  /**
   * Hidden units that were on in at least one sample. A unit that never fires has only zero VAR
   * and HEU scores, so this bounds the units the zero rule keeps (spec 6.2, 15: ~150 h2 units).
   */
  fired: { h1: number; h2: number };
  /** Samples drawn. */
  samples: number;
  /** Exactly-zero VAR and HEU scores among existing weights, per layer (spec 15: log them). */
  zeroScores: { var1: number; var2: number; heu1: number; heu2: number };
  /** Quality and diversity of the generated digits. */
  generative: GenerativeStats;
  /** First generated digits, each a 400-character 0/1 string (row-major). */
  digits: string[];
  /** Encoding classifier error (spec 7.2.1), when measured. */
  classifierError?: number;
}

function countPositive(a: Float64Array): number {
  let n = 0;
  for (const x of a) if (x > 0) n++;
  return n;
}

/** Streaming evaluator of one model's sample records. */
export class CheckpointAccumulator {
  readonly #model: Dbm;
  readonly #stats: DbmStatistics;
  readonly #tally = new ClassTally(10);
  readonly #judge: LogRegModel;
  readonly #keep: number;
  readonly #digits: string[] = [];

  /** Accumulates records of `model`'s samples; keeps the first `keep` digits as strings. */
  constructor(model: Dbm, options: { judge: LogRegModel; keep: number }) {
    this.#model = model;
    this.#stats = new DbmStatistics(model);
    this.#judge = options.judge;
    this.#keep = options.keep;
  }

  /** Adds one record. */
  add(r: SampleRecord): void {
    this.#stats.add(r);
    const nv = this.#model.nv;
    this.#tally.add(predictProba(this.#judge, { n: r.count, d: nv, values: r.v }));
    for (let s = 0; s < r.count && this.#digits.length < this.#keep; s++) {
      this.#digits.push(Array.from(r.v.subarray(s * nv, (s + 1) * nv)).join(""));
    }
  }

  /** The measures and the layer-wise FI scores of everything added. */
  finish(): { measures: CheckpointMeasures; scores: DbmScores } {
    const m = this.#model;
    const mom = this.#stats.moments();
    const scores = dbmScores(m, mom);
    const zeros = (s: Float64Array, mask: Uint8Array): number => {
      let n = 0;
      for (let q = 0; q < mask.length; q++) if (mask[q] && s[q] === 0) n++;
      return n;
    };
    return {
      measures: {
        counts: { nw1: countOnes(m.m1), nw2: countOnes(m.m2), n1: m.n1, n2: m.n2 },
        disconnected: disconnectedVisibles(m),
        activity: meanActivity(mom),
        fired: { h1: countPositive(mom.layer1.hMean), h2: countPositive(mom.layer2.hMean) },
        samples: this.#stats.n,
        zeroScores: {
          var1: zeros(scores.var1, m.m1),
          var2: zeros(scores.var2, m.m2),
          heu1: zeros(scores.heu1, m.m1),
          heu2: zeros(scores.heu2, m.m2),
        },
        generative: this.#tally.result(),
        digits: this.#digits.slice(),
      },
      scores,
    };
  }
}

/**
 * Error of the encoding classifier (spec 7.2.1): multinomial logistic regression with C = 1 on
 * mean-field h2 probabilities of the training digits, tested on those of the test digits.
 */
export async function encodingError(
  train: { mu2: Float32Array; labels: Uint8Array },
  test: { mu2: Float32Array; labels: Uint8Array },
  options: {
    n2: number;
    c: number;
    tolerance: number;
    maxIterations: number;
    signal?: AbortSignal;
  },
): Promise<number> {
  const fit = await fitLogReg(
    { n: train.labels.length, d: options.n2, values: train.mu2 },
    train.labels,
    {
      c: options.c,
      classes: 10,
      tolerance: options.tolerance,
      maxIterations: options.maxIterations,
      signal: options.signal,
    },
  );
  const probs = predictProba(fit.model, { n: test.labels.length, d: options.n2, values: test.mu2 });
  return 1 - accuracy(probs, test.labels);
}
