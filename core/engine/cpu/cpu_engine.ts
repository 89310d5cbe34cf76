/**
 * The float64 CPU engine: the kernels of one build (`kernel_builds.ts`) plus population SCG,
 * spread over Deno Workers (one per core) when the population is large enough. Networks are
 * independent, so the result of every network is bit-for-bit the same whatever the number of
 * workers or the chunking.
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
export class CpuEngine implements Engine {
  /** Engine id. */
  readonly name = "cpu" as const;
  /** Arithmetic of the gradient kernels. */
  readonly precision = "float64" as const;
  /** Engine and kernel build, e.g. "cpu-wasm" or "cpu-js". */
  readonly arithmetic: string;
  /** Kernel build in use. */
  readonly kernel: CpuKernelBuild;
  readonly #pool: PooledEngine<CpuKernelBuild>;

  /** Creates the engine; workers start lazily on first parallel use. */
  constructor(options: CpuEngineOptions = {}) {
    this.kernel = options.kernel ?? defaultKernelBuild();
    this.arithmetic = arithmeticId({ engine: "cpu", kernel: this.kernel });
    this.#pool = new PooledEngine({
      ops: FLOAT64_OPS,
      arithmetic: this.kernel,
      workerUrl: new URL("./cpu_worker.ts", import.meta.url),
    }, options);
  }

  /** Number of workers used for large populations. */
  get workerCount(): number {
    return this.#pool.workerCount;
  }

  /** Description for run records. */
  get description(): string {
    return `CPU float64, ${kernelDescription(this.kernel)} kernels, ${this.#pool.threads}`;
  }

  /** Loss and gradient for every job. */
  lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
    return this.#pool.lossAndGrad(jobs);
  }

  /** Forward trajectories for every job. */
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
