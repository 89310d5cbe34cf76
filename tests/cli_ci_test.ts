/**
 * `.ci/exit_crash_only` (issue 14 item 5): a test run whose summary says every test passed and
 * whose process then crashed at exit (status 134 or 139) is reported as a notice; a failed test,
 * a missing summary, another status, or test output after the summary stays a failure.
 * `.ci/test_counts` gives the "N passed, N failed" of `.ci/run` from the test report, also when the
 * process died before its summary.
 */
import assert from "node:assert/strict";

const SCRIPT = new URL("../.ci/exit_crash_only", import.meta.url).pathname;

async function judge(log: string, status: number): Promise<{ forgiven: boolean; out: string }> {
  const path = await Deno.makeTempFile({ prefix: "prunelab-ci-log-" });
  try {
    await Deno.writeTextFile(path, log);
    const o = await new Deno.Command("bash", {
      args: [SCRIPT, path, String(status)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { forgiven: o.code === 0, out: new TextDecoder().decode(o.stdout) };
  } finally {
    await Deno.remove(path);
  }
}

const PASS = "a ... \x1b[32mok\x1b[0m (1ms)\n\x1b[32mok\x1b[0m | 186 passed | 0 failed (5m2s)\n";

Deno.test("ci: a crash at exit after a clean summary is a notice", async () => {
  for (
    const crash of [
      "double free or corruption (out)",
      "corrupted size vs. prev_size in fastbins",
      "",
    ]
  ) {
    for (const status of [134, 139]) {
      const r = await judge(PASS + crash + "\n", status);
      assert.ok(r.forgiven, `${status} ${crash}`);
      assert.match(r.out, /^ci: notice: every test passed \(ok \| 186 passed \| 0 failed/);
    }
  }
  const ignored = await judge("ok | 180 passed | 0 failed | 3 ignored (5m)\nAborted\n", 134);
  assert.ok(ignored.forgiven);
});

Deno.test("ci: real failures are never forgiven", async () => {
  const failed = "a ... FAILED (1ms)\nFAILED | 185 passed | 1 failed (5m)\ndouble free\n";
  assert.ok(!(await judge(failed, 134)).forgiven, "a failed test");
  assert.ok(!(await judge("a ... ok\ndouble free or corruption\n", 134)).forgiven, "no summary");
  assert.ok(!(await judge(PASS, 1)).forgiven, "another status");
  assert.ok(!(await judge(PASS, 137)).forgiven, "killed");
  assert.ok(
    !(await judge(PASS + "b ... FAILED (1ms)\nFAILED | 0 passed | 1 failed\n", 134)).forgiven,
    "tests after the summary",
  );
});

const COUNTS = new URL("../.ci/test_counts", import.meta.url).pathname;

/** `.ci/test_counts LOG STATUS`: "PASSED FAILED", whether the run counts as passed, the notices. */
async function counts(
  log: string,
  status: number,
): Promise<{ line: string; ok: boolean; notes: string }> {
  const path = await Deno.makeTempFile({ prefix: "prunelab-ci-log-" });
  try {
    await Deno.writeTextFile(path, log);
    const o = await new Deno.Command("bash", {
      args: [COUNTS, path, String(status)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { line: d.decode(o.stdout).trim(), ok: o.code === 0, notes: d.decode(o.stderr) };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("ci counts: the summary's numbers; a crash at exit after a clean summary is a notice", async () => {
  assert.deepEqual(await counts(PASS, 0), { line: "186 0", ok: true, notes: "" });
  const crashed = await counts(PASS + "double free or corruption (out)\n", 134);
  assert.equal(crashed.line, "186 0");
  assert.ok(crashed.ok);
  assert.match(crashed.notes, /ci: notice: every test passed/);
  const failed = await counts("a ... FAILED (1ms)\nFAILED | 185 passed | 1 failed (5m)\n", 1);
  assert.deepEqual([failed.line, failed.ok], ["185 1", false]);
});

Deno.test("ci counts: no summary counts the reported tests plus one failure; a bad status fails", async () => {
  const log = "./tests/a_test.ts => a ... ok (1ms)\n./tests/a_test.ts => b ... FAILED (2ms)\n" +
    "./tests/b_test.ts => c ... ok (1ms)\n  step ... ok (1ms)\ncorrupted size vs. prev_size\n";
  const r = await counts(log, 134);
  assert.deepEqual([r.line, r.ok], ["2 2", false]);
  assert.match(
    r.notes,
    /before printing its summary; counted from the tests that reported \(2 ok, 1 FAILED\)/,
  );
  const odd = await counts(PASS, 1);
  assert.deepEqual([odd.line, odd.ok], ["186 1", false]);
  assert.match(odd.notes, /exited with status 1 although its summary says no test failed/);
});
