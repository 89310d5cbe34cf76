/**
 * The run lifecycle of the figure-task CLI (issue 14 items 1 and 4, issue 18 item 3), on the probe
 * experiment (tests/fixtures/probe_experiment.ts): the arithmetic a run is computed in is recorded
 * at creation and `--resume` refuses any other (one error line, exit 2, nothing changed) and takes
 * the run's own without flags; a run is leased while a process works on it, a second `--resume`
 * names the holder, a killed holder's lease expires; Ctrl-C stops within 2 s at any phase (also a
 * blocked main thread), a second Ctrl-C exits at once, the one press `deno task` delivers twice
 * counts once, the resume command is shell-quoted; the run record carries the live status while
 * the run runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runExperimentCli } from "../core/app/cli.ts";
import { openStore, type RunRecord } from "../core/store/store.ts";
import { probeExperiment } from "./fixtures/probe_experiment.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const PROBE_CLI = new URL("./fixtures/probe_cli.ts", import.meta.url).pathname;

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli(args: string[], options: { signal?: AbortSignal } = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runExperimentCli(probeExperiment, [...args, "--quiet"], {
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
    signal: options.signal,
  });
  return { code, out, err };
}

/** A new probe run interrupted after its first unit; returns its id. */
async function interruptedRun(
  store: string,
  extra: string[] = [],
  options: { sleepMs?: number } = {},
): Promise<string> {
  const ac = new AbortController();
  const sleepMs = options.sleepMs ?? 150;
  const r = cli(["--store", store, "--units", "6", "--sleep-ms", String(sleepMs), ...extra], {
    signal: ac.signal,
  });
  setTimeout(() => ac.abort(new Error("test")), sleepMs + 200);
  const done = await r;
  assert.equal(done.code, 130, done.err.join(" | "));
  const id = done.out.join("\n").match(/run id: (probe-[a-z0-9-]+)/)?.[1];
  assert.ok(id, done.out.join("\n"));
  return id;
}

async function record(store: string, id: string): Promise<RunRecord> {
  const s = await openStore(store, { readOnly: true });
  try {
    const run = await s.getRun(id);
    assert.ok(run);
    return run;
  } finally {
    await s.close();
  }
}

Deno.test("provenance: a run records engine, kernel build, SCG state and arithmetic at creation", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const js = await interruptedRun(store, ["--engine", "cpu", "--cpu-kernel", "js"]);
    const r1 = await record(store, js);
    assert.equal(r1.engine, "cpu");
    assert.equal(r1.arithmetic, "cpu-js");
    assert.equal(r1.kernel, "js");
    assert.equal(r1.scgState, undefined);
    const f32 = await interruptedRun(store, ["--engine", "cpu-f32", "--scg-state", "host"]);
    const r2 = await record(store, f32);
    assert.equal(r2.arithmetic, "cpu-f32-wasm");
    assert.equal(r2.scgState, "host");
    assert.equal(r2.kernel, undefined);
  });
});

