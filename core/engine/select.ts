/**
 * From an engine value to a running engine. {@link resolveEngine} turns a request (`auto` or an
 * {@link EngineSpec}) into a spec and a one-line reason: `auto` picks WebGPU only on a hardware
 * adapter, because a software adapter (llvmpipe, `isFallbackAdapter`) is slower than the CPU
 * engine; `cpu-f32`, the CPU float32 twin of the WebGPU engine's arithmetic, is a study tool for
 * the float32-versus-float64 comparison and is only ever used when asked for by name.
 * {@link createEngine} builds the engine of a spec; {@link selectEngine} does both.
 *
 * @module
 */
import { type Engine, EngineUnavailableError } from "./engine.ts";
import { CpuEngine } from "./cpu/cpu_engine.ts";
import { CpuF32Engine } from "./cpu_f32/cpu_f32_engine.ts";
import { cpuSpec, type EngineRequest, type EngineSpec, webGpuSpec } from "./engine_spec.ts";

/** The chosen engine, its spec, and a one-line reason printed by the CLI. */
export interface EngineSelection {
  /** The engine, ready to use. */
  engine: Engine;
  /** The engine value it was built from. */
  spec: EngineSpec;
  /** Why it was picked. */
  reason: string;
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
  // Where the flag lives differs between WebGPU versions (adapter info or adapter), and Deno's
  // types declare neither.
  const flag = (o: object): unknown => Reflect.get(o, "isFallbackAdapter");
  const isFallback = Boolean(flag(info) ?? flag(adapter)) ||
    /llvmpipe|swiftshader|software/i.test(description);
  return { description, isFallback };
}

/**
 * The spec a request resolves to on this machine, and why. Throws
 * {@link EngineUnavailableError} when WebGPU is asked for by name but there is no adapter.
 */
export async function resolveEngine(
  request: EngineRequest,
): Promise<{ spec: EngineSpec; reason: string }> {
  if (request.engine === "cpu" || request.engine === "cpu-f32") {
    return { spec: request, reason: `requested with --engine ${request.engine}` };
  }
  const probe = await probeWebGpu();
  if (request.engine === "webgpu") {
    if (!probe) {
      throw new EngineUnavailableError(
        "--engine webgpu: no WebGPU adapter is available on this machine",
      );
    }
    return {
      spec: request,
      reason: `requested with --engine webgpu (adapter: ${probe.description})`,
    };
  }
  if (probe && !probe.isFallback) {
    return {
      spec: webGpuSpec({ scgState: request.scgState }),
      reason: `auto: hardware WebGPU adapter found (${probe.description})`,
    };
  }
  const reason =
    (probe
      ? `auto: only a software WebGPU adapter (${probe.description}), slower than the CPU engine`
      : "auto: no WebGPU adapter") +
    (request.scgState !== undefined
      ? " (--scg-state does not apply to the float64 CPU engine)"
      : "");
  return { spec: cpuSpec({ kernel: request.kernel, workers: request.workers }), reason };
}

/** Builds the engine of a spec. */
export async function createEngine(spec: EngineSpec): Promise<Engine> {
  switch (spec.engine) {
    case "cpu":
      return new CpuEngine({ workers: spec.workers, kernel: spec.kernel });
    case "cpu-f32":
      return new CpuF32Engine({ workers: spec.workers, scgState: spec.scgState });
    case "webgpu": {
      // Imported lazily so the CPU path never loads tfjs.
      const mod = await import("./webgpu/webgpu_engine.ts");
      return await mod.createWebGpuEngine({ scgState: spec.scgState });
    }
  }
}

/** Resolves a request and builds its engine. */
export async function selectEngine(request: EngineRequest): Promise<EngineSelection> {
  const { spec, reason } = await resolveEngine(request);
  return { engine: await createEngine(spec), spec, reason };
}
