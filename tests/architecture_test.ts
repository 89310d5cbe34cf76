/**
 * The import rule of docs/architecture.md, checked on every import of every .ts file: layers are
 * folders and imports point one way.
 *
 * - Domain folders (core/util, core/rnn, core/dms, core/rl, core/bm, core/data and any other
 *   folder of core/ that is not app, store or engine, at any depth) import only each other and the
 *   engine interfaces ({@link ENGINE_INTERFACES}); never core/app, core/store, server, ui,
 *   experiments, tools, tasks or an engine implementation.
 * - Engine folders (core/engine/<name>/) never import core/app, core/store, server, ui,
 *   experiments, tools or tasks, nor another engine folder: what two engines share is a module at
 *   core/engine/ (the documented shared modules), and the assembly (select.ts) is above them.
 * - The shared engine modules never import the app, store or anything above.
 * - core/app (the framework) never imports experiments, server, ui, tools or tasks; core/store
 *   never imports the app, engines or anything above.
 * - ui/ (the browser bundle) imports only ui/ and the contract modules ({@link UI_CONTRACTS}).
 *
 * Imports are read from the source text by `importsOf` (server/import_graph.ts, the reader the
 * dashboard build uses too): static imports and re-exports, `import("...")` with a literal, and
 * `new URL("...", import.meta.url)` (worker modules), after removing comments and the contents of
 * template literals (WGSL sources).
 */
import assert from "node:assert/strict";
import { importsOf } from "../server/import_graph.ts";

const ROOT = new URL("../", import.meta.url);

/** Engine modules that domain code may import: the engine boundaries. */
const ENGINE_INTERFACES = ["core/engine/engine.ts", "core/engine/dbm.ts"];

/** Modules the browser bundle may import outside ui/: types and pure functions of the API. */
const UI_CONTRACTS = ["core/app/panels.ts", "core/app/api_types.ts"];

/** Folders and files never scanned. */
const SKIP = ["node_modules/", "ui/dist/", ".carry/", "dist/", ".git/"];

async function tsFiles(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir || ".", ROOT))) {
    const path = dir + e.name + (e.isDirectory ? "/" : "");
    if (SKIP.some((s) => path.startsWith(s))) continue;
    if (e.isDirectory) out.push(...await tsFiles(path));
    else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The repository path an import of `from` resolves to, or null for npm/node/bare ones. */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const url = new URL(spec, new URL(from, ROOT));
  return url.href.slice(ROOT.href.length);
}

type Layer =
  | "domain"
  | "engine-shared"
  | "engine-folder"
  | "app"
  | "store"
  | "experiments"
  | "server"
  | "ui"
  | "tools"
  | "tasks"
  | "entry"
  | "tests";

/** The layer of a repository path. */
export function layerOf(path: string): Layer {
  const parts = path.split("/");
  if (parts[0] === "core") {
    if (parts[1] === "app") return "app";
    if (parts[1] === "store") return "store";
    if (parts[1] === "engine") return parts.length > 3 ? "engine-folder" : "engine-shared";
    return "domain";
  }
  if (parts[0] === "experiments") return "experiments";
  if (parts[0] === "server") return "server";
  if (parts[0] === "ui") return "ui";
  if (parts[0] === "tools") return "tools";
  if (parts[0] === "tasks") return "tasks";
  if (parts[0] === "tests") return "tests";
  return "entry";
}

const ABOVE_APP: Layer[] = ["experiments", "server", "ui", "tools", "tasks", "entry", "tests"];

/** Why `from` may not import `to`, or null when it may. */
export function violation(from: string, to: string): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  const engineFolder = (p: string): string => p.split("/").slice(0, 3).join("/");
  switch (a) {
    case "domain":
      if (b === "domain") return null;
      if (ENGINE_INTERFACES.includes(to)) return null;
      return `domain code imports ${
        b === "engine-folder" || b === "engine-shared" ? "an engine implementation" : b
      }`;
    case "engine-folder":
      if (b === "domain" || b === "engine-shared") {
        return to === "core/engine/select.ts" ? "an engine imports the engine selection" : null;
      }
      if (b === "engine-folder") {
        return engineFolder(from) === engineFolder(to)
          ? null
          : `engine folder ${engineFolder(from)} imports ${engineFolder(to)}`;
      }
      return `an engine imports ${b}`;
    case "engine-shared":
      if (ENGINE_INTERFACES.includes(from) && !(b === "domain" || ENGINE_INTERFACES.includes(to))) {
        return "an engine interface imports an implementation";
      }
      return b === "domain" || b === "engine-shared" || b === "engine-folder"
        ? null
        : `a shared engine module imports ${b}`;
    case "app":
      return ABOVE_APP.includes(b) ? `the app framework imports ${b}` : null;
    case "store":
      return b === "store" || b === "domain" ? null : `the store imports ${b}`;
    case "ui":
      return b === "ui" || UI_CONTRACTS.includes(to)
        ? null
        : `the browser bundle imports ${to} (only ui/ and ${UI_CONTRACTS.join(", ")})`;
    default:
      return null;
  }
}

Deno.test("architecture: every import points down the layers (docs/architecture.md)", async () => {
  const problems: string[] = [];
  let edges = 0;
  for (const file of await tsFiles()) {
    for (const spec of importsOf(await Deno.readTextFile(new URL(file, ROOT)))) {
      const to = resolve(file, spec);
      if (to === null) continue;
      edges++;
      const why = violation(file, to);
      if (why) problems.push(`${file} -> ${to}: ${why}`);
    }
  }
  assert.ok(edges > 500, `only ${edges} imports found: the scanner is broken`);
  assert.deepEqual(problems, [], problems.join("\n"));
});

Deno.test("architecture: the import scanner reads what Deno reads, and the rule bites", () => {
  const src = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'import "./side.ts";',
    'export * from "./c.ts";',
    'export { d, type E } from "./d.ts";',
    'const m = await import("./lazy.ts");',
    'new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });',
    '// import { x } from "./commented.ts";',
    "/* import { y } from './block.ts'; */",
    'const wgsl = `import { z } from "./template.ts"; ${"x"} fn main() {}`;',
    'const s = "import { w } from ./not-code.ts";',
  ].join("\n");
  assert.deepEqual(importsOf(src).sort(), [
    "../b.ts",
    "./a.ts",
    "./c.ts",
    "./d.ts",
    "./lazy.ts",
    "./side.ts",
    "./worker.ts",
  ]);
  assert.match(violation("core/rl/x.ts", "core/app/experiment.ts") ?? "", /domain/);
  assert.match(violation("core/bm/dbm/x.ts", "core/store/store.ts") ?? "", /domain/);
  assert.match(violation("core/dms/examples/x.ts", "experiments/fig5/fig5.ts") ?? "", /domain/);
  assert.match(violation("core/rnn/x.ts", "core/engine/cpu/cpu_engine.ts") ?? "", /engine/);
  assert.equal(violation("core/rnn/x.ts", "core/engine/engine.ts"), null);
  assert.match(violation("core/engine/cpu_f32/x.ts", "core/engine/webgpu/y.ts") ?? "", /folder/);
  assert.equal(violation("core/engine/cpu_f32/x.ts", "core/engine/f32_layout.ts"), null);
  assert.match(violation("core/engine/webgpu/x.ts", "core/app/cli.ts") ?? "", /engine/);
  assert.match(violation("ui/views.ts", "server/run_data.ts") ?? "", /browser/);
  assert.equal(violation("ui/api.ts", "core/app/api_types.ts"), null);
  assert.match(violation("core/app/cli.ts", "experiments/registry.ts") ?? "", /framework/);
});
