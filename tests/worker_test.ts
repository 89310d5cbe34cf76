/**
 * Workers end to end (issue 15 items 2 and 7): a fig5 run detached into work units and computed by
 * three worker processes, one of them killed with SIGKILL in the middle of a unit, finishes with
 * every stored unit bit-identical to the same run computed in one process (and the same `--out`
 * JSON) — on a Deno KV file always, and on PostgreSQL when PRUNELAB_TEST_PG names a server (CI).
 * Also: Ctrl-C gives a unit back promptly; a worker that cannot compute anything says why;
 * bad input of `--detach` and of the worker is one `error:` line and exit 2 with nothing written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EXIT, runExperimentCli } from "../core/app/cli.ts";
import { runWorkerCli } from "../core/app/worker.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";
import { openStore, type ResultStore } from "../core/store/store.ts";
import { backend, noticePgSkipped, TEST_PG, type TestBackend } from "./fixtures/store_backends.ts";
import { withTempDir } from "./fixtures/helpers.ts";
import { assertSameRun, capture, type Captured, runsExport } from "./fixtures/runs.ts";

noticePgSkipped();

/** A tiny fig5 run (tests/fig5_test.ts's fast flags) of three networks: three work units. */
const TINY = [
  "--networks",
  "3",
  "--levels",
  "0.5,0.7",
  "--initial-rounds",
  "1",
  "--max-outer",
  "1",
  "--scg-steps",
  "16",
  "--seed",
  "5",
  "--engine",
  "cpu",
];

const WORKER = new URL("../tasks/worker.ts", import.meta.url).pathname;

/** A child process's output as it arrives, with a way to wait for a line. */
class Child {
  readonly process: Deno.ChildProcess;
  text = "";
  readonly #done: Promise<void>;

