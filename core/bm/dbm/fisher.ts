/**
 * Layer-wise Fisher information of a DBM (spec 5.5): each weight layer is treated as an RBM whose
 * "visible" and "hidden" units are the two adjacent layers, and the variance (5.3) and heuristic
 * (5.4) estimates of family A are applied to the DBM's joint samples: (v, h1) with W1 and
 * (h1, h2) with W2. Scores of non-existing weights are 0.
 *
 * Statistics are streamed: {@link DbmStatistics} counts unit and pair activations of binary
 * records as they come from the sampler, so 60,000 samples never need to be held at once. Counts
 * are exact integers; means and scores are float64.
 *
 * @module
 */
import { heuristicFi, type SampleMoments, varianceFi } from "../fisher.ts";
import type { Dbm } from "./model.ts";
import type { SampleRecord } from "./population.ts";

/** Sample moments of both layers. */
export interface DbmMoments {
  /** Samples counted. */
  n: number;
  /** (v, h1) moments; vhMean is nv x n1 (0 where no weight exists). */
  layer1: SampleMoments;
  /** (h1, h2) moments; vhMean is n1 x n2 (0 where no weight exists). */
  layer2: SampleMoments;
}

/** Layer-wise FI scores (0 where no weight exists). */
export interface DbmScores {
  /** VAR of W1, nv x n1. */
  var1: Float64Array;
  /** HEU of W1. */
  heu1: Float64Array;
  /** VAR of W2, n1 x n2. */
  var2: Float64Array;
  /** HEU of W2. */
  heu2: Float64Array;
}

/** Streaming counts of unit and pair activations of one model's samples. */
export class DbmStatistics {
  readonly #m: Dbm;
  readonly #adj1: Int32Array[];
  readonly #cv: Float64Array;
  readonly #c1: Float64Array;
  readonly #c2: Float64Array;
  readonly #cv1: Float64Array;
  readonly #c12: Float64Array;
  readonly #act1: Int32Array;
  readonly #act2: Int32Array;
  #n = 0;

  /** Counts for samples of model `m` (only its masks and sizes are used). */
  constructor(m: Dbm) {
    this.#m = m;
    // Existing v-h1 weights per pixel: the receptive fields make these lists short.
    this.#adj1 = Array.from({ length: m.nv }, (_, i) => {
      const js: number[] = [];
      for (let j = 0; j < m.n1; j++) if (m.m1[i * m.n1 + j]) js.push(j);
      return Int32Array.from(js);
    });
    this.#cv = new Float64Array(m.nv);
    this.#c1 = new Float64Array(m.n1);
    this.#c2 = new Float64Array(m.n2);
    this.#cv1 = new Float64Array(m.nv * m.n1);
    this.#c12 = new Float64Array(m.n1 * m.n2);
    this.#act1 = new Int32Array(m.n1);
    this.#act2 = new Int32Array(m.n2);
  }

  /** Samples counted so far. */
  get n(): number {
    return this.#n;
  }

  /** Adds a record of binary samples. */
  add(r: Pick<SampleRecord, "count" | "v" | "h1" | "h2">): void {
    const { nv, n1, n2, m2 } = this.#m;
    if (
      r.v.length !== r.count * nv || r.h1.length !== r.count * n1 || r.h2.length !== r.count * n2
    ) {
      throw new Error("DbmStatistics: record sizes do not match the model");
    }
    const act1 = this.#act1;
    const act2 = this.#act2;
    for (let s = 0; s < r.count; s++) {
      const vo = s * nv;
      const ho = s * n1;
      const go = s * n2;
      let na1 = 0;
      for (let j = 0; j < n1; j++) {
        if (r.h1[ho + j]) {
          act1[na1++] = j;
          this.#c1[j]++;
        }
      }
      let na2 = 0;
      for (let k = 0; k < n2; k++) {
        if (r.h2[go + k]) {
          act2[na2++] = k;
          this.#c2[k]++;
        }
      }
      for (let i = 0; i < nv; i++) {
        if (!r.v[vo + i]) continue;
        this.#cv[i]++;
        const adj = this.#adj1[i];
        const row = i * n1;
        for (let a = 0; a < adj.length; a++) {
          const j = adj[a];
          if (r.h1[ho + j]) this.#cv1[row + j]++;
        }
      }
      for (let a = 0; a < na1; a++) {
        const row = act1[a] * n2;
        for (let b = 0; b < na2; b++) {
          const k = act2[b];
          if (m2[row + k]) this.#c12[row + k]++;
        }
      }
    }
    this.#n += r.count;
  }

  /** Mean activity per unit and pair. */
  moments(): DbmMoments {
    const n = this.#n;
    if (n === 0) throw new Error("DbmStatistics: no samples");
    const div = (a: Float64Array): Float64Array => a.map((x) => x / n);
    const h1Mean = div(this.#c1);
    return {
      n,
      layer1: { n, vMean: div(this.#cv), hMean: h1Mean, vhMean: div(this.#cv1) },
      layer2: { n, vMean: h1Mean, hMean: div(this.#c2), vhMean: div(this.#c12) },
    };
  }
}

function masked(scores: Float64Array, mask: Uint8Array): Float64Array {
  for (let k = 0; k < scores.length; k++) if (!mask[k]) scores[k] = 0;
  return scores;
}

/**
 * VAR and HEU of both layers (spec 5.5) from sample moments; the heuristic of layer 2 uses the
 * h1 rates as its "visible" rates.
 */
export function dbmScores(m: Dbm, mom: DbmMoments): DbmScores {
  return {
    var1: masked(varianceFi(mom.layer1).w, m.m1),
    heu1: masked(heuristicFi(mom.layer1, Float64Array.from(m.w1)), m.m1),
    var2: masked(varianceFi(mom.layer2).w, m.m2),
    heu2: masked(heuristicFi(mom.layer2, Float64Array.from(m.w2)), m.m2),
  };
}

/** Mean over units of the per-unit mean activity (spec 7.2.3), per layer. */
export function meanActivity(mom: DbmMoments): { v: number; h1: number; h2: number } {
  const avg = (a: Float64Array): number => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
  return { v: avg(mom.layer1.vMean), h1: avg(mom.layer1.hMean), h2: avg(mom.layer2.hMean) };
}
