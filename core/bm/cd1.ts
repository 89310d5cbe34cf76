/**
 * CD-1 training of a Bernoulli RBM exactly as spec 3.1/3.2: per-sample updates (B = 1), sampled
 * hidden states and visible reconstructions, probabilities for the negative statistics, the
 * `sched` epoch indexing of learning-rate and momentum lists, and the library's momentum formula
 * `D <- lr * (mu * D + g)` (or the conventional one as a switch). Masked weights stay exactly 0.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { type Rbm, sigmoid } from "./rbm.ts";

/** 2^-32: Bernoulli draws compare p with a 32-bit uniform. */
const U32 = 2.3283064365386963e-10;

/** Updates whose random draws are taken from the stream in one block. */
const UPDATE_BLOCK = 1024;

/** Momentum rule (spec 12, D2). */
export type MomentumRule = "code" | "conventional";

/** Training options. */
export interface Cd1Options {
  /** Number of epochs. */
  epochs: number;
  /** Learning-rate list, read with {@link sched}. */
  lr: number[];
  /** Momentum list, read with {@link sched}. */
  momentum: number[];
  /** "code" (DEFAULT): D <- lr*(mu*D + g); "conventional": D <- mu*D + lr*g. */
  momentumRule?: MomentumRule;
  /** Called after each epoch (1-based). */
  onEpoch?: (epoch: number) => void;
}

/** Epoch schedule of spec 0: value of list L in epoch e (1-based) is L[min(e, len-1)]. */
export function sched(list: number[], epoch: number): number {
  return list[Math.min(epoch, list.length - 1)];
}

/**
 * Trains `m` in place on binary patterns `data` (n x nv row-major, fixed order) with CD-1.
 * Momentum buffers start at 0 on every call (they are reset whenever a model is rebuilt).
 */
export function trainCd1(m: Rbm, data: Uint8Array, rng: Rng, options: Cd1Options): void {
  const { nv, nh, w, bv, bh, mask } = m;
  const n = data.length / nv;
  const dW = new Float64Array(nv * nh);
  const dbv = new Float64Array(nv);
  const dbh = new Float64Array(nh);
  const p0 = new Float64Array(nh);
  const active = new Int32Array(nh);
  const v1 = new Uint8Array(nv);
  const p1 = new Float64Array(nh);
  const conventional = options.momentumRule === "conventional";
  // Each update draws nh hidden then nv visible uniforms; they come from the stream in blocks
  // of UPDATE_BLOCK updates (the same values, in the same order, as one nextU32 per draw).
  const per = nh + nv;
  const u = new Uint32Array(per * UPDATE_BLOCK);
  let q = u.length;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const lr = sched(options.lr, epoch);
    const mu = sched(options.momentum, epoch);
    for (let s = 0; s < n; s++) {
      if (q === u.length) {
        const left = (n - s) * per + (options.epochs - epoch) * n * per;
        rng.fillU32(left >= u.length ? u : u.subarray(0, left));
        q = 0;
      }
      const x = s * nv;
      for (let j = 0; j < nh; j++) p0[j] = bh[j];
      for (let i = 0; i < nv; i++) {
        if (!data[x + i]) continue;
        const r = i * nh;
        for (let j = 0; j < nh; j++) p0[j] += w[r + j];
      }
      let na = 0;
      for (let j = 0; j < nh; j++) {
        p0[j] = sigmoid(p0[j]);
        if (u[q++] * U32 < p0[j]) active[na++] = j;
      }
      for (let i = 0; i < nv; i++) {
        let a = bv[i];
        const r = i * nh;
        for (let k = 0; k < na; k++) a += w[r + active[k]];
        v1[i] = u[q++] * U32 < sigmoid(a) ? 1 : 0;
      }
      for (let j = 0; j < nh; j++) p1[j] = bh[j];
      for (let i = 0; i < nv; i++) {
        if (!v1[i]) continue;
        const r = i * nh;
        for (let j = 0; j < nh; j++) p1[j] += w[r + j];
      }
      for (let j = 0; j < nh; j++) p1[j] = sigmoid(p1[j]);
      for (let i = 0; i < nv; i++) {
        const xi = data[x + i];
        const vi = v1[i];
        const r = i * nh;
        for (let j = 0; j < nh; j++) {
          const k = r + j;
          const g = mask[k] ? xi * p0[j] - vi * p1[j] : 0;
          dW[k] = conventional ? mu * dW[k] + lr * g : lr * (mu * dW[k] + g);
          w[k] += dW[k];
        }
        const gb = xi - vi;
        dbv[i] = conventional ? mu * dbv[i] + lr * gb : lr * (mu * dbv[i] + gb);
        bv[i] += dbv[i];
      }
      for (let j = 0; j < nh; j++) {
        const gb = p0[j] - p1[j];
        dbh[j] = conventional ? mu * dbh[j] + lr * gb : lr * (mu * dbh[j] + gb);
        bh[j] += dbh[j];
      }
    }
    options.onEpoch?.(epoch);
  }
}
