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
    const merged = new MergedProgress(groups.length, hooks.onProgress);
    const parts = await Promise.all(
      groups.map((group, g) =>
        this.#runOn(this.#workers[g], group, {
          signal: hooks.signal,
          onProgress: (phase, done, total) => merged.report(g, phase, done, total),
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
      // A worker busy in a round reads its messages only when the round ends, so an abort does
      // not wait for it: the round is given up at once (the caller ends the workers with close()).
      const onAbort = (): void => {
        const msg: PoolRequest = { type: "abort" };
        worker.postMessage(msg);
        finish();
        reject(hooks.signal?.reason);
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

/** A phase of a round. */
export type Phase = "sample" | "retrain" | "encode";

/**
 * The workers' progress as one sequence of phase calls, as the calling thread would report it.
 * Every group runs the same calls in the same order (its tasks are of one kind, under one
 * protocol), but not in step: one worker may be sampling while another still retrains. Each
 * group's reports are numbered by call (a new call starts when the phase changes or its count
 * falls back), and what is reported is the earliest call some group is still in, summed over the
 * groups (a group already past it counts its total), so the counts never run backwards within a
 * call and the calls arrive in order.
 */
export class MergedProgress {
  readonly #groups: { call: number; done: number; phases: Phase[]; totals: number[] }[];
  readonly #emit?: (phase: Phase, done: number, total: number) => void;

  /** `groups` groups; `emit` receives the merged reports. */
  constructor(groups: number, emit?: (phase: Phase, done: number, total: number) => void) {
    this.#groups = Array.from({ length: groups }, () => ({
      call: -1,
      done: 0,
      phases: [],
      totals: [],
    }));
    this.#emit = emit;
  }

  /** A report of group `g`. */
  report(g: number, phase: Phase, done: number, total: number): void {
    const st = this.#groups[g];
    if (st.call < 0 || st.phases[st.call] !== phase || done < st.done) {
      st.call++;
      st.phases[st.call] = phase;
    }
    st.done = done;
    st.totals[st.call] = total;
    const k = Math.min(...this.#groups.map((x) => x.call));
    if (k < 0 || !this.#emit) return;
    let sum = 0;
    let all = 0;
    for (const x of this.#groups) {
      sum += x.call === k ? x.done : x.totals[k];
      all += x.totals[k];
    }
    this.#emit(this.#groups[0].phases[k], sum, all);
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
