/**
 * Multi-threaded CPU sampler: the Gibbs chunks of {@link gibbsChunks} are spread over Deno
 * Workers (one per core by default). Chunk k always uses stream deriveSeed(seed, k), so results
 * are bit-identical to {@link CpuBmSampler}. Exact sampling stays in the calling thread (it costs
 * well under a second).
 *
 * @module
 */
import { deriveSeed } from "../util/rng.ts";
import type { Rbm } from "./rbm.ts";
import {
  type BmSampler,
  CpuBmSampler,
  gibbsChunks,
  type RbmSamples,
  type SampleOptions,
} from "./sampler.ts";

/** Message to a sampling worker. */
export interface GibbsJob {
  /** Job id. */
  id: number;
  /** Model parameters. */
  nv: number;
  /** Hidden width. */
  nh: number;
  /** Weights. */
  w: Float64Array;
  /** Visible biases. */
  bv: Float64Array;
  /** Hidden biases. */
  bh: Float64Array;
  /** Chains in this chunk. */
  count: number;
  /** Sweeps. */
  sweeps: number;
  /** Chunk seed. */
  seed: number;
}

/** Reply of a sampling worker. */
export interface GibbsReply {
  /** Job id. */
  id: number;
  /** Visible states. */
  v: Uint8Array;
  /** Hidden states. */
  h: Uint8Array;
}

/** Gibbs sampler over a pool of Workers. */
export class WorkerBmSampler implements BmSampler {
  /** Engine name. */
  readonly name: string;
  #workers: Worker[];
  #local = new CpuBmSampler();
  #next = 0;

  /** Starts `threads` workers. */
  constructor(threads: number) {
    this.name = `cpu-workers(${threads})`;
    this.#workers = Array.from(
      { length: threads },
      () => new Worker(new URL("./gibbs_worker.ts", import.meta.url).href, { type: "module" }),
    );
  }

  /** Draws samples; Gibbs chunks run in parallel. */
  async sample(model: Rbm, options: SampleOptions): Promise<RbmSamples> {
    if (options.method === "exact" || this.#workers.length === 0) {
      return await this.#local.sample(model, options);
    }
    const { n, sweeps, seed } = options;
    const v = new Uint8Array(n * model.nv);
    const h = new Uint8Array(n * model.nh);
    const chunks = gibbsChunks(n);
    let cursor = 0;
    const runWorker = async (worker: Worker): Promise<void> => {
      while (cursor < chunks.length) {
        if (options.signal?.aborted) throw new Error("interrupted");
        const k = cursor++;
        const c = chunks[k];
        const reply = await this.#call(worker, {
          id: this.#next++,
          nv: model.nv,
          nh: model.nh,
          w: model.w,
          bv: model.bv,
          bh: model.bh,
          count: c.count,
          sweeps,
          seed: deriveSeed(seed, k),
        });
        v.set(reply.v, c.start * model.nv);
        h.set(reply.h, c.start * model.nh);
      }
    };
    await Promise.all(this.#workers.map(runWorker));
    return { n, nv: model.nv, nh: model.nh, v, h };
  }

  #call(worker: Worker, job: GibbsJob): Promise<GibbsReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (e: MessageEvent<GibbsReply>): void => {
        if (e.data.id !== job.id) return;
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        resolve(e.data);
      };
      const onError = (e: ErrorEvent): void => {
        e.preventDefault();
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        reject(new Error(`sampling worker failed: ${e.message}`));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      worker.postMessage(job);
    });
  }

  /** Terminates the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}
