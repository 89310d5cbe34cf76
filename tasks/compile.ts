/**
 * `deno task compile [--output PATH] [--no-check]`: builds the single executable (default `dist/prunelab`) from
 * main.ts with the dashboard bundle embedded (`deno compile --include ui/dist`).
 *
 * `deno compile` needs Deno's small 'denort' runtime, which it downloads from dl.deno.land. On an
 * offline machine download `denort-<target>.zip` for the same Deno version elsewhere, unzip it and
 * point `DENORT_BIN` at the `denort` file (Deno reads that variable itself). The full `deno`
 * binary is not a substitute: an executable built on it ignores its embedded program.
 *
 * @module
 */
import { ensureUiBuilt } from "../server/build_ui.ts";

const root = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);

function fail(message: string, code: number): never {
  console.error(`compile: ${message}`);
  Deno.exit(code);
}

let output = "dist/prunelab";
let noCheck = false;
const args = [...Deno.args];
while (args.length > 0) {
  const a = args.shift() as string;
  if (a === "--output" || a === "-o") {
    output = args.shift() ?? fail(`${a} needs a path`, 2);
  } else if (a === "--no-check") {
    noCheck = true;
  } else if (a.startsWith("--output=")) {
    output = a.slice("--output=".length);
  } else if (a === "--help" || a === "-h") {
    console.log(
      "Usage: deno task compile [--output PATH]   (default dist/prunelab; honours DENORT_BIN)",
    );
    Deno.exit(0);
  } else {
    fail(`unknown argument '${a}'`, 2);
  }
}
if (output === "") fail("--output needs a path", 2);

const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    if (!(await Deno.stat(denort)).isFile) fail(`DENORT_BIN=${denort} is not a file`, 2);
  } catch {
    fail(`DENORT_BIN=${denort} does not exist`, 2);
  }
  // The full deno CLI answers --version; an executable built on it ignores its embedded program.
  const probe = await new Deno.Command(denort, {
    args: ["--version"],
    stdout: "piped",
    stderr: "null",
  })
    .output().catch(() => null);
  if (probe && /^deno \d/.test(new TextDecoder().decode(probe.stdout))) {
    fail(`DENORT_BIN=${denort} is the deno CLI, not the 'denort' runtime`, 2);
  }
}

try {
  if ((await ensureUiBuilt()) === "built") console.log("built the dashboard bundle (ui/dist)");
} catch (err) {
  fail(err instanceof Error ? err.message : String(err), 1);
}

// Packages only the browser bundle (already in ui/dist) or the tests use: not needed at runtime.
const DEV_ONLY = ["playwright-core", "chart.js", "preact", "@kurkle/color"];
const excludes: string[] = [];
for (const name of DEV_ONLY) {
  excludes.push(`node_modules/${name}`);
  try {
    for await (const e of Deno.readDir(`${rootPath}node_modules/.deno`)) {
      if (e.name.startsWith(`${name.replace("/", "+")}@`)) {
        excludes.push(`node_modules/.deno/${e.name}`);
      }
    }
  } catch {
    // No local node_modules folder: nothing to exclude.
  }
}

const cmd = new Deno.Command(Deno.execPath(), {
  args: [
    "compile",
    "-A",
    "--unstable-kv",
    "--unstable-webgpu",
    ...(noCheck ? ["--no-check"] : []),
    "--include",
    "ui/dist",
    // Workers are loaded by URL at run time, so deno compile must be told to embed them.
    "--include",
    "core/engine/cpu/cpu_worker.ts",
    "--include",
    "core/engine/cpu_f32/cpu_f32_worker.ts",
    "--include",
    "core/app/interrupt_worker.ts",
    "--include",
    "core/bm/gibbs_worker.ts",
    "--include",
    "core/app/worker_heartbeat.ts",
    ...excludes.flatMap((x) => ["--exclude", x]),
    "-o",
    output,
    "main.ts",
  ],
  cwd: rootPath,
  stdout: "inherit",
  stderr: "piped",
});
const out = await cmd.output();
const stderr = new TextDecoder().decode(out.stderr);
if (!out.success) {
  if (/denort|dl\.deno\.land|base binary/i.test(stderr)) {
    const url = stderr.match(/https:\/\/dl\.deno\.land\/\S+\.zip/)?.[0] ??
      `https://dl.deno.land/release/v${Deno.version.deno}/denort-<target>.zip`;
    fail(
      `deno compile could not get its 'denort' runtime (${url}); download that zip on a ` +
        `connected machine, unzip it and re-run with DENORT_BIN=/path/to/denort`,
      1,
    );
  }
  await Deno.stderr.write(out.stderr);
  fail("deno compile failed (see above)", 1);
}
console.log(`built ${output}: try '${output} --help' and '${output} serve'`);
