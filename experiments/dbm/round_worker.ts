/**
 * A Deno Worker that runs groups of DBM round tasks (core/bm/dbm/round.ts) on its own CPU
 * kernels, for {@link RoundPool}. It receives the run's {@link RoundSetting} once, then task
 * groups; it posts progress, results, or an error. A group runs without yielding to the event
 * loop, so an "abort" message is read only after it; on Ctrl-C the pool gives the round up at once
 * and terminates the worker ({@link RoundPool}).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { type RoundSetting, runRoundTasks } from "../../core/bm/dbm/round.ts";
import { createDbmKernels } from "../../core/engine/select_dbm.ts";
import type { DbmKernels } from "../../core/engine/dbm.ts";
import type { PoolReply, PoolRequest } from "./round_pool.ts";

/** Posts a reply to the pool. */
function reply(message: PoolReply): void {
  self.postMessage(message);
}

let setting: RoundSetting | null = null;
let kernels: DbmKernels | null = null;
let controller: AbortController | null = null;

async function run(msg: Extract<PoolRequest, { type: "run" }>): Promise<void> {
  if (!setting) throw new Error("round worker: no setting");
  kernels ??= await createDbmKernels("cpu");
  controller = new AbortController();
  const results = await runRoundTasks(kernels, setting, {
    tasks: msg.tasks,
    signal: controller.signal,
    onProgress: (phase, done, total) => reply({ type: "progress", id: msg.id, phase, done, total }),
  });
  reply({ type: "done", id: msg.id, results });
}

self.onmessage = (ev: MessageEvent<PoolRequest>): void => {
  const msg = ev.data;
  if (msg.type === "setting") {
    setting = msg.setting;
    return;
  }
  if (msg.type === "abort") {
    controller?.abort(new Error("interrupted"));
    return;
  }
  run(msg).catch((err: unknown) => {
    reply({
      type: "error",
      id: msg.id,
      message: err instanceof Error ? err.message : String(err),
    });
  });
};
