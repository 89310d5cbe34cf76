/**
 * Synchronous float64 batch evaluation used by the CPU engine and its workers: the adapter
 * between SCG's {@link BatchEvaluator} and the kernels. Two builds of the same kernels exist: the
 * WebAssembly SIMD one (default, about 2.5x faster) and the plain TypeScript reference.
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult, SequenceSet } from "../engine/engine.ts";
import { type BatchEvaluator, type EvalRequest, scgPopulation } from "../scg.ts";
import { lossAndGrad } from "./kernels.ts";
import { lossAndGradWasm, wasmKernelsAvailable } from "./wasm_kernels.ts";
import type { RnnShape } from "./network.ts";

/** Which build of the float64 kernels to use. */
export type KernelBuild = "wasm" | "js";

/** The fastest build available in this runtime. */
export function defaultKernelBuild(): KernelBuild {
  return wasmKernelsAvailable() ? "wasm" : "js";
}

/** The loss-and-gradient function of a build. */
export function gradKernel(
  build: KernelBuild,
): (shape: RnnShape, w: Float64Array, data: SequenceSet, grad: Float64Array) => number {
  return build === "wasm" ? lossAndGradWasm : lossAndGrad;
}

/** A batch evaluator over one kernel build. */
export function batchEvaluator(build: KernelBuild): BatchEvaluator {
  const f = gradKernel(build);
  return (requests: EvalRequest[]) => requests.map((r) => f(r.data.shape, r.w, r.data, r.grad));
}

/** One SCG call for every job with the float64 kernels. */
export function scgCpu(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  build: KernelBuild = defaultKernelBuild(),
): ScgResult[] {
  return scgPopulation(jobs, options, batchEvaluator(build));
}
