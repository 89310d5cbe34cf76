/**
 * Work units of detached runs (`--detach`, docs/cluster.md): how a run is cut into the pieces that
 * worker processes lease, what a piece says (its JSON spec), the run record a detached run starts
 * with, and the engine a worker rebuilds from that record.
 *
 * The unit of work is a range of networks (lineage pairs, seeds) carried through the whole
 * protocol: a network's level l + 1 starts from its level l, so cutting along levels would only
 * add waiting, while different networks never read each other's results. Experiments whose
 * networks share a first step (RL's shared starting network) get a phase-0 unit that computes it;
 * experiments that are cheap or whose networks depend on each other (fig2-4 select among all
 * networks; fig6 is one pair) are one unit.
 *
 * @module
 */
import type { FlagValue } from "./args.ts";
import { stringFlag } from "./args.ts";
import {
  type BaseConfig,
  type Experiment,
  jsonRecord,
  type NetworkRange,
  UsageError,
} from "./experiment.ts";
import { parseIntFlag } from "./flags.ts";
import { runtimeVersions } from "./version.ts";
import {
  arithmeticId,
  type EngineRequest,
  type EngineSpec,
  parseEngineSpec,
} from "../engine/engine_spec.ts";
import { resolveEngine } from "../engine/select.ts";
import type { RunRecord, WorkPlanUnit } from "../store/store.ts";

/** What one work unit computes (its stored JSON spec). */
export interface WorkSpec {
  /** The networks it computes; absent: the whole run. */
  networks?: NetworkRange;
}

/** The flags of a figure task that shape a detached run. */
export const DETACH_FLAGS = Object.freeze([
  {
    name: "detach",
    type: "boolean" as const,
    help:
      "create the run and its work units in the store and exit; `deno task worker` computes them",
  },
  {
    name: "networks-per-unit",
    type: "string" as const,
    help: "with --detach: networks (lineage pairs / seeds) per work unit",
    default: "1",
  },
]);

/**
 * Checks the detach flags against the rest of the command line before anything is written;
 * returns the networks per work unit (null without `--detach`).
 */
export function detachOptions(
  flags: Record<string, FlagValue>,
): { networksPerUnit: number } | null {
  const per = stringFlag(flags, "networks-per-unit");
  if (!flags.detach) {
    if (per !== undefined) throw new UsageError("--networks-per-unit applies only with --detach");
    return null;
  }
  if (flags.resume !== undefined) {
    throw new UsageError(
      "--detach starts a new run; a detached run is finished by `deno task worker --run ID`",
    );
  }
  if (flags.out !== undefined) {
    throw new UsageError(
      "--out needs the finished run: after the workers finish, write it with " +
        "`deno task runs export ID --out FILE`",
    );
  }
  return {
    networksPerUnit: per === undefined
      ? 1
      : parseIntFlag("networks-per-unit", per, { min: 1, max: 100000 }),
  };
}

/**
 * The work units of a run: ranges of `networksPerUnit` networks (after a phase-0 unit with the
 * empty range when the networks share work), or one unit for an experiment without shards.
 */
export function planWork<C extends BaseConfig>(
  experiment: Pick<Experiment<C>, "shards">,
  config: C,
  options: { networksPerUnit: number },
): WorkPlanUnit[] {
  const shards = experiment.shards?.(config) ?? null;
  if (!shards) return [{ phase: 0, spec: {} }];
  const units: WorkPlanUnit[] = [];
  const phase = shards.shared ? 1 : 0;
  if (shards.shared) units.push({ phase: 0, spec: specOf({ start: 0, end: 0 }) });
  for (let start = 0; start < shards.networks; start += options.networksPerUnit) {
    const end = Math.min(shards.networks, start + options.networksPerUnit);
    units.push({ phase, spec: specOf({ start, end }) });
  }
  return units;
}

function specOf(networks: NetworkRange): Record<string, unknown> {
  return jsonRecord<WorkSpec>({ networks });
}

/** Reads a stored work-unit spec; throws when it is not one this prunelab wrote. */
export function readWorkSpec(spec: Record<string, unknown>): WorkSpec {
  const n = spec.networks;
  if (n === undefined) return {};
  if (typeof n === "object" && n !== null && "start" in n && "end" in n) {
    const { start, end } = n;
    if (
      typeof start === "number" && typeof end === "number" && Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) && start >= 0 && end >= start
    ) {
      return { networks: { start, end } };
    }
  }
  throw new Error(`work unit spec ${JSON.stringify(spec)} is not one this prunelab reads`);
}

/** A work unit in words: "networks 3-4", "network 3", "shared work", "the whole run". */
export function describeWork(spec: WorkSpec): string {
  const n = spec.networks;
  if (!n) return "the whole run";
  if (n.end === n.start) return "the work the networks share";
  return n.end - n.start === 1 ? `network ${n.start}` : `networks ${n.start}-${n.end - 1}`;
}

/**
 * The engine a detached run is computed with, fixed when it is created: an engine named on the
 * command line as it is (the detaching machine need not have it: workers on GPU nodes may), and
 * `auto` resolved on this machine.
 */
export async function detachedEngine(request: EngineRequest): Promise<EngineSpec> {
  if (request.engine !== "auto") return request;
  return (await resolveEngine(request)).spec;
}

/** The record of a new detached run: the arithmetic and its settings fixed for every worker. */
export function detachedRunRecord<C extends BaseConfig>(
  experiment: Pick<Experiment<C>, "id" | "totalUnits">,
  at: { runId: string; config: C; seed: number; engine: EngineSpec; units: number },
): RunRecord {
  const now = new Date().toISOString();
  const e = at.engine;
  return {
    id: at.runId,
    figure: experiment.id,
    preset: at.config.preset,
    reduced: at.config.reduced,
    config: jsonRecord(at.config),
    seed: at.seed,
    engine: e.engine,
    engineDescription: `computed by worker processes (${at.units} work unit(s))`,
    arithmetic: arithmeticId(e),
    ...(e.engine === "cpu" ? { kernel: e.kernel } : { scgState: e.scgState }),
    versions: runtimeVersions(),
    startedAt: now,
    updatedAt: now,
    status: "running",
    progress: { done: 0, total: experiment.totalUnits(at.config) },
  };
}

/**
 * The engine spec a worker computes a run with: the run's engine, kernel build and SCG driver,
 * with this worker's thread count. Throws a `UsageError` when this prunelab cannot name that
 * arithmetic (another kernel build, a newer engine).
 */
export function runEngineSpec(run: RunRecord, options: { workers?: number } = {}): EngineSpec {
  let spec: EngineSpec;
  try {
    spec = parseEngineSpec({
      engine: run.engine,
      cpuKernel: run.engine === "cpu" ? run.kernel : undefined,
      scgState: run.engine === "cpu" ? undefined : run.scgState,
      workers: options.workers,
    });
  } catch (err) {
    throw new UsageError(
      `run ${run.id} was computed with an engine this prunelab does not have ` +
        `(${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (run.arithmetic !== undefined && arithmeticId(spec) !== run.arithmetic) {
    throw new UsageError(
      `run ${run.id} uses arithmetic ${run.arithmetic}; this prunelab would compute ` +
        `${arithmeticId(spec)}, so its results would not be bit-identical`,
    );
  }
  return spec;
}
