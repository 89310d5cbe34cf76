/**
 * Synchronous float64 batch evaluation used by the CPU engine and its workers: the adapter
 * between SCG's {@link BatchEvaluator} and the reference kernels.
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult } from "../engine/engine.ts";
import { type EvalRequest, scgPopulation } from "../scg.ts";
import { lossAndGrad } from "./kernels.ts";

/** Evaluates each request with the float64 kernels. */
export function evaluateBatch(requests: EvalRequest[]): number[] {
  return requests.map((r) => lossAndGrad(r.data.shape, r.w, r.data, r.grad));
}

/** One SCG call for every job with the float64 kernels. */
export function scgCpu(jobs: readonly ScgJob[], options: ScgOptions): ScgResult[] {
  return scgPopulation(jobs, options, evaluateBatch);
}
