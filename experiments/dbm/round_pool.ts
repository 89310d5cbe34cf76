/**
 * The rounds of a DBM pruning run spread over Deno Workers ({@link RoundRunner}): each
 * iteration's models (one per criterion) are dealt to the workers in contiguous groups, each
 * group runs on its worker's own CPU kernels, and the results come back in task order. Every
 * model's randomness is its own stream, so the results are the bits the calling thread would get;
 * only the wall time changes (two cores: about half for the pruning rounds).
 *
 * @module
 */
import type {
  RoundHooks,
  RoundResult,
  RoundRunner,
  RoundSetting,
  RoundTask,
} from "../../core/bm/dbm/round.ts";

/** A message to a round worker. */
export type PoolRequest =
  | { type: "setting"; setting: RoundSetting }
  | { type: "run"; id: number; tasks: RoundTask[] }
  | { type: "abort" };

/** A round worker's message. */
export type PoolReply =
  | {
    type: "progress";
    id: number;
    phase: "sample" | "retrain" | "encode";
    done: number;
    total: number;
  }
  | { type: "done"; id: number; results: RoundResult[] }
  | { type: "error"; id: number; message: string };

/** Workers that run round tasks; {@link RoundPool.close} ends them. */
export class RoundPool {
  /** Number of workers. */
  readonly size: number;
  readonly #workers: Worker[];
  #next = 0;

  /** Starts `size` workers and sends them the run's setting. */
  constructor(size: number, setting: RoundSetting) {
    this.size = size;
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(new URL("./round_worker.ts", import.meta.url).href, { type: "module" });
      const msg: PoolRequest = { type: "setting", setting };
      w.postMessage(msg);
      return w;
    });
  }

  /** The pool as a {@link RoundRunner}. */
  runner(): RoundRunner {
    return (tasks, hooks) => this.run(tasks, hooks);
  }

  /** Runs the tasks over the workers (contiguous groups, in order); results in task order. */
  async run(tasks: readonly RoundTask[], hooks: RoundHooks): Promise<RoundResult[]> {
    hooks.signal?.throwIfAborted();
    const groups = split(tasks, Math.min(this.size, tasks.length));
    const progress = new Map<string, { done: number; total: number }[]>();
    const report = (
      g: number,
      phase: "sample" | "retrain" | "encode",
      done: number,
      total: number,
    ) => {
      const per = progress.get(phase) ?? groups.map(() => ({ done: 0, total: 0 }));
      per[g] = { done, total };
      progress.set(phase, per);
      hooks.onProgress?.(
        phase,
        per.reduce((a, x) => a + x.done, 0),
        per.reduce((a, x) => a + x.total, 0),
      );
    };
    const parts = await Promise.all(
      groups.map((group, g) =>
        this.#runOn(this.#workers[g], group, {
          signal: hooks.signal,
          onProgress: (phase, done, total) => report(g, phase, done, total),
        })
      ),
    );
    return parts.flat();
  }

  /** Ends the workers. */
  close(): void {
    for (const w of this.#workers) w.terminate();
  }

  #runOn(worker: Worker, tasks: RoundTask[], hooks: RoundHooks): Promise<RoundResult[]> {
    const id = ++this.#next;
    return new Promise<RoundResult[]>((resolve, reject) => {
      const onAbort = (): void => {
        const msg: PoolRequest = { type: "abort" };
        worker.postMessage(msg);
      };
      const finish = (): void => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        hooks.signal?.removeEventListener("abort", onAbort);
      };
      const onMessage = (ev: MessageEvent<PoolReply>): void => {
        const m = ev.data;
        if (m.id !== id) return;
        if (m.type === "progress") hooks.onProgress?.(m.phase, m.done, m.total);
        else if (m.type === "done") {
          finish();
          resolve(m.results);
        } else {
          finish();
          reject(hooks.signal?.aborted ? hooks.signal.reason : new Error(m.message));
        }
      };
      const onError = (ev: ErrorEvent): void => {
        ev.preventDefault();
        finish();
        reject(new Error(`round worker failed: ${ev.message}`));
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      hooks.signal?.addEventListener("abort", onAbort);
      const msg: PoolRequest = { type: "run", id, tasks };
      worker.postMessage(msg);
    });
  }
}

/** Contiguous groups of nearly equal size. */
function split<T>(items: readonly T[], groups: number): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let g = 0; g < groups; g++) {
    const size = Math.floor(items.length / groups) + (g < items.length % groups ? 1 : 0);
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}
