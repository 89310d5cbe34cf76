/**
 * Worker side of the CPU engine: runs the kernels of its build (float64, or the float32 twin) and
 * SCG for a chunk of the population.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { GradJob, ScgJob, ScgOptions } from "../engine.ts";
import { forward } from "../../rnn/kernels.ts";
import { type CpuArithmetic, gradKernel, type KernelBuild, scgCpu } from "./evaluate.ts";

/** Messages accepted by the worker. */
export type WorkerRequest =
  | { id: number; op: "scg"; jobs: ScgJob[]; options: ScgOptions; arithmetic: CpuArithmetic }
  | { id: number; op: "grad"; jobs: GradJob[]; build: KernelBuild }
  | { id: number; op: "forward"; jobs: GradJob[] };

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const msg = ev.data;
  try {
    let result: unknown;
    if (msg.op === "scg") {
      result = scgCpu(msg.jobs, msg.options, msg.arithmetic);
    } else if (msg.op === "grad") {
      const f = gradKernel(msg.build);
      result = msg.jobs.map((j) => {
        const grad = new Float64Array(j.w.length);
        const loss = f(j.data.shape, j.w, j.data, grad);
        return { loss, grad };
      });
    } else {
      result = msg.jobs.map((j) => forward(j.data.shape, j.w, j.data));
    }
    self.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    self.postMessage({
      id: msg.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    });
  }
};
