/**
 * `deno task runs` (issue 15 items 3 and 7): list with filters, show, export (the figure's own
 * `--out` JSON, byte for byte, and the units CSV), delete, and `copy` round trips KV -> PostgreSQL
 * -> KV (KV -> KV -> KV without a server) that keep every record and byte. Bad input, bad
 * connection strings, an unreachable server and a store of another schema version are one
 * `error:` line and exit 2 with nothing written, for `runs`, the figure tasks and the worker.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EXIT, runExperimentCli } from "../core/app/cli.ts";
import { runRunsCli } from "../core/app/runs_cli.ts";
import { runWorkerCli } from "../core/app/worker.ts";
import { openStore } from "../core/store/store.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";
import { withTempDir } from "./fixtures/helpers.ts";
import { assertSameRun, capture, type Captured } from "./fixtures/runs.ts";
import { noticePgSkipped, TEST_PG, withPgAdmin, withPgSchema } from "./fixtures/store_backends.ts";

noticePgSkipped();

const TINY = [
  "--networks",
  "2",
  "--levels",
  "0.7",
  "--initial-rounds",
  "1",
  "--max-outer",
  "1",
  "--scg-steps",
  "16",
  "--seed",
  "3",
  "--engine",
  "cpu",
  "--workers",
  "1",
  "--quiet",
];

function runs(args: string[]): Promise<Captured> {
  return capture((io) => runRunsCli(args, { fig5 }, io));
}

/** A finished tiny fig5 run in a new KV store, with the `--out` JSON the figure itself wrote. */
async function finishedRun(dir: string): Promise<{ store: string; id: string; out: string }> {
  const store = join(dir, "runs.kv");
  const out = join(dir, "fig5.json");
  const r = await capture((io) =>
    runExperimentCli(fig5, [...TINY, "--store", store, "--out", out], io)
  );
  assert.equal(r.code, EXIT.ok, r.err.join("\n"));
  const id = /run id: (fig5-[a-z0-9-]+)/.exec(r.out.join("\n"))![1];
  return { store, id, out };
}

/** Asserts one `error:` line matching `re` and exit 2. */
function assertUsage(r: Captured, re: RegExp, what: string): void {
  assert.equal(r.code, EXIT.usage, `${what}: exit ${r.code}: ${r.err.join(" | ")}`);
  assert.equal(r.err.length, 1, `${what}: ${r.err.join(" | ")}`);
  assert.match(r.err[0], /^error: /, what);
  assert.match(r.err[0], re, what);
}

Deno.test("runs: list, show, export (the figure's own --out JSON, and CSV), delete", async () => {
  await withTempDir(async (dir) => {
    const { store, id, out } = await finishedRun(dir);
    const listed = await runs(["list", "--store", store]);
    assert.equal(listed.code, EXIT.ok, listed.err.join("\n"));
    assert.match(listed.out.join("\n"), new RegExp(`${id}\\s+fig5\\s+done\\s+4/4`));
    assert.match((await runs(["list", "--store", store, "--status", "failed"])).out[0], /no runs/);
    assert.match((await runs(["list", "--store", store, "--figure", "fig5"])).out.join(), /fig5-/);
    const shown = (await runs(["show", id, "--store", store])).out.join("\n");
    assert.match(shown, /status\s+done/);
    assert.match(shown, /networks: 2/);
    assert.match(shown, /Fig 5 summary/);

    const json = join(dir, "export.json");
    const csv = join(dir, "units.csv");
    const ex = await runs(["export", id, "--store", store, "--out", json, "--csv", csv]);
    assert.equal(ex.code, EXIT.ok, ex.err.join("\n"));
    assert.equal(await Deno.readTextFile(json), await Deno.readTextFile(out), "same bytes");
    const lines = (await Deno.readTextFile(csv)).trim().split("\n");
    assert.equal(lines.length, 1 + 4, "header + 2 starting networks + 2 levels");
    const header = lines[0].split(",");
    assert.equal(header[0], "unit");
    assert.ok(header.includes("pruned.maxLE") && header.includes("unpruned.probeAccuracy"));
    const row = lines.find((l) => l.startsWith("level/1/0,"))!.split(",");
    const s = await openStore(store, { readOnly: true });
    try {
      const unit = await s.getUnit(id, ["level", 1, 0]);
      const pruned = unit!.metrics.pruned as Record<string, unknown>;
      assert.equal(Number(row[header.indexOf("pruned.maxLE")]), pruned.maxLE, "full precision");
    } finally {
      await s.close();
    }

    assertUsage(await runs(["delete", id, "--store", store]), /add --yes/, "delete without --yes");
    assert.match((await runs(["list", "--store", store])).out.join(), new RegExp(id));
    const del = await runs(["delete", id, "--store", store, "--yes"]);
    assert.equal(del.code, EXIT.ok, del.err.join("\n"));
    assert.match((await runs(["list", "--store", store])).out[0], /no runs/);
  });
});