Deno.test("provenance: --resume in other arithmetic is one error line, exit 2, nothing changed", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const id = await interruptedRun(store, ["--engine", "cpu", "--cpu-kernel", "js"]);
    const before = await record(store, id);
    for (
      const flags of [
        ["--engine", "cpu-f32"],
        ["--cpu-kernel", "wasm"],
        ["--engine", "cpu", "--cpu-kernel", "wasm"],
        ["--engine", "cpu-f32", "--scg-state", "host"],
      ]
    ) {
      const r = await cli(["--store", store, "--resume", id, ...flags]);
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.err.join(" | ")}`);
      assert.equal(r.err.length, 1);
      assert.match(r.err[0], /^error: --resume: run .* is computed in arithmetic cpu-js/);
      assert.match(r.err[0], /drop the engine flags/);
      assert.deepEqual(r.out, []);
    }
    assert.deepEqual(await record(store, id), before, "the run record is untouched");
    // Without engine flags the run's own arithmetic; --workers changes no bit and is allowed.
    const ok = await cli(["--store", store, "--resume", id, "--workers", "1"]);
    assert.equal(ok.code, 0, ok.err.join(" | "));
    assert.match(ok.out.join("\n"), /the run's own arithmetic \(cpu-js\)/);
    const s = await openStore(store, { readOnly: true });
    try {
      const units = await s.listUnits(id);
      assert.equal(units.length, 6);
      for (const u of units) assert.equal(u.record.metrics.arithmetic, "cpu-js");
    } finally {
      await s.close();
    }
  });
});

Deno.test("provenance: --resume with flags naming the run's own arithmetic is accepted", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const id = await interruptedRun(store, ["--engine", "cpu", "--cpu-kernel", "js"]);
    const r = await cli([
      "--store",
      store,
      "--resume",
      id,
      "--engine",
      "cpu",
      "--cpu-kernel",
      "js",
    ]);
    assert.equal(r.code, 0, r.err.join(" | "));
  });
});

Deno.test("lease: a second --resume while one runs names the holder (host, pid, since)", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const id = await interruptedRun(store, [], { sleepMs: 600 });
    const ac = new AbortController();
    const first = cli(["--store", store, "--resume", id], { signal: ac.signal });
    // Wait until the first resume holds the lease (its record says running again).
    for (let t = 0; t < 100 && (await record(store, id)).status !== "running"; t++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await cli(["--store", store, "--resume", id]);
    assert.equal(second.code, 2, second.err.join(" | "));
    assert.equal(second.err.length, 1);
    assert.match(
      second.err[0],
      new RegExp(`^error: run ${id} is being worked on by pid ${Deno.pid} on .+ since \\d{4}-`),
    );
    ac.abort(new Error("test"));
    assert.equal((await first).code, 130);
    // Released at the end: resuming now works.
    const third = await cli(["--store", store, "--resume", id]);
    assert.equal(third.code, 0, third.err.join(" | "));
  });
});

/** Starts the probe CLI as its own process. */
function spawnProbe(
  args: string[],
  options: { env?: Record<string, string> } = {},
): { child: Deno.ChildProcess; output: Promise<{ code: number; out: string; err: string }> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROBE_CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const output = child.output().then((o) => ({
    code: o.code,
    out: new TextDecoder().decode(o.stdout),
    err: new TextDecoder().decode(o.stderr),
  }));
  return { child, output };
}

/** Waits until the process has printed its run id and stored `units` units. */
async function waitForUnits(store: string, units: number): Promise<string> {
  for (let t = 0; t < 400; t++) {
    try {
      const s = await openStore(store, { readOnly: true });
      try {
        const [run] = await s.listRuns();
        if (run && (await s.listUnits(run.id)).length >= units) return run.id;
      } finally {
        await s.close();
      }
    } catch {
      // Not created yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no run with ${units} units in ${store}`);
}

Deno.test("lease: a killed holder's lease expires; until then --resume names the dead pid", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const p = spawnProbe(["--store", store, "--units", "8", "--sleep-ms", "100", "--quiet"], {
      env: { PRUNELAB_LEASE_TTL_MS: "2000" },
    });
    const id = await waitForUnits(store, 1);
    p.child.kill("SIGKILL");
    await p.output;
    const refused = await cli(["--store", store, "--resume", id]);
    assert.equal(refused.code, 2);
    assert.match(refused.err[0], new RegExp(`pid ${p.child.pid} on `));
    assert.match(refused.err[0], /or for the lease to expire if that process died/);
    await new Promise((r) => setTimeout(r, 2200));
    const ok = await cli(["--store", store, "--resume", id]);
    assert.equal(ok.code, 0, ok.err.join(" | "));
  });
});

Deno.test("interrupt: Ctrl-C stops within 2 s (also a blocked main thread), quoted resume command", async () => {
  await withTempDir(async (dir) => {
    // A store path with a space and a quote: the printed command must survive a shell.
    const store = join(dir, "my runs", "it's.kv");
    await Deno.mkdir(join(dir, "my runs"));
    for (const busy of ["0", "5000"]) {
      const p = spawnProbe([
        "--store",
        store,
        "--units",
        "100",
        "--sleep-ms",
        busy === "0" ? "200" : "1",
        "--busy-ms",
        busy,
      ]);
      await waitForUnits(store, busy === "0" ? 2 : 0);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      p.child.kill("SIGINT");
      const o = await p.output;
      const took = performance.now() - t0;
      if (busy === "0") {
        assert.equal(o.code, 130, o.err);
        assert.ok(took < 2000, `stopped after ${took.toFixed(0)} ms`);
        const line = o.err.split("\n").find((l) => l.startsWith("interrupted:"));
        assert.ok(line, o.err);
        const cmd = line.slice(line.indexOf("Finish with: ") + "Finish with: ".length);
        assert.equal(
          cmd,
          `probe --resume ${line.match(/probe-[a-z0-9-]+/)?.[0]} --store '${
            store.replace("'", `'\\''`)
          }'`,
        );
        // The shell gives back exactly the store path.
        const echoed = await new Deno.Command("sh", {
          args: ["-c", `printf '%s' ${cmd.slice(cmd.indexOf("--store ") + 8)}`],
          stdout: "piped",
        }).output();
        assert.equal(new TextDecoder().decode(echoed.stdout), store);
      } else {
        // The main thread computes for 5 s at a stretch: the first press can only be acted on
        // after it, so this checks the process is not stuck (the second press is checked below).
        assert.equal(o.code, 130, o.err);
      }
    }
  });
});

