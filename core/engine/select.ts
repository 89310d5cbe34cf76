/**
 * Engine selection for `--engine auto|cpu|webgpu|cpu-f32`. `auto` picks WebGPU only on a hardware
 * adapter: a software adapter (llvmpipe, `isFallbackAdapter`) is slower than the CPU engine.
 * `cpu-f32`, the CPU float32 twin of the WebGPU engine's arithmetic, is a study tool for the
 * float32-versus-float64 comparison and is only ever used when asked for by name.
 *
 * @module
 */
import type { Engine } from "./engine.ts";
import { CpuEngine } from "./cpu/cpu_engine.ts";
import type { KernelBuild, ScgState } from "./cpu/evaluate.ts";

/** Values of `--engine`, in the order help texts and errors list them. */
export const ENGINE_CHOICES = ["auto", "cpu", "webgpu", "cpu-f32"] as const;

/** Values of `--engine`. */
export type EngineChoice = typeof ENGINE_CHOICES[number];

/** The chosen engine and a one-line reason printed by the CLI. */
export interface EngineSelection {
  /** The engine, ready to use. */
  engine: Engine;
  /** Why it was picked. */
  reason: string;
}

/** Options of {@link selectEngine}. */
export interface SelectOptions {
  /** CPU worker count (default: hardware concurrency). */
  workers?: number;
  /** Float64 CPU kernel build (default: WebAssembly SIMD when available); not for cpu-f32. */
  kernel?: Exclude<KernelBuild, "wasm-f32">;
  /**
   * Float32 engines (webgpu, cpu-f32): where SCG's state lives, "device" (default) or "host"
   * (see docs/gpu.md); not for the float64 CPU engine.
   */
  scgState?: ScgState;
}

/** Information about the WebGPU adapter, or null when there is none. */
export interface AdapterProbe {
  /** Adapter description (vendor, architecture, device). */
  description: string;
  /** True for software adapters such as llvmpipe. */
  isFallback: boolean;
}

/** Requests a WebGPU adapter and describes it; null when WebGPU or an adapter is unavailable. */
export async function probeWebGpu(): Promise<AdapterProbe | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return null;
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info;
  const description = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => s && s.length > 0).join(" ") || "unknown adapter";
  const isFallback = Boolean(
    (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  ) || /llvmpipe|swiftshader|software/i.test(description);
  return { description, isFallback };
}

/** Creates the engine named by `choice`. Throws a one-line error when WebGPU is asked for but absent. */
export async function selectEngine(
  choice: EngineChoice,
  options: SelectOptions = {},
): Promise<EngineSelection> {
  const { scgState } = options;
  if (choice === "cpu") {
    // The float64 engine rejects an SCG driver choice itself.
    const engine = new CpuEngine({ workers: options.workers, kernel: options.kernel, scgState });
    return { engine, reason: "requested with --engine cpu" };
  }
  if (choice === "cpu-f32") {
    if (options.kernel !== undefined) {
      throw new Error(
        "--cpu-kernel selects a float64 build and does not apply to --engine cpu-f32",
      );
    }
    const engine = new CpuEngine({ workers: options.workers, kernel: "wasm-f32", scgState });
    return { engine, reason: "requested with --engine cpu-f32" };
  }
  const probe = await probeWebGpu();
  if (choice === "webgpu") {
    if (!probe) throw new Error("--engine webgpu: no WebGPU adapter is available on this machine");
    const engine = await createWebGpuEngine(scgState);
    return { engine, reason: `requested with --engine webgpu (adapter: ${probe.description})` };
  }
  if (probe && !probe.isFallback) {
    const engine = await createWebGpuEngine(scgState);
    return { engine, reason: `auto: hardware WebGPU adapter found (${probe.description})` };
  }
  const engine = new CpuEngine({ workers: options.workers, kernel: options.kernel });
  const why =
    (probe
      ? `auto: only a software WebGPU adapter (${probe.description}), slower than the CPU engine`
      : "auto: no WebGPU adapter") +
    (scgState !== undefined ? " (--scg-state does not apply to the float64 CPU engine)" : "");
  return { engine, reason: why };
}

async function createWebGpuEngine(scgState: ScgState | undefined): Promise<Engine> {
  // Imported lazily so the CPU path never loads tfjs.
  const mod = await import("./webgpu/webgpu_engine.ts");
  return await mod.createWebGpuEngine({ scgState });
}
