/**
 * Configuration of the RL experiments (Figs 6, 7 and the new-option experiment): the paper's
 * protocol (spec 5.4.2, 7.4, 7.5, 14), the faithful reduced default (the paper's per-data-set
 * training length; fewer lineage pairs, levels and noise levels), the `validate` preset sized for
 * power, the training schedules a config implies, what a config cuts from the paper's protocol,
 * and the RL flags and their application to a preset (every bad value throws a
 * {@link UsageError} naming the flag). fig6 and fig7 share this one definition.
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
import type { RlStartProtocol } from "../../core/rl/starting_networks.ts";
import type { RlTrainSchedule } from "../../core/rl/training.ts";
import { paramLayout, RL_SHAPE } from "../../core/rnn/network.ts";
import { nForPairedPower } from "../../core/util/stats.ts";

/** Full configuration of an RL run. */
export interface RlConfig extends BaseConfig, RlStartProtocol {
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
  /**
   * Train the starting networks from their initialisation even when the store's cache or the
   * embedded networks hold them (`--train-starts`); the results are the same bit for bit.
   */
  trainStarts: boolean;
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
  trainStarts: false,
}) as RlConfig;

/**
 * The default (labelled `reduced: true`): faithful and small (issue 13 item 2). Every network is
 * trained exactly as in the paper (starting network to criterion, embedded; each prune level 39
 * outer iterations of K = 684 SCG steps with one data refresh at outer iteration 20, tau 10, so
 * each noisy data set is fitted for 19 x 684 = 12,996 and 20 x 684 = 13,680 SCG steps; new-option
 * training 39 x 684 steps); what is cut is the number of lineage pairs (4 of 100), the noise
 * levels (0.1, the main one, of 0.01/0.1/1) and the levels (0.5 and 0.7 of 0.1-0.9; the first
 * prune removes 200 of the 400 recurrent weights at once, as fig5's default does). Measured time
 * in docs/rl.md and the README.
 */
export const DEFAULT_RL: RlConfig = Object.freeze({
  ...PAPER_RL,
  preset: "default",
  reduced: true,
  networks: 4,
  levels: [0.5, 0.7],
  noiseLevels: [0.1],
  newOptionNetworks: 4,
}) as RlConfig;

/**
 * What the `validate` preset is sized from: per claim, the paired difference in the paper's
 * direction (per lineage averaged over levels 0.5 and 0.7, noise 0.1) and its sd over lineage
 * pairs, measured by the default (4 pairs, seed 1, run fig7-20261201-225526-3s1t3, docs/rl.md).
 */
export const RL_MEASURED_VARIANCE: readonly { claim: string; effect: number; sd: number }[] = Object
  .freeze([
    { claim: "7A value error", effect: 0.792, sd: 0.243 },
    { claim: "7B agreement", effect: 0.0829, sd: 0.0177 },
    { claim: "optimal choices", effect: 0.0485, sd: 0.0082 },
    { claim: "7G Mahalanobis", effect: 3885, sd: 1918 },
  ]);

/** Below 8 pairs the exact Wilcoxon signed-rank test cannot reach p < 0.01 (2 / 2^n). */
export const MIN_VALIDATE_PAIRS = 8;

/** Lineage pairs for 80% power of the two-sided paired t-test at alpha 0.01, per claim. */
export const RL_VALIDATE_PAIRS: readonly { claim: string; pairs: number }[] = Object.freeze(
  RL_MEASURED_VARIANCE.map((m) => ({
    claim: m.claim,
    pairs: nForPairedPower(m.effect, m.sd, { alpha: 0.01, power: 0.8 }) ?? Infinity,
  })),
);

const VALIDATE_PAIRS = Math.max(MIN_VALIDATE_PAIRS, ...RL_VALIDATE_PAIRS.map((p) => p.pairs));

