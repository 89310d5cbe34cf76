/**
 * The work-unit queue under load (docs/cluster.md's capacity plan rests on it), two measurements:
 *
 * - `--mode queue` (default): P processes drain U work units of one run as workers would, with no
 *   computation: lease, store a fig5-sized result unit (two 1,110-double weight blobs, a 900-byte
 *   mask, ~30 metrics), renew the lease once (a heartbeat), finish. Prints the cycles per second
 *   the store absorbs and the latency of each operation (median and 90th percentile).
 * - `--mode fig5`: a small fig5 run detached into one work unit per network and computed by P
 *   `deno task worker` processes: wall time from their start (process start included) to the run
 *   marked done, and the CPU time the worker processes used (user + system, from the kernel's
 *   count of waited-for children): the 1-vs-2-process scaling row of docs/benchmarks.md.
 *
 * Usage: deno run -A tools/bench/worker_bench.ts --store LOCATION [--mode queue|fig5]
 *        [--processes 1,2] [--units 200] [--networks 4] [--threads 1] [--max-outer 1]
 *        [--scg-steps 16]
 *
 * A KV location is a file path prefix (a file per measurement, deleted afterwards); a PostgreSQL
 * location gets a fresh `schema=` per measurement, dropped afterwards. The machine's load changes
 * wall times: the tool prints the load average before and after, and the workers' CPU time, which
 * sharing the cores changes much less; quote them together.
 *
 * @module
 */
import { parseFlags, stringFlag } from "../../core/app/args.ts";
import { parseIntFlag } from "../../core/app/flags.ts";
import { UsageError } from "../../core/util/errors.ts";
import { newRunId, openStore, redactLocation } from "../../core/store/store.ts";
import { benchLocation, benchRun, dropBenchStore } from "./bench_stores.ts";

const SPECS = [
  { name: "store", type: "string", help: "KV file prefix or postgres:// URL" },
  { name: "mode", type: "string", help: "queue or fig5" },
  { name: "processes", type: "string", help: "comma-separated process counts" },
  { name: "units", type: "string", help: "work units (queue mode)" },
  { name: "networks", type: "string", help: "fig5 networks = work units (fig5 mode)" },
  { name: "threads", type: "string", help: "engine threads per worker (fig5 mode)" },
  { name: "max-outer", type: "string", help: "fig5 mode: outer SCG cap (default 1)" },
  { name: "scg-steps", type: "string", help: "fig5 mode: SCG steps per outer (default 16)" },
  { name: "child", type: "string", help: "internal: run as queue child N" },
  { name: "run", type: "string", help: "internal: the run id" },
] as const;

const ROOT = new URL("../../", import.meta.url).pathname;

/** Latencies in ms of one process, by operation. */
interface ChildReport {
  ms: number;
  cycles: number;
  lease: number[];
  put: number[];
  renew: number[];
  finish: number[];
}

/** A queue child: drains the run's units; prints a {@link ChildReport}. */
async function child(location: string, runId: string, index: number): Promise<void> {
  const store = await openStore(location, { create: false, maxConnections: 2 });
  const w = Float64Array.from({ length: 1110 }, (_, k) => Math.sin(k + index));
  const mask = new Uint8Array(900).fill(1);
  const metrics: Record<string, unknown> = { level: 0.7, lossHistory: [0.05, 0.04] };
  for (let k = 0; k < 28; k++) metrics[`m${k}`] = Math.cos(k);
  const report: ChildReport = { ms: 0, cycles: 0, lease: [], put: [], renew: [], finish: [] };
  const timed = async <T>(list: number[], op: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await op();
    list.push(performance.now() - t);
    return out;
  };
  const t0 = performance.now();
  for (;;) {
    const lease = await timed(
      report.lease,
      () => store.leaseWork({ runId, holder: `bench ${index}`, ttlMs: 60_000 }),
    );
    if (!lease) break;
    w[0] = lease.index;
    await timed(report.put, () =>
      store.putUnit(runId, ["u", lease.index], {
        metrics,
        blobs: { prunedW: w, unprunedW: w, prunedMask: mask },
      }));
    await timed(report.renew, () => store.renewWork(lease));
    await timed(report.finish, () => store.finishWork(lease, { state: "done" }));
    report.cycles++;
  }
  report.ms = performance.now() - t0;
  report.lease.pop(); // the last lease found nothing
  await store.close();
  console.log(JSON.stringify(report));
}

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `${q(0.5).toFixed(1)}/${q(0.9).toFixed(1)}`;
}

function load(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

/**
 * CPU seconds (user + system) of this process's children that have been waited for, from
 * /proc/self/stat (cutime + cstime, in clock ticks of 1/100 s on Linux); undefined elsewhere.
 */
function childCpuSeconds(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

async function measureQueue(base: string, processes: number, units: number): Promise<void> {
  const tag = `q${processes}p${crypto.randomUUID().slice(0, 6)}`;
  const loc = benchLocation(base, tag);
  const store = await openStore(loc);
  const runId = newRunId("bench");
  const run = benchRun(runId, { description: "worker bench", total: units });
  await store.createRun(run, {
    work: Array.from({ length: units }, () => ({ phase: 0, spec: {} })),
  });
  const before = load();
  const t0 = performance.now();
  const outs = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--store",
          loc,
          "--child",
          String(i),
          "--run",
          runId,
        ],
        stdout: "piped",
        stderr: "inherit",
      }).output()),
  );
  const wall = performance.now() - t0;
  const reports: ChildReport[] = outs.map((o) =>
    JSON.parse(new TextDecoder().decode(o.stdout).trim())
  );
  const done = (await store.listWork(runId)).filter((u) => u.state === "done").length;
  const all = (k: "lease" | "put" | "renew" | "finish"): number[] => reports.flatMap((r) => r[k]);
  const drain = Math.max(...reports.map((r) => r.ms));
  console.log(
    `${redactLocation(loc)}: ${processes} process(es), ${done}/${units} units: ` +
      `${(units / (drain / 1000)).toFixed(0)} cycles/s while draining ` +
      `(wall ${(wall / 1000).toFixed(1)} s incl. process start); ms median/p90: lease ${
        quantiles(all("lease"))
      }, ` +
      `unit write ${quantiles(all("put"))}, renew ${quantiles(all("renew"))}, finish ${
        quantiles(all("finish"))
      }; ` +
      `load ${before} -> ${load()}`,
  );
  await store.close();
  await dropBenchStore(loc, tag);
}

