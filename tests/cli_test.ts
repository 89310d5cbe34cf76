/**
 * Bad input on the command line (issue 2, item 9): one line starting "error:", exit code 2 and
 * nothing written, through runExperimentCli and through the real task in a subprocess.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runExperimentCli } from "../core/app/cli.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { parseIntFlag, parseLevels, parseNumberFlag } from "../core/app/flags.ts";
import { UsageError } from "../core/app/experiment.ts";
import { exists, withTempDir } from "./fixtures/helpers.ts";

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runExperimentCli(fig5, args, {
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
  });
  return { code, out, err };
}

/** Runs `args` with a fresh store path and out path; asserts the usage-error contract. */
async function expectUsageError(args: string[], pattern: RegExp): Promise<void> {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const out = join(dir, "out.json");
    const hasStore = args.includes("--store");
    const full = [...args, ...(hasStore ? [] : ["--store", store]), "--out", out, "--quiet"];
    const r = await cli(full);
    assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.err.join(" | ")}`);
    assert.equal(r.err.length, 1, `one error line, got ${JSON.stringify(r.err)}`);
    assert.match(r.err[0], /^error: /);
    assert.ok(!r.err[0].includes("\n"), "the error is one line");
    assert.match(r.err[0], pattern);
    assert.deepEqual(r.out, [], "nothing printed on stdout");
    assert.equal(await exists(store), false, `store file created for ${args.join(" ")}`);
    assert.equal(await exists(out), false, "--out file created");
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written in the folder");
  });
}

Deno.test("cli: unknown flag", async () => {
  await expectUsageError(["--bogus", "1"], /unknown flag --bogus/);
});

Deno.test("cli: non-number --networks and other non-numbers", async () => {
  await expectUsageError(["--networks", "abc"], /--networks.*'abc'/);
  await expectUsageError(["--networks", "2.5"], /--networks/);
  await expectUsageError(["--networks", "0"], /--networks/);
  await expectUsageError(["--seed", "-3"], /--seed/);
  await expectUsageError(["--scg-steps", "ten"], /--scg-steps/);
  await expectUsageError(["--max-outer", ""], /--max-outer/);
  await expectUsageError(["--workers", "many"], /--workers/);
  await expectUsageError(["--levels", "0.1,abc"], /--levels.*'abc' is not a number/);
});

Deno.test("cli: levels outside (0, 1)", async () => {
  await expectUsageError(["--levels", "0.5,1.2"], /--levels: 1.2 is outside \(0, 1\)/);
  await expectUsageError(["--levels", "0,0.5"], /outside/);
  await expectUsageError(["--levels", "0.5,1"], /outside/);
  await expectUsageError(["--levels=-0.1"], /outside/);
});

Deno.test("cli: levels not increasing", async () => {
  await expectUsageError(["--levels", "0.5,0.3"], /strictly increasing/);
  await expectUsageError(["--levels", "0.5,0.5"], /strictly increasing/);
  await expectUsageError(["--levels", "0.3,,0.5"], /--levels/);
});

Deno.test("cli: --engine bogus, --preset bogus, a stray positional argument, --scg-state", async () => {
  await expectUsageError(
    ["--engine", "bogus"],
    /--engine must be one of auto, cpu, webgpu, cpu-f32/,
  );
  await expectUsageError(["--preset", "fast"], /--preset/);
  await expectUsageError(["extra"], /unexpected argument 'extra'/);
  await expectUsageError(["--scg-state", "gpu"], /--scg-state must be device or host, got 'gpu'/);
  await expectUsageError(
    ["--engine", "cpu", "--scg-state", "host"],
    /--scg-state applies to the float32 engines/,
  );
  await expectUsageError(["--cpu-kernel", "c"], /--cpu-kernel must be .*wasm.*js.*, got 'c'/);
  await expectUsageError(
    ["--engine", "cpu-f32", "--cpu-kernel", "js"],
    /--cpu-kernel selects a float64 build; it does not apply to cpu-f32/,
  );
});

Deno.test("cli: a flag without its value", async () => {
  await withTempDir(async (dir) => {
    const r = await cli(["--quiet", "--store", join(dir, "s.kv"), "--networks"]);
    assert.equal(r.code, 2);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^error: flag --networks.* needs a value/);
    assert.equal(await exists(join(dir, "s.kv")), false);
  });
});

Deno.test("cli: unwritable store (a path inside a folder that does not exist)", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "missing", "store.kv");
    await expectUsageError(["--store", store, "--networks", "1"], /results store/);
    assert.equal(await exists(join(dir, "missing")), false);
  });
});

Deno.test("cli: --out inside a folder that does not exist", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const r = await cli(["--store", store, "--out", join(dir, "nope", "x.json"), "--quiet"]);
    assert.equal(r.code, 2);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^error: --out: folder .* does not exist/);
    assert.equal(await exists(store), false);
  });
});

Deno.test("cli: --resume of an unknown run id in a store that does not exist", async () => {
  // Nothing may be written: not even an empty store file at the given path.
  await expectUsageError(["--resume", "fig5-20260101-000000-abcde"], /--resume: no run/);
});

Deno.test("cli: --resume of an unknown run id in an existing store", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    (await ResultStore.open(store)).close();
    const first = await cli(["--store", store, "--resume", "fig5-20260101-000000-abcde"]);
    assert.equal(first.code, 2);
    assert.equal(first.err.length, 1);
    assert.match(first.err[0], /^error: --resume: no run 'fig5-20260101-000000-abcde'/);
  });
});

Deno.test("cli: --resume of an invalid id, and --resume with config flags", async () => {
  await expectUsageError(["--resume", "../etc/passwd"], /is not a run id/);
  await expectUsageError(
    ["--resume", "fig5-20260101-000000-abcde", "--networks", "2"],
    /drop --networks/,
  );
});

Deno.test("cli: --help prints usage and exits 0 without a store", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const r = await cli(["--help", "--store", store]);
    assert.equal(r.code, 0);
    assert.match(r.out.join("\n"), /--levels/);
    assert.equal(await exists(store), false);
  });
});

Deno.test("cli subprocess: deno run tasks/fig5.ts with bad input exits 2 with one error line", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "store.kv");
    const task = new URL("../tasks/fig5.ts", import.meta.url).pathname;
    for (const bad of [["--levels", "0.7,0.5"], ["--engine", "bogus"]]) {
      const cmd = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", task, ...bad, "--store", store, "--quiet"],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      });
      const { code, stdout, stderr } = await cmd.output();
      const err = new TextDecoder().decode(stderr).trim().split("\n").filter((l) => l !== "");
      assert.equal(code, 2, `exit code for ${bad.join(" ")}: ${err.join(" | ")}`);
      assert.equal(err.length, 1, `stderr: ${JSON.stringify(err)}`);
      assert.match(err[0], /^error: /);
      assert.equal(new TextDecoder().decode(stdout).trim(), "");
      assert.equal(await exists(store), false);
    }
  });
});

Deno.test("flags: parseIntFlag, parseNumberFlag and parseLevels", () => {
  assert.equal(parseIntFlag("n", " 42 "), 42);
  assert.equal(parseIntFlag("n", "+3", { min: 1 }), 3);
  assert.throws(() => parseIntFlag("n", "4e2"), UsageError);
  assert.throws(() => parseIntFlag("n", "0x10"), UsageError);
  assert.throws(() => parseIntFlag("n", "99999999999999999999"), /--n must be between/);
  assert.throws(() => parseIntFlag("n", "5", { min: 1, max: 4 }), /--n must be between 1 and 4/);
  assert.equal(parseNumberFlag("x", "0.25", { min: 0, max: 1 }), 0.25);
  assert.throws(() => parseNumberFlag("x", "NaN"), /--x must be a number/);
  assert.throws(() => parseNumberFlag("x", "Infinity"), /--x must be a number/);
  assert.throws(() => parseNumberFlag("x", " "), /--x must be a number/);
  assert.deepEqual(parseLevels("0.1, 0.15,0.2"), [0.1, 0.15, 0.2]);
  assert.throws(() => parseLevels(""), UsageError);
  assert.throws(() => parseLevels("0.2,0.1"), /strictly increasing/);
  assert.throws(() => parseLevels("1e-9,1"), /outside/);
});
