/**
 * RBM pruning (spec 6.1, 6.3, 6.5): NumPy-style percentiles, the generic threshold rule, the
 * random controls, one pruning step of a criterion (`core/bm/rbm_criteria.ts` lists them), and the
 * removal of hidden units left without connections.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import type { CriterionEntry } from "./criteria.ts";
import { type Rbm, restrictHidden } from "./rbm.ts";

/** q-th percentile with NumPy's default linear interpolation (spec 0, `Pct`). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const x = Array.from(values).sort((a, b) => a - b);
  if (x.length === 0) throw new Error("percentile of an empty array");
  const pos = (q / 100) * (x.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return x[lo] + (pos - lo) * (x[hi] - x[lo]);
}

/**
 * Threshold rule of spec 6.1 over existing weights: "lowest" keeps S > Pct(s, 100 thr) (ties at the
 * threshold are all pruned); "highest" (ANTI) keeps S <= Pct(s, 100 (1 - thr)). Returns the new
 * mask (keep AND mask).
 */
export function thresholdKeep(
  scores: ArrayLike<number>,
  mask: Uint8Array,
  options: { fraction: number; prune: "lowest" | "highest" },
): Uint8Array {
  const existing: number[] = [];
  for (let k = 0; k < mask.length; k++) if (mask[k]) existing.push(scores[k]);
  const keep = new Uint8Array(mask.length);
  if (existing.length === 0) return keep;
  if (options.prune === "lowest") {
    const p = percentile(existing, 100 * options.fraction);
    for (let k = 0; k < mask.length; k++) keep[k] = mask[k] && scores[k] > p ? 1 : 0;
  } else {
    const p = percentile(existing, 100 * (1 - options.fraction));
    for (let k = 0; k < mask.length; k++) keep[k] = mask[k] && scores[k] <= p ? 1 : 0;
  }
  return keep;
}

/**
 * Removals scheduled for pruning iteration `iteration` (1-based) of a layer that started with
 * `initial` existing weights: t_k = floor(fraction * left_{k-1}), left_k = left_{k-1} - t_k,
 * left_0 = initial (spec 15: "a count scheduled from the initial layer size"). For 910 weights
 * and fraction 0.5: 455, 227, 114.
 */
export function scheduledRemovals(
  initial: number,
  options: { fraction: number; iteration: number },
): number {
  let left = initial;
  let t = 0;
  for (let k = 1; k <= options.iteration; k++) {
    t = Math.floor(options.fraction * left);
    left -= t;
  }
  return t;
}

/**
 * The random top-up of spec 15: when `keep` removed fewer than `target` of the existing weights
 * in `mask`, removes weights drawn uniformly (without replacement) from those it kept, until
 * `target` are removed (never more than exist). Returns the new mask and how many were added.
 */
export function topUpKeep(
  keep: Uint8Array,
  mask: Uint8Array,
  options: { target: number; rng: Rng },
): { keep: Uint8Array; toppedUp: number } {
  let existing = 0;
  let kept = 0;
  const rest: number[] = [];
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    existing++;
    if (keep[k]) {
      kept++;
      rest.push(k);
    }
  }
  const want = Math.min(options.target, existing);
  const missing = want - (existing - kept);
  if (missing <= 0) return { keep, toppedUp: 0 };
  const out = keep.slice();
  for (const k of options.rng.shuffle(rest).slice(0, missing)) out[k] = 0;
  return { keep: out, toppedUp: missing };
}

/** RW: prunes floor(fraction * n_ex) existing weights chosen uniformly without replacement. */
export function randomWeightsKeep(mask: Uint8Array, fraction: number, rng: Rng): Uint8Array {
  const existing: number[] = [];
  for (let k = 0; k < mask.length; k++) if (mask[k]) existing.push(k);
  const keep = mask.slice();
  const drop = rng.shuffle(existing).slice(0, Math.floor(fraction * existing.length));
  for (const k of drop) keep[k] = 0;
  return keep;
}

/** RU (spec 6.5): removes floor(fraction * nh) hidden units chosen uniformly, with their weights. */
export function randomUnitsKeep(m: Rbm, fraction: number, rng: Rng): Uint8Array {
  const units = rng.shuffle(Array.from({ length: m.nh }, (_, j) => j));
  const drop = new Set(units.slice(0, Math.floor(fraction * m.nh)));
  const keep = m.mask.slice();
  for (let i = 0; i < m.nv; i++) for (const j of drop) keep[i * m.nh + j] = 0;
  return keep;
}

/** Hidden units with at least one kept weight (spec 6.3 step 3.3). */
export function survivingUnits(keep: Uint8Array, nv: number, nh: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < nh; j++) {
    for (let i = 0; i < nv; i++) {
      if (keep[i * nh + j]) {
        out.push(j);
        break;
      }
    }
  }
  return out;
}

/** Applies a keep mask: zeroes pruned weights and deletes disconnected hidden units. */
export function applyKeep(m: Rbm, keep: Uint8Array): Rbm {
  return restrictHidden(m, keep, survivingUnits(keep, m.nv, m.nh));
}

/** What one pruning step did. */
export interface PruneStepReport {
  /** Weights the top-up removed beyond the threshold rule (0 unless the criterion has one). */
  toppedUp: number;
  /** The top-up's target: removals scheduled for this iteration (null without a top-up). */
  scheduled: number | null;
}

/**
 * One pruning step of `criterion` with fraction `fraction` (0.5 for the RBM): scored criteria
 * prune by the threshold rule at their end of `scores` (computed from the current model), topped
 * up to the scheduled count where the entry asks for it (`schedule`: the initial model's existing
 * weights and the 1-based iteration); random ones draw weights or hidden units with `rng`.
 */
export function pruneStep(
  m: Rbm,
  criterion: CriterionEntry<string, never>,
  options: {
    fraction: number;
    scores: Float64Array | null;
    rng: Rng;
    schedule: { initialWeights: number; iteration: number };
  },
): { model: Rbm; report: PruneStepReport } {
  const { fraction, scores, rng } = options;
  const report: PruneStepReport = { toppedUp: 0, scheduled: null };
  let keep: Uint8Array;
  switch (criterion.direction) {
    case "lowest":
    case "highest":
      if (!scores) throw new Error(`criterion ${criterion.id} needs scores`);
      keep = thresholdKeep(scores, m.mask, { fraction, prune: criterion.direction });
      if (criterion.topUp === "scheduled") {
        const target = scheduledRemovals(options.schedule.initialWeights, {
          fraction,
          iteration: options.schedule.iteration,
        });
        const topped = topUpKeep(keep, m.mask, { target, rng });
        keep = topped.keep;
        report.toppedUp = topped.toppedUp;
        report.scheduled = target;
      }
      break;
    case "random-weights":
      keep = randomWeightsKeep(m.mask, fraction, rng);
      break;
    case "random-units":
      keep = randomUnitsKeep(m, fraction, rng);
      break;
  }
  return { model: applyKeep(m, keep), report };
}
