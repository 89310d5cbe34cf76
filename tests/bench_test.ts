/**
 * `deno task bench`: flag parsing and bad input (one-line error, exit 2, nothing written), the
 * FLOP count per evaluation, deterministic populations and the table. Never timed.
 */
import assert from "node:assert/strict";
import {
  benchJobs,
  type BenchRow,
  benchTable,
  DMS_EVAL_FLOPS,
  parseBenchArgs,
  targetLabel,
} from "../tools/bench/bench.ts";
import { UsageError } from "../core/app/experiment.ts";

Deno.test("bench flags: defaults, lists and bad input", () => {
  const d = parseBenchArgs([]);
  assert.deepEqual(d.engines.map(targetLabel), ["cpu", "webgpu"]);
  assert.equal(d.networks, null);
  const c = parseBenchArgs([
    "--engines",
    "cpu,numpy",
    "--networks=1,16",
    "--seconds",
    "0.5",
    "--out",
    "x.json",
  ]);
  assert.deepEqual(c.engines.map(targetLabel), ["cpu", "numpy"]);
  assert.deepEqual(c.networks, [1, 16]);
  assert.equal(c.seconds, 0.5);
  assert.equal(c.out, "x.json");
  assert.equal(c.mode, "grad");
  const s = parseBenchArgs(["--mode", "scg", "--steps", "20", "--engines", "webgpu,webgpu:host"]);
  assert.deepEqual([s.mode, s.steps], ["scg", 20]);
  assert.deepEqual(s.engines, [
    { engine: "webgpu", scgState: "device" },
    { engine: "webgpu", scgState: "host" },
  ]);
  const t = parseBenchArgs(["--engines", "cpu:js,cpu-f32:host,webgpu-tfjs"]);
  assert.deepEqual(t.engines.map(targetLabel), ["cpu:js", "cpu-f32:host", "webgpu-tfjs"]);
  for (
    const bad of [
      ["--engines", "gpu"],
      ["--engines", "cpu:fast"],
      ["--engines", "cpu-f32:js"],
      ["--engines", "cpu:"],
      ["--networks", "0"],
      ["--networks", "a"],
      ["--seconds", "-1"],
      ["--frob", "1"],
      ["--out"],
      ["--mode", "fast"],
      ["--steps", "0"],
      ["--steps", "2.5"],
    ]
  ) {
    assert.throws(() => parseBenchArgs(bad), UsageError, bad.join(" "));
  }
});

Deno.test("bench: 5.85 MFLOP per DMS evaluation, deterministic populations, table", () => {
  assert.ok(Math.abs(DMS_EVAL_FLOPS - 5.85e6) < 0.01e6, `${DMS_EVAL_FLOPS}`);
  const a = benchJobs(2);
  const b = benchJobs(2);
  assert.deepEqual(a[1].w, b[1].w);
  assert.equal(a[0].data.s, 16);
  assert.equal(a[0].data.t, 58);
  assert.notDeepEqual(a[0].w, a[1].w);
  const row: BenchRow = {
    engine: "cpu",
    networks: 16,
    gradEvalsPerSecond: 100,
    gflops: 0.585,
    fractionOfPeak: null,
    peakGflops: null,
    precision: "float64",
    device: "x",
    calls: 3,
    seconds: 1,
    mode: "grad",
  };
  const lines = benchTable([row]).split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[2], /^cpu\s+grad\s+16\s+100\.0\s+0\.5[89]\s+-/);
});

Deno.test("bench task: unknown flag -> one-line error, exit 2, no output file", async () => {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.remove(out);
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/bench.ts", "--engines", "nope", "--out", out],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(p.code, 2);
  const err = new TextDecoder().decode(p.stderr).trim().split("\n").filter((l) =>
    !/Warning|deno\.json/.test(l)
  );
  assert.equal(err.length, 1, err.join("\n"));
  assert.match(err[0], /unknown engine 'nope'/);
  await assert.rejects(Deno.stat(out));
});