/**
 * The `validate` preset: the default's faithful protocol (noise 0.1, levels 0.5 and 0.7, the
 * paper's training length, the new option on every lineage) with as many lineage pairs as 80%
 * power at alpha 0.01 needs for the hardest of the measured claims, given the variance measured at
 * that same protocol, and at least {@link MIN_VALIDATE_PAIRS}. Only the number of pairs differs
 * from the default.
 */
export const VALIDATE_RL: RlConfig = Object.freeze({
  ...DEFAULT_RL,
  preset: "validate",
  networks: VALIDATE_PAIRS,
  newOptionNetworks: VALIDATE_PAIRS,
}) as RlConfig;

/**
 * Measured CPU cost of one lineage pair at one level, or of its new-option training, in
 * core-minutes: the default (4 pairs x 2 levels + 4 new-option pairs) took 814 s of CPU, including
 * the 9 outer iterations that trained its starting network, now embedded (run
 * fig7-20261201-225526-3s1t3, docs/rl.md).
 */
export const CORE_MINUTES_PER_PAIR_LEVEL = 1.1;

/** The `--help` line of the validate preset: what it is sized from and what it costs. */
export const VALIDATE_RL_HELP: string =
  `${VALIDATE_RL.networks} lineage pairs (the default's faithful protocol: noise 0.1, levels ` +
  `${
    VALIDATE_RL.levels.join(" and ")
  }, new option), for 80% power at alpha 0.01 given the sd of the paired ` +
  `differences the default measured (${
    RL_VALIDATE_PAIRS.map((p) => `${p.claim}: ${p.pairs}`).join(", ")
  }; at least ${MIN_VALIDATE_PAIRS}, where the exact Wilcoxon test can reach 0.01). ` +
  `Cost: about ${
    Math.round(
      VALIDATE_RL.networks * (VALIDATE_RL.levels.length + 1) * CORE_MINUTES_PER_PAIR_LEVEL,
    )
  } CPU-minutes (levels and new option, shared by 2 workers); resumable with --resume.`;

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
  {
    name: "refresh-period",
    type: "string",
    value: "N",
    help: "retraining: new data from the current network every N outer iterations",
    default: "20 (paper)",
  },
  {
    name: "tau",
    type: "string",
    value: "N",
    help: "retraining: epsilon = 0.15 (1 - it/tau) for it < tau, then 0",
    default: "10 (paper)",
  },
  { name: "initial-outer", type: "string", help: "cap on outer iterations of initial training" },
  { name: "new-option-networks", type: "string", help: "networks in the new-option experiment" },
  { name: "eval-epsilon", type: "string", help: "exploration in evaluations (paper 0.15, D18)" },
  {
    name: "train-starts",
    type: "boolean",
    help: "train the starting networks even if cached or embedded (same results)",
  },
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
    // A preset that runs the new option on every lineage keeps doing so.
    const all = base.newOptionNetworks >= base.networks;
    set("newOptionNetworks", all ? c.networks : Math.min(c.newOptionNetworks, c.networks));
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
  const refresh = str(flags["refresh-period"]);
  if (refresh !== undefined) {
    set("retrainRefresh", parseIntFlag("refresh-period", refresh, { min: 1, max: 100000 }));
  }
  const tau = str(flags.tau);
  if (tau !== undefined) set("retrainTau", parseIntFlag("tau", tau, { min: 1, max: 100000 }));
  if (flags["train-starts"] === true) c.trainStarts = true;
  if (custom && c.preset === "paper") {
    c.preset = "custom";
    c.reduced = true;
  }
  return c;
}

/** SCG steps per call of a config (K = 684 unless `--scg-steps`). */
export function stepsPerCall(c: Pick<RlConfig, "scgSteps">): number {
  return c.scgSteps ?? paramLayout(RL_SHAPE).size;
}

/**
 * SCG steps each data set of a retraining is fitted for: data are drawn before outer iteration 1
 * and redrawn at every multiple of the refresh period (paper: iterations 1-19 and 20-39, i.e.
 * 19 x 684 = 12,996 and 20 x 684 = 13,680 steps).
 */
