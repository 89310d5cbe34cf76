/**
 * Fault injection (issue 14 item 7), in bounded time: processes killed with SIGKILL at random
 * points, most of them inside store commits (units of several 60 KiB chunks written back to
 * back), on a Deno KV file and, when PRUNELAB_TEST_PG is set, on PostgreSQL; a damaged page of a
 * store file; damaged cache chunks; NaN in a starting network. After every kill the store must be
 * consistent (every unit it lists complete and bit-identical, the progress counter equal to the
 * units) and the run must resume to the same bits as an uninterrupted run. A fig5 run killed at
 * random points while it trains (its cached starting network damaged first) must end with the
 * `--out` JSON of an uninterrupted run.
 *
 * Each test prints its figures (kills, resumes, identical); `PRUNELAB_FAULT_KILLS=N` and
 * `PRUNELAB_FAULT_UNITS=N` make the probe campaign longer (docs/reliability.md quotes such a run).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore, type ResultStore } from "../core/store/store.ts";
import { probeBlob } from "./fixtures/probe_experiment.ts";
import { TEST_PG, testSchemaName, withPgAdmin, withSchema } from "./fixtures/store_backends.ts";
import { Rng } from "../core/util/rng.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const PROBE_CLI = new URL("./fixtures/probe_cli.ts", import.meta.url).pathname;
const FIG5_TASK = new URL("../tasks/fig5.ts", import.meta.url).pathname;
const RUNS_TASK = new URL("../tasks/runs.ts", import.meta.url).pathname;
const KILLS = Number(Deno.env.get("PRUNELAB_FAULT_KILLS") ?? "6");
/** Units of 3 chunks each: most of a unit's write is chunk puts before its commit. */
const BLOB_KB = 130;
const UNITS = Number(Deno.env.get("PRUNELAB_FAULT_UNITS") ?? "100");
/** Leases of killed processes expire fast, so the next attempt need not wait a minute. */
const ENV = { NO_COLOR: "1", PRUNELAB_LEASE_TTL_MS: "400" };

interface Attempt {
  code: number;
  err: string;
  killed: boolean;
}

/** The store's change counter (null while the store does not exist yet). */
async function storeVersion(location: string): Promise<bigint | null> {
  try {
    const s = await openStore(location, { readOnly: true });
    try {
      return await s.version();
    } finally {
      await s.close();
    }
  } catch {
    return null;
  }
}

/** Units stored in the only run of a store (0 before it exists). */
async function storedUnits(location: string): Promise<number> {
  try {
    const s = await openStore(location, { readOnly: true });
    try {
      const [run] = await s.listRuns();
      return run ? run.progress.done : 0;
    } finally {
      await s.close();
    }
  } catch {
    return 0;
  }
}

/**
 * Runs a command; with `kill`, kills it with SIGKILL `kill.afterMs` after it began its work
 * (`kill.units`: after its first stored unit; else after its first write to the store), so the
 * kill lands in its work rather than in its start-up, unless it ends first.
 */
async function attempt(
  args: string[],
  kill: { location: string; afterMs: number; units?: boolean } | null,
): Promise<Attempt> {
  const progressOf = (location: string): Promise<bigint | number | null> =>
    kill?.units ? storedUnits(location) : storeVersion(location);
  const before = kill ? await progressOf(kill.location) : null;
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "null",
    stderr: "piped",
    env: ENV,
  }).spawn();
  const output = child.output();
  let ended = false;
  void output.then(() => ended = true);
  let killed = false;
  if (kill) {
    while (!ended && (await progressOf(kill.location)) === before) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!ended) await new Promise((r) => setTimeout(r, kill.afterMs));
    if (!ended) {
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  const o = await output;
  return { code: o.code, err: new TextDecoder().decode(o.stderr), killed: killed && !o.success };
}

/** Checks a killed run's store: every listed unit whole and exact, the counter equal to them. */
async function checkConsistent(store: ResultStore, runId: string): Promise<number> {
  const run = await store.getRun(runId);
  assert.ok(run, "the run record survives");
  const units = await store.listUnits(runId);
  assert.equal(run.progress.done, units.length, "the progress counter equals the stored units");
  for (const u of units) {
    const i = Number(u.key[1]);
    const b = await store.getBlob(runId, u.key, "b");
    assert.deepEqual(b, probeBlob(i, BLOB_KB), `unit ${i} is whole and exact`);
  }
  return units.length;
}

/**
 * On a Deno KV file: the units whose chunks were written but whose record never committed (the
 * kill landed inside that unit's write). They stay unreferenced, never visible as a unit.
 */
async function interruptedWrites(location: string, runId: string): Promise<number> {
  if (!location.endsWith(".kv")) return 0;
  const kv = await Deno.openKv(location);
  try {
    const orphans = new Set<string>();
    for await (const e of kv.list({ prefix: ["blob", runId] })) {
      const [, , u, i, gen] = e.key;
      const unit = await kv.get<{ gen?: unknown }>(["unit", runId, u, i]);
      if (unit.value?.gen !== gen) orphans.add(`${String(i)}/${String(gen)}`);
    }
    return orphans.size;
  } finally {
    kv.close();
  }
}

