/**
 * The float32 twin's population operations on one thread, shared by the engine and its workers:
 * float32 loss and gradient kernels in the fused WebGPU kernel's operation order, and SCG as the
 * WebGPU engine runs it, on the device (`scg_twin.ts`) or as its host driver (float64 SCG with
 * loss changes by difference propagation and the float32 stall guard). Forward passes stay
 * float64: analyses use the reference kernels.
 *
 * @module
 */
import type { GradJob, GradResult, ScgJob, ScgOptions, ScgResult } from "../engine.ts";
import type { ScgState } from "../engine_spec.ts";
import { FLOAT32_STALL_LIMIT, type LossDiffRequest, scgSync } from "../../rnn/scg.ts";
import { forward } from "../../rnn/kernels.ts";
import type { PopulationOps } from "../worker_pool.ts";
import { lossAndGradF32, lossDiffF32 } from "./wasm_f32_kernels.ts";
import { scgTwin, type TwinEvaluator } from "./scg_twin.ts";

const twinEvaluator: TwinEvaluator = {
  grad: (data, w, grad) => lossAndGradF32(w, data, { grad }),
  lossDiff: (data, w, dw) => lossDiffF32(w, data, { dw }),
};

/** Float32 loss and gradient of every job. */
export function gradF32(jobs: readonly GradJob[]): GradResult[] {
  return jobs.map((j) => {
    const grad = new Float64Array(j.w.length);
    return { loss: lossAndGradF32(j.w, j.data, { grad }), grad };
  });
}

/** One SCG call for every job, with the WebGPU SCG driver `scgState` mirrors. */
export function scgF32(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  scgState: ScgState = "device",
): ScgResult[] {
  if (scgState === "device") {
    return scgTwin(jobs, { ...options, stallLimit: FLOAT32_STALL_LIMIT }, twinEvaluator);
  }
  // As the WebGPU engine's host driver: finite-difference curvature, loss changes by difference
  // propagation, the stall guard.
  return scgSync(jobs, options, {
    grad: (requests) => requests.map((r) => lossAndGradF32(r.w, r.data, { grad: r.grad })),
    extras: {
      lossDiff: (requests: LossDiffRequest[]) =>
        requests.map((r) => lossDiffF32(r.w, r.data, { dw: r.dw })),
      stallLimit: FLOAT32_STALL_LIMIT,
    },
  });
}

/** The twin's operations, on the calling thread or in a worker. */
export const FLOAT32_TWIN_OPS: PopulationOps<ScgState> = {
  grad: gradF32,
  forward: (jobs) => jobs.map((j) => forward(j.data.shape, j.w, j.data)),
  scg: scgF32,
};
