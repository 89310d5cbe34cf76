/**
 * Fig 5 configuration: the paper's protocol, the embedded reduced default, the fig5-specific flags
 * and how flags change a preset (spec 7.1).
 *
 * @module
 */
import {
  type BaseConfig,
  type FlagSpec,
  type FlagValue,
  UsageError,
} from "../../core/app/experiment.ts";
import { parseIntFlag, parseLevels, parseNumberFlag } from "../../core/app/flags.ts";
import type { StartProtocol } from "../../core/dms/starting_networks.ts";
import { nForPairedPower } from "../../core/util/stats.ts";

/** Configuration of a Fig 5 run. */
export interface Fig5Config extends BaseConfig, StartProtocol {
  /** Lineage pairs (independent starting networks). */
  networks: number;
  /** Cumulative prune fractions, increasing. */
  levels: number[];
  /** Initial training rounds, each on a fresh training set (paper: 5). */
  initialRounds: number;
  /** Outer-iteration cap per initial training round (paper: 100, "to criterion"). */
  maxOuterInitial: number;
  /** Outer-iteration cap per retraining (paper: 100, "to criterion"). */
  maxOuterRetrain: number;
  /** SCG steps per outer iteration; null = K = 1110 (paper). */
  scgSteps: number | null;
  /** Target-noise sd (0.1); the DMS stopping rule uses 1.05 sigmaY^2. */
  sigmaY: number;
  /** Level of the Fig 5B, 5C, 5E, 5F panels (0.7 in the paper). */
  analysisLevel: number;
  /**
   * Train the starting networks from their initialisation even when the store's cache or the
   * embedded networks hold them (`--train-starts`); the results are the same bit for bit.
   */
  trainStarts: boolean;
}

const PAPER_LEVELS = Array.from({ length: 18 }, (_, i) => Number((0.1 + 0.05 * i).toFixed(2)));

/** The paper's protocol (spec 7.1): 400 pairs, 18 levels, SCG to criterion (cap 100). */
export const FIG5_PAPER: Fig5Config = Object.freeze({
  preset: "paper",
  reduced: false,
  networks: 400,
  levels: PAPER_LEVELS,
  initialRounds: 5,
  maxOuterInitial: 100,
  maxOuterRetrain: 100,
  scgSteps: null,
  sigmaY: 0.1,
  analysisLevel: 0.7,
  trainStarts: false,
}) as Fig5Config;

/**
 * The embedded default: a reduced protocol sized to finish in about 5 minutes on 2 cores
 * (see docs/fig5.md for how it was chosen and what it shows).
 */
export const FIG5_DEFAULT: Fig5Config = Object.freeze({
  preset: "default",
  reduced: true,
  networks: 8,
  levels: [0.5, 0.7],
  initialRounds: 5,
  maxOuterInitial: 100,
  maxOuterRetrain: 10,
  scgSteps: null,
  sigmaY: 0.1,
  analysisLevel: 0.7,
  trainStarts: false,
}) as Fig5Config;

/**
 * What the `validate` preset is sized from (spec §15, measured on 30 complete pairs of seed 1 with
 * the default's protocol, docs/fig5.md "A larger check"): per level, the mean paired difference of
 * probe accuracy (pruned - unpruned) and the sd of those differences.
 */
export const FIG5_MEASURED_VARIANCE: readonly { level: number; effect: number; sd: number }[] =
  Object.freeze([
    { level: 0.5, effect: 0.096, sd: 0.175 },
    { level: 0.7, effect: 0.082, sd: 0.18 },
  ]);

/**
 * Lineage pairs for 80% power of the two-sided paired t-test at the paper's alpha 0.01 at each
 * measured level (noncentral t, core/util/stats.ts): 43 at 0.5 and 60 at 0.7.
 */
export const FIG5_VALIDATE_PAIRS: readonly { level: number; pairs: number }[] = Object.freeze(
  FIG5_MEASURED_VARIANCE.map((m) => ({
    level: m.level,
    pairs: nForPairedPower(m.effect, m.sd, { alpha: 0.01, power: 0.8 }) ?? Infinity,
  })),
);

/**
 * The `validate` preset: the default's protocol (levels 0.5 and 0.7, retraining cap 10, starting
 * networks trained to criterion) with as many lineage pairs as 80% power at alpha 0.01 needs at
 * the harder of the two levels, so that Fig 5A can reach the paper's significance if the measured
 * effect is real. Only the number of pairs differs from the default.
 */
