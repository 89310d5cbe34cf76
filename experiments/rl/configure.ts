/**
 * Command-line flags of the RL experiments and their application to a config (shared by fig6 and
 * fig7). Every bad value throws a {@link UsageError} naming the flag.
 *
 * @module
 */
import { type FlagSpec, type FlagValue, UsageError } from "../../core/app/experiment.ts";
import { parseIntFlag, parseLevels, parseNumberFlag } from "../../core/app/flags.ts";
import type { RlConfig } from "./config.ts";

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
