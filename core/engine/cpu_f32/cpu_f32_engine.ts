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
import type {
  Engine,
  ForwardResult,
  GradJob,
  GradResult,
  ScgJob,
  ScgOptions,
  ScgResult,
} from "../engine.ts";
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
export class CpuF32Engine implements Engine {
  /** Engine id (trained networks are cached per arithmetic). */
  readonly name = "cpu-f32" as const;
  /** Arithmetic of the gradient kernels. */
  readonly precision = "float32" as const;
  /** "cpu-f32-scgdev-wasm" (device driver) or "cpu-f32-wasm" (host driver). */
  readonly arithmetic: string;
  /** The WebGPU SCG driver mirrored. */
  readonly scgState: ScgState;
  readonly #pool: PooledEngine<ScgState>;

  /** Creates the engine; workers start lazily on first parallel use. */
  constructor(options: CpuF32EngineOptions = {}) {
    this.scgState = options.scgState ?? "device";
    this.arithmetic = arithmeticId({ engine: "cpu-f32", scgState: this.scgState });
    this.#pool = new PooledEngine({
      ops: FLOAT32_TWIN_OPS,
      arithmetic: this.scgState,
      workerUrl: new URL("./cpu_f32_worker.ts", import.meta.url),
    }, options);
  }

  /** Number of workers used for large populations. */
  get workerCount(): number {
    return this.#pool.workerCount;
  }

  /** Description for run records. */
  get description(): string {
    const scg = this.scgState === "device"
      ? "SCG as on the device (double-float weights and loss, float32 scalars)"
      : "SCG scalars float64 as on the host";
    return `CPU float32 twin of the WebGPU engine's arithmetic (WebAssembly), ` +
      `${this.#pool.threads}; ${scg}, curvature finite difference, loss changes by difference ` +
      `propagation`;
  }

  /** Float32 loss and gradient for every job. */
  lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
    return this.#pool.lossAndGrad(jobs);
  }

  /** Float64 forward trajectories for every job. */
  forward(jobs: readonly GradJob[]): Promise<ForwardResult[]> {
    return this.#pool.forward(jobs);
  }

  /** One SCG call for every job. */
  scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]> {
    return this.#pool.scg(jobs, options);
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
