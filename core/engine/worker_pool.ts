/**
 * What the CPU engines share: a population's networks are independent, so an engine that runs
 * its kernels on the calling thread can spread a large population over Deno Workers (one per
 * core) and get, network by network, the same bits whatever the number of workers or the
 * chunking. {@link PooledEngine} does that for any arithmetic `A` (a float64 kernel build, the
 * float32 twin's SCG driver); each engine folder supplies its {@link PopulationOps} and a worker
 * module that calls {@link serveOps} with the same ops.
 *
 * @module
 */
import {
  type ForwardResult,
  type GradJob,
  type GradResult,
  type ScgJob,
  type ScgOptions,
  type ScgResult,
  ScgStoppedError,
  stopRequested,
} from "./engine.ts";

/**
 * How long workers may take to notice a set stop flag (they look between SCG steps) before the
 * pool terminates them: well inside the 2 s Ctrl-C promise, long enough for one step of a large
 * network on a loaded machine.
 */
export const STOP_GRACE_MS = 800;
/** How often a call with a stop flag looks at it while workers compute. */
const STOP_POLL_MS = 50;

/** The population operations of an engine on one thread, for arithmetic `A`. */
export interface PopulationOps<A> {
  /** Loss and gradient of every job. */
  grad(jobs: readonly GradJob[], arithmetic: A): GradResult[];
  /** Forward trajectories of every job. */
  forward(jobs: readonly GradJob[]): ForwardResult[];
  /** One SCG call for every job. */
  scg(jobs: readonly ScgJob[], options: ScgOptions, arithmetic: A): ScgResult[];
}

/** A message to a pool worker (the arithmetic travels with every request). */
export type PoolRequest<A> =
  | { id: number; op: "scg"; jobs: ScgJob[]; options: ScgOptions; arithmetic: A }
  | { id: number; op: "grad"; jobs: GradJob[]; arithmetic: A }
  | { id: number; op: "forward"; jobs: GradJob[] };

/** A pool worker's answer. */
type PoolReply = { id: number; ok: boolean; result?: unknown; error?: string };

/** Runs one request with `ops` (what a pool worker does with each message). */
export function runRequest<A>(ops: PopulationOps<A>, msg: PoolRequest<A>): unknown {
  if (msg.op === "scg") return ops.scg(msg.jobs, msg.options, msg.arithmetic);
  if (msg.op === "grad") return ops.grad(msg.jobs, msg.arithmetic);
  return ops.forward(msg.jobs);
}

