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
import { pruneStep } from "./prune.ts";
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
  /** `--data` path, or null for the embedded photographs. */
  data: string | null;
}

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
}

/** Loads and binarises the data of a config (embedded photographs unless `data` is set). */
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
  };
}

/** Data facts stored with a run (unit ["data"]). */
export type BmDataMetrics =
  & Pick<BmData, "source" | "images" | "tiles" | "pool" | "median">
  & PatchStatistics;

/** The metrics of a run's ["data"] unit. */
export function dataMetrics(d: BmData): BmDataMetrics {
  return {
    source: d.source,
    images: d.images,
    tiles: d.tiles,
    pool: d.pool,
    median: d.median,
    ...d.stats,
  };
}

/** Purpose tags of derived random streams. */
const STREAM = { init: 1, train: 2, sample: 3, criterion: 100 } as const;

/** Trains the initial RBM of simulation `s` (spec 3.2). */
export function trainInitialModel(
  config: BmProtocol,
  data: BmData,
  master: number,
  s: number,
): Rbm {
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

/** Draws one sample set with the config's sampler. */
export function drawSamples(
  sampler: BmSampler,
  m: Rbm,
  config: BmProtocol,
  seed: number,
): Promise<RbmSamples> {
  return sampler.sample(m, {
    n: config.samples,
    sweeps: config.sweeps,
    method: config.sampler,
    seed,
  });
}

/** Seed of the initial model's sample set of simulation s. */
export function initialSampleSeed(master: number, s: number): number {
  return deriveSeed(master, s, STREAM.sample);
}

/** Evaluation of one sample set against the data (spec 7.1). */
export interface SetMetrics {
  /** Hidden units. */
  nh: number;
  /** Existing weights. */
  nw: number;
  /** Sample KL over the renormalised intersection. */
  klSample: number;
  /** Data mass on codes the samples never produced. */
  lostMass: number;
  /** Exact KL(data || model). */
  klExact: number;
  /** Mean squared ln-probability error per 1-nat bin of ln pD. */
  logpError: (number | null)[];
  /** Mean hidden activity. */
  hiddenActivity: number;
}

/** Evaluates a model and its samples. */
export function evaluateSet(m: Rbm, samples: RbmSamples, data: BmData): SetMetrics & {
  counts: Int32Array;
} {
  const counts = codeCounts(sampleCodes(samples), m.nv);
  const sk = sampleKl(data.counts, counts);
  let act = 0;
  for (let k = 0; k < samples.h.length; k++) act += samples.h[k];
  return {
    nh: m.nh,
    nw: weightCount(m),
    klSample: sk.kl,
    lostMass: sk.lostMass,
    klExact: exactKl(data.counts, exactLogProbs(m)),
    logpError: binnedLogProbError(data.counts, counts),
    hiddenActivity: samples.h.length ? act / samples.h.length : 0,
    counts,
  };
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
  /** Zero FI scores among existing weights before this round's pruning. */
  zeroScores: { var: number; heu: number };
  /** Right after pruning, before retraining. */
  before: SetMetrics;
  /** After retraining. */
  after: SetMetrics;
}

/** Result of one criterion on one seed. */
export interface CriterionResult {
  /** Per-round records. */
  rounds: RoundMetrics[];
  /** Final model. */
  model: Rbm;
  /** Pattern counts of the last round's samples before and after retraining. */
  lastCounts: { before: Int32Array; after: Int32Array };
}

function strip(m: SetMetrics & { counts: Int32Array }): SetMetrics {
  const { counts: _counts, ...rest } = m;
  return rest;
}

/** Runs `rounds` prune/retrain iterations of criterion `c` from the shared initial model. */
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
  },
): Promise<CriterionResult> {
  const { config, data, master, seedIndex, sampler } = options;
  const ci = CRITERIA.indexOf(c);
  const stream = (k: number, phase: number): number =>
    deriveSeed(master, seedIndex, STREAM.criterion + ci, k, phase);
  let model = initial.model;
  let samples = initial.samples;
  const rounds: RoundMetrics[] = [];
  let lastCounts: { before: Int32Array; after: Int32Array } = {
    before: new Int32Array(0),
    after: new Int32Array(0),
  };
  for (let k = 1; k <= config.rounds; k++) {
    const { scores, zeros } = computeScores(model, samples, c);
    model = pruneStep(model, rbmCriterion(c), {
      fraction: config.fraction,
      scores,
      rng: new Rng(stream(k, 0)),
    });
    const before = evaluateSet(
      model,
      await drawSamples(sampler, model, config, stream(k, 1)),
      data,
    );
    trainCd1(model, data.train.bits, new Rng(stream(k, 2)), {
      epochs: config.epochs,
      lr: config.lr,
      momentum: config.momentum,
      momentumRule: config.momentumRule,
    });
    samples = await drawSamples(sampler, model, config, stream(k, 3));
    const after = evaluateSet(model, samples, data);
    rounds.push({ round: k, zeroScores: zeros, before: strip(before), after: strip(after) });
    lastCounts = { before: before.counts, after: after.counts };
    options.onRound?.(k);
  }
  return { rounds, model, lastCounts };
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
