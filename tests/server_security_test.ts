/**
 * The dashboard server's protections (issue 14 item 6): the Host allow-list against DNS
 * rebinding, and the security headers on every response (the JSON API, assets, events, 404, 405,
 * 403 and 500 answers), through the app and through a real listener.
 */
import assert from "node:assert/strict";
import { ResultStore } from "../core/store/kv_store.ts";
import { createApp } from "../server/app.ts";
import { memoryAssets } from "../server/assets.ts";
import { startServer } from "../server/listen.ts";
import { parseServeArgs } from "../server/serve_cli.ts";
import {
  allowedHosts,
  CONTENT_SECURITY_POLICY,
  hostAllowed,
  hostOfHeader,
  SECURITY_HEADERS,
} from "../server/security.ts";
import { demoExperiment, demoRun } from "../server/testing/demo_experiment.ts";
import type { Experiment } from "../core/app/experiment.ts";

const experiments = { demo: demoExperiment as unknown as Experiment };
const assets = memoryAssets({
  "index.html": "<!doctype html><title>x</title>",
  "app.js": "console.log(1)",
});

function assertSecurityHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(res.headers.get(name), value, `${name} on ${what}`);
  }
}

async function withApp(
  fn: (request: (path: string, init?: RequestInit) => Promise<Response>) => Promise<void>,
  options: { hosts?: ReadonlySet<string> } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-security-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  await store.createRun(demoRun("demo-a", { networks: 1, levels: [0] }));
  const { app, watcher } = createApp({ store, assets, experiments, pollMs: 20, ...options });
  try {
    await fn(async (p, init) => await app.request(p, init));
  } finally {
    watcher.stop();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("security headers: CSP, X-Frame-Options, Referrer-Policy and nosniff on every answer", async () => {
  await withApp(async (request) => {
    const cases: [string, RequestInit | undefined, number][] = [
      ["/api/runs", undefined, 200],
      ["/api/runs/demo-a", undefined, 200],
      ["/api/runs/demo-a/config", undefined, 200],
      ["/api/runs/nope", undefined, 404],
      ["/api/runs/BAD!", undefined, 400],
      ["/api/nothing", undefined, 404],
      ["/", undefined, 200],
      ["/app.js", undefined, 200],
      ["/app.js", { method: "HEAD" }, 200],
      ["/missing.js", undefined, 404],
      ["/api/runs", { method: "POST" }, 405],
      ["/", { method: "DELETE" }, 405],
      ["/api/runs", { headers: { host: "evil.example" } }, 403],
    ];
    for (const [path, init, status] of cases) {
      const res = await request(path, init);
      const what = `${init?.method ?? "GET"} ${path}`;
      assert.equal(res.status, status, what);
      assertSecurityHeaders(res, what);
      await res.body?.cancel();
    }
    const events = await request("/api/events");
    assertSecurityHeaders(events, "GET /api/events");
    await events.body?.cancel();
  });
});

Deno.test("security headers: a handler that throws gets a 500 with the headers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-security-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  const broken = {
    ...demoExperiment,
    panels: () => {
      throw new Error("boom");
    },
  };
  await store.createRun(demoRun("demo-a", { networks: 1, levels: [0] }));
  const { app, watcher } = createApp({
    store,
    assets,
    experiments: { demo: broken as unknown as Experiment },
  });
  const log = console.error;
  console.error = () => {};
  try {
    const res = await app.request("/api/runs/demo-a");
    assert.equal(res.status, 500);
    assertSecurityHeaders(res, "500");
    await res.body?.cancel();
  } finally {
    console.error = log;
    watcher.stop();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CSP: only the server's own scripts, styles and API; no framing", () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /script-src[^;]*unsafe-inline/);
  assert.match(CONTENT_SECURITY_POLICY, /connect-src 'self'/);
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
});

Deno.test("Host allow-list: loopback names answer, a rebound name gets 403", async () => {
  await withApp(async (request) => {
    for (
      const host of [
        "localhost",
        "localhost:8000",
        "127.0.0.1:8000",
        "127.3.4.5",
        "[::1]:8000",
        "LOCALHOST.",
      ]
    ) {
      const res = await request("/api/runs", { headers: { host } });
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    for (const host of ["attacker.example", "attacker.example:8000", "127.0.0.1.evil.example"]) {
      const res = await request("/api/runs", { headers: { host } });
      assert.equal(res.status, 403, host);
      const body = await res.json();
      assert.match(body.error, /does not answer to the host name/);
    }
    // A page asset is refused too (the rebinding page would read the bundle's API through it).
    const asset = await request("/", { headers: { host: "attacker.example" } });
    assert.equal(asset.status, 403);
    await asset.body?.cancel();
  });
});

Deno.test("Host allow-list: the bind address and --allow-host names are added", async () => {
  const hosts = allowedHosts({ bind: "10.1.2.3", extra: ["dash.lab.example"] });
  assert.ok(hostAllowed("10.1.2.3:8000", hosts));
  assert.ok(hostAllowed("dash.lab.example", hosts));
  assert.ok(hostAllowed("localhost:1", hosts));
  assert.ok(!hostAllowed("10.1.2.4", hosts));
  assert.ok(!hostAllowed("", hosts));
  assert.ok(!hostAllowed(undefined, hosts));
  // A wildcard bind answers to this machine's interface addresses.
  const wild = allowedHosts({ bind: "0.0.0.0" });
  for (const ni of Deno.networkInterfaces()) {
    assert.ok(hostAllowed(ni.family === "IPv6" ? `[${ni.address}]:80` : ni.address, wild));
  }
  assert.ok(!hostAllowed("attacker.example", wild));
  assert.equal(hostOfHeader("[::1]:8000"), "::1");
  assert.equal(hostOfHeader("Example.ORG:80"), "example.org");
  assert.equal(hostOfHeader("fe80::1"), "fe80::1");
  await withApp(async (request) => {
    const res = await request("/api/runs", { headers: { host: "dash.lab.example" } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }, { hosts });
  assert.deepEqual(parseServeArgs(["--allow-host", "a.example,b.example"]).allowHosts, [
    "a.example",
    "b.example",
  ]);
  assert.throws(() => parseServeArgs(["--allow-host", "a b"]), /--allow-host: 'a b'/);
});

Deno.test("Host allow-list and headers through a real listener", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-security-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  const server = startServer(
    { store, assets, experiments },
    { port: 0, verbose: false, prewarm: false },
  );
  try {
    const ok = await fetch(`${server.url}api/runs`);
    assert.equal(ok.status, 200);
    assertSecurityHeaders(ok, "listener GET");
    await ok.body?.cancel();
    // A rebound name reaching the loopback listener: the browser sends its own Host.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(
      new TextEncoder().encode(
        "GET /api/runs HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n",
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    conn.close();
    const text = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    assert.match(text, /^HTTP\/1\.1 403/);
    assert.match(text.toLowerCase(), /x-frame-options: deny/);
  } finally {
    await server.close();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
