/**
 * The family-A pruning protocol (spec 6.3) shared by `bm-fig1`, `bm-fig2` and `bm-table1`: data
 * preparation, the per-seed initial model (trained once and shared by every criterion), and one
 * criterion's three prune-sample-retrain-sample rounds. Every random stream is derived from
 * (master seed, seed index, purpose), so a resumed run redraws identical samples.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { embeddedTiles, localTiles } from "../data/images.ts";
import {
  codeCounts,
  extractPatches,
  type PatchSet,
  type PatchStatistics,
  patchStatistics,
  patternCodes,
  pixelRates,
  trainingSubset,
} from "../data/patches.ts";
import { trainCd1 } from "./cd1.ts";
import type { MomentumRule } from "./cd1.ts";
import type { SamplingMethod } from "./sampler.ts";
import { heuristicFi, sampleCodes, sampleMoments, varianceFi } from "./fisher.ts";
import { binnedLogProbError, exactKl, sampleKl } from "./metrics.ts";
import { pruneStep, type PruneStepReport } from "./prune.ts";
import { CRITERIA, type Criterion, rbmCriterion } from "./rbm_criteria.ts";
import { exactLogProbs, initRbm, type Rbm, weightCount } from "./rbm.ts";
import { type BmSampler, CpuBmSampler, type RbmSamples } from "./sampler.ts";
import { WorkerBmSampler } from "./worker_sampler.ts";

/**
 * The family-A protocol settings (spec 3.2, 4.1, 6.3): model, data, training, sampling and
 * pruning. The experiments' config (`experiments/bm/config.ts`) adds seeds and criteria.
 */
export interface BmProtocol {
  /** Hidden units of the initial RBM (70). */
  hidden: number;
  /** Patch radius (2.1 -> 13 visible units). */
  radius: number;
  /** Training patches (90,000). */
  trainPatches: number;
  /** CD-1 epochs per training call (2). */
  epochs: number;
  /** Learning-rate list read with `sched` ([0.1, 0.01] -> 0.01 in both epochs). */
  lr: number[];
  /** Momentum list ([0.9]). */
  momentum: number[];
  /** Momentum formula (spec 12, D2). */
  momentumRule: MomentumRule;
  /** Joint samples per sample set (90,000). */
  samples: number;
  /** "gibbs" (paper: independent 200-sweep chains) or "exact" (enumerated p(v), then h|v). */
  sampler: SamplingMethod;
  /** Gibbs sweeps per chain (200). */
  sweeps: number;
  /** Pruning iterations (3). */
  rounds: number;
  /** Fraction of existing weights pruned per iteration (0.5). */
  fraction: number;
  /** `--data` path, or null for the embedded substitute. */
  data: string | null;
  /** Which evaluation sample sets to draw besides those pruning reads ({@link Evaluation}). */
  evaluation: Evaluation;
}

/**
 * Evaluation sample sets (right after pruning and after retraining: the sample KL and
 * log-probability matching of Fig 2): "every-round" (spec 6.3), "last-round" (what Fig 2 plots)
 * or "none" (Table 1). Pruning reads only the initial model's set and, for scored criteria, the
 * sets after retraining in rounds 1..R-1, and every set has its own derived stream, so hidden-unit
 * and weight counts are identical in all three modes.
 */
export type Evaluation = "every-round" | "last-round" | "none";

/** The evaluation modes, for flags. */
export const EVALUATIONS: readonly Evaluation[] = ["every-round", "last-round", "none"];

/** Prepared training data. */
export interface BmData {
  /** Training patterns in their fixed order. */
  train: PatchSet;
  /** Counts of each code in the training set. */
  counts: Int32Array;
  /** Statistics of the training set (spec 8.1 report). */
  stats: PatchStatistics;
  /** Where the images came from. */
  source: string;
  /** Number of source images and of 32x32 tiles, patch pool size, global median. */
  images: number;
  /** Tiles. */
  tiles: number;
  /** Patches in the pool. */
  pool: number;
  /** Global grey-sum median used as threshold. */
  median: number;
  /** True unless the images are CIFAR-10's (the paper's data). */
  substitute: boolean;
}

