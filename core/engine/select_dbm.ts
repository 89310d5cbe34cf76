/**
 * The DBM kernels ({@link DbmKernels}) of an engine name. The figure CLI resolves `--engine`
 * (`auto` picks WebGPU only on a hardware adapter, never llvmpipe: core/engine/select.ts) and the
 * DBM experiments build the kernels of the engine it chose: WebGPU's own WGSL kernels, or the CPU's
 * float32 WebAssembly kernels for `cpu`. The CPU float32 twin of the RNN engine (`cpu-f32`) has no
 * DBM counterpart, because the CPU DBM kernels are float32 already.
 *
 * @module
 */
import type { DbmKernels } from "./dbm.ts";
import type { EngineName } from "./engine.ts";
import { EngineUnavailableError } from "./engine.ts";
import { CpuDbmKernels } from "./cpu/dbm_kernels.ts";

/** Engines that have DBM kernels. */
export type DbmEngineName = "cpu" | "webgpu";

/** Whether an engine name has DBM kernels. */
export function isDbmEngine(name: EngineName): name is DbmEngineName {
  return name === "cpu" || name === "webgpu";
}

/**
 * Builds the DBM kernels of an engine. Throws {@link EngineUnavailableError} when WebGPU has no
 * adapter here, or for an engine without DBM kernels.
 */
export async function createDbmKernels(name: EngineName): Promise<DbmKernels> {
  if (!isDbmEngine(name)) {
    throw new EngineUnavailableError(`the ${name} engine has no DBM kernels (use cpu or webgpu)`);
  }
  if (name === "cpu") return new CpuDbmKernels();
  // Imported lazily so the CPU path never sets up a GPU device.
  const mod = await import("./webgpu/dbm_kernels.ts");
  try {
    return await mod.createWebGpuDbmKernels();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EngineUnavailableError(`WebGPU DBM kernels: ${why}`);
  }
}
