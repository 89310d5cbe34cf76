/**
 * Drawing joint samples (v, h) from an RBM. {@link BmSampler} is the engine boundary for sampling:
 * the CPU implementation here runs batched independent Gibbs chains (spec 4.1: chains from
 * Bern(0.5) starts, `sweeps` steps of v|h then h|v, the final joint state recorded) or, for small
 * visible layers, exact samples (v from the enumerated p(v), then h|v), which is what the Gibbs
 * chains converge to. A GPU sampler can implement the same interface later.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { hiddenInputTable, MAX_ENUMERATION_UNITS, type Rbm, sigmoid } from "./rbm.ts";
import { exactLogProbs } from "./rbm.ts";

/** Binary joint samples, row-major. */
export interface RbmSamples {
  /** Number of samples. */
  n: number;
  /** Visible width. */
  nv: number;
  /** Hidden width. */
  nh: number;
  /** n x nv visible states. */
  v: Uint8Array;
  /** n x nh hidden states. */
  h: Uint8Array;
}

/** How samples are drawn. */
export type SamplingMethod = "gibbs" | "exact";

/** Options of one sampling call. */
export interface SampleOptions {
  /** Number of samples (independent chains). */
  n: number;
  /** Gibbs sweeps per chain (ignored by "exact"). */
  sweeps: number;
  /** "gibbs" (spec 4.1) or "exact" (enumeration, nv <= 20). */
  method: SamplingMethod;
  /** Seed of the sampler's random stream. */
  seed: number;
  /** Stops Gibbs sampling between chunks of chains: the promise rejects with "interrupted". */
  signal?: AbortSignal;
}

/** A sampling engine. */
export interface BmSampler {
  /** Short name, e.g. "cpu". */
  readonly name: string;
  /** Draws `n` joint samples. */
  sample(model: Rbm, options: SampleOptions): Promise<RbmSamples>;
  /** Releases workers or devices. */
  close(): void;
}

/**
 * Gibbs chains are drawn in fixed chunks, chunk k from its own stream deriveSeed(seed, k), so the
 * samples do not depend on how many threads share the work.
 */
export const GIBBS_CHUNK = 4096;

/** Chunk boundaries of n chains. */
export function gibbsChunks(n: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (let start = 0; start < n; start += GIBBS_CHUNK) {
    out.push({ start, count: Math.min(GIBBS_CHUNK, n - start) });
  }
  return out;
}

/** Chunked Gibbs sampling in the calling thread; `signal` is checked before each chunk. */
export function chunkedGibbsSamples(
  m: Rbm,
  options: { n: number; sweeps: number; seed: number; signal?: AbortSignal },
): RbmSamples {
  const { n, sweeps, seed } = options;
  const v = new Uint8Array(n * m.nv);
  const h = new Uint8Array(n * m.nh);
  gibbsChunks(n).forEach((c, k) => {
    if (options.signal?.aborted) throw new Error("interrupted");
    const part = gibbsSamples(m, c.count, sweeps, new Rng(deriveSeed(seed, k)));
    v.set(part.v, c.start * m.nv);
    h.set(part.h, c.start * m.nh);
  });
  return { n, nv: m.nv, nh: m.nh, v, h };
}

/** Exact joint samples: v from the enumerated marginal, then each h_j ~ Bern(p_j(v)). */
export function exactSamples(m: Rbm, n: number, rng: Rng): RbmSamples {
  if (m.nv > MAX_ENUMERATION_UNITS) throw new Error(`exact sampling needs nv <= 20, got ${m.nv}`);
  const lp = exactLogProbs(m);
  const nc = lp.length;
  const cdf = new Float64Array(nc);
  let acc = 0;
  for (let c = 0; c < nc; c++) {
    acc += Math.exp(lp[c]);
    cdf[c] = acc;
  }
  const table = hiddenInputTable(m);
  const v = new Uint8Array(n * m.nv);
  const h = new Uint8Array(n * m.nh);
  for (let s = 0; s < n; s++) {
    const u = rng.uniform() * acc;
    let lo = 0;
    let hi = nc - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    for (let i = 0; i < m.nv; i++) v[s * m.nv + i] = (lo >>> i) & 1;
    const o = lo * m.nh;
    for (let j = 0; j < m.nh; j++) {
      h[s * m.nh + j] = rng.nextU32() * U32_SCALE < sigmoid(table[o + j]) ? 1 : 0;
    }
  }
  return { n, nv: m.nv, nh: m.nh, v, h };
}

/** 2^-32: Bernoulli draws compare p with a 32-bit uniform (resolution far below any effect). */
export const U32_SCALE = 2.3283064365386963e-10;