/** Finds the probe run in a store (there is one), or null before it exists. */
async function probeRunId(location: string): Promise<string | null> {
  try {
    const s = await openStore(location, { readOnly: true });
    try {
      return (await s.listRuns())[0]?.id ?? null;
    } finally {
      await s.close();
    }
  } catch {
    return null;
  }
}

/** Kill -9 at random points of a probe run, resumes, checks; returns the figures. */
async function killCampaign(location: string, seed: number): Promise<string> {
  const rng = new Rng(seed);
  const base = ["run", "-A", PROBE_CLI, "--store", location, "--quiet", "--engine", "cpu"];
  // --units and --blob-kb are the run's config: the first attempt fixes them for every resume.
  const first = [...base, "--units", String(UNITS), "--sleep-ms", "0", "--blob-kb", `${BLOB_KB}`];
  let kills = 0;
  let resumes = 0;
  let inside = 0;
  let runId: string | null = null;
  for (let k = 0; k < KILLS + 20; k++) {
    const args = runId === null ? first : [...base, "--resume", runId];
    // Random points in the first 0.4 s after the attempt's first unit: units, commits, status.
    const orphansBefore = runId === null ? 0 : await interruptedWrites(location, runId);
    const a = await attempt(
      args,
      kills < KILLS ? { location, afterMs: rng.uniform() * 400, units: true } : null,
    );
    if (runId !== null) resumes++;
    runId ??= await probeRunId(location);
    if (a.killed) kills++;
    else if (a.code === 2 && /is being worked on by/.test(a.err)) {
      // The killed holder's lease has not expired yet: the refusal names it; wait and retry.
      await new Promise((r) => setTimeout(r, 450));
      continue;
    } else if (!(a.code === 2 && /is already done/.test(a.err))) {
      // "already done": the previous kill landed after the run was marked done, on its way out.
      assert.equal(a.code, 0, a.err);
    }
    const finished = !a.killed && (a.code === 0 || a.code === 2);
    if (runId === null) continue;
    if (a.killed && (await interruptedWrites(location, runId)) > orphansBefore) inside++;
    const s = await openStore(location);
    try {
      await checkConsistent(s, runId);
      if (finished) {
        assert.equal((await s.getRun(runId))?.status, "done");
        assert.equal(await checkConsistent(s, runId), UNITS);
        const where = location.endsWith(".kv") ? ` (${inside} inside a unit's write)` : "";
        return `${kills} kills at random points${where}, ${resumes} resumes, store ` +
          `consistent after every kill, all ${UNITS} units bit-identical`;
      }
    } finally {
      await s.close();
    }
    await new Promise((r) => setTimeout(r, 450));
  }
  throw new Error("the run did not finish");
}

Deno.test("fault: kill -9 at random points of a run on a Deno KV file; resume to identical bits", async () => {
  await withTempDir(async (dir) => {
    const figures = await killCampaign(join(dir, "store.kv"), 11);
    console.log(`fault injection (KV): ${figures}`);
  });
});

