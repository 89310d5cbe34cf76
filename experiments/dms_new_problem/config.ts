/**
 * Configuration of the DMS new-problem experiment: the paper's protocol (spec 7.2, D22), the
 * reduced default and the `--from` flag.
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
import { RUN_ID_PATTERN } from "../../core/store/store.ts";

/** The three new problems (D22). */
export const PROBLEMS = Object.freeze({
  combined: [1, 2, 3, 4, 5, 6, 7, 8],
  reversal: [1, 2, 3, 4],
  newChannels: [5, 6, 7, 8],
});

/** A problem name. */
export type ProblemName = keyof typeof PROBLEMS;

/** Configuration. */
export interface DmsNewProblemConfig extends BaseConfig {
  /** The fig5 run whose level-0.7 networks are used (null = the newest finished fig5 run). */
  from: string | null;
  /**
   * Networks (lineage pairs 0..networks-1) taken from the fig5 run; null = all of its pairs
   * (resolved to a number by `prepare` before the run starts).
   */
  networks: number | null;
  /** Prune level of the networks (0.7). */
  level: number;
  /** Fixed outer iterations (paper 50). */
  outer: number;
  /** SCG steps per outer iteration (null = K = 1110). */
  scgSteps: number | null;
  /** Repeats of each condition in the training set (paper 4). */
  repeats: number;
  /** Target-noise sd (0.1). */
  sigmaY: number;
  /** Problems to train. */
  problems: ProblemName[];
}

/** The paper's protocol. */
export const DNP_PAPER: DmsNewProblemConfig = Object.freeze({
  preset: "paper",
  reduced: false,
  from: null,
  networks: 100,
  level: 0.7,
  outer: 50,
  scgSteps: null,
  repeats: 4,
  sigmaY: 0.1,
  problems: ["combined", "reversal", "newChannels"],
}) as DmsNewProblemConfig;

/**
 * The reduced default: every lineage pair of the fig5 run, 8 fixed outer iterations of 60 SCG
 * steps each (the paper: 50 of K = 1110), so it is a cut in training length; the comparison is of
 * each network's loss relative to its own loss before training, which the cut does not bias.
 */
export const DNP_DEFAULT: DmsNewProblemConfig = Object.freeze({
  ...DNP_PAPER,
  preset: "default",
  reduced: true,
  networks: null,
  outer: 8,
  scgSteps: 60,
}) as DmsNewProblemConfig;

/** Flags beyond the common ones. */
export const DNP_FLAGS: FlagSpec[] = [
  {
    name: "from",
    type: "string",
    value: "RUN_ID",
    help: "fig5 run whose level-0.7 networks are trained",
    default: "the newest finished fig5 run",
  },
];

/** Applies common and `--from` flags to a preset (throws UsageError on bad values). */
export function configureDnp(
  base: DmsNewProblemConfig,
  flags: Record<string, FlagValue>,
): DmsNewProblemConfig {
  const c = { ...base, problems: [...base.problems] };
  if (typeof flags.from === "string") {
    if (!RUN_ID_PATTERN.test(flags.from)) {
      throw new UsageError(`--from: '${flags.from}' is not a run id`);
    }
    c.from = flags.from;
  }
  if (typeof flags.networks === "string") {
    c.networks = parseIntFlag("networks", flags.networks, { min: 1, max: 100000 });
  }
  if (typeof flags["max-outer"] === "string") {
    c.outer = parseIntFlag("max-outer", flags["max-outer"], { min: 1, max: 100000 });
  }
  if (typeof flags["scg-steps"] === "string") {
    c.scgSteps = parseIntFlag("scg-steps", flags["scg-steps"], { min: 1, max: 1110 });
  }
  if (flags.levels !== undefined) {
    throw new UsageError("--levels: this experiment uses level 0.7");
  }
  return c;
}

/** One-line description of a config. */
export function describeDnp(c: DmsNewProblemConfig): string {
  return `${c.networks ?? "all"} network pair(s) from ${
    c.from ?? "the newest fig5 run"
  } at level ${c.level}, ` +
    `problems ${c.problems.join("/")}, ${c.outer} fixed outer iterations, SCG steps ${
      c.scgSteps ?? "K"
    }`;
}
