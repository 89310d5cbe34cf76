/**
 * Parsing and validation of flag values shared by every experiment. Each helper throws a
 * {@link UsageError} whose message names the flag and the problem, so the CLI can print it on one
 * line and exit with code 2.
 *
 * @module
 */
import { UsageError } from "./experiment.ts";
import type { ScgState } from "../engine/cpu/evaluate.ts";

/** Options of {@link parseIntFlag}. */
export interface IntRange {
  /** Smallest allowed value. */
  min?: number;
  /** Largest allowed value. */
  max?: number;
}

/** Parses a whole number flag within a range. */
export function parseIntFlag(name: string, value: string, range: IntRange = {}): number {
  const trimmed = value.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  }
  const v = Number(trimmed);
  const min = range.min ?? -Infinity;
  const max = range.max ?? Infinity;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    const lo = Number.isFinite(min) ? min : "-inf";
    const hi = Number.isFinite(max) ? max : "inf";
    throw new UsageError(`--${name} must be between ${lo} and ${hi}, got ${value}`);
  }
  return v;
}

/** Parses a finite number flag within a range. */
export function parseNumberFlag(
  name: string,
  value: string,
  range: { min?: number; max?: number } = {},
): number {
  const v = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(v)) {
    throw new UsageError(`--${name} must be a number, got '${value}'`);
  }
  if ((range.min !== undefined && v < range.min) || (range.max !== undefined && v > range.max)) {
    throw new UsageError(`--${name} must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return v;
}

/**
 * Parses `--levels 0.1,0.15,...`: comma-separated fractions strictly inside (0, 1), strictly
 * increasing (pruning is cumulative).
 */
export function parseLevels(value: string, name = "levels"): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) {
    throw new UsageError(`--${name} must be a comma-separated list of numbers, got '${value}'`);
  }
  const levels = parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v)) throw new UsageError(`--${name}: '${p}' is not a number`);
    if (!(v > 0 && v < 1)) throw new UsageError(`--${name}: ${p} is outside (0, 1)`);
    return v;
  });
  for (let i = 1; i < levels.length; i++) {
    if (!(levels[i] > levels[i - 1])) {
      throw new UsageError(`--${name} must be strictly increasing, got '${value}'`);
    }
  }
  return levels;
}

/**
 * An engine option flag: one of `choices`, and not for the engine `excluded` (`why` says so).
 * Undefined when absent.
 */
function engineOption<T extends string>(
  name: string,
  value: unknown,
  rule: { choices: readonly T[]; engine: string; excluded: string; why: string },
): T | undefined {
  if (value === undefined) return undefined;
  if (!(rule.choices as readonly unknown[]).includes(value)) {
    throw new UsageError(
      `--${name} must be ${rule.choices.join(" or ")}, got '${String(value)}'`,
    );
  }
  if (rule.engine === rule.excluded) throw new UsageError(`--${name} ${rule.why}`);
  return value as T;
}

/**
 * Parses `--scg-state` (device or host; undefined when absent) for the engine named by `engine`:
 * it chooses the SCG driver of the float32 engines, so the float64 `cpu` engine rejects it.
 */
export function parseScgState(value: unknown, options: { engine: string }): ScgState | undefined {
  return engineOption<ScgState>("scg-state", value, {
    choices: ["device", "host"],
    engine: options.engine,
    excluded: "cpu",
    why: "applies to the float32 engines (webgpu, cpu-f32), not cpu",
  });
}

/**
 * Parses `--cpu-kernel` (wasm or js; undefined when absent), the float64 kernel build, for the
 * engine named by `engine`: it does not apply to the float32 twin `cpu-f32`.
 */
export function parseCpuKernel(
  value: unknown,
  options: { engine: string },
): "wasm" | "js" | undefined {
  return engineOption<"wasm" | "js">("cpu-kernel", value, {
    choices: ["wasm", "js"],
    engine: options.engine,
    excluded: "cpu-f32",
    why: "selects a float64 build; it does not apply to cpu-f32",
  });
}
