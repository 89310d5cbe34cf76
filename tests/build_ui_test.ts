/**
 * The dashboard bundle's source hash covers the whole import graph of ui/main.ts: a change in any
 * module the bundle is made of (inside ui/ or not), in the npm version an imported package is
 * pinned to, or in a static file changes the hash, so ensureUiBuilt rebuilds; a change elsewhere
 * does not. Checked on a small tree in a temporary folder, and on the real graph.
 */
import assert from "node:assert/strict";
import { UI_SOURCE, uiSourceHash } from "../server/build_ui.ts";
import { importGraph, importsOf } from "../server/import_graph.ts";

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

Deno.test("ui source hash: any module of the graph, a pinned npm version or a static file", async () => {
  const root = await Deno.makeTempDir({ prefix: "prunelab-ui-hash-" });
  try {
    await write(root, {
      "deno.json": JSON.stringify({ imports: { lib: "npm:lib@1.0.0", "lib/": "npm:/lib@1.0.0/" } }),
      "ui/main.ts": 'import { a } from "../core/a.ts";\nimport "lib/sub";\nconsole.log(a);\n',
      "ui/index.html": "<div id=app></div>",
      "ui/style.css": "body {}",
      "core/a.ts": 'export { b as a } from "./deep/b.ts";\n// import "./unrelated.ts";\n',
      "core/deep/b.ts": "export const b = 1;\n",
      "core/unrelated.ts": "export const u = 1;\n",
      "ui/unused.ts": "export const x = 1;\n",
    });
    const source = new URL(`file://${root}/ui/`);
    const hash = (): Promise<string | null> => uiSourceHash(source);
    const base = await hash();
    assert.match(base ?? "", /^[0-9a-f]{64}$/);
    assert.equal(await hash(), base, "the hash is deterministic");

    const graph = await importGraph(new URL("main.ts", source));
    assert.deepEqual(
      graph.files.map((u) => u.href.slice(`file://${root}/`.length)),
      ["core/a.ts", "core/deep/b.ts", "ui/main.ts"],
      "relative imports are followed through re-exports, outside ui/ too; comments are not imports",
    );
    assert.deepEqual(graph.bare, ["lib/sub"]);

    // Files outside the graph do not matter.
    await write(root, { "core/unrelated.ts": "export const u = 2;\n", "ui/unused.ts": "" });
    assert.equal(await hash(), base, "modules the bundle does not import leave the hash alone");

    // A module two imports away, outside ui/, does.
    await write(root, { "core/deep/b.ts": "export const b = 2;\n" });
    const deep = await hash();
    assert.notEqual(deep, base, "a change in a transitively imported module outside ui/");

    await write(root, {
      "deno.json": JSON.stringify({ imports: { lib: "npm:lib@1.0.1", "lib/": "npm:/lib@1.0.1/" } }),
    });
    const pinned = await hash();
    assert.notEqual(pinned, deep, "a new pinned version of an imported package");

    await write(root, { "ui/style.css": "body { margin: 0 }" });
    assert.notEqual(await hash(), pinned, "a static file");

    await Deno.remove(`${root}/ui/main.ts`);
    assert.equal(await hash(), null, "no sources (the compiled binary): no hash");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ui source hash: the real bundle's graph reaches the contract modules outside ui/", async () => {
  const graph = await importGraph(new URL("main.ts", UI_SOURCE));
  const root = new URL("../", UI_SOURCE).href;
  const names = graph.files.map((u) => u.href.slice(root.length));
  for (const m of ["core/app/panels.ts", "core/app/api_types.ts", "ui/charts.ts", "ui/main.ts"]) {
    assert.ok(names.includes(m), `${m} is in the graph of ui/main.ts`);
  }
  assert.ok(graph.bare.includes("chart.js") && graph.bare.includes("preact"));
});

Deno.test("importsOf reads the import forms and ignores comments and template literals", () => {
  const src = [
    'import { a } from "./a.ts";',
    'import type { B } from "./b.ts";',
    'export * from "./c.ts";',
    'const d = await import("./d.ts");',
    'new Worker(new URL("./w.ts", import.meta.url));',
    '// import "./no1.ts";',
    'const wgsl = `import "./no2.ts";`;',
  ].join("\n");
  assert.deepEqual(importsOf(src).sort(), ["./a.ts", "./b.ts", "./c.ts", "./d.ts", "./w.ts"]);
});
