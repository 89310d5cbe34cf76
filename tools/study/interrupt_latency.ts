/**
 * `deno run -A tools/study/interrupt_latency.ts [--task T] [--trials N] [--seed S] [--after A,B]
 * [--wrapper] [--signal SIGINT|SIGTERM] [--second S] [-- TASK_FLAGS...]`: how long a figure run
 * takes to stop after Ctrl-C, and in which phase the signal arrived (docs/reliability.md quotes
 * its output).
 *
 * Each trial starts the figure task `T` (default fig5; any `deno task` figure name, e.g. fig7,
 * bm-fig4) on a fresh temporary store, waits a random time in [A, B] seconds after the run id
 * appears, sends the signal, and measures the time until the process exits. For fig5 the run is 2
 * networks at level 0.5 on 2 workers unless flags after `--` say otherwise (`--seed 1` starts at
 * the prune levels from the embedded starting networks; any other seed trains them first); other
 * tasks get `--store` and `--seed` plus the flags after `--`. The phase is the last progress line
 * printed before the signal. `--wrapper` starts the run through `deno task T` and signals the
 * wrapper's pid instead, then checks that the run (the wrapper's child) is gone too. `--second S`
 * sends the signal again S seconds after the first when the run is still going (a second Ctrl-C:
 * exit at once).
 *
 * @module
 */
import { parseFlags, stringFlag } from "../../core/app/args.ts";
import { parseIntFlag, parseNumberFlag } from "../../core/app/flags.ts";

const split = Deno.args.indexOf("--");
const own = split < 0 ? Deno.args : Deno.args.slice(0, split);
const extra = split < 0 ? [] : Deno.args.slice(split + 1);
const { flags } = parseFlags([
  {
    name: "task",
    type: "string",
    help: "figure task to interrupt (deno task name)",
    default: "fig5",
  },
  { name: "trials", type: "string", help: "runs to interrupt", default: "4" },
  { name: "seed", type: "string", help: "fig5 --seed (1: start at the levels)", default: "1" },
  { name: "after", type: "string", help: "signal after A to B seconds", default: "5,60" },
  { name: "signal", type: "string", help: "SIGINT or SIGTERM", default: "SIGINT" },
  { name: "wrapper", type: "boolean", help: "run through deno task; signal the wrapper" },
  { name: "second", type: "string", help: "signal again after S seconds if still running" },
], own);
const trials = parseIntFlag("trials", stringFlag(flags, "trials") ?? "4", { min: 1, max: 100 });
const seed = parseIntFlag("seed", stringFlag(flags, "seed") ?? "1", { min: 1 });
const [lo, hi] = (stringFlag(flags, "after") ?? "5,60").split(",").map((s, i) =>
  parseNumberFlag(i === 0 ? "after (from)" : "after (to)", s, { min: 0 })
);
const sig = (stringFlag(flags, "signal") ?? "SIGINT") === "SIGTERM" ? "SIGTERM" : "SIGINT";
const viaWrapper = flags.wrapper === true;
const secondS = flags.second === undefined
  ? null
  : parseNumberFlag("second", stringFlag(flags, "second") ?? "", { min: 0.7 });
const root = new URL("../../", import.meta.url).pathname;
const task = stringFlag(flags, "task") ?? "fig5";
const taskFile = `tasks/${task.replaceAll("-", "_")}.ts`;
try {
  Deno.statSync(`${root}${taskFile}`);
} catch {
  console.error(`error: --task ${task}: no ${taskFile}`);
  Deno.exit(2);
}

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** Whether a process still exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

/** One interrupted run: what was printed last before the signal and how long stopping took. */
async function trial(n: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-int-" });
  const store = `${dir}/s.kv`;
  const defaults = task === "fig5" ? ["--networks", "2", "--levels", "0.5", "--workers", "2"] : [];
  const flagsOf = ["--store", store, ...defaults, "--seed", String(seed), ...extra];
  const args = viaWrapper ? ["task", task, ...flagsOf] : ["run", "-A", taskFile, ...flagsOf];
  const p = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let last = "";
  let lastAt = 0;
  let text = "";
  let started: () => void = () => {};
  const runId = new Promise<void>((r) => (started = r));
  const pump = async (s: ReadableStream<Uint8Array>): Promise<void> => {
    const d = new TextDecoder();
    for await (const chunk of s) {
      const t = d.decode(chunk, { stream: true });
      text += t;
      for (const line of t.split(/[\r\n]+/)) {
        if (/^run id:/.test(line)) started();
        if (/^\[\d+\/\d+\]/.test(line)) {
          last = line.trim();
          lastAt = performance.now();
        }
      }
    }
  };
  const pumps = Promise.all([pump(p.stdout), pump(p.stderr)]);
  await runId;
  const wait = lo + Math.random() * (hi - lo);
  await new Promise((r) => setTimeout(r, wait * 1000));
  const runPids = viaWrapper ? childrenOf(p.pid) : [p.pid];
  const t0 = performance.now();
  const phase = last;
  const sinceProgress = ((t0 - lastAt) / 1000).toFixed(1);
  p.kill(sig);
  let secondAt = -1;
  let exited = false;
  const again = secondS === null ? null : setTimeout(() => {
    if (exited) return;
    secondAt = performance.now();
    p.kill(sig);
  }, secondS * 1000);
  const status = await p.status;
  exited = true;
  if (again !== null) clearTimeout(again);
  const took = performance.now() - t0;
  const second = secondAt < 0
    ? ""
    : ` (${((performance.now() - secondAt) / 1000).toFixed(1)} s after the second signal)`;
  await pumps;
  let orphan = "";
  if (viaWrapper) {
    // The run may take its own stop time after the wrapper returned: give it 5 s.
    const until = performance.now() + 5000;
    while (runPids.some(alive) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const left = runPids.filter(alive);
    orphan = runPids.length === 0
      ? "; run pid not found"
      : left.length
      ? `; run pid ${left.join(",")} STILL RUNNING`
      : `; run pid ${runPids.join(",")} gone`;
    for (const pid of left) Deno.kill(pid, "SIGKILL");
  }
  const resume = text.includes(`Finish with: deno task ${task} --resume`) ? "resume command" : "";
  const kept = text.match(/interrupted: (\d+\/\d+) units kept/)?.[1] ?? "?";
  await Deno.remove(dir, { recursive: true });
  return `trial ${n}: ${sig} after ${wait.toFixed(1)} s, exit ${status.code} in ${
    took.toFixed(0)
  } ms${second}, ${kept} units kept, ${resume}${orphan}; last progress (${sinceProgress} s before): ${phase}`;
}

for (let n = 1; n <= trials; n++) console.log(await trial(n));
