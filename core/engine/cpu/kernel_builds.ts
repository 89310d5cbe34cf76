/**
 * The float64 kernel builds of the CPU engine, one entry each. This table is where a build is
 * registered: `--cpu-kernel`, the engine value (`core/engine/engine_spec.ts`), the arithmetic id,
 * the engine description, the workers and the bench all read the build names from here. The
 * default is the first entry this runtime can run, so a faster build goes before the slower ones.
 *
 * Every build computes the same spec 5.1-5.2 loss and exact gradient; builds differ only in the
 * rounding of sums, so a run reproduces bit for bit within one build (its arithmetic id).
 *
 * @module
 */
import type { SequenceSet } from "../engine.ts";
import type { RnnShape } from "../../rnn/network.ts";
import { lossAndGrad } from "../../rnn/kernels.ts";
import { lossAndGradWasm, wasmKernelsAvailable } from "./wasm_kernels.ts";

/** Loss and gradient of one network on one sequence set: writes `grad`, returns the loss. */
export type GradKernel = (
  shape: RnnShape,
  w: Float64Array,
  data: SequenceSet,
  grad: Float64Array,
) => number;

/** One float64 kernel build. */
export interface KernelBuildEntry {
  /** How the engine description names the kernels, e.g. "WebAssembly SIMD". */
  readonly description: string;
  /** Whether this runtime can run the build. */
  readonly available: () => boolean;
  /** The loss-and-gradient kernel. */
  readonly lossAndGrad: GradKernel;
}

/** The float64 kernel builds, fastest first. */
export const CPU_KERNEL_BUILDS = {
  wasm: {
    description: "WebAssembly SIMD",
    available: wasmKernelsAvailable,
    lossAndGrad: lossAndGradWasm,
  },
  js: { description: "TypeScript", available: (): boolean => true, lossAndGrad },
} as const satisfies Record<string, KernelBuildEntry>;

/** A float64 kernel build name ("wasm", "js", ...). */
export type CpuKernelBuild = keyof typeof CPU_KERNEL_BUILDS;

/** The build names, fastest first. */
export const CPU_KERNEL_BUILD_NAMES: readonly CpuKernelBuild[] = Object.freeze(
  Object.keys(CPU_KERNEL_BUILDS) as CpuKernelBuild[],
);

/** The fastest build this runtime can run. */
export function defaultKernelBuild(): CpuKernelBuild {
  return CPU_KERNEL_BUILD_NAMES.find((b) => CPU_KERNEL_BUILDS[b].available()) ?? "js";
}

/** The loss-and-gradient kernel of a build. */
export function gradKernel(build: CpuKernelBuild): GradKernel {
  return CPU_KERNEL_BUILDS[build].lossAndGrad;
}
