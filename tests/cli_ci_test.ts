/**
 * `.ci/exit_crash_only` (issue 14 item 5): a test run whose summary says every test passed and
 * whose process then crashed at exit (status 134 or 139) is reported as a notice; a failed test,
 * a missing summary, another status, or test output after the summary stays a failure.
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
