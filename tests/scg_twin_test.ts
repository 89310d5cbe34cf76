/**
 * The CPU twin of device SCG (`core/engine/cpu_f32/scg_twin.ts`): its double-float arithmetic
 * against exact float64 sums, and each of its kernels against the WGSL kernel it transcribes, bit
 * for bit (up to the sign of zeros, which WGSL leaves open), on crafted state of every branch (on this machine's WebGPU adapter, llvmpipe in CI;
 * skipped with a notice when there is none).
 */
import assert from "node:assert/strict";
import { Df } from "../core/engine/cpu_f32/scg_twin.ts";
import { ST } from "../core/engine/f32_layout.ts";
import { CHECK_CASES, twinCheck } from "../tools/verify/twin_check.ts";
import { probeWebGpu } from "../core/engine/select.ts";
import { Rng } from "../core/util/rng.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const f = Math.fround;

Deno.test("twin double-float: sums of float32 values are exact, pairs stay normalised", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 2000; i++) {
    const a = f(rng.normal() * 10 ** Math.floor(8 * rng.uniform() - 4));
    const b = f(rng.normal() * 10 ** Math.floor(8 * rng.uniform() - 4));
    const s = new Df().addF(a).addF(b);
    // Two float32 values sum exactly into 48 bits unless their exponents are far apart.
    if (Math.abs(Math.log2(Math.abs(a / b))) < 20) assert.equal(s.hi + s.lo, a + b);
    assert.equal(f(s.hi + s.lo), s.hi, "normalised: lo is below half an ulp of hi");
  }
  // A long sum keeps ~48 bits: 1e5 terms of 0.1 (float32) against the float64 sum.
  const t = f(0.1);
  const acc = new Df();
  let exact = 0;
  for (let i = 0; i < 100000; i++) {
    acc.addF(t);
    exact += t;
  }
  assert.ok(Math.abs(acc.hi + acc.lo - exact) < exact * 2 ** -44, `${acc.hi + acc.lo} ${exact}`);
  let plain = 0;
  for (let i = 0; i < 100000; i++) plain = f(plain + t);
  assert.ok(Math.abs(plain - exact) > exact * 1e-4, "plain float32 drifts (the reason for pairs)");
  const x = new Df().set(1, f(2 ** -30));
  const y = new Df().set(-1, f(2 ** -40));
  assert.equal(x.add(y).hi, 2 ** -30 + 2 ** -40);
});

const probe = Deno.env.get("PRUNELAB_NO_WEBGPU") ? null : await probeWebGpu();
if (!probe) console.log("NOTICE: no WebGPU adapter on this machine; twin-vs-kernel test skipped");

Deno.test({
  name: "twin SCG kernels equal the WGSL kernels bit for bit on every branch (twin-check)",
  ignore: !probe,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const tf = await import("@tensorflow/tfjs");
    await import("@tensorflow/tfjs-backend-webgpu");
    if (tf.getBackend() !== "webgpu") {
      await tf.setBackend("webgpu");
      await tf.ready();
    }
    const { GpuRunner } = await import("../core/engine/webgpu/gpu_runner.ts");
    const runner = new GpuRunner((tf.backend() as unknown as { device: GPUDevice }).device);
    const results = await twinCheck(runner);
    assert.equal(results.length, CHECK_CASES.length);
    for (const r of results) {
      assert.ok(r.compared > 8 * 2 * 300, `${r.name}: compared ${r.compared} values`);
      assert.deepEqual(r.differences, [], r.name);
    }
    // The crafted cases reach the branches they are named after.
    const st = (name: string): Float32Array => results.find((r) => r.name === name)!.twin[0].st;
    assert.equal(st("probe after a success")[ST.gradEvals], 114, "probe point asked for");
    assert.equal(st("trial, zero delta: step size not finite")[ST.failCode], 2, "alpha failure");
    assert.ok(
      st("trial, negative curvature: lambda fix-up")[ST.lambda] > 2e-4,
      "lambda raised by the fix-up",
    );
    assert.equal(st("update: accept")[ST.success], 1);
    assert.equal(st("update: accept, converged (DMS)")[ST.converged], 1);
    assert.equal(st("update: reject")[ST.success], 0);
    assert.equal(st("update: reject into the emergency step")[ST.emergency], 1);
    assert.equal(st("update: stall limit")[ST.failCode], 4);
    assert.equal(st("update: RL rule, accept and converge")[ST.converged], 1);
    assert.equal(st("update: RL rule, reject")[ST.dropInf], 1);
    runner.destroy();
  },
});

Deno.test({
  name:
    "twin-check task: bad flags are one error line and exit code 2; a report and JSON otherwise",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const task = new URL("../tasks/twin_check.ts", import.meta.url).pathname;
    const run = async (args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--unstable-webgpu", task, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b).trim().split("\n");
      return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
    };
    await withTempDir(async (dir) => {
      for (
        const [args, re] of [
          [["--states", "0"], /--states/],
          [["--bogus"], /bogus/],
          [["--out", `${dir}/none/x.json`], /--out: folder .* does not exist/],
        ] as [string[], RegExp][]
      ) {
        const r = await run(args);
        assert.equal(r.code, 2, args.join(" "));
        assert.equal(r.err.length, 1, r.err.join(" | "));
        assert.match(r.err[0], re);
      }
      const help = await run(["--help"]);
      assert.equal(help.code, 0);
      assert.match(help.out[0], /^usage: deno task twin-check/);
      if (!probe) return;
      const r = await run(["--states", "1", "--out", `${dir}/t.json`]);
      assert.equal(r.code, 0, r.out.join("\n"));
      assert.match(r.out.at(-1)!, /16 of 16 cases identical/);
      const json = JSON.parse(await Deno.readTextFile(`${dir}/t.json`));
      assert.equal(json.df32Exact, true);
      assert.equal(json.cases.length, CHECK_CASES.length);
    });
  },
});
