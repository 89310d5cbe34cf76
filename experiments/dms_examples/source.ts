/**
 * Where the example figures take their networks from: the pruned and unpruned networks of a fig5
 * run at one level (store layout in `experiments/fig5/protocol.ts`: unit `["level", i, li]` with
 * blobs `prunedW` / `unprunedW` and metrics per lineage). {@link resolveSource} checks everything a
 * run needs before anything is written (the run exists and is a fig5 run, it has the level, the
 * examples picked by hand exist), so bad input costs one `error:` line and leaves no trace.
 *
 * @module
 */
import { experimentRun, UsageError } from "../../core/app/experiment.ts";
import { type Lineage, LINEAGES } from "../../core/app/paired_lineages.ts";
import type { ResultStore, RunRecord } from "../../core/store/store.ts";
import type { Fig5Config } from "../fig5/config.ts";
import type { LineageMetrics } from "../fig5/protocol.ts";
import type { DmsExamplesConfig } from "./config.ts";

/** The fig5 run and level a config resolves to. */
export interface Fig5Source {
  /** The fig5 run record. */
  run: RunRecord;
  /** Index of the level in the fig5 run's levels. */
  levelIndex: number;
  /** The fig5 run's lineage pairs (`config.networks`). */
  networks: number;
}

/** Unit key of network `i` at level index `li` in a fig5 run. */
export function fig5LevelKey(i: number, li: number): (string | number)[] {
  return ["level", i, li];
}

/** The metrics a fig5 unit stored for one lineage (fig5 keeps each under the lineage's name). */
function storedLineage(
  metrics: Record<string, unknown> | undefined,
  lineage: Lineage,
): LineageMetrics | undefined {
  return metrics?.[lineage] as LineageMetrics | undefined;
}

/** What a fig5 unit says about one lineage: its stored metrics, or null when it has none. */
export function lineageOf(
  metrics: Record<string, unknown> | undefined,
  lineage: Lineage,
): LineageMetrics | null {
  const m = storedLineage(metrics, lineage);
  return m && !m.failed ? m : null;
}

/** Why a fig5 unit has no network for a lineage ("missing" when it does not say). */
export function failureOf(metrics: Record<string, unknown> | undefined, lineage: Lineage): string {
  return storedLineage(metrics, lineage)?.failed ?? "missing";
}

/**
 * Finds the fig5 run (`from`, else the newest finished one) and the level of a config, or throws
 * a one-line `UsageError`. `store` is null when the store does not exist yet.
 */
export async function findSource(
  store: ResultStore | null,
  c: Pick<DmsExamplesConfig, "from" | "level">,
): Promise<Fig5Source> {
  const first = "run `deno task fig5` first, or name a fig5 run with --from";
  if (!store) throw new UsageError(`no fig5 run: the store does not exist yet (${first})`);
  let run: RunRecord | null;
  if (c.from) {
    run = await store.getRun(c.from);
    if (!run) throw new UsageError(`--from: no run '${c.from}' in store ${store.location}`);
    if (run.figure !== "fig5") {
      throw new UsageError(`--from: run '${c.from}' is a ${run.figure} run, not fig5`);
    }
  } else {
    run = (await store.listRuns({ figure: "fig5", status: "done" }))[0] ?? null;
    if (!run) throw new UsageError(`no finished fig5 run in store ${store.location} (${first})`);
  }
  // The record's figure is fig5, so its config is the Fig5Config that experiment stored.
  const fig5Config = experimentRun<Fig5Config>(run).config;
  const levels = fig5Config.levels ?? [];
  const levelIndex = levels.findIndex((l) => Math.abs(l - c.level) < 1e-9);
  if (levelIndex < 0) {
    throw new UsageError(
      `--level ${c.level}: fig5 run ${run.id} has level(s) ${levels.join(", ")} only`,
    );
  }
  const networks = fig5Config.networks ?? 0;
  return { run, levelIndex, networks };
}

/** A config's fig5 networks resolved against the store (see {@link resolveNetworks}). */
export interface ResolvedNetworks {
  /** The fig5 run and level. */
  src: Fig5Source;
  /** Lineage pairs 0..networks-1 used: `--networks`, else all of the fig5 run's. */
  networks: number;
  /** The fig5 run's units at the level among those pairs (at least one). */
  atLevel: Awaited<ReturnType<ResultStore["listUnits"]>>;
}

/**
 * Finds the fig5 run and level of a config ({@link findSource}) and the pairs it uses, checking
 * that `--networks` does not exceed the run's pairs and that some pair has networks at the level;
 * throws a one-line `UsageError` otherwise. Shared by the examples and dms-new-problem.
 */
export async function resolveNetworks(
  store: ResultStore | null,
  c: Pick<DmsExamplesConfig, "from" | "level"> & { networks: number | null },
): Promise<ResolvedNetworks> {
  const src = await findSource(store, c);
  const id = src.run.id;
  if (c.networks !== null && c.networks > src.networks) {
    throw new UsageError(`--networks ${c.networks}: fig5 run ${id} has ${src.networks} pairs`);
  }
  const networks = c.networks ?? src.networks;
  const units = await store!.listUnits(id, ["level"]);
  const atLevel = units.filter((u) => u.key[2] === src.levelIndex && Number(u.key[1]) < networks);
  if (atLevel.length === 0) {
    throw new UsageError(
      `fig5 run ${id} (${src.run.status}) has no level-${c.level} networks stored yet`,
    );
  }
  return { src, networks, atLevel };
}

/**
 * Resolves a config against the store before the run is created: `from` becomes the fig5 run's
 * id, `networks` its number of pairs (or the smaller `--networks`), `reduced` the fig5 run's, and
 * every example picked by hand must have stored weights at the level.
 */
export async function prepareExamples(
  c: DmsExamplesConfig,
  store: ResultStore | null,
): Promise<DmsExamplesConfig> {
  const { src, networks, atLevel } = await resolveNetworks(store, c);
  const id = src.run.id;
  for (const lineage of LINEAGES) {
    const pick = c[lineage];
    if (pick === null) continue;
    const have = atLevel.filter((u) => lineageOf(u.record.metrics, lineage) !== null)
      .map((u) => Number(u.key[1]));
    if (!have.includes(pick)) {
      throw new UsageError(
        `--${lineage} ${pick}: fig5 run ${id} has no ${lineage} network ${pick} at level ` +
          `${c.level}; networks with one: ${have.join(", ") || "none"}`,
      );
    }
  }
  return { ...c, from: id, networks, reduced: src.run.reduced };
}
