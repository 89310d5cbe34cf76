/**
 * The float64 CPU engine's population operations on one thread, for a kernel build
 * (`kernel_builds.ts`): the adapter between SCG's {@link BatchEvaluator} and the kernels, shared
 * by the engine and its workers.
 *
 * @module
 */
import type { GradJob, GradResult, ScgJob, ScgOptions, ScgResult } from "../engine.ts";
import { type BatchEvaluator, type EvalRequest, scgSync } from "../../rnn/scg.ts";
import { forward } from "../../rnn/kernels.ts";
import type { PopulationOps } from "../worker_pool.ts";
import { type CpuKernelBuild, defaultKernelBuild, gradKernel } from "./kernel_builds.ts";

/** A batch evaluator over one kernel build. */
export function batchEvaluator(build: CpuKernelBuild): BatchEvaluator {
  const f = gradKernel(build);
  return (requests: EvalRequest[]) => requests.map((r) => f(r.data.shape, r.w, r.data, r.grad));
}

/** Loss and gradient of every job with one kernel build. */
export function gradCpu(jobs: readonly GradJob[], build: CpuKernelBuild): GradResult[] {
  const f = gradKernel(build);
  return jobs.map((j) => {
    const grad = new Float64Array(j.w.length);
    return { loss: f(j.data.shape, j.w, j.data, grad), grad };
  });
}

/** One float64 SCG call for every job (default build: the fastest available). */
export function scgCpu(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  build: CpuKernelBuild = defaultKernelBuild(),
): ScgResult[] {
  return scgSync(jobs, options, batchEvaluator(build));
}

/** The float64 engine's operations, on the calling thread or in a worker. */
export const FLOAT64_OPS: PopulationOps<CpuKernelBuild> = {
  grad: gradCpu,
  forward: (jobs) => jobs.map((j) => forward(j.data.shape, j.w, j.data)),
  scg: scgCpu,
};
