/**
 * Synchronous batch evaluation used by the CPU engine and its workers: the adapter between SCG's
 * {@link BatchEvaluator} and the kernels. Three builds exist: the float64 kernels as WebAssembly
 * SIMD (default, about 2.5x faster) and as the plain TypeScript reference, and "wasm-f32", the
 * float32 twin of the WebGPU engine's arithmetic (engine "cpu-f32": float32 kernels, and SCG as
 * the WebGPU engine runs it, on the device by default or on the host).
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult, SequenceSet } from "../engine.ts";
import {
  type BatchEvaluator,
  type EvalRequest,
  FLOAT32_STALL_LIMIT,
  type LossDiffRequest,
  scgPopulation,
} from "../../rnn/scg.ts";
import { lossAndGrad } from "../../rnn/kernels.ts";
import { lossAndGradWasm, wasmKernelsAvailable } from "./wasm_kernels.ts";
import { lossAndGradF32, lossDiffF32 } from "../cpu_f32/wasm_f32_kernels.ts";
import type { RnnShape } from "../../rnn/network.ts";
import { scgTwin, type TwinEvaluator } from "../cpu_f32/scg_twin.ts";

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

/**
 * Which SCG driver the float32 twin mirrors: the WebGPU engine's default, SCG on the device
 * (double-float weights, float32 scalars: core/engine/cpu_f32/scg_twin.ts), or its host driver
 * (float64 weights and scalars, core/rnn/scg.ts).
 */
export type ScgState = "device" | "host";

/** The arithmetic of a CPU SCG call: the kernel build, and for the twin, the SCG driver. */
export interface CpuArithmetic {
  /** Kernel build (default: the fastest float64 build). */
  build?: KernelBuild;
  /** Float32 twin only: which WebGPU SCG driver to mirror (default "device"). */
  scgState?: ScgState;
}

const twinEvaluator: TwinEvaluator = {
  grad: (data, w, grad) => lossAndGradF32(w, data, { grad }),
  lossDiff: (data, w, dw) => lossDiffF32(w, data, { dw }),
};

/** One SCG call for every job with the kernels (and, for the twin, the SCG driver) chosen. */
export function scgCpu(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  arithmetic: CpuArithmetic = {},
): ScgResult[] {
  const build = arithmetic.build ?? defaultKernelBuild();
  if (build !== "wasm-f32") return scgPopulation(jobs, options, batchEvaluator(build));
  if ((arithmetic.scgState ?? "device") === "device") {
    return scgTwin(jobs, { ...options, stallLimit: FLOAT32_STALL_LIMIT }, twinEvaluator);
  }
  // As the WebGPU engine's host driver: finite-difference curvature, loss changes by difference
  // propagation, the stall guard.
  return scgPopulation(jobs, options, {
    grad: batchEvaluator(build),
    extras: {
      lossDiff: (requests: LossDiffRequest[]) =>
        requests.map((r) => lossDiffF32(r.w, r.data, { dw: r.dw })),
      stallLimit: FLOAT32_STALL_LIMIT,
    },
  });
}
