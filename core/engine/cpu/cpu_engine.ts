/**
 * The float64 CPU engine: the kernels of one build (`kernel_builds.ts`) plus population SCG,
 * spread over Deno Workers (one per core) when the population is large enough
 * (`core/engine/worker_pool.ts`). Networks are independent, so the result of every network is
 * bit-for-bit the same whatever the number of workers or the chunking.
 *
 * @module
 */
import type { Engine } from "../engine.ts";
import { arithmeticId, kernelDescription } from "../engine_spec.ts";
import { PooledEngine, type PoolOptions } from "../worker_pool.ts";
import { FLOAT64_OPS } from "./evaluate.ts";
import { type CpuKernelBuild, defaultKernelBuild } from "./kernel_builds.ts";

/** Options of {@link CpuEngine}. */
export interface CpuEngineOptions extends PoolOptions {
  /** Kernel build (default: the fastest this runtime runs). */
  kernel?: CpuKernelBuild;
}

/** The float64 CPU engine. */
export class CpuEngine extends PooledEngine<CpuKernelBuild> implements Engine {
  /** Engine id. */
  readonly name = "cpu" as const;
  /** Arithmetic of the gradient kernels. */
  readonly precision = "float64" as const;
  /** Engine and kernel build, e.g. "cpu-wasm" or "cpu-js". */
  readonly arithmetic: string;
  /** Kernel build in use. */
  readonly kernel: CpuKernelBuild;

  /** Creates the engine; workers start lazily on first parallel use. */
  constructor(options: CpuEngineOptions = {}) {
    const kernel = options.kernel ?? defaultKernelBuild();
    super({
      ops: FLOAT64_OPS,
      arithmetic: kernel,
      workerUrl: new URL("./cpu_worker.ts", import.meta.url),
    }, options);
    this.kernel = kernel;
    this.arithmetic = arithmeticId({ engine: "cpu", kernel });
  }

  /** Description for run records. */
  get description(): string {
    return `CPU float64, ${kernelDescription(this.kernel)} kernels, ${this.threads}`;
  }
}