/** Loads and binarises the data of a config (the embedded substitute unless `data` is set). */
export function loadBmData(config: BmProtocol): BmData {
  const tiles = config.data ? localTiles(config.data) : embeddedTiles();
  const pool = extractPatches(tiles, config.radius);
  const train = trainingSubset(pool, config.trainPatches);
  return {
    train,
    counts: codeCounts(patternCodes(train), train.nv),
    stats: patchStatistics(train, config.radius),
    source: tiles.source,
    images: tiles.images,
    tiles: tiles.count,
    pool: pool.n,
    median: pool.median,
    substitute: tiles.substitute,
  };
}

/** Data facts stored with a run (unit ["data"]). */
export type BmDataMetrics =
  & Pick<BmData, "source" | "images" | "tiles" | "pool" | "median" | "substitute">
  & PatchStatistics;

/** The metrics of a run's ["data"] unit. */
export function dataMetrics(d: BmData): BmDataMetrics {
  return {
    source: d.source,
    images: d.images,
    tiles: d.tiles,
    pool: d.pool,
    median: d.median,
    substitute: d.substitute,
    ...d.stats,
  };
}

/** Purpose tags of derived random streams. */
const STREAM = { init: 1, train: 2, sample: 3, criterion: 100 } as const;

/** Trains the initial RBM of simulation `options.seedIndex` (spec 3.2). */
export function trainInitialModel(
  config: BmProtocol,
  data: BmData,
  options: { master: number; seedIndex: number },
): Rbm {
  const { master, seedIndex: s } = options;
  const m = initRbm(config.hidden, new Rng(deriveSeed(master, s, STREAM.init)), {
    pixelRates: pixelRates(data.train),
  });
  trainCd1(m, data.train.bits, new Rng(deriveSeed(master, s, STREAM.train)), {
    epochs: config.epochs,
    lr: config.lr,
    momentum: config.momentum,
    momentumRule: config.momentumRule,
  });
  return m;
}

/**
 * Draws one sample set with the config's sampler from stream `seed`; `signal` stops it between
 * chunks of chains (the returned promise rejects with "interrupted").
 */
export function drawSamples(
  sampler: BmSampler,
  m: Rbm,
  options: { config: BmProtocol; seed: number; signal?: AbortSignal },
): Promise<RbmSamples> {
  const { config } = options;
  return sampler.sample(m, {
    n: config.samples,
    sweeps: config.sweeps,
    method: config.sampler,
    seed: options.seed,
    signal: options.signal,
  });
}

/** Seed of the initial model's sample set of simulation s. */
export function initialSampleSeed(master: number, s: number): number {
  return deriveSeed(master, s, STREAM.sample);
}

/** Which sampler drew a metric's samples: stored with every metric set, shown with every number. */
export interface SamplerTag {
  /** "gibbs": the paper's independent chains (spec 4.1); "exact": the enumerated p(v), then h|v. */
  method: SamplingMethod;
  /** Gibbs sweeps per chain (null for exact sampling). */
  sweeps: number | null;
  /** Samples per set. */
  n: number;
}

/** The sampler tag of a config. */
export function samplerTag(config: BmProtocol): SamplerTag {
  return {
    method: config.sampler,
    sweeps: config.sampler === "gibbs" ? config.sweeps : null,
    n: config.samples,
  };
}

/**
 * Whether numbers drawn with this sampler compare with the paper's: the paper's FIM, scores, KL
 * and Table 1 come from independent chains of 200 Gibbs sweeps (spec 4.1, 15), which do not mix
 * between the all-on and all-off patch modes; exact samples describe the model's equilibrium.
 */
export function comparableWithPaper(tag: SamplerTag): boolean {
  return tag.method === "gibbs" && tag.sweeps === 200;
}

/** A one-line description of a sampler tag, e.g. "Gibbs-200 (the paper's sampler), N=90000". */
export function samplerText(tag: SamplerTag): string {
  if (tag.method === "exact") {
    return `exact sampling (EXTRA ANALYSIS, not the paper's sampler), N=${tag.n}`;
  }
  return comparableWithPaper(tag)
    ? `Gibbs-200 (the paper's sampler), N=${tag.n}`
    : `Gibbs-${tag.sweeps} (the paper uses 200 sweeps), N=${tag.n}`;
}

