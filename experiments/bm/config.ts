/**
 * Configuration of the family-A (RBM on natural-image patches) experiments: the paper protocol,
 * the reduced default, and the flags shared by `bm-fig1`, `bm-fig2` and `bm-table1`.
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
import type { BmProtocol } from "../../core/bm/protocol.ts";
import { CRITERIA, type Criterion, RBM_CRITERIA } from "../../core/bm/rbm_criteria.ts";

/** Resolved family-A config: the protocol, the seeds and the criteria of a run. */
export interface BmConfig extends BaseConfig, BmProtocol {
  /** Independent simulations (seeds 0..seeds-1); `--networks`. */
  seeds: number;
  /** Criteria to run. */
  criteria: Criterion[];
}

/** The paper's protocol (spec 3.2, 4.1, 6.3), on the embedded data unless `--data` is given. */
export function paperConfig(seeds: number): BmConfig {
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
  };
}

/**
 * The reduced default: fewer seeds (the first cut spec 13 recommends) and exact sampling instead
 * of 90,000 x 200 Gibbs sweeps. N stays 90,000, so the count of exactly-zero FI scores is not
 * inflated by a smaller sample.
 */
export function defaultConfig(seeds: number): BmConfig {
  return { ...paperConfig(seeds), preset: "default", reduced: true, sampler: "exact" };
}

/** Flags specific to the BM experiments. */
export const BM_FLAGS: FlagSpec[] = [
  {
    name: "data",
    type: "string",
    help: "folder of JPEG/PNG images or CIFAR-10 .bin batches (default: embedded photographs)",
  },
  { name: "samples", type: "string", help: "joint samples per sample set (default 90000)" },
  { name: "sampler", type: "string", help: "exact (enumerate p(v)) or gibbs (paper)" },
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
    patches !== undefined || sampler !== undefined || criteria !== undefined;
  if (changed) c.preset = "custom";
  c.reduced = !isPaperProtocol(c, options.paperSeeds);
  return c;
}

/** One-line description of a config. */
export function describeBm(c: BmConfig): string {
  const sampling = c.sampler === "exact"
    ? `exact sampling N=${c.samples}`
    : `Gibbs ${c.samples} chains x ${c.sweeps} sweeps`;
  return `${c.preset}: ${c.seeds} seed(s), RBM ${c.hidden} hidden, r=${c.radius}, ` +
    `${c.trainPatches} patches, CD-1 ${c.epochs} epochs, ${sampling}, ${c.rounds} rounds of ` +
    `${c.fraction * 100}%, ${c.criteria.length} criteria, data ${c.data ?? "embedded"}`;
}