/** Serves pool requests in a worker module (`self` of a Deno Worker). */
export function serveOps<A>(ops: PopulationOps<A>, scope: {
  onmessage: ((ev: MessageEvent<PoolRequest<A>>) => void) | null;
  postMessage(message: PoolReply): void;
}): void {
  scope.onmessage = (ev: MessageEvent<PoolRequest<A>>) => {
    const msg = ev.data;
    try {
      scope.postMessage({ id: msg.id, ok: true, result: runRequest(ops, msg) });
    } catch (err) {
      scope.postMessage({
        id: msg.id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
}

/** Options of {@link PooledEngine}. */
export interface PoolOptions {
  /** Worker count; default `navigator.hardwareConcurrency`; 0 or 1 = run on the calling thread. */
  workers?: number;
  /** Smallest population that is worth spreading over workers (default 2). */
  minParallel?: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * The population methods of a CPU engine over arithmetic `A`: on the calling thread for small
 * populations, otherwise in chunks handed out to idle workers (dynamic scheduling keeps cores
 * busy). Workers start lazily on first parallel use.
 */
export class PooledEngine<A> {
  /** Number of workers used for large populations. */
  readonly workerCount: number;
  readonly #ops: PopulationOps<A>;
  readonly #arithmetic: A;
  readonly #workerUrl: URL;
  #minParallel: number;
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 1;

  /** An engine running `ops` with `arithmetic`; `workerUrl` is a module that serves the ops. */
  constructor(
    setup: { ops: PopulationOps<A>; arithmetic: A; workerUrl: URL },
    options: PoolOptions = {},
  ) {
    const hw = (globalThis.navigator as { hardwareConcurrency?: number })?.hardwareConcurrency ?? 1;
    this.workerCount = Math.max(0, Math.floor(options.workers ?? hw));
    this.#minParallel = options.minParallel ?? 2;
    this.#ops = setup.ops;
    this.#arithmetic = setup.arithmetic;
    this.#workerUrl = setup.workerUrl;
  }

  /** "N workers" or "1 thread", for descriptions. */
  get threads(): string {
    return this.workerCount > 1 ? `${this.workerCount} workers` : "1 thread";
  }

  /** Loss and gradient for every job. */
  async lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
    if (!this.#parallel(jobs.length)) return this.#ops.grad(jobs, this.#arithmetic);
    return await this.#spread<GradJob, GradResult>(
      jobs,
      (id, chunk) => ({ id, op: "grad", jobs: chunk, arithmetic: this.#arithmetic }),
    );
  }

  /** Forward trajectories for every job. */
  async forward(jobs: readonly GradJob[]): Promise<ForwardResult[]> {
    if (!this.#parallel(jobs.length)) return this.#ops.forward(jobs);
    return await this.#spread<GradJob, ForwardResult>(
      jobs,
      (id, chunk) => ({ id, op: "forward", jobs: chunk }),
    );
  }

  /**
   * One SCG call for every job. A call with a stop flag runs in the workers even for one network
   * (when the engine has any), so that the calling thread stays free to set the flag: the workers
   * see it between SCG steps, and a worker that does not answer within {@link STOP_GRACE_MS} is
   * terminated. Either way the call rejects with {@link ScgStoppedError}.
   */
  async scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]> {
    if (stopRequested(options)) throw new ScgStoppedError();
    const stoppable = options.stop !== undefined && this.workerCount >= 1 && jobs.length > 0;
    if (!stoppable && !this.#parallel(jobs.length)) {
      return this.#ops.scg(jobs, options, this.#arithmetic);
    }
    const run = this.#spread<ScgJob, ScgResult>(
      jobs,
      (id, chunk) => ({ id, op: "scg", jobs: chunk, options, arithmetic: this.#arithmetic }),
      options.stop,
    );
    if (!stoppable) return await run;
    return await this.#watchStop(run, options);
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    this.#terminateAll(new Error("engine closed"));
    return Promise.resolve();
  }

  /** Awaits `run`, terminating the workers when the stop flag stays unanswered too long. */
  async #watchStop<R>(run: Promise<R>, options: ScgOptions): Promise<R> {
    let seenAt = -1;
    const timer = setInterval(() => {
      if (!stopRequested(options)) return;
      const now = performance.now();
      if (seenAt < 0) seenAt = now;
      else if (now - seenAt >= STOP_GRACE_MS) this.#terminateAll(new ScgStoppedError());
    }, STOP_POLL_MS);
    try {
      return await run;
    } catch (err) {
      if (stopRequested(options)) throw new ScgStoppedError();
      throw err;
    } finally {
      clearInterval(timer);
    }
  }

  /** Terminates every worker and fails what they were computing (new ones start on demand). */
  #terminateAll(reason: Error): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    for (const p of this.#pending.values()) p.reject(reason);
    this.#pending.clear();
  }

  #parallel(n: number): boolean {
    return this.workerCount > 1 && n >= this.#minParallel;
  }

  #ensureWorkers(): void {
    while (this.#workers.length < this.workerCount) {
      const worker = new Worker(this.#workerUrl, { type: "module" });
      worker.onmessage = (ev: MessageEvent<PoolReply>) => {
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

  /** Splits jobs into chunks handed out to idle workers. */
  async #spread<J, R>(
    jobs: readonly J[],
    make: (id: number, chunk: J[]) => PoolRequest<A>,
    stop?: Int32Array,
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
      // Once stopped, no further chunk is handed out.
      while (next < chunks.length && !stopRequested({ stop })) {
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
