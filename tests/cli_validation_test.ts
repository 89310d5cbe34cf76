/**
 * Checks before work (issue 14 item 2): every output path, store, `--from`, data path and numeric
 * range is validated before anything runs or is written, with one `error:` line and exit code 2,
 * for the figure tasks and the side commands (bench, precision-check, fig5-starts, twin-check,
 * serve). Each command runs as a real process, so a stack trace or a late failure shows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { outPathProblem } from "../core/app/fs.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Result {
  code: number;
  out: string;
  err: string[];
}

async function run(task: string, args: string[], cwd: string): Promise<Result> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tasks", task), ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const err = new TextDecoder().decode(o.stderr).trim().split("\n").filter((l) => l !== "");
  return { code: o.code, out: new TextDecoder().decode(o.stdout), err };
}

/** One `error:` line matching `pattern`, exit 2, and the folder as it was. */
async function expectRefused(
  dir: string,
  call: { task: string; args: string[] },
  pattern: RegExp,
): Promise<void> {
  const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  const r = await run(call.task, call.args, dir);
  const what = `${call.task} ${call.args.join(" ")}`;
  assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.err.join(" | ")}`);
  assert.equal(r.err.length, 1, `${what}: ${JSON.stringify(r.err)}`);
  assert.match(r.err[0], /^error: /, what);
  assert.match(r.err[0], pattern, what);
  const after = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(after, before, `${what}: nothing created`);
}

Deno.test("validation: --out problems found before work (missing folder, unwritable, empty, a folder)", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "sub"));
    const cases: [string, RegExp][] = [
      [join(dir, "nope", "x.json"), /--out: folder .* does not exist/],
      ["/proc/x.json", /--out: cannot create files in folder '\/proc'/],
      ["", /--out needs a file name/],
      [join(dir, "sub"), /--out: '.*sub' is a folder/],
    ];
    for (const [out, pattern] of cases) {
      const tasks = ["fig5.ts", "bench.ts", "fig5_starts.ts", "fig7_starts.ts", "twin_check.ts"];
      for (const task of tasks) {
        const args = task === "fig5.ts"
          ? ["--out", out, "--store", join(dir, "s.kv"), "--quiet"]
          : task === "bench.ts"
          ? ["--out", out, "--seconds", "0.1"]
          : task === "fig5_starts.ts" || task === "fig7_starts.ts"
          ? ["--out", out, "--store", join(dir, "s.kv"), "--quiet"]
          : ["--out", out];
        await expectRefused(dir, { task, args }, pattern);
      }
    }
    // No temporary file of an atomic write is left behind either.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["sub"]);
  });
});

Deno.test("validation: outPathProblem accepts a writable new or existing file and leaves nothing", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await outPathProblem(join(dir, "new.json")), null);
    await Deno.writeTextFile(join(dir, "old.json"), "keep");
    assert.equal(await outPathProblem(join(dir, "old.json")), null);
    assert.equal(await Deno.readTextFile(join(dir, "old.json")), "keep");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["old.json"]);
    assert.match((await outPathProblem("", { flag: "--csv" })) ?? "", /^--csv needs a file name/);
  });
});

Deno.test("validation: precision-check's bad store, run and level are one line each", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "folder.kv"));
    const id = "fig5-20260101-000000-abcde";
    const cases: [string[], RegExp][] = [
      [["--from", id, "--store", join(dir, "missing.kv")], /no results store at/],
      [["--from", id, "--store", join(dir, "folder.kv")], /is not a file/],
      [["--from", id, "--store", "/etc/hostname"], /is damaged|not a database/],
      [["--from", id, "--levels", "0,x"], /--levels must be a whole number/],
      [["--from", id, "--engine", "gpu"], /--engine must be one of/],
      [["--levels", "0"], /--from RUN_ID .* is required/],
    ];
    for (const [args, pattern] of cases) {
      await expectRefused(dir, { task: "precision_check.ts", args }, pattern);
    }
  });
});

Deno.test("validation: serve --store of a missing store is refused and not created", async () => {
  await withTempDir(async (dir) => {
    await expectRefused(
      dir,
      { task: "serve.ts", args: ["--store", join(dir, "missing.kv"), "--port", "0"] },
      /^error: serve: no results store at/,
    );
    await expectRefused(
      dir,
      { task: "serve.ts", args: ["--allow-host", "a b"] },
      /^error: serve: --allow-host/,
    );
  });
});

Deno.test("validation: bad numbers of the side commands", async () => {
  await withTempDir(async (dir) => {
    for (const task of ["fig5_starts.ts", "fig7_starts.ts"]) {
      await expectRefused(
        dir,
        { task, args: ["--seed", "x", "--store", join(dir, "s.kv")] },
        /--seed must be a whole number/,
      );
      await expectRefused(
        dir,
        { task, args: ["--networks", "0", "--store", join(dir, "s.kv")] },
        /--networks must be between 1 and 1000/,
      );
    }
    await expectRefused(dir, { task: "twin_check.ts", args: ["--states", "0"] }, /--states/);
  });
});

Deno.test("validation: dms-new-problem checks --from before a run record or store exists", async () => {
  await withTempDir(async (dir) => {
    await expectRefused(
      dir,
      {
        task: "dms_new_problem.ts",
        args: ["--from", "fig5-20260101-000000-abcde", "--store", join(dir, "s.kv"), "--quiet"],
      },
      /fig5 run/,
    );
  });
});

Deno.test("help: figure tasks show the defaults of the common flags and of their preset", async () => {
  const r = await run("fig5.ts", ["--help"], ROOT);
  assert.equal(r.code, 0);
  for (
    const line of [
      /--networks N +number of networks .*\(default 8\)/,
      /--levels LIST .*\(default 0\.5,0\.7\)/,
      /--seed N .*\(default 1\)/,
      /--engine NAME .*\(default auto\)/,
      /--store PATH .*\(default \$PRUNELAB_STORE or prunelab\.kv\)/,
    ]
  ) {
    assert.match(r.out, line);
  }
  const bad = await run("fig5.ts", ["--network", "2"], ROOT);
  assert.equal(bad.code, 2);
  assert.match(bad.err[0], /^error: unknown flag --network \(did you mean --networks\?\)/);
});
