/**
 * Configuration of the family-A (RBM on natural-image patches) experiments: the paper protocol,
 * the reduced default, and the flags shared by `bm-fig1`, `bm-fig2` and `bm-table1`. Both presets
 * sample with the paper's Gibbs-200 chains, so their numbers compare with the paper's; exact
 * sampling (`--sampler exact`) is a separate, labelled extra analysis.
 *
 * @module
 */
import {
  type BaseConfig,
  type FlagSpec,
  type FlagValue,
  UsageError,
} from "../../core/app/experiment.ts";
import { parseIntFlag } from "../../core/app/flags.ts";
import { listDataFiles } from "../../core/data/images.ts";
import { parseCriteria } from "../../core/bm/criteria.ts";
import {
  type BmProtocol,
  type Evaluation,
  EVALUATIONS,
  samplerTag,
  samplerText,
} from "../../core/bm/protocol.ts";
import { CRITERIA, type Criterion, RBM_CRITERIA } from "../../core/bm/rbm_criteria.ts";

/** Resolved family-A config: the protocol, the seeds and the criteria of a run. */
export interface BmConfig extends BaseConfig, BmProtocol {
  /** Independent simulations (seeds 0..seeds-1); `--networks`. */
  seeds: number;
  /** Criteria to run. */
  criteria: Criterion[];
}

/**
 * The paper's protocol (spec 3.2, 4.1, 6.3), on the embedded substitute unless `--data` is given.
 * `evaluation` says which evaluation sample sets the figure needs (Table 1: none).
 */
export function paperConfig(seeds: number, evaluation: Evaluation = "every-round"): BmConfig {
  return {
    preset: "paper",
    reduced: false,
    seeds,
    hidden: 70,
    radius: 2.1,
    trainPatches: 90000,
    epochs: 2,
    lr: [0.1, 0.01],
    momentum: [0.9],
    momentumRule: "code",
    samples: 90000,
    sampler: "gibbs",
    sweeps: 200,
    rounds: 3,
    fraction: 0.5,
    criteria: [...CRITERIA],
    data: null,
    evaluation,
  };
}

/**
 * The reduced default: the paper's protocol (Gibbs-200 chains, N = 90,000, 90,000 patches, all
 * criteria) on fewer seeds, the first cut spec 13 recommends; `evaluation` as in
 * {@link paperConfig}.
 */
export function defaultConfig(seeds: number, evaluation: Evaluation = "last-round"): BmConfig {
  return { ...paperConfig(seeds, evaluation), preset: "default", reduced: true };
}

/** Flags specific to the BM experiments. */
export const BM_FLAGS: FlagSpec[] = [
  {
    name: "data",
    type: "string",
    help: "CIFAR-10 .bin batches (the paper's data) or a folder of JPEG/PNG photographs " +
      "(default: the embedded SUBSTITUTE, thumbnails of 9 CC0 photographs)",
  },
  { name: "samples", type: "string", help: "joint samples per sample set (default 90000)" },
  {
    name: "sampler",
    type: "string",
    help:
      "gibbs (the paper's 200-sweep chains; default) or exact (extra analysis: enumerated p(v))",
  },
  {
    name: "evaluation",
    type: "string",
    help: `evaluation sample sets: ${EVALUATIONS.join(", ")} (default: bm-table1 none, bm-fig2 ` +
      "last-round; hidden-unit counts are the same in all three)",
  },
  { name: "sweeps", type: "string", help: "Gibbs sweeps per chain (default 200)" },
  { name: "patches", type: "string", help: "training patches (default 90000)" },
  { name: "criteria", type: "string", help: `comma list of criteria (${CRITERIA.join(",")})` },
];

/** True when the config equals the paper protocol in everything but data and seed count. */
function isPaperProtocol(c: BmConfig, paperSeeds: number): boolean {
  return c.seeds >= paperSeeds && c.sampler === "gibbs" && c.sweeps >= 200 &&
    c.samples >= 90000 && c.trainPatches >= 90000 && c.criteria.length === CRITERIA.length;
}

/** Applies common and BM flags to a preset config (throws UsageError on bad values). */
export function configureBm(
  base: BmConfig,
  flags: Record<string, FlagValue>,
  options: { paperSeeds: number; experiment: string },
): BmConfig {
  const c: BmConfig = { ...base, criteria: [...base.criteria] };
  const str = (name: string): string | undefined =>
    typeof flags[name] === "string" ? flags[name] as string : undefined;
  for (const unsupported of ["levels", "max-outer", "scg-steps"]) {
    if (flags[unsupported] !== undefined) {
      throw new UsageError(
        `--${unsupported} does not apply to ${options.experiment} (RBM pruning uses 3 rounds of 50%)`,
      );
    }
  }
  const networks = str("networks");
  if (networks !== undefined) c.seeds = parseIntFlag("networks", networks, { min: 1, max: 100 });
  const samples = str("samples");
  if (samples !== undefined) c.samples = parseIntFlag("samples", samples, { min: 2, max: 1e7 });
  const sweeps = str("sweeps");
  if (sweeps !== undefined) c.sweeps = parseIntFlag("sweeps", sweeps, { min: 1, max: 1e5 });
  const patches = str("patches");
  if (patches !== undefined) {
    c.trainPatches = parseIntFlag("patches", patches, { min: 10, max: 1e7 });
  }
  const sampler = str("sampler");
  if (sampler !== undefined) {
    if (sampler !== "exact" && sampler !== "gibbs") {
      throw new UsageError(`--sampler must be exact or gibbs, got '${sampler}'`);
    }
    c.sampler = sampler;
  }
  const evaluation = str("evaluation");
  if (evaluation !== undefined) {
    const e = EVALUATIONS.find((x) => x === evaluation);
    if (!e) {
      throw new UsageError(`--evaluation must be ${EVALUATIONS.join(", ")}, got '${evaluation}'`);
    }
    c.evaluation = e;
  }
  const criteria = str("criteria");
  if (criteria !== undefined) {
    c.criteria = parseCriteria(RBM_CRITERIA, criteria);
  }
  const data = str("data");
  if (data !== undefined) {
    listDataFiles(data);
    c.data = data;
  }
  const changed = networks !== undefined || samples !== undefined || sweeps !== undefined ||
    patches !== undefined || sampler !== undefined || criteria !== undefined ||
    evaluation !== undefined;
  if (changed) c.preset = "custom";
  c.reduced = !isPaperProtocol(c, options.paperSeeds);
  return c;
}

/** One-line description of a config. */
export function describeBm(c: BmConfig): string {
  return `${c.preset}: ${c.seeds} seed(s), RBM ${c.hidden} hidden, r=${c.radius}, ` +
    `${c.trainPatches} patches, CD-1 ${c.epochs} epochs, ${samplerText(samplerTag(c))}, ` +
    `${c.rounds} rounds of ${c.fraction * 100}%, ${c.criteria.length} criteria, ` +
    `evaluation sets: ${c.evaluation}, data ${c.data ?? "embedded substitute"}`;
}