  constructor(args: string[]) {
    this.process = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", WORKER, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
    };
    this.#done = Promise.all([pump(this.process.stdout), pump(this.process.stderr)]).then(() => {});
  }

  /** Resolves with the first match of `re` in the output (polling), or fails after `ms`. */
  async waitFor(re: RegExp, ms = 120_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (Date.now() - t0 > ms) throw new Error(`no ${re} within ${ms} ms in:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The exit status once the output is drained. */
  async status(): Promise<Deno.CommandStatus> {
    const s = await this.process.status;
    await this.#done;
    return s;
  }
}

/** Runs fig5 in this process; returns the captured output and exit code. */
function fig5Cli(args: string[]): Promise<Captured> {
  return capture((io) => runExperimentCli(fig5, args, io));
}

/** The run id a `--detach --quiet` printed. */
function detachedId(r: Captured): string {
  assert.equal(r.code, EXIT.ok, r.err.join("\n"));
  assert.equal(r.out.length, 1, r.out.join("\n"));
  assert.match(r.out[0], /^fig5-[a-z0-9-]+$/);
  return r.out[0];
}

/** Waits until unit `key` of the run is stored while `worker` runs (it is then mid-unit). */
async function waitForUnit(
  store: ResultStore,
  at: { runId: string; key: (string | number)[]; worker: Child },
): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  at.worker.process.status.then(() => exited = true);
  while (!(await store.getUnit(at.runId, at.key))) {
    if (exited || Date.now() - t0 > 300_000) {
      throw new Error(
        `unit ${at.key.join("/")} was not stored (${exited ? "the worker exited" : "timeout"}); ` +
          `the worker printed:\n${at.worker.text}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function killedWorkerRun(b: TestBackend): Promise<void> {
  await withTempDir(async (dir) => {
    // The reference: the same run in one process, on a KV file.
    const refStore = join(dir, "one.kv");
    const ref = await fig5Cli([...TINY, "--workers", "1", "--quiet", "--store", refStore]);
    assert.equal(ref.code, EXIT.ok, ref.err.join("\n"));
    const refId = /run id: (fig5-[a-z0-9-]+)/.exec(ref.out.join("\n"))![1];

    const loc = await b.fresh();
    try {
      const id = detachedId(
        await fig5Cli([...TINY, "--store", loc.location, "--detach", "--quiet"]),
      );
      const store = await openStore(loc.location);
      try {
        assert.equal((await store.listWork(id)).length, 3, "one work unit per network");
        const flags = ["--store", loc.location, "--run", id, "--workers", "1"];
        const fast = ["--lease-ttl", "3", "--poll", "0.2", "--quiet"];
        const victim = new Child([...flags, ...fast]);
        const m = await victim.waitFor(/unit (\d+) of \S+ \(network (\d+)\), attempt 1: computing/);
        const [unit, network] = [Number(m[1]), Number(m[2])];
        const others = [new Child([...flags, ...fast]), new Child([...flags, ...fast])];
        // Killed once its starting network is stored and before its levels are.
        await waitForUnit(store, { runId: id, key: ["start", network], worker: victim });
        victim.process.kill("SIGKILL");
        assert.equal((await victim.status()).signal, "SIGKILL");
        assert.equal((await store.listWork(id))[unit].state === "done", false, "killed mid-unit");
        for (const w of others) {
          const s = await w.status();
          assert.equal(s.code, 0, w.text);
          assert.match(w.text, /is finished/);
        }
        const work = await store.listWork(id);
        assert.ok(work.every((u) => u.state === "done"), JSON.stringify(work));
        // Taken over at least once (a live worker starved of CPU past its lease may lose one
        // too: that costs time, never results).
        assert.ok(
          work[unit].attempts >= 2,
          `the killed unit was taken over: ${work[unit].attempts}`,
        );
        assert.equal((await store.getRun(id))?.status, "done");
      } finally {
        await store.close();
      }
      await assertSameRun({ location: refStore, id: refId }, { location: loc.location, id });
      // The figure's --out JSON, written from either run, is the same apart from its identity.
      const [a, c] = await Promise.all([
        runsExport(refStore, refId, join(dir, "a.json")),
        runsExport(loc.location, id, join(dir, "c.json")),
      ]);
      for (const j of [a, c]) {
        delete j.runId;
        delete j.engineDescription;
      }
      assert.deepEqual(c, a);
    } finally {
      await loc.cleanup();
    }
  });
}

Deno.test("workers [kv]: 3 processes, one killed mid-unit; units identical to one process", () =>
  killedWorkerRun(backend("kv")));

Deno.test({
  name: "workers [postgres]: 3 processes, one killed mid-unit; units identical to one process",
  ignore: !TEST_PG,
  fn: () => killedWorkerRun(backend("postgres")),
});

Deno.test("workers: Ctrl-C gives the unit back at once; another worker finishes it", async () => {
  await withTempDir(async (dir) => {
    const loc = join(dir, "s.kv");
    const one = ["--networks", "1", ...TINY.slice(2)];
    const id = detachedId(await fig5Cli([...one, "--store", loc, "--detach", "--quiet"]));
    const w = new Child(["--store", loc, "--run", id, "--workers", "1", "--quiet"]);
    await w.waitFor(/attempt 1: computing/);
    const t0 = performance.now();
    w.process.kill("SIGINT");
    const s = await w.status();
    assert.equal(s.code, EXIT.interrupted, w.text);
    assert.match(w.text, /interrupted: unit 0 of \S+ given back/);
    assert.ok(performance.now() - t0 < 30_000, "stopped promptly");
    const store = await openStore(loc);
    try {
      const [u] = await store.listWork(id);
      assert.deepEqual([u.state, u.attempts], ["open", 1]);
      assert.match(u.error ?? "", /given back/);
    } finally {
      await store.close();
    }
    const again = await capture((io) =>
      runWorkerCli(["--store", loc, "--run", id, "--workers", "1", "--quiet"], { fig5 }, io)
    );
    assert.equal(again.code, EXIT.ok, again.err.join("\n"));
    assert.match(again.out.join("\n"), /attempt 2: computing[\s\S]*is finished/);
  });
});

Deno.test("workers: without --run a worker serves every running run and exits when idle", async () => {
  await withTempDir(async (dir) => {
    const loc = join(dir, "s.kv");
    const one = ["--networks", "1", ...TINY.slice(2)];
    const a = detachedId(await fig5Cli([...one, "--store", loc, "--detach", "--quiet"]));
    const b = detachedId(
      await fig5Cli([...one, "--seed", "6", "--store", loc, "--detach", "--quiet"]),
    );
    const r = await capture((io) =>
      runWorkerCli(["--store", loc, "--workers", "1", "--idle-exit", "0.3", "--poll", "0.1"], {
        fig5,
      }, io)
    );
    assert.equal(r.code, EXIT.ok, r.err.join("\n"));
    const text = r.out.join("\n");
    assert.match(text, new RegExp(`run ${a} finished[\\s\\S]*run ${b} finished`), "oldest first");
    assert.match(text, /nothing to compute for 0s: exiting/);
  });
});

Deno.test("detach and worker: bad input is one error line, exit 2, nothing written", async () => {
  await withTempDir(async (dir) => {
    const loc = join(dir, "s.kv");
    const fig5Cases: [string[], RegExp][] = [
      [["--detach", "--resume", "fig5-x"], /--detach starts a new run/],
      [["--detach", "--out", join(dir, "o.json")], /--out needs the finished run/],
      [["--networks-per-unit", "2"], /--networks-per-unit applies only with --detach/],
      [["--detach", "--networks-per-unit", "0"], /--networks-per-unit must be between 1/],
    ];
    for (const [args, re] of fig5Cases) {
      const r = await fig5Cli([...TINY, "--store", loc, ...args]);
      assert.equal(r.code, EXIT.usage, `${args.join(" ")}: ${r.err.join("\n")}`);
      assert.equal(r.err.length, 1, r.err.join("\n"));
      assert.match(r.err[0], /^error: /);
      assert.match(r.err[0], re);
    }
    await assert.rejects(() => Deno.stat(loc), "no store was created");
    // A run that was not detached, to point a worker at.
    const plain = await fig5Cli(["--networks", "1", ...TINY.slice(2), "--store", loc, "--quiet"]);
    const plainId = /run id: (fig5-[a-z0-9-]+)/.exec(plain.out.join("\n"))![1];
    const workerCases: [string[], RegExp][] = [
      [["--store", join(dir, "missing.kv")], /no results store at/],
      [["--store", loc, "--run", "Not An Id"], /--run: 'Not An Id' is not a run id/],
      [["--store", loc, "--run", "fig5-unknown"], /--run: no run 'fig5-unknown'/],
      [
        ["--store", loc, "--run", plainId],
        /has no work units \(it was not started with --detach\)/,
      ],
      [["--store", loc, "--lease-ttl", "soon"], /--lease-ttl must be a number/],
      [["--store", loc, "--run", plainId, "--idle-exit", "5"], /--idle-exit applies without --run/],
      [["--store", loc, "--workers", "-1"], /--workers/],
      [["--store", loc, "--bogus"], /unknown flag --bogus/],
      [["--store", "postgres://"], /no host|not a URL/],
      [["--store", "postgres://u@127.0.0.1:1/db"], /connection refused/],
    ];
    for (const [args, re] of workerCases) {
      const r = await capture((io) => runWorkerCli(args, { fig5 }, io));
      assert.equal(r.code, EXIT.usage, `${args.join(" ")}: ${r.err.join("\n")}`);
      assert.equal(r.err.length, 1, `${args.join(" ")}: ${r.err.join("\n")}`);
      assert.match(r.err[0], /^error: /);
      assert.match(r.err[0], re);
    }
    await assert.rejects(() => Deno.stat(join(dir, "missing.kv")), "no store was created");
  });
});