/** Evaluation of one model (spec 7.1): sample-based metrics are null where no set was drawn. */
export interface SetMetrics {
  /** Hidden units. */
  nh: number;
  /** Existing weights. */
  nw: number;
  /** The sampler of the sample-based metrics below (null: no sample set drawn here). */
  sampler: SamplerTag | null;
  /** Sample KL over the renormalised intersection. */
  klSample: number | null;
  /** Data mass on codes the samples never produced. */
  lostMass: number | null;
  /** Exact KL(data || model), from the enumerated p(v) (no sampling: an extra analysis). */
  klExact: number;
  /** Mean squared ln-probability error per 1-nat bin of ln pD. */
  logpError: (number | null)[] | null;
  /** Mean hidden activity in the samples. */
  hiddenActivity: number | null;
}

/** Evaluates a model and, when given, its samples (drawn with `sampler`). */
export function evaluateSet(
  m: Rbm,
  data: BmData,
  drawn: { samples: RbmSamples; sampler: SamplerTag } | null,
): SetMetrics & { counts: Int32Array | null } {
  const base = { nh: m.nh, nw: weightCount(m), klExact: exactKl(data.counts, exactLogProbs(m)) };
  if (!drawn) {
    return {
      ...base,
      sampler: null,
      klSample: null,
      lostMass: null,
      logpError: null,
      hiddenActivity: null,
      counts: null,
    };
  }
  const { samples } = drawn;
  const counts = codeCounts(sampleCodes(samples), m.nv);
  const sk = sampleKl(data.counts, counts);
  let act = 0;
  for (let k = 0; k < samples.h.length; k++) act += samples.h[k];
  return {
    ...base,
    sampler: drawn.sampler,
    klSample: sk.kl,
    lostMass: sk.lostMass,
    logpError: binnedLogProbError(data.counts, counts),
    hiddenActivity: samples.h.length ? act / samples.h.length : 0,
    counts,
  };
}

/**
 * Why a model or its metrics cannot be used (a non-finite parameter or metric), or null. Such a
 * seed/criterion is marked failed, listed under `failures` and left out of every statistic
 * (fig5's rule, issue 14).
 */
export function failureOf(m: Rbm, metrics?: SetMetrics): string | null {
  const bad = (xs: ArrayLike<number>): boolean => {
    for (let k = 0; k < xs.length; k++) if (!Number.isFinite(xs[k])) return true;
    return false;
  };
  if (bad(m.w)) return "non-finite weights";
  if (bad(m.bv) || bad(m.bh)) return "non-finite biases";
  if (metrics) {
    if (!Number.isFinite(metrics.klExact)) return "non-finite exact KL";
    if (metrics.klSample !== null && !Number.isFinite(metrics.klSample)) {
      return "non-finite sample KL";
    }
  }
  return null;
}

/** Throws the run's "interrupted" error once `signal` is aborted (checked between phases). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error("interrupted");
}

/** Number of existing weights whose score is exactly 0. */
function zeroCount(scores: Float64Array, mask: Uint8Array): number {
  let z = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] && scores[k] === 0) z++;
  return z;
}

/**
 * The scores criterion `c` prunes by (null for the random controls), from the current model's
 * samples, plus the counts of exactly-zero VAR and HEU scores among existing weights (docs).
 */
export function computeScores(
  m: Rbm,
  samples: RbmSamples,
  c: Criterion,
): { scores: Float64Array | null; zeros: { var: number; heu: number } } {
  const moments = sampleMoments(samples);
  const variance = varianceFi(moments).w;
  const heu = heuristicFi(moments, m.w);
  const entry = rbmCriterion(c);
  return {
    scores: entry.score ? entry.score({ model: m, samples, moments }) : null,
    zeros: { var: zeroCount(variance, m.mask), heu: zeroCount(heu, m.mask) },
  };
}

/** One pruning round's record. */
export interface RoundMetrics {
  /** Round (1-based). */
  round: number;
  /** Zero FI scores among existing weights before this round's pruning (null: no samples). */
  zeroScores: { var: number; heu: number } | null;
  /** What the pruning step did (ANTI's random top-up). */
  prune: PruneStepReport;
  /** Right after pruning, before retraining. */
  before: SetMetrics;
  /** After retraining. */
  after: SetMetrics;
}

/** Result of one criterion on one seed. */
export interface CriterionResult {
  /** Per-round records (up to the failing round when `failed`). */
  rounds: RoundMetrics[];
  /** Final model. */
  model: Rbm;
  /** Pattern counts of the last round's samples before and after retraining (null: not drawn). */
  lastCounts: { before: Int32Array | null; after: Int32Array | null };
  /** Why this criterion failed on this seed (non-finite weights or metrics), or null. */
  failed: string | null;
}

