/**
 * Configuration of the example-network figures (Averbeck 2022 Figs 1C-F, 2, 3, 4): which fig5 run
 * and level the networks come from, how many of its lineage pairs feed the selection and the
 * population panels, and the examples picked by hand. Nothing here trains, so the presets differ
 * only in name; whether the result is "reduced" is inherited from the fig5 run (see
 * `source.ts`).
 *
 * @module
 */
import {
  type BaseConfig,
  type FlagSpec,
  type FlagValue,
  UsageError,
} from "../../core/app/experiment.ts";
import { parseIntFlag, parseNumberFlag } from "../../core/app/flags.ts";
import { RUN_ID_PATTERN } from "../../core/store/store.ts";

/** Configuration of a fig2 / fig3 / fig4 run. */
export interface DmsExamplesConfig extends BaseConfig {
  /** The fig5 run the networks come from; null until resolved (the newest finished one). */
  from: string | null;
  /** Prune level of the networks (0.7 in the paper). */
  level: number;
  /** Lineage pairs 0..networks-1 of the fig5 run to use; null until resolved (all of them). */
  networks: number | null;
  /** Network index of the pruned example picked by hand (null: spec 9's rules). */
  pruned: number | null;
  /** Network index of the unpruned example picked by hand (null: spec 9's rules). */
  unpruned: number | null;
}

/** The paper's settings: level 0.7, examples by spec 9's rules, every pair of the fig5 run. */
export const EXAMPLES_PAPER: DmsExamplesConfig = Object.freeze({
  preset: "paper",
  reduced: false,
  from: null,
  level: 0.7,
  networks: null,
  pruned: null,
  unpruned: null,
}) as DmsExamplesConfig;

/** The default: the same analyses (they are cheap); `reduced` comes from the fig5 run. */
export const EXAMPLES_DEFAULT: DmsExamplesConfig = Object.freeze({
  ...EXAMPLES_PAPER,
  preset: "default",
}) as DmsExamplesConfig;

/** Flags beyond the common ones. */
export const EXAMPLES_FLAGS: FlagSpec[] = [
  {
    name: "from",
    type: "string",
    help: "fig5 run whose networks are analysed (default: the newest finished fig5 run)",
  },
  { name: "level", type: "string", help: "prune level of the fig5 run to use (default 0.7)" },
  {
    name: "pruned",
    type: "string",
    help: "network index (0-based) of the pruned example (default: spec 9's rules)",
  },
  {
    name: "unpruned",
    type: "string",
    help: "network index (0-based) of the unpruned example (default: spec 9's rules)",
  },
];

/** Common flags that would train; these figures only analyse a finished fig5 run. */
const TRAINING_FLAGS = ["levels", "max-outer", "scg-steps"];

/** Applies the common and the example flags to a preset (throws UsageError on bad values). */
export function configureExamples(
  base: DmsExamplesConfig,
  flags: Record<string, FlagValue>,
): DmsExamplesConfig {
  const c: DmsExamplesConfig = { ...base };
  for (const name of TRAINING_FLAGS) {
    if (flags[name] !== undefined) {
      throw new UsageError(
        `--${name}: these figures analyse a finished fig5 run and train nothing` +
          (name === "levels" ? "; pick its level with --level" : ""),
      );
    }
  }
  const str = (name: string): string | undefined => {
    const v = flags[name];
    return typeof v === "string" ? v : undefined;
  };
  const from = str("from");
  if (from !== undefined) {
    if (!RUN_ID_PATTERN.test(from)) throw new UsageError(`--from: '${from}' is not a run id`);
    c.from = from;
  }
  const level = str("level");
  if (level !== undefined) {
    c.level = parseNumberFlag("level", level, { min: 0, max: 1 });
    if (!(c.level > 0 && c.level < 1)) {
      throw new UsageError(`--level must be a prune fraction in (0, 1), got ${level}`);
    }
  }
  const networks = str("networks");
  if (networks !== undefined) {
    c.networks = parseIntFlag("networks", networks, { min: 1, max: 100000 });
  }
  for (const lineage of ["pruned", "unpruned"] as const) {
    const v = str(lineage);
    if (v !== undefined) c[lineage] = parseIntFlag(lineage, v, { min: 0, max: 99999 });
  }
  if (c.networks !== null) {
    for (const lineage of ["pruned", "unpruned"] as const) {
      const pick = c[lineage];
      if (pick !== null && pick >= c.networks) {
        throw new UsageError(
          `--${lineage} ${pick}: only networks 0..${
            c.networks - 1
          } are used (--networks ${c.networks})`,
        );
      }
    }
  }
  return c;
}

/** One-line description of a config (terminal header, runs list). */
export function describeExamples(c: DmsExamplesConfig): string {
  const pick = (lineage: "pruned" | "unpruned"): string =>
    c[lineage] === null ? "by spec 9's rules" : `network ${c[lineage]} by hand`;
  return `level-${c.level} networks of ${c.from ?? "the newest finished fig5 run"}` +
    (c.networks === null ? "" : ` (${c.networks} pairs)`) +
    `; pruned example ${pick("pruned")}, unpruned example ${pick("unpruned")}`;
}

/** Units a run stores: one per lineage pair (the population record) and one per example. */
export function exampleUnits(c: DmsExamplesConfig): number {
  return (c.networks ?? 0) + 2;
}
