/**
 * The WebGPU engine: float32 fused RNN kernels (forward, BPTT, optional exact Hessian-vector
 * products) on the GPUDevice of TensorFlow.js's webgpu backend over Deno's `navigator.gpu`. SCG
 * runs on the device (`device_scg.ts`: state in device buffers, double-float weights and loss, no
 * read-back within a step) unless the options or the device's compiler rule it out; then it runs
 * on the host (`core/rnn/scg.ts`, float64 weights and scalars, up to three read-backs per step).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import {
  type Engine,
  EngineUnavailableError,
  type ForwardResult,
  type GradJob,
  type GradResult,
  type ScgJob,
  type ScgOptions,
  type ScgResult,
  type SequenceSet,
} from "../engine.ts";
import { paramLayout } from "../../rnn/network.ts";
import type { ScgState } from "../engine_spec.ts";
import { dimsKey, GpuRunner } from "./gpu_runner.ts";
import { type Curvature, FLOAT32_STALL_LIMIT, scgAsync } from "../../rnn/scg.ts";
import { deviceScg, df32Exact } from "./device_scg.ts";

/** Options of {@link createWebGpuEngine}. */
export interface WebGpuEngineOptions {
  /**
   * SCG curvature: "fd" (default) is the spec's finite difference of two float32 gradients, with
   * every SCG scalar in float64 on the host; "exact" uses exact Hessian-vector products. In the
   * precision study (docs/benchmarks.md) "fd" tracked the float64 engine and "exact" did not.
   */
  curvature?: Curvature;
  /**
   * Compute each SCG step's loss change directly by difference propagation (default true);
   * false compares two float32 losses, which stalls near convergence (docs/benchmarks.md).
   */
  lossDifference?: boolean;
  /** Upper bound on networks per dispatch (default: what the device's buffer limits allow). */
  maxBatch?: number;
  /**
   * Where SCG's state lives: "device" (default) keeps weights, directions and scalars on the GPU
   * (double-float weights and loss, `device_scg.ts`) and reads back only after each submit of
   * several steps; "host" keeps them in float64 on the host, with read-backs in every step. "device" needs
   * the default curvature and loss changes, and a shader compiler that keeps double-float sums
   * exact (checked once); otherwise the engine uses "host" and says so in its description.
   */
  scgState?: ScgState;
  /**
   * Device SCG: fixed steps per submit (each submit ends with a look at which networks are done
   * and at the stop flag). Default: paced by time, about 0.3 s of device work per submit, 1 to
   * 25 steps (`device_scg.ts`); the pacing changes no result.
   */
  checkEvery?: number;
}

