/**
 * What a run is computed with, fixed when it is created: the engine, the kernel build, where SCG
 * keeps its state, and the arithmetic id naming all three (results are bit-identical only within
 * one). A `--resume` continues in exactly that arithmetic: without engine flags it takes the
 * run's own; flags asking for another are refused before anything runs, and so is a machine whose
 * engine would compute differently (e.g. a WebGPU device that falls back to host SCG).
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import {
  arithmeticId,
  type EngineFlags,
  type EngineRequest,
  type EngineSpec,
} from "../engine/engine_spec.ts";
import { resolveEngine } from "../engine/select.ts";
import type { RunRecord } from "../store/store.ts";
import { UsageError } from "../util/errors.ts";
import { runEngineSpec } from "./work_units.ts";

/** The provenance fields of a run record. */
export type Provenance = Pick<RunRecord, "arithmetic" | "kernel" | "scgState">;

/**
 * The provenance of a new run computed by `engine`, built from `spec`. The engine's own arithmetic
 * id is recorded, so an engine that fell back (WebGPU without exact double-float sums runs SCG on
 * the host) is recorded as what it computes.
 */
export function runProvenance(engine: Engine, spec: EngineSpec): Provenance {
  if (spec.engine === "cpu") return { arithmetic: engine.arithmetic, kernel: spec.kernel };
  const device = arithmeticId({ ...spec, scgState: "device" }) === engine.arithmetic;
  return { arithmetic: engine.arithmetic, scgState: device ? "device" : "host" };
}

/** The engine flags given on the command line, as words for a message. */
function givenFlags(flags: EngineFlags): string {
  const words: string[] = [];
  if (flags.engine !== undefined) words.push(`--engine ${flags.engine}`);
  if (flags.cpuKernel !== undefined) words.push(`--cpu-kernel ${flags.cpuKernel}`);
  if (flags.scgState !== undefined) words.push(`--scg-state ${flags.scgState}`);
  return words.join(" ");
}

/**
 * The engine a resumed run continues with: the run's own (`--workers` may differ: it changes no
 * bit), or the one the flags ask for (`request`, parsed from `flags`) when it computes the same
 * arithmetic. Throws a one-line {@link UsageError} when the flags ask for other arithmetic.
 */
export async function resumeEngineRequest(
  run: RunRecord,
  given: { flags: EngineFlags; request: EngineRequest },
): Promise<EngineRequest> {
  const { flags, request } = given;
  const workers = request.engine === "webgpu" ? undefined : request.workers;
  const own = runEngineSpec(run, { workers });
  const asked = flags.engine !== undefined || flags.cpuKernel !== undefined ||
    flags.scgState !== undefined;
  if (!asked) return own;
  const spec = request.engine === "auto" ? (await resolveEngine(request)).spec : request;
  const recorded = run.arithmetic ?? arithmeticId(own);
  if (arithmeticId(spec) !== recorded) {
    throw new UsageError(
      `--resume: run ${run.id} is computed in arithmetic ${recorded} (${run.engineDescription}); ` +
        `${givenFlags(flags)} would continue it in ${arithmeticId(spec)}, so its numbers would ` +
        `not be those of an uninterrupted run: drop the engine flags to resume it as it started`,
    );
  }
  return spec;
}

/**
 * Checks the engine built for a resumed run computes the run's arithmetic (it may not: a WebGPU
 * device without exact double-float sums falls back to host SCG). Throws a {@link UsageError}.
 */
export function checkResumedEngine(run: RunRecord, engine: Engine): void {
  if (run.arithmetic === undefined || run.arithmetic === engine.arithmetic) return;
  throw new UsageError(
    `--resume: run ${run.id} is computed in arithmetic ${run.arithmetic}, but ${engine.name} ` +
      `computes ${engine.arithmetic} on this machine (${engine.description}): resume it on a ` +
      `machine that computes ${run.arithmetic}`,
  );
}