async function measureFig5(
  base: string,
  processes: number,
  networks: number,
  threads: number,
  size: { maxOuter: number; scgSteps: number },
): Promise<void> {
  const tag = `f${processes}p${crypto.randomUUID().slice(0, 6)}`;
  const loc = benchLocation(base, tag);
  const tiny = [
    "--networks",
    String(networks),
    "--levels",
    "0.5,0.7",
    "--initial-rounds",
    "1",
    "--max-outer",
    String(size.maxOuter),
    "--scg-steps",
    String(size.scgSteps),
    "--seed",
    "5",
    "--engine",
    "cpu",
  ];
  const detach = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tasks/fig5.ts`, ...tiny, "--store", loc, "--detach", "--quiet"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const runId = new TextDecoder().decode(detach.stdout).trim();
  const before = load();
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  // Timed to the run's end, not to the last exit: a worker waiting for another's last unit
  // looks again only every --poll seconds.
  const watcher = await openStore(loc, { readOnly: true });
  const watching = (async (): Promise<number> => {
    while ((await watcher.getRun(runId))?.status === "running") {
      await new Promise((r) => setTimeout(r, 50));
    }
    return performance.now();
  })();
  const worker = ["run", "-A", `${ROOT}tasks/worker.ts`, "--store", loc, "--run", runId];
  const outs = await Promise.all(
    Array.from({ length: processes }, () =>
      new Deno.Command(Deno.execPath(), {
        args: [...worker, "--workers", String(threads), "--quiet"],
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  const runS = ((await watching) - t0) / 1000;
  const cpu1 = childCpuSeconds();
  const cpu = cpu0 === undefined || cpu1 === undefined
    ? "?"
    : `${(cpu1 - cpu0).toFixed(1)} s (${((cpu1 - cpu0) / networks).toFixed(1)} s per unit)`;
  const status = (await watcher.getRun(runId))?.status;
  await watcher.close();
  const units = outs.map((o) =>
    (new TextDecoder().decode(o.stdout).match(/: done in/g) ?? []).length
  );
  console.log(
    `${redactLocation(loc)}: fig5 ${networks} networks x 2 levels (max-outer ${size.maxOuter}, ` +
      `${size.scgSteps} SCG steps) = ${networks} work ` +
      `units, ${processes} worker process(es) x ${threads} thread(s): run ${status} after ` +
      `${runS.toFixed(1)} s (${(networks / runS).toFixed(2)} units/s, process start included; ` +
      `units per process ${units.join("/")}` +
      `${outs.every((o) => o.code === 0) ? "" : "; a worker failed"}); workers' CPU ${cpu}; ` +
      `load ${before} -> ${load()}`,
  );
  await dropBenchStore(loc, tag);
}

/** Parsed command line of the measuring process. */
interface Options {
  store: string;
  mode: "queue" | "fig5";
  processes: number[];
  units: number;
  networks: number;
  threads: number;
  maxOuter: number;
  scgSteps: number;
}

/** Checks the flags before anything is created; a bad one is a {@link UsageError}. */
function options(args: string[]): Options | { child: number; store: string; run: string } {
  const { flags } = parseFlags(SPECS, args);
  const store = stringFlag(flags, "store");
  if (!store) {
    throw new UsageError(
      "--store LOCATION is required (a KV file path prefix or a postgres:// URL)",
    );
  }
  const child = stringFlag(flags, "child");
  if (child !== undefined) {
    return {
      child: parseIntFlag("child", child, { min: 0 }),
      store,
      run: stringFlag(flags, "run") ?? "",
    };
  }
  const mode = stringFlag(flags, "mode") ?? "queue";
  if (mode !== "queue" && mode !== "fig5") {
    throw new UsageError(`--mode must be queue or fig5, got '${mode}'`);
  }
  const int = (name: string, fallback: number, max: number): number =>
    parseIntFlag(name, stringFlag(flags, name) ?? String(fallback), { min: 1, max });
  return {
    store,
    mode,
    processes: (stringFlag(flags, "processes") ?? "1,2").split(",").map((p) =>
      parseIntFlag("processes", p, { min: 1, max: 64 })
    ),
    units: int("units", 200, 100_000),
    networks: int("networks", 4, 1000),
    threads: int("threads", 1, 64),
    maxOuter: int("max-outer", 1, 1000),
    scgSteps: int("scg-steps", 16, 100_000),
  };
}

let opts: ReturnType<typeof options>;
try {
  opts = options(Deno.args);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(`error: ${e.message}`);
  Deno.exit(2);
}
if ("child" in opts) {
  await child(opts.store, opts.run, opts.child);
} else {
  for (const p of opts.processes) {
    if (opts.mode === "fig5") {
      await measureFig5(opts.store, p, opts.networks, opts.threads, {
        maxOuter: opts.maxOuter,
        scgSteps: opts.scgSteps,
      });
    } else {
      await measureQueue(opts.store, p, opts.units);
    }
  }
}
