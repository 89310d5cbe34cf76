/**
 * The float64 CPU engine: reference kernels plus population SCG, spread over Deno Workers (one per
 * core) when the population is large enough. Networks are independent, so the result of every
 * network is bit-for-bit the same whatever the number of workers or the chunking.
 *
 * With `kernel: "wasm-f32"` the same engine is "cpu-f32", the CPU float32 twin of the WebGPU
 * engine's arithmetic (core/engine/cpu_f32/wasm_f32_kernels.ts): float32 loss and gradient kernels, SCG with
 * finite-difference curvature, loss changes by difference propagation and the float32 stall guard,
 * as the WebGPU engine runs SCG: by default as on the device (core/engine/cpu_f32/scg_twin.ts),
 * with `scgState: "host"` as its host driver. Its forward() stays float64 (analyses use the
 * float64 kernels).
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
import { forward } from "../../rnn/kernels.ts";
import {
  defaultKernelBuild,
  gradKernel,
  type KernelBuild,
  scgCpu,
  type ScgState,
} from "./evaluate.ts";
import type { WorkerRequest } from "./cpu_worker.ts";

/** Options of {@link CpuEngine}. */
export interface CpuEngineOptions {
  /** Worker count; default `navigator.hardwareConcurrency`; 0 or 1 = run on the calling thread. */
  workers?: number;
  /** Smallest population that is worth spreading over workers (default 2). */
  minParallel?: number;
  /**
   * Kernel build: "wasm" (WebAssembly SIMD, default when available) or "js" (reference), both
   * float64; "wasm-f32" makes the engine "cpu-f32", the float32 twin of the WebGPU engine.
   */
  kernel?: KernelBuild;
  /**
   * Twin only: which of the WebGPU engine's SCG drivers to mirror, "device" (its default,
   * double-float weights and float32 scalars) or "host" (float64 weights and scalars).
   */
  scgState?: ScgState;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** CPU engine: float64, or the float32 twin of the WebGPU engine ("cpu-f32"). */
export class CpuEngine implements Engine {
  /** Engine id ("cpu-f32" for the float32 twin: trained networks are cached per engine id). */
  readonly name: "cpu" | "cpu-f32";
  /** Arithmetic of the gradient kernels. */
  readonly precision: "float64" | "float32";
  /**
   * Engine, kernel build and (twin) SCG driver: "cpu-wasm", "cpu-js", "cpu-f32-scgdev-wasm" or
   * "cpu-f32-wasm".
   */
  readonly arithmetic: string;
  /** Number of workers used for large populations. */
  readonly workerCount: number;
  /** Kernel build in use. */
  readonly kernel: KernelBuild;
  /** Twin only: the WebGPU SCG driver mirrored. */
  readonly scgState: ScgState;
  #minParallel: number;
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Creates the engine; workers start lazily on first parallel use. */
  constructor(options: CpuEngineOptions = {}) {
    const hw = (globalThis.navigator as { hardwareConcurrency?: number })?.hardwareConcurrency ?? 1;
    this.workerCount = Math.max(0, Math.floor(options.workers ?? hw));
    this.#minParallel = options.minParallel ?? 2;
    this.kernel = options.kernel ?? defaultKernelBuild();
    const twin = this.kernel === "wasm-f32";
    this.name = twin ? "cpu-f32" : "cpu";
    this.precision = twin ? "float32" : "float64";
    this.scgState = options.scgState ?? "device";
    if (!twin && options.scgState !== undefined) {
      throw new Error("scgState chooses the float32 twin's SCG driver; it needs kernel wasm-f32");
    }
    // As the WebGPU engine's ids: the two drivers' trained networks are cached apart.
    this.arithmetic = !twin
      ? `cpu-${this.kernel}`
      : this.scgState === "device"
      ? "cpu-f32-scgdev-wasm"
      : "cpu-f32-wasm";
  }

