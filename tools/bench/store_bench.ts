/**
 * Store write throughput: N writer processes put units (small metrics plus two weight blobs, the
 * shape of a fig5 unit) into one run of one store, as workers on a shared store would. Prints
 * units/s for the whole store and the mean latency of one unit write.
 *
 * Usage: deno run -A tools/bench/store_bench.ts --store LOCATION [--writers 1,2] [--units 300]
 *        [--doubles 2500]
 *
 * A KV location is a file path (created, then deleted); a PostgreSQL location gets a fresh
 * `schema=` per measurement, dropped afterwards.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { newRunId, openStore } from "../../core/store/store.ts";
import { benchLocation, benchRun, dropBenchStore } from "./bench_stores.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    store: { type: "string" },
    writers: { type: "string", default: "1,2" },
    units: { type: "string", default: "300" },
    doubles: { type: "string", default: "2500" },
    child: { type: "string" },
    run: { type: "string" },
  },
});

/** One child: writes `units` units with keys ["u", child, i]; prints its elapsed ms. */
async function child(location: string, runId: string, index: number): Promise<void> {
  const units = Number(values.units);
  const n = Number(values.doubles);
  const store = await openStore(location, { create: false });
  const w = Float64Array.from({ length: n }, (_, k) => Math.sin(k + index));
  const t0 = performance.now();
  for (let i = 0; i < units; i++) {
    w[0] = i;
    await store.putUnit(runId, ["u", index, i], {
      metrics: { loss: 1 / (i + 1), acc: 0.5, level: 0.1 * (i % 10) },
      blobs: { prunedW: w, unprunedW: w },
    });
  }
  const ms = performance.now() - t0;
  await store.close();
  console.log(JSON.stringify({ ms }));
}

async function measure(base: string, writers: number): Promise<void> {
  const tag = `${writers}w${crypto.randomUUID().slice(0, 6)}`;
  const loc = benchLocation(base, tag);
  const store = await openStore(loc);
  const runId = newRunId("bench");
  const run = benchRun(runId, {
    description: "store bench",
    total: writers * Number(values.units),
  });
  await store.createRun(run);
  const t0 = performance.now();
  const procs = Array.from({ length: writers }, (_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-kv",
        new URL(import.meta.url).pathname,
        "--store",
        loc,
        "--child",
        String(i),
        "--run",
        runId,
        "--units",
        String(values.units),
        "--doubles",
        String(values.doubles),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output());
  const outs = await Promise.all(procs);
  const wall = performance.now() - t0;
  const childMs = outs.map((o) => JSON.parse(new TextDecoder().decode(o.stdout).trim()).ms);
  const done = (await store.getRun(runId))!.progress.done;
  const total = writers * Number(values.units);
  console.log(
    `${loc.replace(/:[^:@/]*@/, ":***@")}: ${writers} writer(s), ${done}/${total} units of ` +
      `2 x ${values.doubles} doubles: ${(total / (wall / 1000)).toFixed(0)} units/s ` +
      `(wall ${(wall / 1000).toFixed(2)} s incl. process start; per-writer ` +
      `${
        childMs.map((ms: number) => (Number(values.units) / (ms / 1000)).toFixed(0)).join(", ")
      } ` +
      `units/s)`,
  );
  await store.close();
  await dropBenchStore(loc, tag);
}

if (values.child !== undefined) {
  await child(values.store!, values.run!, Number(values.child));
} else {
  if (!values.store) {
    console.error(
      "error: --store LOCATION is required (a KV file path prefix or a postgres:// URL)",
    );
    Deno.exit(2);
  }
  for (const w of String(values.writers).split(",").map(Number)) await measure(values.store, w);
}