export function stepsPerDataSet(
  c: Pick<RlConfig, "scgSteps" | "retrainOuter" | "retrainRefresh">,
): number[] {
  const out: number[] = [];
  let calls = 0;
  for (let it = 1; it <= c.retrainOuter; it++) {
    if (it % c.retrainRefresh === 0 && calls > 0) {
      out.push(calls * stepsPerCall(c));
      calls = 0;
    }
    calls++;
  }
  out.push(calls * stepsPerCall(c));
  return out;
}

/** How a config's protocol stands against the paper's (printed and written with every run). */
export interface ProtocolCuts {
  /** True when every network is trained for the paper's length (SCG steps, outer, refresh, tau). */
  faithfulTraining: boolean;
  /** SCG steps each noisy data set of a retraining is fitted for. */
  stepsPerDataSet: number[];
  /** What is cut or changed, in words (empty for the paper's protocol). */
  cuts: string[];
}

/** What a config cuts from the paper's protocol. */
export function protocolCuts(c: RlConfig): ProtocolCuts {
  const p = PAPER_RL;
  const cuts: string[] = [];
  const training: string[] = [];
  if (c.networks !== p.networks) cuts.push(`${c.networks} of ${p.networks} lineage pairs`);
  if (c.levels.join() !== p.levels.join()) {
    cuts.push(`levels ${c.levels.join(", ")} of ${p.levels.join(", ")}`);
  }
  if (c.noiseLevels.join() !== p.noiseLevels.join()) {
    cuts.push(`noise ${c.noiseLevels.join(", ")} of ${p.noiseLevels.join(", ")}`);
  }
  if (c.newOptionNetworks !== p.newOptionNetworks) {
    cuts.push(`new option ${c.newOptionNetworks} of ${p.newOptionNetworks} networks`);
  }
  if (stepsPerCall(c) !== stepsPerCall(p)) training.push(`${stepsPerCall(c)} SCG steps per call`);
  if (c.retrainOuter !== p.retrainOuter) training.push(`${c.retrainOuter} outer iterations`);
  if (c.retrainRefresh !== p.retrainRefresh) training.push(`refresh every ${c.retrainRefresh}`);
  if (c.retrainTau !== p.retrainTau) training.push(`tau ${c.retrainTau}`);
  if (c.newOptionOuter !== p.newOptionOuter) {
    training.push(`${c.newOptionOuter} new-option iterations`);
  }
  if (c.initialOuter !== p.initialOuter) training.push(`initial cap ${c.initialOuter}`);
  if (c.evalEpsilon !== p.evalEpsilon) cuts.push(`evaluation epsilon ${c.evalEpsilon}`);
  if (c.initialNetworks !== p.initialNetworks) cuts.push(`${c.initialNetworks} starting networks`);
  if (c.noiseMode !== p.noiseMode) cuts.push(`${c.noiseMode} noise per output`);
  return {
    faithfulTraining: training.length === 0,
    stepsPerDataSet: stepsPerDataSet(c),
    cuts: [...cuts, ...training.map((t) => `SHORTENED TRAINING: ${t}`)],
  };
}

/** One-line description of an RL config. */
export function describeRl(c: RlConfig): string {
  return `${c.networks} lineage pair(s) x noise ${c.noiseLevels.join("/")}, levels ` +
    `${c.levels.join(",")}, ${c.initialNetworks} starting network(s), ${c.retrainOuter} outer ` +
    `iterations x ${stepsPerCall(c)} SCG steps per level (data refreshed every ` +
    `${c.retrainRefresh}, tau ${c.retrainTau}: ${stepsPerDataSet(c).join(" + ")} steps per data ` +
    `set), new option n=${c.newOptionNetworks}, eval epsilon ${c.evalEpsilon}`;
}
