import assert from "node:assert/strict";
import { ResultStore } from "../core/store/kv_store.ts";
import { DEFAULT_ASSET_ROOT, fileAssets } from "../server/assets.ts";
import { ensureUiBuilt, uiSourceHash } from "../server/build_ui.ts";
import { startServer } from "../server/listen.ts";

const dec = new TextDecoder();

Deno.test("the asset root is ui/dist next to the sources, found from the module URL", () => {
  const expected = new URL("../ui/dist/", import.meta.url);
  assert.equal(DEFAULT_ASSET_ROOT.href, expected.href);
});

Deno.test("the UI bundle builds (if needed) and is read through the one asset path", async () => {
  await ensureUiBuilt();
  const hash = await uiSourceHash();
  assert.match(hash ?? "", /^[0-9a-f]{64}$/);
  assert.equal(
    (await Deno.readTextFile(new URL("source-hash.txt", DEFAULT_ASSET_ROOT))).trim(),
    hash,
    "bundle matches the current sources",
  );
  const assets = fileAssets();
  const index = dec.decode((await assets.read("index.html")) ?? new Uint8Array());
  assert.match(index, /<div id="app">/);
  for (const ref of index.matchAll(/(?:src|href)="\/([^"]+)"/g)) {
    assert.ok(await assets.read(ref[1]), `index.html references ${ref[1]}, which must exist`);
  }
  const app = (await assets.read("app.js")) ?? new Uint8Array();
  assert.ok(app.byteLength > 10_000, "app.js holds the bundled Preact + chart.js code");
  assert.equal(await assets.read("nope.js"), null);
});

Deno.test("the asset path does not depend on the working directory (as in the binary)", async () => {
  await ensureUiBuilt();
  const tmp = await Deno.makeTempDir({ prefix: "prunelab-cwd-" });
  try {
    const mod = new URL("../server/assets.ts", import.meta.url).href;
    const code = `import { fileAssets } from ${JSON.stringify(mod)};
      const b = await fileAssets().read("index.html");
      console.log(b ? "ok " + b.byteLength : "missing");`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      cwd: tmp,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = dec.decode(out.stdout).trim();
    assert.ok(out.success, dec.decode(out.stderr));
    assert.match(text, /^ok \d+$/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("file assets never read outside their folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-assets-" });
  try {
    await Deno.mkdir(`${dir}/public`);
    await Deno.writeTextFile(`${dir}/public/index.html`, "public page");
    await Deno.writeTextFile(`${dir}/secret.txt`, "TOP SECRET");
    const assets = fileAssets(new URL(`file://${dir}/public/`));
    assert.equal(dec.decode((await assets.read("index.html"))!), "public page");
    for (
      const p of ["../secret.txt", "%2e%2e/secret.txt", `${dir}/secret.txt`, "/etc/passwd", "."]
    ) {
      assert.equal(await assets.read(p), null, p);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function rawGet(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the server.
    }
  }
}

Deno.test("raw HTTP traversal attempts against a live server stay inside the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-raw-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  await Deno.mkdir(`${dir}/public`);
  await Deno.writeTextFile(`${dir}/public/index.html`, "public page");
  await Deno.writeTextFile(`${dir}/secret.txt`, "TOP SECRET");
  const server = startServer(
    { store, assets: fileAssets(new URL(`file://${dir}/public/`)), experiments: {} },
    { port: 0, verbose: false },
  );
  try {
    assert.match(await rawGet(server.port, "/"), /public page/);
    for (
      const t of [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2Fsecret.txt",
        "/%252e%252e/secret.txt",
        `${dir}/secret.txt`,
        `/${dir}/secret.txt`,
        "/..\\secret.txt",
      ]
    ) {
      const res = await rawGet(server.port, t);
      assert.ok(!res.includes("TOP SECRET"), `${t} escaped the asset folder`);
      assert.ok(!/at .*\.ts:\d+/.test(res), `${t} leaked a stack trace`);
    }
  } finally {
    await server.close();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