export const FIG5_VALIDATE: Fig5Config = Object.freeze({
  ...FIG5_DEFAULT,
  preset: "validate",
  networks: Math.max(...FIG5_VALIDATE_PAIRS.map((p) => p.pairs)),
}) as Fig5Config;

/** The `--help` line of the validate preset: what it is sized from and what it costs. */
export const FIG5_VALIDATE_HELP: string =
  `${FIG5_VALIDATE.networks} lineage pairs (the default's protocol), for 80% power at alpha ` +
  `0.01 given the measured sd of the paired difference (${
    FIG5_VALIDATE_PAIRS.map((p) => `${p.pairs} pairs at ${p.level}`).join(", ")
  }). Cost on 2 cores: training ${
    FIG5_VALIDATE.networks - 8
  } starting networks (seed 1 embeds 8) takes hours (about 4 core-minutes each, far more ` +
  `for those that hit the cap), then the two levels about 40 minutes; resumable with --resume.`;

/** Flags of fig5 beyond the common ones. */
export const FIG5_FLAGS: FlagSpec[] = [
  { name: "initial-rounds", type: "string", help: "initial training rounds (paper 5)" },
  { name: "max-outer-initial", type: "string", help: "outer-iteration cap of initial training" },
  {
    name: "train-starts",
    type: "boolean",
    help: "train the starting networks even if cached or embedded (same results)",
  },
  {
    name: "analysis-level",
    type: "string",
    help: "level of the 5B/5C/5E/5F panels (default 0.7)",
  },
];

/** Applies common and fig5 flags to a preset (throws UsageError on bad values). */
export function configureFig5(base: Fig5Config, flags: Record<string, FlagValue>): Fig5Config {
  const c: Fig5Config = { ...base, levels: [...base.levels] };
  let changed = false;
  const str = (
    name: string,
  ): string | undefined => (typeof flags[name] === "string" ? flags[name] as string : undefined);
  if (str("networks") !== undefined) {
    c.networks = parseIntFlag("networks", str("networks")!, { min: 1, max: 100000 });
    changed = true;
  }
  if (str("levels") !== undefined) {
    c.levels = parseLevels(str("levels")!);
    changed = true;
  }
  if (str("max-outer") !== undefined) {
    const v = parseIntFlag("max-outer", str("max-outer")!, { min: 1, max: 100000 });
    c.maxOuterInitial = v;
    c.maxOuterRetrain = v;
    changed = true;
  }
  if (str("max-outer-initial") !== undefined) {
    c.maxOuterInitial = parseIntFlag("max-outer-initial", str("max-outer-initial")!, {
      min: 1,
      max: 100000,
    });
    changed = true;
  }
  if (str("scg-steps") !== undefined) {
    c.scgSteps = parseIntFlag("scg-steps", str("scg-steps")!, { min: 1, max: 1_000_000 });
    changed = true;
  }
  if (str("initial-rounds") !== undefined) {
    c.initialRounds = parseIntFlag("initial-rounds", str("initial-rounds")!, { min: 0, max: 1000 });
    changed = true;
  }
  if (flags["train-starts"] === true) c.trainStarts = true;
  if (str("analysis-level") !== undefined) {
    c.analysisLevel = parseNumberFlag("analysis-level", str("analysis-level")!, { min: 0, max: 1 });
  }
  if (!c.levels.some((l) => Math.abs(l - c.analysisLevel) < 1e-9)) {
    // The level panels fall back to the nearest level; say so rather than silently.
    if (str("analysis-level") !== undefined) {
      throw new UsageError(
        `--analysis-level ${c.analysisLevel} is not one of --levels ${c.levels.join(",")}`,
      );
    }
  }
  if (changed) {
    c.preset = base.preset === "paper" ? "paper (modified)" : "custom";
    c.reduced =
      !(c.networks >= FIG5_PAPER.networks && c.levels.join() === FIG5_PAPER.levels.join() &&
        c.initialRounds >= 5 && c.maxOuterInitial >= 100 && c.maxOuterRetrain >= 100 &&
        c.scgSteps === null);
  }
  return c;
}

/** One-line description of a config (terminal header, runs list). */
export function describeFig5(c: Fig5Config): string {
  return `${c.networks} lineage pairs, levels ${c.levels.join(",")}, ` +
    `${c.initialRounds} initial rounds (cap ${c.maxOuterInitial} outer), ` +
    `retrain cap ${c.maxOuterRetrain} outer, ${c.scgSteps ?? "K=1110"} SCG steps/outer`;
}

/** Units a run stores: each network's start and one per network and level. */
export function fig5Units(c: Fig5Config): number {
  return c.networks * (1 + c.levels.length);
}
