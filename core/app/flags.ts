/**
 * Parsing and validation of flag values shared by every experiment. Each helper throws a
 * {@link UsageError} whose message names the flag and the problem, so the CLI can print it on one
 * line and exit with code 2.
 *
 * @module
 */
import { UsageError } from "./experiment.ts";

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
