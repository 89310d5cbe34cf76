/**
 * Replaying a fig5 run's retrainings on another engine (tools/verify/fig5_replay.ts): on the same
 * arithmetic the replay rebuilds every retraining's inputs exactly, so it reproduces the stored
 * outcomes bit for bit; on the float32 twin it runs and pairs every retraining.
 */
import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { CpuF32Engine } from "../core/engine/cpu_f32/cpu_f32_engine.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";
import { replayFig5Levels, summarizeReplay } from "../tools/verify/fig5_replay.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const TINY = [
  "--networks",
  "2",
  "--levels",
  "0.5,0.7",
  "--initial-rounds",
  "1",
  "--max-outer",
  "2",
  "--scg-steps",
  "16",
  "--seed",
  "3",
  "--engine",
  "cpu",
  "--workers",
  "0",
  "--quiet",
];

Deno.test("fig5 replay: same arithmetic reproduces every stored retraining; float32 twin pairs them", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/s.kv`;
    const out: string[] = [];
    const code = await runExperimentCli(fig5, [...TINY, "--store", path], {
      print: (l) => out.push(l),
      printError: (l) => out.push(l),
    });
    assert.equal(code, 0, out.join("\n"));
    const runId = /(fig5-[a-z0-9-]+)/.exec(out.find((l) => l.startsWith("run id: ")) ?? "")?.[1];
    assert.ok(runId);
    const store = await ResultStore.open(path);
    const same = new CpuEngine({ workers: 0 });
    const twin = new CpuF32Engine({ workers: 0 });
    try {
      const rows = await replayFig5Levels(store, runId, { engine: same });
      assert.equal(rows.length, 2 * 2 * 2, "networks x levels x lineages");
      for (const r of rows) {
        assert.deepEqual(r.replayed, r.stored, `network ${r.network} ${r.lineage} at ${r.level}`);
      }
      const summary = summarizeReplay(rows);
      assert.equal(summary.length, 4);
      for (const s of summary) {
        assert.equal(s.n, 2);
        assert.equal(s.iterations.stored, s.iterations.replayed);
      }
      const f32 = await replayFig5Levels(store, runId, { engine: twin, levelIndices: [1] });
      assert.equal(f32.length, 4);
      assert.ok(f32.every((r) => r.level === 0.7 && Number.isFinite(r.replayed.finalLoss)));
      await assert.rejects(
        replayFig5Levels(store, runId, { engine: same, levelIndices: [2] }),
        /no level index 2/,
      );
      await assert.rejects(replayFig5Levels(store, "fig5-nope", { engine: same }), /no run/);
    } finally {
      await same.close();
      await twin.close();
      store.close();
    }
  });
});

Deno.test("precision-check CLI: bad input is one error line and exit code 2", async () => {
  await withTempDir(async (dir) => {
    const task = new URL("../tasks/precision_check.ts", import.meta.url).pathname;
    const cases: [string[], RegExp][] = [
      [[], /--from RUN_ID .* is required/],
      [["--from", "x", "--engine", "gpu"], /--engine must be one of/],
      [["--from", "x", "--scg-state", "both"], /--scg-state must be device or host/],
      [["--from", "x", "--engine", "cpu", "--scg-state", "host"], /not cpu/],
      [["--from", "x", "--cpu-kernel", "c"], /--cpu-kernel must be .*wasm.*js/],
      [["--from", "x", "--cpu-kernel", "js"], /does not apply to cpu-f32/],
      [["--from", "x", "--out", `${dir}/no/such/folder/x.json`], /--out: folder .* does not exist/],
      [["--from", "x", "--bogus"], /bogus/],
      [["--from", "x", "--store", `${dir}/none.kv`], /no results store/],
    ];
    for (const [args, re] of cases) {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--unstable-kv", task, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr).trim().split("\n");
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(err.length, 1, err.join(" | "));
      assert.match(err[0], /^error: /);
      assert.match(err[0], re);
    }
    const help = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", task, "--help"],
      stdout: "piped",
    }).output();
    assert.equal(help.code, 0);
    assert.match(new TextDecoder().decode(help.stdout), /^usage: deno task precision-check/);
  });
});