function groupByDims<T extends { data: SequenceSet }>(jobs: readonly T[]): number[][] {
  const groups = new Map<string, number[]>();
  jobs.forEach((job, i) => {
    const key = dimsKey({ shape: job.data.shape, s: job.data.s, t: job.data.t });
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

function toF32(ws: readonly Float64Array[], k: number): Float32Array {
  const out = new Float32Array(ws.length * k);
  ws.forEach((w, i) => out.set(w, i * k));
  return out;
}

function chunks(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < n; a += size) out.push([a, Math.min(n, a + size)]);
  return out;
}

/** The float32 stall guard (core/rnn/scg.ts). */
const STALL_LIMIT = FLOAT32_STALL_LIMIT;

class WebGpuEngine implements Engine {
  readonly name = "webgpu" as const;
  readonly precision = "float32" as const;
  /** "webgpu-f32-scgdev" with SCG on the device, "webgpu-f32" with SCG on the host. */
  readonly arithmetic: string;
  readonly description: string;
  readonly #runner: GpuRunner;
  readonly #curvature: Curvature;
  readonly #maxBatch: number;
  readonly #lossDifference: boolean;
  readonly #deviceState: boolean;
  readonly #checkEvery: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(runner: GpuRunner, description: string, options: WebGpuEngineOptions) {
    this.#runner = runner;
    this.description = description;
    this.#curvature = options.curvature ?? "fd";
    this.#maxBatch = options.maxBatch ?? Infinity;
    this.#lossDifference = options.lossDifference ?? true;
    this.#deviceState = deviceStateUsable(options);
    // The two SCG drivers round differently, so their trained networks are cached apart.
    this.arithmetic = this.#deviceState ? "webgpu-f32-scgdev" : "webgpu-f32";
    this.#checkEvery = options.checkEvery;
  }

  /** Engine calls share device buffers, so they run one after another. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("webgpu engine is closed"));
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #batch(sets: readonly SequenceSet[]): number {
    const first = sets[0];
    const dims = { shape: first.shape, s: first.s, t: first.t };
    return Math.max(1, Math.min(this.#maxBatch, this.#runner.maxBatch(dims)));
  }

  /** Loss/gradient (and H v) of networks `ids` of a same-dims group, chunked to device limits. */
  async #evalGroup(
    sets: readonly SequenceSet[],
    w: readonly Float64Array[],
    v: readonly Float64Array[] | null,
  ): Promise<{ loss: Float64Array; grad: Float64Array[]; hv: Float64Array[] }> {
    const K = paramLayout(sets[0].shape).size;
    const loss = new Float64Array(sets.length);
    const grad: Float64Array[] = [];
    const hv: Float64Array[] = [];
    for (const [a, b] of chunks(sets.length, this.#batch(sets))) {
      const up = this.#runner.upload(sets.slice(a, b));
      const slots = Uint32Array.from({ length: b - a }, (_, i) => i);
      const r = await this.#runner.evaluate(up, toF32(w.slice(a, b), K), {
        slots,
        v: v ? toF32(v.slice(a, b), K) : undefined,
      });
      loss.set(r.loss, a);
      for (let i = 0; i < b - a; i++) {
        grad.push(Float64Array.from(r.grad.subarray(i * K, (i + 1) * K)));
        if (r.hv) hv.push(Float64Array.from(r.hv.subarray(i * K, (i + 1) * K)));
      }
    }
    return { loss, grad, hv };
  }

  lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
    return this.#serial(async () => {
      const out: GradResult[] = new Array(jobs.length);
      for (const idx of groupByDims(jobs)) {
        const r = await this.#evalGroup(
          idx.map((i) => jobs[i].data),
          idx.map((i) => jobs[i].w),
          null,
        );
        idx.forEach((i, n) => out[i] = { loss: r.loss[n], grad: r.grad[n] });
      }
      return out;
    });
  }

  forward(jobs: readonly GradJob[]): Promise<ForwardResult[]> {
    return this.#serial(async () => {
      const out: ForwardResult[] = new Array(jobs.length);
      for (const idx of groupByDims(jobs)) {
        const sets = idx.map((i) => jobs[i].data);
        const { shape, s, t } = sets[0];
        const K = paramLayout(shape).size;
        const xLen = t * shape.n * s;
        const yLen = t * shape.no * s;
        for (const [a, b] of chunks(idx.length, this.#batch(sets))) {
          const up = this.#runner.upload(sets.slice(a, b));
          const slots = Uint32Array.from({ length: b - a }, (_, i) => i);
          const w = toF32(idx.slice(a, b).map((i) => jobs[i].w), K);
          const r = await this.#runner.forward(up, w, slots);
          for (let n = 0; n < b - a; n++) {
            out[idx[a + n]] = {
              x: Float64Array.from(r.x.subarray(n * xLen, (n + 1) * xLen)),
              y: Float64Array.from(r.y.subarray(n * yLen, (n + 1) * yLen)),
            };
          }
        }
      }
      return out;
    });
  }

  scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]> {
    return this.#serial(async () => {
      const out: ScgResult[] = new Array(jobs.length);
      for (const idx of groupByDims(jobs)) {
        const sets = idx.map((i) => jobs[i].data);
        const K = paramLayout(sets[0].shape).size;
        const batch = this.#batch(sets);
        // Populations larger than one dispatch run as independent SCG calls per chunk.
        for (const [a, b] of chunks(idx.length, batch)) {
          const ids = idx.slice(a, b);
          const up = this.#runner.upload(sets.slice(a, b));
          const runner = this.#runner;
          if (this.#deviceState) {
            const results = await deviceScg(runner, ids.map((i) => jobs[i]), {
              ...options,
              data: up,
              stallLimit: STALL_LIMIT,
              checkEvery: this.#checkEvery,
            });
            ids.forEach((i, n) => out[i] = results[n]);
            continue;
          }
          const evaluate = async (
            local: readonly number[],
            w: readonly Float64Array[],
            v: readonly Float64Array[] | null,
          ) => {
            const r = await runner.evaluate(up, toF32(w, K), {
              slots: Uint32Array.from(local),
              v: v ? toF32(v, K) : undefined,
            });
            const split = (x: Float32Array): Float64Array[] =>
              local.map((_, n) => Float64Array.from(x.subarray(n * K, (n + 1) * K)));
            return { loss: r.loss, grad: split(r.grad), hv: r.hv ? split(r.hv) : [] };
          };
          const res = await scgAsync(
            ids.map((i) => jobs[i]),
            { ...options, curvature: this.#curvature, stallLimit: STALL_LIMIT },
            {
              grad: (local, w) => evaluate(local, w, null),
              hv: async (local, w, v) => (await evaluate(local, w, v)).hv,
              lossDiff: this.#lossDifference
                ? (local, w, dw) =>
                  runner.lossDiff(up, toF32(w, K), {
                    slots: Uint32Array.from(local),
                    dw: toF32(dw, K),
                  })
                : undefined,
            },
          );
          ids.forEach((i, n) => out[i] = res[n]);
        }
      }
      return out;
    });
  }

  close(): Promise<void> {
    return this.#serial(() => {
      this.#closed = true;
      this.#runner.destroy();
      return Promise.resolve();
    });
  }
}