async function roundTrip(middle: string, dir: string): Promise<void> {
  const { store, id } = await finishedRun(dir);
  const back = join(dir, "back.kv");
  const there = await runs(["copy", id, "--store", store, "--to", middle]);
  assert.equal(there.code, EXIT.ok, there.err.join("\n"));
  const again = await runs(["copy", id, "--store", middle, "--to", back]);
  assert.equal(again.code, EXIT.ok, again.err.join("\n"));
  await assertSameRun({ location: store, id }, { location: middle, id });
  await assertSameRun({ location: store, id }, { location: back, id });
  const [a, b] = await Promise.all([store, back].map(async (l) => {
    const s = await openStore(l, { readOnly: true });
    try {
      return await s.getRun(id);
    } finally {
      await s.close();
    }
  }));
  assert.deepEqual(b, a, "the run record survives the round trip");
  const ea = join(dir, "a.json"), eb = join(dir, "b.json");
  assert.equal((await runs(["export", id, "--store", store, "--out", ea])).code, EXIT.ok);
  assert.equal((await runs(["export", id, "--store", back, "--out", eb])).code, EXIT.ok);
  assert.equal(await Deno.readTextFile(eb), await Deno.readTextFile(ea));
  // Copying onto itself again is refused before anything is written.
  assertUsage(
    await runs(["copy", id, "--store", store, "--to", back]),
    /already in/,
    "copy to a store that has the run",
  );
}

Deno.test("runs copy: KV -> KV -> KV keeps every record and byte", async () => {
  await withTempDir((dir) => roundTrip(join(dir, "middle.kv"), dir));
});

Deno.test({
  name: "runs copy: KV -> PostgreSQL -> KV keeps every record and byte",
  ignore: !TEST_PG,
  fn: () => withTempDir((dir) => withPgSchema((location) => roundTrip(location, dir))),
});

Deno.test("runs: bad input is one error line, exit 2, nothing written", async () => {
  await withTempDir(async (dir) => {
    const { store, id } = await finishedRun(dir);
    const detached = await capture((io) =>
      runExperimentCli(fig5, [...TINY, "--store", store, "--detach"], io)
    );
    assert.equal(detached.code, EXIT.ok, detached.err.join("\n"));
    const open = detached.out[0]; // --quiet: the run id alone
    const missing = join(dir, "missing.kv");
    const cases: [string[], RegExp][] = [
      [[], /runs needs a command: list, show, export, delete, copy/],
      [["lsit"], /unknown command 'runs lsit'/],
      [["show", "--store", store], /runs show needs a run id/],
      [["show", "a", "b", "--store", store], /takes one run id/],
      [["show", "Bad Id", "--store", store], /'Bad Id' is not a run id/],
      [["show", "fig5-nope", "--store", store], /no run 'fig5-nope'/],
      [["list", "x", "--store", store], /takes no run id/],
      [["list", "--status", "finished", "--store", store], /--status must be one of/],
      [["list", "--figure", "fig9", "--store", store], /--figure must be one of/],
      [["list", "--store", missing], /no results store at/],
      [["list", "--store", "postgres://%zz@h/db"], /badly escaped/],
      [["list", "--store", "postgres://u@127.0.0.1:1/db"], /connection refused/],
      [["export", id, "--store", store], /export needs --out/],
      [["export", id, "--store", store, "--out", join(dir, "no", "x.json")], /does not exist/],
      [["export", id, "--store", store, "--csv", join(dir, "no", "x.csv")], /--csv: folder/],
      [["export", open, "--store", store, "--out", join(dir, "o.json")], /is not finished/],
      [["delete", "fig5-nope", "--yes", "--store", store], /no run 'fig5-nope'/],
      [["copy", id, "--store", store], /copy needs --to/],
      [["copy", id, "--store", store, "--to", store], /--to names the store/],
      [["copy", "fig5-nope", "--store", store, "--to", join(dir, "t.kv")], /no run 'fig5-nope'/],
      [["copy", id, "--store", store, "--to", "postgres://"], /no host|not a URL/],
      [["show", id, "--store", store, "--bogus"], /unknown flag --bogus/],
    ];
    for (const [args, re] of cases) assertUsage(await runs(args), re, args.join(" "));
    for (const f of ["missing.kv", "t.kv", "o.json", "no"]) {
      await assert.rejects(() => Deno.stat(join(dir, f)), `${f} was not written`);
    }
  });
});

Deno.test({
  name: "store errors at the CLI: another schema version, one error line and exit 2 everywhere",
  ignore: !TEST_PG,
  fn: () =>
    withPgSchema(async (location, schema) => {
      const s = await openStore(location);
      await s.close();
      await withPgAdmin(async (sql) => {
        await sql`UPDATE ${sql(schema)}.meta SET schema_version = 99`;
      });
      const re = /has schema version 99, this prunelab reads version 2/;
      assertUsage(await runs(["list", "--store", location]), re, "runs list");
      assertUsage(
        await capture((io) => runExperimentCli(fig5, [...TINY, "--store", location], io)),
        re,
        "fig5",
      );
      assertUsage(
        await capture((io) => runWorkerCli(["--store", location], { fig5 }, io)),
        re,
        "worker",
      );
      const tables = await withPgAdmin((sql) =>
        sql`SELECT count(*)::int AS n FROM ${sql(schema)}.runs`
      );
      assert.equal(tables[0].n, 0, "nothing written");
    }),
});

Deno.test("figure tasks: bad and unreachable stores are one error line, exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["postgres://", /no host|not a URL/],
    ["postgres://u@h/db?schema=Bad-Name", /schema 'Bad-Name'/],
    ["postgres://u@127.0.0.1:1/db", /127\.0\.0\.1:1 \(connection refused\)/],
  ];
  for (const [location, re] of cases) {
    assertUsage(
      await capture((io) => runExperimentCli(fig5, [...TINY, "--store", location], io)),
      re,
      location,
    );
  }
});