Deno.test({
  name: "fault: kill -9 at random points of a run on PostgreSQL; resume to identical bits",
  ignore: TEST_PG === undefined,
  async fn() {
    const schema = testSchemaName();
    try {
      const figures = await killCampaign(withSchema(TEST_PG ?? "", schema), 12);
      console.log(`fault injection (PostgreSQL): ${figures}`);
    } finally {
      await withPgAdmin(async (sql) => {
        await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`;
      });
    }
  },
});

Deno.test("fault: a damaged page of a store file: one error line, exit 2, nothing written", async () => {
  await withTempDir(async (dir) => {
    const location = join(dir, "store.kv");
    const ok = await attempt(
      [
        "run",
        "-A",
        PROBE_CLI,
        "--store",
        location,
        "--quiet",
        "--engine",
        "cpu",
        "--units",
        "30",
        "--sleep-ms",
        "0",
        "--blob-kb",
        "64",
      ],
      null,
    );
    assert.equal(ok.code, 0, ok.err);
    const bytes = await Deno.readFile(location);
    // Garble a page in the middle of the file (SQLite pages are 4 KiB).
    const page = Math.floor(bytes.length / 4096 / 2) * 4096;
    for (let k = 0; k < 4096; k++) bytes[page + k] = (k * 31 + 7) & 0xff;
    await Deno.writeFile(location, bytes);
    const before = await Deno.readFile(location);
    const r = await attempt(["run", "-A", PROBE_CLI, "--store", location, "--quiet"], null);
    assert.equal(r.code, 2, r.err);
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], /^error: the results store '.*' (is damaged|has damaged pages)/);
    assert.deepEqual(await Deno.readFile(location), before, "nothing written");
  });
});

/** The `--out` JSON of a fig5 run without the fields that name the run. */
async function fig5Json(path: string): Promise<unknown> {
  const o = JSON.parse(await Deno.readTextFile(path));
  delete o.runId;
  return o;
}

const TINY_FIG5 = [
  "--networks",
  "2",
  "--levels",
  "0.5,0.7",
  "--initial-rounds",
  "2",
  "--max-outer-initial",
  "3",
  "--max-outer",
  "2",
  "--scg-steps",
  "12",
  "--seed",
  "3",
  "--engine",
  "cpu",
  "--quiet",
];

Deno.test("fault: fig5 with a damaged cache entry, killed at random points, resumes to the same JSON", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const ref = await attempt(
      ["run", "-A", FIG5_TASK, ...TINY_FIG5, "--store", store, "--out", join(dir, "ref.json")],
      null,
    );
    assert.equal(ref.code, 0, ref.err);
    // Damage the cached starting networks: drop a chunk of every cache entry (what a kill between
    // a chunk delete and its commit would leave), so the next run must notice and retrain.
    const kv = await Deno.openKv(store);
    let dropped = 0;
    try {
      for await (const e of kv.list({ prefix: ["cacheblob"] })) {
        if (e.key[e.key.length - 1] === 0) {
          await kv.delete(e.key);
          dropped++;
        }
      }
    } finally {
      kv.close();
    }
    assert.ok(dropped > 0, "the reference run cached its starting networks");
    const rng = new Rng(5);
    const out = join(dir, "out.json");
    let runId: string | null = null;
    let kills = 0;
    let resumes = 0;
    let notices = 0;
    for (let k = 0; k < 12; k++) {
      const args = runId === null
        ? ["run", "-A", FIG5_TASK, ...TINY_FIG5, "--store", store, "--out", out]
        : ["run", "-A", FIG5_TASK, "--resume", runId, "--store", store, "--out", out, "--quiet"];
      const a = await attempt(
        args,
        kills < 2 ? { location: store, afterMs: 200 + rng.uniform() * 2500 } : null,
      );
      if (/notice: .*(damaged|discarded|missing)/i.test(a.err)) notices++;
      if (runId !== null) resumes++;
      if (runId === null) {
        const s = await openStore(store, { readOnly: true });
        try {
          runId = (await s.listRuns({ figure: "fig5" })).find((r) => r.status !== "done")?.id ??
            null;
        } finally {
          await s.close();
        }
      }
      if (a.killed) {
        kills++;
        await new Promise((r) => setTimeout(r, 450));
        continue;
      }
      if (a.code === 2 && /is being worked on by/.test(a.err)) {
        await new Promise((r) => setTimeout(r, 450));
        continue;
      }
      if (a.code === 2 && runId !== null && /is already done/.test(a.err)) {
        // The last kill landed after the run was marked done, perhaps before its --out was
        // written: the runs CLI exports a finished run's --out (the documented way afterwards).
        const e = await attempt([
          "run",
          "-A",
          RUNS_TASK,
          "export",
          runId,
          "--store",
          store,
          "--out",
          out,
        ], null);
        assert.equal(e.code, 0, e.err);
        break;
      }
      assert.equal(a.code, 0, a.err);
      break;
    }
    assert.ok(notices > 0, "the damaged cache entry was reported");
    assert.deepEqual(await fig5Json(out), await fig5Json(join(dir, "ref.json")));
    console.log(
      `fault injection (fig5): damaged cache noticed and retrained, ${kills} kills, ` +
        `${resumes} resumes, --out JSON identical to the uninterrupted run`,
    );
  });
});

Deno.test("fault: NaN weights in a starting network fail its lineages, not the run", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const { startCacheKey } = await import("../core/dms/starting_networks.ts");
    const { FIG5_DEFAULT } = await import("../experiments/fig5/config.ts");
    const { DMS_SHAPE, paramLayout } = await import("../core/rnn/network.ts");
    // A cached network 1 (after every round) whose weights hold NaN, as a corrupted cache would.
    const s = await openStore(store);
    try {
      const w = new Float64Array(paramLayout(DMS_SHAPE).size).fill(0.01);
      w[17] = NaN;
      const protocol = { ...FIG5_DEFAULT, initialRounds: 1, maxOuterInitial: 2, scgSteps: 8 };
      await s.putCache(
        startCacheKey(protocol, { seed: 9, network: 1, round: 1, arithmetic: "cpu-wasm" }),
        { metrics: { rounds: [] }, blobs: { w } },
      );
    } finally {
      await s.close();
    }
    const out = join(dir, "out.json");
    const r = await attempt([
      "run",
      "-A",
      FIG5_TASK,
      "--networks",
      "2",
      "--levels",
      "0.5",
      "--initial-rounds",
      "1",
      "--max-outer-initial",
      "2",
      "--max-outer",
      "1",
      "--scg-steps",
      "8",
      "--seed",
      "9",
      "--engine",
      "cpu",
      "--cpu-kernel",
      "wasm",
      "--store",
      store,
      "--out",
      out,
      "--quiet",
    ], null);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(await Deno.readTextFile(out));
    const text = JSON.stringify(summary.failures);
    assert.match(text, /weights\[17\] is NaN/, text);
  });
});
