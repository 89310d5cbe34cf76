/**
 * PostgreSQL store failures a user can meet, each one line of a `StoreError` and none hanging:
 * malformed connection strings, a refused or silent server, an unknown host (these need no
 * server), and with the test server (PRUNELAB_TEST_PG): a wrong password, a missing database, a
 * missing store when creating is not allowed, and a schema of another version. Also: two
 * processes creating the schema at once, and the store's own PostgreSQL schema being used.
 */
import assert from "node:assert/strict";
import { newRunId, openStore, StoreError } from "../core/store/store.ts";
import { parsePgLocation, redactLocation } from "../core/store/pg_location.ts";
import {
  noticePgSkipped,
  runRecord,
  TEST_PG,
  withPgAdmin,
  withPgSchema,
} from "./fixtures/store_backends.ts";

noticePgSkipped();

function oneLine(kind: StoreError["kind"], pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StoreError, `not a StoreError: ${err}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(!err.message.includes("\n"), err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

Deno.test("pg store: malformed connection strings are one-line location errors", async () => {
  const cases: [string, RegExp][] = [
    ["postgres://", /no host|not a URL/],
    ["postgres://%zz@h/db", /badly escaped/],
    ["postgres://h:notaport/db", /not a URL/],
    ["postgres://[::1/db", /not a URL/],
    ["postgres://u@h/db?schema=Bad-Name", /schema 'Bad-Name'/],
    ["postgres://u@h/a/b", /not a database name/],
    ["postgresql://u@h/db?host=relative", /socket folder/],
  ];
  for (const [location, pattern] of cases) {
    await assert.rejects(() => openStore(location), oneLine("location", pattern));
  }
  // Passwords never appear in messages.
  await assert.rejects(
    () => openStore("postgres://me:s3cret@h:1/db?schema=Nope"),
    (err: Error) => !err.message.includes("s3cret") && err.message.includes("me:***@"),
  );
  assert.equal(redactLocation("postgresql://a:b@h/d"), "postgresql://a:***@h/d");
  assert.equal(redactLocation("store.kv"), "store.kv");
  const loc = parsePgLocation("postgres://u@/db?host=/tmp&schema=s1");
  assert.equal(loc.socketPath, "/tmp/.s.PGSQL.5432");
  assert.equal(loc.schema, "s1");
  assert.equal(loc.database, "db");
});

Deno.test("pg store: a refused port, an unknown host and a silent server fail fast", async () => {
  const t0 = performance.now();
  await assert.rejects(
    () => openStore("postgres://u@127.0.0.1:1/db"),
    oneLine("unreachable", /127\.0\.0\.1:1 \(connection refused\)/),
  );
  await assert.rejects(
    () => openStore("postgres://u@no-such-host.invalid/db", { connectTimeoutMs: 3000 }),
    oneLine("unreachable", /no-such-host\.invalid/),
  );
  // A server that accepts the connection and never answers (a hung host, a firewall).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  try {
    const port = listener.addr.port;
    const t1 = performance.now();
    await assert.rejects(
      () => openStore(`postgres://u@127.0.0.1:${port}/db`, { connectTimeoutMs: 500 }),
      oneLine("unreachable", /no answer within 0\.5 s/),
    );
    assert.ok(performance.now() - t1 < 3000, "the timeout is honoured");
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting;
  }
  assert.ok(performance.now() - t0 < 10_000);
});

Deno.test({
  name: "pg store: wrong password, missing database, missing store, other schema version",
  ignore: !TEST_PG,
  fn: () =>
    withPgSchema(async (location, schema) => {
      const wrong = new URL(location);
      wrong.password = "certainly-wrong";
      await assert.rejects(
        () => openStore(wrong.toString()),
        oneLine("auth", /refused the login .*password authentication failed/),
      );
      const noDb = new URL(location);
      noDb.pathname = "/prunelab_no_such_db";
      await assert.rejects(
        () => openStore(noDb.toString()),
        oneLine("missing", /no database 'prunelab_no_such_db'.*createdb/),
      );
      for (const options of [{ create: false }, { readOnly: true }]) {
        await assert.rejects(
          () => openStore(location, options),
          oneLine("missing", new RegExp(`no results store in schema '${schema}'`)),
        );
      }
      const store = await openStore(location);
      await store.createRun(runRecord(newRunId("fig5"), 1));
      await store.close();
      await withPgAdmin(async (sql) => {
        await sql`UPDATE ${sql(schema)}.meta SET schema_version = 99`;
      });
      await assert.rejects(
        () => openStore(location),
        oneLine("schema", /has schema version 99, this prunelab reads version 2/),
      );
    }),
});

Deno.test({
  name: "pg store: processes opening an empty database at once create the schema once",
  ignore: !TEST_PG,
  fn: () =>
    withPgSchema(async (location, schema) => {
      const stores = await Promise.all([0, 1, 2, 3].map(() => openStore(location)));
      const id = newRunId("fig5");
      await stores[0].createRun(runRecord(id, 1));
      for (const s of stores) assert.equal((await s.getRun(id))!.id, id);
      await Promise.all(stores.map((s) => s.close()));
      const tables = await withPgAdmin((sql) =>
        sql<{ table_name: string }[]>`
          SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}
          ORDER BY table_name`
      );
      assert.deepEqual(tables.map((t) => t.table_name), [
        "cache",
        "cache_blobs",
        "leases",
        "meta",
        "runs",
        "unit_blobs",
        "units",
        "work_units",
      ]);
    }),
});

Deno.test({
  name: "pg store: a short cache blob is discarded with a notice; a short unit blob is damage",
  ignore: !TEST_PG,
  fn: () =>
    withPgSchema(async (location, schema) => {
      const store = await openStore(location);
      try {
        const w = Float64Array.from({ length: 1000 }, (_, i) => i);
        await store.putCache("start", { metrics: { round: 1 }, blobs: { w } });
        const id = newRunId("fig5");
        await store.createRun(runRecord(id, 1));
        await store.putUnit(id, ["level", 0, 0], { metrics: {}, blobs: { w } });
        await withPgAdmin(async (sql) => {
          await sql`UPDATE ${sql(schema)}.cache_blobs SET data = substring(data from 1 for 8)`;
          await sql`UPDATE ${sql(schema)}.unit_blobs SET data = substring(data from 1 for 8)`;
        });
        const notices: string[] = [];
        const hit = await store.getCache("start", { onDiscarded: (m) => void notices.push(m) });
        assert.equal(hit, null);
        assert.deepEqual(notices, [
          "cache entry start was damaged (blob 'w' has 8 of 8000 bytes) and was discarded",
        ]);
        assert.equal(await store.getCache("start"), null);
        await assert.rejects(
          () => store.getBlob(id, ["level", 0, 0], "w"),
          oneLine(
            "damaged",
            /is damaged: unit level\/0\/0 of run .*: blob 'w' has 8 of 8000 bytes/,
          ),
        );
      } finally {
        await store.close();
      }
    }),
});
