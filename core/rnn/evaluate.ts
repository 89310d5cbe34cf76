/**
 * Synchronous batch evaluation used by the CPU engine and its workers: the adapter between SCG's
 * {@link BatchEvaluator} and the kernels. Three builds exist: the float64 kernels as WebAssembly
 * SIMD (default, about 2.5x faster) and as the plain TypeScript reference, and "wasm-f32", the
 * float32 twin of the WebGPU engine's arithmetic (engine "cpu-f32": float32 kernels, SCG with
 * direct loss differences and the float32 stall guard, as the WebGPU engine runs it).
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult, SequenceSet } from "../engine/engine.ts";
import {
  type BatchEvaluator,
  type EvalRequest,
  FLOAT32_STALL_LIMIT,
  type LossDiffRequest,
  scgPopulation,
} from "../scg.ts";
import { lossAndGrad } from "./kernels.ts";
import { lossAndGradWasm, wasmKernelsAvailable } from "./wasm_kernels.ts";
import { lossAndGradF32, lossDiffF32 } from "./wasm_f32_kernels.ts";
import type { RnnShape } from "./network.ts";

/** Which build of the kernels to use ("wasm-f32" is the float32 twin, not a float64 build). */
export type KernelBuild = "wasm" | "js" | "wasm-f32";

/** The fastest float64 build available in this runtime. */
export function defaultKernelBuild(): KernelBuild {
  return wasmKernelsAvailable() ? "wasm" : "js";
}

/** The loss-and-gradient function of a build. */
export function gradKernel(
  build: KernelBuild,
): (shape: RnnShape, w: Float64Array, data: SequenceSet, grad: Float64Array) => number {
  if (build === "wasm-f32") return (_shape, w, data, grad) => lossAndGradF32(w, data, { grad });
  return build === "wasm" ? lossAndGradWasm : lossAndGrad;
}

/** A batch evaluator over one kernel build. */
export function batchEvaluator(build: KernelBuild): BatchEvaluator {
  const f = gradKernel(build);
  return (requests: EvalRequest[]) => requests.map((r) => f(r.data.shape, r.w, r.data, r.grad));
}

/** One SCG call for every job with the kernels of `build`. */
export function scgCpu(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  build: KernelBuild = defaultKernelBuild(),
): ScgResult[] {
  if (build !== "wasm-f32") return scgPopulation(jobs, options, batchEvaluator(build));
  // As the WebGPU engine: finite-difference curvature, loss changes by difference propagation,
  // the stall guard.
  return scgPopulation(jobs, options, {
    grad: batchEvaluator(build),
    extras: {
      lossDiff: (requests: LossDiffRequest[]) =>
        requests.map((r) => lossDiffF32(r.w, r.data, { dw: r.dw })),
      stallLimit: FLOAT32_STALL_LIMIT,
    },
  });
}