/**
 * Largest visible layer for which the Gibbs kernel tabulates P(h = 1 | v) for every visible code
 * (2^16 codes x nh probabilities); wider layers compute the hidden inputs per sweep.
 */
export const GIBBS_TABLE_MAX_NV = 16;

/**
 * P(h_j = 1 | v) = sigmoid(bh_j + (vW)_j) for every visible code, (2^nv x nh) row-major. The
 * inputs come from {@link hiddenInputTable}, which adds a code's weights in ascending visible
 * order starting from bh: the same additions, in the same order, as a per-sweep loop over the
 * active visible units, so a table lookup draws exactly what that loop would.
 */
export function hiddenProbabilityTable(m: Rbm): Float64Array {
  const t = hiddenInputTable(m);
  for (let k = 0; k < t.length; k++) t[k] = sigmoid(t[k]);
  return t;
}

/**
 * Independent Gibbs chains from Bern(0.5) starts (spec 4.1); returns the joint state after
 * `sweeps` steps of v|h then h|v. Per chain the draws are, in this order: nv then nh start bits,
 * then per sweep nv visible and nh hidden Bernoulli draws (a 32-bit uniform against the
 * probability), taken from `rng` as one block per chain. For nv <=
 * {@link GIBBS_TABLE_MAX_NV} the hidden probabilities are looked up per visible code instead of
 * recomputed; both paths draw bit-identical samples (tests/bm_sampler_test.ts keeps the plain
 * per-sweep loop as the reference).
 */
export function gibbsSamples(m: Rbm, n: number, sweeps: number, rng: Rng): RbmSamples {
  const { nv, nh, w, bv, bh } = m;
  const v = new Uint8Array(n * nv);
  const h = new Uint8Array(n * nh);
  const table = nv <= GIBBS_TABLE_MAX_NV ? hiddenProbabilityTable(m) : null;
  const x = new Float64Array(nh);
  const wt = new Float64Array(nh * nv);
  for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) wt[j * nv + i] = w[i * nh + j];
  const a = new Float64Array(nv);
  // Active hidden units in ascending order: the visible input adds their weight rows in the
  // order a scan over all hidden units would, without the scan.
  const active = new Int32Array(nh);
  const u = new Uint32Array((nv + nh) * (sweeps + 1));
  for (let s = 0; s < n; s++) {
    rng.fillU32(u);
    let q = 0;
    const vo = s * nv;
    const ho = s * nh;
    for (let i = 0; i < nv; i++) v[vo + i] = u[q++] * U32_SCALE < 0.5 ? 1 : 0;
    let na = 0;
    for (let j = 0; j < nh; j++) {
      const on = u[q++] * U32_SCALE < 0.5 ? 1 : 0;
      h[ho + j] = on;
      if (on) active[na++] = j;
    }
    for (let t = 0; t < sweeps; t++) {
      a.set(bv);
      for (let k = 0; k < na; k++) {
        const r = active[k] * nv;
        for (let i = 0; i < nv; i++) a[i] += wt[r + i];
      }
      let code = 0;
      for (let i = 0; i < nv; i++) {
        const on = u[q++] * U32_SCALE < sigmoid(a[i]) ? 1 : 0;
        v[vo + i] = on;
        code |= on << i;
      }
      if (table) {
        const o = code * nh;
        na = 0;
        for (let j = 0; j < nh; j++) {
          const on = u[q++] * U32_SCALE < table[o + j] ? 1 : 0;
          h[ho + j] = on;
          if (on) active[na++] = j;
        }
      } else {
        x.set(bh);
        for (let i = 0; i < nv; i++) {
          if (!v[vo + i]) continue;
          const r = i * nh;
          for (let j = 0; j < nh; j++) x[j] += w[r + j];
        }
        na = 0;
        for (let j = 0; j < nh; j++) {
          const on = u[q++] * U32_SCALE < sigmoid(x[j]) ? 1 : 0;
          h[ho + j] = on;
          if (on) active[na++] = j;
        }
      }
    }
  }
  return { n, nv, nh, v, h };
}

/** CPU sampler (float64, single thread, chunks processed one after another). */
export class CpuBmSampler implements BmSampler {
  /** Engine name. */
  readonly name: string = "cpu";

  /** Draws samples with the requested method. */
  sample(model: Rbm, options: SampleOptions): Promise<RbmSamples> {
    if (options.method === "exact") {
      return Promise.resolve(exactSamples(model, options.n, new Rng(options.seed)));
    }
    try {
      return Promise.resolve(chunkedGibbsSamples(model, options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Nothing to release. */
  close(): void {}
}