function strip(m: SetMetrics & { counts: Int32Array | null }): SetMetrics {
  const { counts: _counts, ...rest } = m;
  return rest;
}

/**
 * Runs `rounds` prune/retrain iterations of criterion `c` from the shared initial model (spec
 * 6.3). Every sample set has its own derived stream (round, phase), so skipping evaluation sets
 * (`config.evaluation`) changes no pruning decision. A non-finite model or metric
 * stops the criterion and is reported in `failed`.
 */
export async function runCriterion(
  initial: { model: Rbm; samples: RbmSamples },
  c: Criterion,
  options: {
    config: BmProtocol;
    data: BmData;
    master: number;
    seedIndex: number;
    sampler: BmSampler;
    onRound?: (round: number) => void;
    /** Stops the run between chunks of Gibbs chains and between phases ("interrupted"). */
    signal?: AbortSignal;
  },
): Promise<CriterionResult> {
  const { config, data, master, seedIndex, sampler, signal } = options;
  const ci = CRITERIA.indexOf(c);
  const entry = rbmCriterion(c);
  const tag = samplerTag(config);
  const stream = (k: number, phase: number): number =>
    deriveSeed(master, seedIndex, STREAM.criterion + ci, k, phase);
  const draw = async (m: Rbm, k: number, phase: number) => ({
    samples: await drawSamples(sampler, m, { config, seed: stream(k, phase), signal }),
    sampler: tag,
  });
  let model = initial.model;
  let samples: RbmSamples | null = initial.samples;
  const initialWeights = weightCount(initial.model);
  const rounds: RoundMetrics[] = [];
  let lastCounts: CriterionResult["lastCounts"] = { before: null, after: null };
  for (let k = 1; k <= config.rounds; k++) {
    const scored = samples ? computeScores(model, samples, c) : null;
    const pruned = pruneStep(model, entry, {
      fraction: config.fraction,
      scores: scored?.scores ?? null,
      rng: new Rng(stream(k, 0)),
      schedule: { initialWeights, iteration: k },
    });
    model = pruned.model;
    throwIfAborted(signal);
    const evaluated = config.evaluation === "every-round" ||
      (config.evaluation === "last-round" && k === config.rounds);
    const before = evaluateSet(model, data, evaluated ? await draw(model, k, 1) : null);
    let failed = failureOf(model, before);
    let after = before;
    if (!failed) {
      throwIfAborted(signal);
      trainCd1(model, data.train.bits, new Rng(stream(k, 2)), {
        epochs: config.epochs,
        lr: config.lr,
        momentum: config.momentum,
        momentumRule: config.momentumRule,
      });
      const needed = evaluated || (entry.score !== null && k < config.rounds);
      const drawn = needed && failureOf(model) === null ? await draw(model, k, 3) : null;
      samples = drawn?.samples ?? null;
      after = evaluateSet(model, data, drawn);
      failed = failureOf(model, after);
    }
    rounds.push({
      round: k,
      zeroScores: scored?.zeros ?? null,
      prune: pruned.report,
      before: strip(before),
      after: strip(after),
    });
    lastCounts = { before: before.counts, after: after.counts };
    options.onRound?.(k);
    if (failed) return { rounds, model, lastCounts, failed: `round ${k}: ${failed}` };
  }
  return { rounds, model, lastCounts, failed: null };
}

/**
 * The sampler used by the BM experiments: Gibbs chains spread over one Worker per core when the
 * config samples by Gibbs, the in-thread CPU sampler otherwise. A GPU sampler can plug in here.
 */
export function createSampler(config: BmProtocol): BmSampler {
  const cores = navigator.hardwareConcurrency ?? 1;
  if (config.sampler === "gibbs" && cores > 1) return new WorkerBmSampler(cores);
  return new CpuBmSampler();
}

/** Model parameters as stored blobs. */
export function modelBlobs(m: Rbm): Record<string, Float64Array | Uint8Array> {
  return { w: m.w, bv: m.bv, bh: m.bh, mask: m.mask };
}

/** Rebuilds a model from stored blobs. */
export function modelFromBlobs(
  nv: number,
  nh: number,
  blobs: { w: Float64Array; bv: Float64Array; bh: Float64Array; mask: Uint8Array },
): Rbm {
  return { nv, nh, w: blobs.w, bv: blobs.bv, bh: blobs.bh, mask: blobs.mask };
}