/** Whether the options allow SCG on the device (its kernels implement only the defaults). */
function deviceStateUsable(options: WebGpuEngineOptions): boolean {
  return (options.scgState ?? "device") === "device" && (options.curvature ?? "fd") === "fd" &&
    options.lossDifference !== false;
}

/** Initialises tfjs's webgpu backend (once per process) and returns its device. */
async function backendDevice(): Promise<{ device: GPUDevice; info: string }> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) {
    throw new EngineUnavailableError(
      "webgpu: navigator.gpu is not available (run Deno with --unstable-webgpu)",
    );
  }
  if (tf.getBackend() !== "webgpu") {
    const ok = await tf.setBackend("webgpu");
    if (!ok) {
      throw new EngineUnavailableError("webgpu: no WebGPU adapter is available on this machine");
    }
    await tf.ready();
  }
  const backend = tf.backend();
  if (!(backend instanceof WebGPUBackend)) {
    throw new EngineUnavailableError("webgpu: tfjs did not start its webgpu backend");
  }
  // tfjs keeps the adapter's vendor and architecture in private fields of its AdapterInfo.
  const a: object = backend.adapterInfo ?? {};
  const info = ["vendor", "architecture", "description"].map((k) => Reflect.get(a, k))
    .filter((x) => typeof x === "string" && x).join(" ") || "unknown adapter";
  return { device: backend.device, info };
}

/** Creates the WebGPU engine (name "webgpu", precision "float32"). */
export async function createWebGpuEngine(options: WebGpuEngineOptions = {}): Promise<Engine> {
  const { device, info } = await backendDevice();
  const runner = new GpuRunner(device);
  const curvature = options.curvature ?? "fd";
  let state = "SCG scalars float64 on the host";
  if (deviceStateUsable(options)) {
    if (await df32Exact(runner)) {
      state = "SCG state on the device (double-float weights and loss)";
    } else {
      // Never silently different arithmetic: fall back to the host driver and say so.
      options = { ...options, scgState: "host" };
      state = "SCG scalars float64 on the host (this device's compiler breaks double-float sums)";
    }
  }
  const description = `webgpu float32 fused kernels on ${info}; ${state}, ` +
    `curvature ${curvature === "exact" ? "exact Hessian-vector products" : "finite difference"}, ` +
    `loss changes ${
      options.lossDifference === false ? "as loss differences" : "by difference propagation"
    }`;
  return new WebGpuEngine(runner, description, options);
}