  /** Description for run records. */
  get description(): string {
    const threads = this.workerCount > 1 ? `${this.workerCount} workers` : "1 thread";
    if (this.kernel === "wasm-f32") {
      const scg = this.scgState === "device"
        ? "SCG as on the device (double-float weights and loss, float32 scalars)"
        : "SCG scalars float64 as on the host";
      return `CPU float32 twin of the WebGPU engine's arithmetic (WebAssembly), ${threads}; ` +
        `${scg}, curvature finite difference, loss changes by difference propagation`;
    }
    return `CPU float64, ${
      this.kernel === "wasm" ? "WebAssembly SIMD" : "TypeScript"
    } kernels, ${threads}`;
  }

  /** Loss and gradient for every job. */
  async lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
    if (!this.#parallel(jobs.length)) {
      const f = gradKernel(this.kernel);
      return jobs.map((j) => {
        const grad = new Float64Array(j.w.length);
        return { loss: f(j.data.shape, j.w, j.data, grad), grad };
      });
    }
    return await this.#spread<GradJob, GradResult>(
      jobs,
      (id, chunk) => ({ id, op: "grad", jobs: chunk, build: this.kernel }),
    );
  }

  /** Forward trajectories for every job. */
  async forward(jobs: readonly GradJob[]): Promise<ForwardResult[]> {
    if (!this.#parallel(jobs.length)) return jobs.map((j) => forward(j.data.shape, j.w, j.data));
    return await this.#spread<GradJob, ForwardResult>(
      jobs,
      (id, chunk) => ({ id, op: "forward", jobs: chunk }),
    );
  }

  /** One SCG call for every job. */
  async scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]> {
    const arithmetic = { build: this.kernel, scgState: this.scgState };
    if (!this.#parallel(jobs.length)) return scgCpu(jobs, options, arithmetic);
    return await this.#spread<ScgJob, ScgResult>(
      jobs,
      (id, chunk) => ({ id, op: "scg", jobs: chunk, options, arithmetic }),
    );
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    for (const p of this.#pending.values()) p.reject(new Error("engine closed"));
    this.#pending.clear();
    return Promise.resolve();
  }

  #parallel(n: number): boolean {
    return this.workerCount > 1 && n >= this.#minParallel;
  }

  #ensureWorkers(): void {
    while (this.#workers.length < this.workerCount) {
      const worker = new Worker(new URL("./cpu_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (
        ev: MessageEvent<{ id: number; ok: boolean; result?: unknown; error?: string }>,
      ) => {
        const p = this.#pending.get(ev.data.id);
        if (!p) return;
        this.#pending.delete(ev.data.id);
        if (ev.data.ok) p.resolve(ev.data.result);
        else p.reject(new Error(ev.data.error ?? "worker failed"));
      };
      worker.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        for (const p of this.#pending.values()) {
          p.reject(new Error(`CPU worker crashed: ${ev.message}`));
        }
        this.#pending.clear();
      };
      this.#workers.push(worker);
    }
  }

  /** Splits jobs into chunks handed out to idle workers (dynamic scheduling keeps cores busy). */
  async #spread<J, R>(
    jobs: readonly J[],
    make: (id: number, chunk: J[]) => WorkerRequest,
  ): Promise<R[]> {
    this.#ensureWorkers();
    const W = this.#workers.length;
    const chunkSize = Math.max(1, Math.ceil(jobs.length / (W * 4)));
    const chunks: { start: number; jobs: J[] }[] = [];
    for (let s = 0; s < jobs.length; s += chunkSize) {
      chunks.push({ start: s, jobs: jobs.slice(s, s + chunkSize) });
    }
    const out = new Array<R>(jobs.length);
    let next = 0;
    const runOn = async (worker: Worker): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        const id = this.#nextId++;
        const result = await new Promise<unknown>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          worker.postMessage(make(id, chunk.jobs));
        });
        (result as R[]).forEach((r, i) => (out[chunk.start + i] = r));
      }
    };
    await Promise.all(this.#workers.map(runOn));
    return out;
  }
}
