/**
 * Generative quality and diversity of family B (spec 7.2.2): samples are classified by the
 * raw-digit classifier; quality is the winning-class probability averaged either over samples
 * (the paper's wording) or per class and then over the classes present (the notebook's plotted
 * statistic, DEFAULT, D13); diversity is the entropy of the class counts in nats.
 *
 * Accumulated record by record ({@link ClassTally}) so that 60,000 samples are never held.
 *
 * @module
 */

/** Quality and diversity of a set of classified samples. */
export interface GenerativeStats {
  /** Samples classified. */
  n: number;
  /** Samples assigned to each class (argmax). */
  classCounts: number[];
  /** Plain mean of the winning probability over all samples. */
  quality: number;
  /** Mean over the classes present of the per-class mean winning probability. */
  qualityPerClass: number;
  /** Entropy of the class frequencies, nats (max ln 10 for 10 classes). */
  entropy: number;
}

/** Running tally of argmax classes and winning probabilities. */
export class ClassTally {
  readonly #k: number;
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  #n = 0;

  /** A tally over `k` classes. */
  constructor(k: number) {
    this.#k = k;
    this.#counts = new Float64Array(k);
    this.#sums = new Float64Array(k);
  }

  /** Adds rows of class probabilities (n x k row-major). */
  add(probs: ArrayLike<number>): void {
    const k = this.#k;
    if (probs.length % k !== 0) throw new Error("ClassTally: probabilities are not rows of k");
    for (let r = 0; r < probs.length / k; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
      this.#counts[best]++;
      this.#sums[best] += probs[r * k + best];
      this.#n++;
    }
  }

  /** The statistics of everything added. */
  result(): GenerativeStats {
    const n = this.#n;
    let total = 0;
    let perClass = 0;
    let present = 0;
    for (let c = 0; c < this.#k; c++) {
      total += this.#sums[c];
      if (this.#counts[c] > 0) {
        perClass += this.#sums[c] / this.#counts[c];
        present++;
      }
    }
    return {
      n,
      classCounts: Array.from(this.#counts),
      quality: n > 0 ? total / n : NaN,
      qualityPerClass: present > 0 ? perClass / present : NaN,
      entropy: entropy(this.#counts),
    };
  }
}

/** H = -sum_c f_c ln f_c over classes with a positive count (nats). */
export function entropy(counts: ArrayLike<number>): number {
  let n = 0;
  for (let c = 0; c < counts.length; c++) n += counts[c];
  if (n === 0) return NaN;
  let h = 0;
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] > 0) {
      const f = counts[c] / n;
      h -= f * Math.log(f);
    }
  }
  return h;
}
