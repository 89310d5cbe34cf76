/**
 * Engine "cpu-f32", the CPU float32 twin of the WebGPU engine's arithmetic
 * (`wasm_f32_kernels.ts`): float32 loss and gradient kernels, SCG with finite-difference
 * curvature, loss changes by difference propagation and the float32 stall guard, as the WebGPU
 * engine runs SCG: by default as on the device (`scg_twin.ts`), with `scgState: "host"` as its
 * host driver. Its forward() stays float64 (analyses use the float64 kernels). Spread over Deno
 * Workers like the float64 engine, with the same bit-for-bit independence of the worker count.
 *
 * @module
 */
import type { Engine } from "../engine.ts";
import { arithmeticId, type ScgState } from "../engine_spec.ts";
import { PooledEngine, type PoolOptions } from "../worker_pool.ts";
import { FLOAT32_TWIN_OPS } from "./evaluate.ts";

/** Options of {@link CpuF32Engine}. */
export interface CpuF32EngineOptions extends PoolOptions {
  /**
   * Which of the WebGPU engine's SCG drivers to mirror, "device" (its default, double-float
   * weights and float32 scalars) or "host" (float64 weights and scalars).
   */
  scgState?: ScgState;
}

/** The CPU float32 twin of the WebGPU engine. */
export class CpuF32Engine extends PooledEngine<ScgState> implements Engine {
  /** Engine id (trained networks are cached per arithmetic). */
  readonly name = "cpu-f32" as const;
  /** Arithmetic of the gradient kernels (its forward passes stay float64). */
  readonly precision = "float32" as const;
  /** "cpu-f32-scgdev-wasm" (device driver) or "cpu-f32-wasm" (host driver). */
  readonly arithmetic: string;
  /** The WebGPU SCG driver mirrored. */
  readonly scgState: ScgState;

  /** Creates the engine; workers start lazily on first parallel use. */
  constructor(options: CpuF32EngineOptions = {}) {
    const scgState = options.scgState ?? "device";
    super({
      ops: FLOAT32_TWIN_OPS,
      arithmetic: scgState,
      workerUrl: new URL("./cpu_f32_worker.ts", import.meta.url),
    }, options);
    this.scgState = scgState;
    this.arithmetic = arithmeticId({ engine: "cpu-f32", scgState });
  }

  /** Description for run records. */
  get description(): string {
    const scg = this.scgState === "device"
      ? "SCG as on the device (double-float weights and loss, float32 scalars)"
      : "SCG scalars float64 as on the host";
    return `CPU float32 twin of the WebGPU engine's arithmetic (WebAssembly), ` +
      `${this.threads}; ${scg}, curvature finite difference, loss changes by difference ` +
      `propagation`;
  }
}
