/**
 * The one argument parser of every command line (the figure tasks, bench, precision-check,
 * twin-check, fig5-starts, serve): `--name VALUE`, `--name=VALUE` and boolean `--switch` flags
 * declared as {@link FlagSpec}s, with one-line {@link UsageError}s (an unknown flag names the
 * nearest known one) and help lines that show each flag's default.
 *
 * A small module rather than node:util parseArgs (whose errors are multi-line and had to be
 * re-worded by matching their text) or an npm CLI library (commander, yargs: they print and exit
 * on their own, and bring option semantics of their own); see docs/architecture.md.
 *
 * @module
 */
import { UsageError } from "../util/errors.ts";

/** Value of a parsed flag. */
export type FlagValue = string | boolean | undefined;

/** A flag (`--name value` or a boolean switch). */
export interface FlagSpec {
  /** Flag name without dashes. */
  name: string;
  /** "string" flags take a value; "boolean" ones are switches. */
  type: "string" | "boolean";
  /** One line for `--help`. */
  help: string;
  /** The default as shown by `--help` (the parser itself fills in nothing). */
  default?: string;
  /** Placeholder of the value in `--help` (default "VALUE"). */
  value?: string;
}

/** What {@link parseFlags} returns. */
export interface ParsedArgs {
  /** Values by flag name; absent flags are absent. */
  flags: Record<string, FlagValue>;
  /** Arguments that are not flags (only when allowed). */
  positionals: string[];
}

/** Edit distance with adjacent transpositions (optimal string alignment), for suggestions. */
function distance(a: string, b: string): number {
  const d = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known name nearest to `name` (a prefix, or at most a third of it mistyped), or null. */
export function suggestFlag(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) && name.length >= 2 ? 0.5 : distance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

/**
 * Parses `args` against `specs`. Throws {@link UsageError} for an unknown flag (with a
 * suggestion), a missing value, a value given to a switch, a value that starts with "-" (write
 * `--name=-1`), or a stray argument unless `positionals` is set.
 */
export function parseFlags(
  specs: readonly FlagSpec[],
  args: readonly string[],
  options: { positionals?: boolean } = {},
): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] === "-h" && byName.has("help") ? "--help" : args[i];
    if (!arg.startsWith("--") || arg === "--") {
      if (options.positionals) {
        positionals.push(arg);
        continue;
      }
      throw new UsageError(`unexpected argument '${arg}'`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      const near = suggestFlag(name, [...byName.keys()]);
      throw new UsageError(
        `unknown flag --${name}${near ? ` (did you mean --${near}?)` : ""} (see --help)`,
      );
    }
    if (spec.type === "boolean") {
      if (eq >= 0) throw new UsageError(`--${name} is a switch and takes no value`);
      flags[name] = true;
      continue;
    }
    if (eq >= 0) {
      flags[name] = arg.slice(eq + 1);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (value.startsWith("-") && value.length > 1) {
      throw new UsageError(`--${name}: a value starting with '-' must be written --${name}=VALUE`);
    }
    flags[name] = value;
    i++;
  }
  return { flags, positionals };
}

/** The `--help` lines of `specs`: flag, value placeholder, help and default, aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const heads = specs.map((s) =>
    `  --${s.name}${s.type === "string" ? ` ${s.value ?? "VALUE"}` : ""}`
  );
  const width = Math.max(30, ...heads.map((h) => h.length + 1));
  return specs.map((s, i) =>
    heads[i].padEnd(width) + " " + s.help +
    (s.default !== undefined ? ` (default ${s.default})` : "")
  ).join("\n");
}

/** The value of a string flag, or undefined. */
export function stringFlag(flags: Record<string, FlagValue>, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}