Deno.test("interrupt: a second Ctrl-C exits at once even while the main thread is blocked", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const p = spawnProbe([
      "--store",
      store,
      "--units",
      "100",
      "--sleep-ms",
      "1",
      "--busy-ms",
      "20000",
    ]);
    await waitForUnits(store, 0);
    await new Promise((r) => setTimeout(r, 1000));
    p.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 800));
    const t0 = performance.now();
    p.child.kill("SIGINT");
    const o = await p.output;
    const took = performance.now() - t0;
    assert.ok(took < 2500, `second Ctrl-C: exited after ${took.toFixed(0)} ms`);
    assert.equal(o.code, 130);
  });
});

Deno.test("interrupt: the press deno task delivers twice (within ms) counts once", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const p = spawnProbe(["--store", store, "--units", "100", "--sleep-ms", "200"]);
    await waitForUnits(store, 1);
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 20));
    p.child.kill("SIGINT");
    const o = await p.output;
    assert.equal(o.code, 130);
    // A graceful stop: the run is marked and the resume command printed.
    assert.match(o.err, /^interrupted: \d+\/100 units kept\. Finish with: probe --resume /m, o.err);
    assert.doesNotMatch(o.err, /interrupted again/);
    const s = await openStore(store, { readOnly: true });
    try {
      const [run] = await s.listRuns();
      assert.equal(run.status, "interrupted");
      assert.equal(await s.getLease(run.id), null, "the lease is released");
    } finally {
      await s.close();
    }
  });
});

Deno.test("interrupt: killing the deno task wrapper with SIGTERM stops its child", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const config = join(dir, "deno.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        tasks: { probe: `deno run -A ${PROBE_CLI} --store ${store} --units 100 --sleep-ms 200` },
      }),
    );
    const wrapper = new Deno.Command(Deno.execPath(), {
      args: ["task", "--config", config, "probe"],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const output = wrapper.output();
    await waitForUnits(store, 1);
    wrapper.kill("SIGTERM");
    const o = await output;
    // 130: interrupted (any signal), passed on by the wrapper.
    assert.equal(o.code, 130, new TextDecoder().decode(o.stderr));
    // The child stopped and recorded it (it, not only the wrapper, got the signal).
    const s = await openStore(store, { readOnly: true });
    try {
      const [run] = await s.listRuns();
      assert.equal(run.status, "interrupted");
    } finally {
      await s.close();
    }
  });
});

Deno.test("live status: phase, ETA and live loss in the run record while running, cleared at the end", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const p = spawnProbe(["--store", store, "--units", "12", "--sleep-ms", "400", "--quiet"]);
    const id = await waitForUnits(store, 3);
    let seen: RunRecord | null = null;
    for (let t = 0; t < 60 && !seen?.phase; t++) {
      const r = await record(store, id);
      if (r.phase && r.eta) seen = r;
      else await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(seen?.phase, "the record got a phase");
    assert.match(seen.phase.label, /^probe units \(phase 1 of 1; units\)$/);
    assert.equal(seen.phase.total, 12);
    assert.ok(seen.phase.done >= 1 && seen.phase.done <= 12);
    assert.ok(seen.eta && seen.eta.remainingMs > 0 && !Number.isNaN(Date.parse(seen.eta.at)));
    assert.deepEqual(seen.liveLoss?.[0]?.loss, [1, 0.5, 0.25]);
    const o = await p.output;
    assert.equal(o.code, 0, o.err);
    const end = await record(store, id);
    assert.equal(end.status, "done");
    assert.equal(end.phase, undefined);
    assert.equal(end.eta, undefined);
    assert.equal(end.liveLoss, undefined);
  });
});
