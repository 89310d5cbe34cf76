/**
 * Configuration of the RL experiments (Figs 6, 7 and the new-option experiment): the paper's
 * protocol (spec 5.4.2, 7.4, 7.5, 14), the reduced default that fits in a few minutes on two
 * cores, the training schedules a config implies, and the RL flags and their application to a
 * preset (every bad value throws a {@link UsageError} naming the flag). fig6 and fig7 share this
 * one definition.
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
import type { NoiseMode } from "../../core/rl/block.ts";
import type { RlTrainSchedule } from "../../core/rl/training.ts";

/** Full configuration of an RL run. */
export interface RlConfig extends BaseConfig {
  /** Lineage pairs per noise level. */
  networks: number;
  /** Prune levels (cumulative fractions of the 400 entries of A). */
  levels: number[];
  /** Target-noise variances. */
  noiseLevels: number[];
  /** One shared initial network (code, D6) or one per lineage. */
  initialNetworks: "shared" | "independent";
  /** Target noise: one scalar per step (code, D10) or independent per output. */
  noiseMode: NoiseMode;
  /** SCG steps per outer iteration (null = K = 684, the paper). */
  scgSteps: number | null;
  /** Initial training: to criterion with this cap (paper 1000), tau 100, noise-free. */
  initialOuter: number;
  /** Initial-training annealing horizon (paper 100). */
  initialTau: number;
  /** Initial-training refresh period (paper 20). */
  initialRefresh: number;
  /** Retraining per level: fixed outer iterations (paper 39). */
  retrainOuter: number;
  /** Retraining annealing horizon (paper 10). */
  retrainTau: number;
  /** Retraining refresh period (paper 20). */
  retrainRefresh: number;
  /** Blocks per training set (paper 24). */
  trainBlocks: number;
  /** Blocks of the value-error evaluation after retraining (paper 24). */
  valueBlocks: number;
  /** Blocks of the agreement / reward / PCA evaluation (paper 64). */
  choiceBlocks: number;
  /** Blocks of the Lyapunov and Mahalanobis evaluation (paper 48). */
  dynamicsBlocks: number;
  /** Exploration during population evaluations (paper 0.15, D18). */
  evalEpsilon: number;
  /** New-option experiment (spec 7.5): networks taken from level 0.7, noise 0.1 (0 = skip). */
  newOptionNetworks: number;
  /** New-option training: fixed outer iterations (paper 39, one data set). */
  newOptionOuter: number;
  /** Blocks of the example plots (Fig 6, paper 128, epsilon 0). */
  exampleBlocks: number;
}

/** The prune level of the "0.7" panels and of the new-option experiment. */
export const MAIN_LEVEL = 0.7;
/** The main noise level (variance) of Fig 7 A-G and the new-option experiment. */
export const MAIN_NOISE = 0.1;

/** The paper's protocol (spec 7.4, 7.5, 14). */
export const PAPER_RL: RlConfig = Object.freeze({
  preset: "paper",
  reduced: false,
  networks: 100,
  levels: [0.1, 0.3, 0.5, 0.7, 0.9],
  noiseLevels: [0.01, 0.1, 1],
  initialNetworks: "shared",
  noiseMode: "shared",
  scgSteps: null,
  initialOuter: 1000,
  initialTau: 100,
  initialRefresh: 20,
  retrainOuter: 39,
  retrainTau: 10,
  retrainRefresh: 20,
  trainBlocks: 24,
  valueBlocks: 24,
  choiceBlocks: 64,
  dynamicsBlocks: 48,
  evalEpsilon: 0.15,
  newOptionNetworks: 100,
  newOptionOuter: 39,
  exampleBlocks: 128,
}) as RlConfig;

/**
 * Reduced default (labelled `reduced: true`): 3 lineage pairs at noise variances 0.1 and 1 (the
 * main level and the Fig 7I comparison), SCG calls of 60 steps instead of 684, 40 outer
 * iterations of initial training (refresh every 5, tau 20), 6 per level with one data refresh (at
 * 4, epsilon already annealed to 0, mirroring the paper's refresh at 20 of 39 with tau 10), 8 in
 * the new-option experiment. Evaluation block counts are the paper's.
 */
export const DEFAULT_RL: RlConfig = Object.freeze({
  ...PAPER_RL,
  preset: "default",
  reduced: true,
  networks: 3,
  noiseLevels: [0.1, 1],
  scgSteps: 60,
  initialOuter: 40,
  initialTau: 20,
  initialRefresh: 5,
  retrainOuter: 6,
  retrainTau: 4,
  retrainRefresh: 4,
  newOptionNetworks: 3,
  newOptionOuter: 8,
}) as RlConfig;

/** The schedule of the initial training (noise-free, to criterion). */
export function initialSchedule(c: RlConfig): RlTrainSchedule {
  return {
    outer: c.initialOuter,
    stopOnConvergence: true,
    tau: c.initialTau,
    refreshPeriod: c.initialRefresh,
    noiseVariance: 0,
  };
}

/** The schedule of a retraining at one prune level. */
export function retrainSchedule(c: RlConfig, noiseVariance: number): RlTrainSchedule {
  return {
    outer: c.retrainOuter,
    stopOnConvergence: true,
    tau: c.retrainTau,
    refreshPeriod: c.retrainRefresh,
    noiseVariance,
  };
}

/** The new-option schedule: one data set (refresh beyond the end), noise-free (spec 5.4.2). */
export function newOptionSchedule(c: RlConfig): RlTrainSchedule {
  return {
    outer: c.newOptionOuter,
    // Full learning curves: an early-converged network keeps its lossHistory length comparable.
    stopOnConvergence: false,
    tau: c.retrainTau,
    refreshPeriod: c.newOptionOuter + 1,
    noiseVariance: 0,
  };
}

/** RL-specific flags. */
export const RL_FLAGS: FlagSpec[] = [
  {
    name: "noise-levels",
    type: "string",
    help: "target-noise variances, e.g. 0.01,0.1,1 (paper)",
  },
  {
    name: "initial-networks",
    type: "string",
    help: "shared (one starting network, as the code, D6) or independent (one per lineage)",
  },
  {
    name: "noise-mode",
    type: "string",
    help: "shared (one scalar per step, as the code, D10) or independent (per output)",
  },
  { name: "initial-outer", type: "string", help: "cap on outer iterations of initial training" },
  { name: "new-option-networks", type: "string", help: "networks in the new-option experiment" },
  { name: "eval-epsilon", type: "string", help: "exploration in evaluations (paper 0.15, D18)" },
];

function str(v: FlagValue): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function parseNoiseLevels(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  const out = parts.map((p) => {
    const v = Number(p);
    if (p === "" || !Number.isFinite(v) || v < 0) {
      throw new UsageError(`--noise-levels: '${p}' is not a variance >= 0`);
    }
    return v;
  });
  if (new Set(out).size !== out.length) throw new UsageError("--noise-levels has duplicates");
  return out;
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be ${allowed.join(" or ")}, got '${value}'`);
  }
  return value as T;
}

/**
 * Applies common flags (`--networks`, `--levels`, `--max-outer` = fixed outer iterations per
 * retraining and of the new-option experiment, `--scg-steps`) and the RL flags to a preset.
 */
export function configureRl(base: RlConfig, flags: Record<string, FlagValue>): RlConfig {
  const c: RlConfig = { ...base, levels: [...base.levels], noiseLevels: [...base.noiseLevels] };
  let custom = false;
  const set = <K extends keyof RlConfig>(k: K, v: RlConfig[K]): void => {
    c[k] = v;
    custom = true;
  };
  const networks = str(flags.networks);
  if (networks !== undefined) {
    set("networks", parseIntFlag("networks", networks, { min: 1, max: 100000 }));
    set("newOptionNetworks", Math.min(c.newOptionNetworks, c.networks));
  }
  const levels = str(flags.levels);
  if (levels !== undefined) set("levels", parseLevels(levels));
  const maxOuter = str(flags["max-outer"]);
  if (maxOuter !== undefined) {
    const v = parseIntFlag("max-outer", maxOuter, { min: 1, max: 100000 });
    set("retrainOuter", v);
    set("newOptionOuter", v);
  }
  const scgSteps = str(flags["scg-steps"]);
  if (scgSteps !== undefined) {
    set("scgSteps", parseIntFlag("scg-steps", scgSteps, { min: 1, max: 684 }));
  }
  const noise = str(flags["noise-levels"]);
  if (noise !== undefined) set("noiseLevels", parseNoiseLevels(noise));
  const init = str(flags["initial-networks"]);
  if (init !== undefined) {
    set("initialNetworks", choice("initial-networks", init, ["shared", "independent"] as const));
  }
  const mode = str(flags["noise-mode"]);
  if (mode !== undefined) {
    set("noiseMode", choice("noise-mode", mode, ["shared", "independent"] as const));
  }
  const io = str(flags["initial-outer"]);
  if (io !== undefined) {
    set("initialOuter", parseIntFlag("initial-outer", io, { min: 1, max: 100000 }));
  }
  const no = str(flags["new-option-networks"]);
  if (no !== undefined) {
    set("newOptionNetworks", parseIntFlag("new-option-networks", no, { min: 0, max: c.networks }));
  }
  const eps = str(flags["eval-epsilon"]);
  if (eps !== undefined) {
    set("evalEpsilon", parseNumberFlag("eval-epsilon", eps, { min: 0, max: 1 }));
  }
  if (custom && c.preset === "paper") {
    c.preset = "custom";
    c.reduced = true;
  }
  return c;
}

/** One-line description of an RL config. */
export function describeRl(c: RlConfig): string {
  return `${c.networks} lineage pair(s) x noise ${c.noiseLevels.join("/")}, levels ` +
    `${
      c.levels.join(",")
    }, ${c.initialNetworks} initial network(s) (<= ${c.initialOuter} outer), ` +
    `${c.retrainOuter} outer iterations per level, SCG steps ${c.scgSteps ?? "K=684"}, ` +
    `new option n=${c.newOptionNetworks}, eval epsilon ${c.evalEpsilon}`;
}
