/**
 * `deno run -A tools/study/signal_during_gpu_submit.ts [--block gpu|js|atomics]`: whether Ctrl-C
 * reaches the interrupt watch (core/app/interrupt.ts) while the main thread is blocked, and how.
 *
 * The parent starts a child that installs the watch and then blocks its main thread for about
 * 15 s: `gpu` submits three long compute passes (on this machine WebGPU is wgpu's OpenGL ES
 * backend on llvmpipe, where `queue.submit` runs the shader before it returns), `js` spins,
 * `atomics` waits in `Atomics.wait`. Two SIGINTs 1.2 s apart are sent while it blocks. Measured
 * here (docs/reliability.md): `js` and `atomics` exit 130 about 1 s after the second press; `gpu`
 * sees one signal only when the submit returns and does not exit until the work is done.
 *
 * @module
 */
import { watchInterrupts } from "../../core/app/interrupt.ts";
import { parseFlags, stringFlag } from "../../core/app/args.ts";

const SHADER = `@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var x = f32(g.x);
  for (var i = 0u; i < 400000u; i++) { x = sin(x) + 0.50005 * x; }
  o[g.x] = x;
}`;

/** Blocks the main thread in three long WebGPU submits; logs how long each took. */
async function blockInGpu(): Promise<void> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter");
  const d = await adapter.requestDevice();
  const pipe = d.createComputePipeline({
    layout: "auto",
    compute: { module: d.createShaderModule({ code: SHADER }), entryPoint: "main" },
  });
  const buffer = d.createBuffer({ size: 4 * 64 * 64, usage: GPUBufferUsage.STORAGE });
  const group = d.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer } }],
  });
  console.log("blocking");
  for (let k = 0; k < 3; k++) {
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(64);
    pass.end();
    const t = performance.now();
    d.queue.submit([enc.finish()]);
    console.log(`submit ${k} returned after ${(performance.now() - t).toFixed(0)} ms`);
    await d.queue.onSubmittedWorkDone();
  }
  d.destroy();
}

async function child(block: string): Promise<void> {
  const watch = await watchInterrupts({
    onInterrupt: (s) => console.log(`${s} seen on the main thread`),
  });
  const t0 = performance.now();
  if (block === "gpu") await blockInGpu();
  else if (block === "atomics") {
    console.log("blocking");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15000);
  } else {
    console.log("blocking");
    while (performance.now() - t0 < 15000) {
      // A synchronous computation.
    }
  }
  console.log(
    `main thread free after ${(performance.now() - t0).toFixed(0)} ms, flag ${watch.flag[0]}`,
  );
  watch.stop();
}

if (Deno.args[0] === "--child") {
  await child(Deno.args[1]);
} else {
  const { flags } = parseFlags([
    { name: "block", type: "string", help: "gpu, js or atomics", default: "gpu" },
  ], Deno.args);
  const block = stringFlag(flags, "block") ?? "gpu";
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", import.meta.filename ?? "", "--child", block],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let blocking: () => void = () => {};
  const started = new Promise<void>((r) => (blocking = r));
  const pump = (async () => {
    const d = new TextDecoder();
    for await (const chunk of p.stdout) {
      for (const line of d.decode(chunk).split("\n").filter(Boolean)) {
        lines.push(`${(performance.now() / 1000).toFixed(1)} s: ${line}`);
        if (line === "blocking") blocking();
      }
    }
  })();
  await started;
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = performance.now();
  p.kill("SIGINT");
  lines.push(`${(t0 / 1000).toFixed(1)} s: (first SIGINT sent)`);
  await new Promise((r) => setTimeout(r, 1200));
  p.kill("SIGINT");
  lines.push(`${(performance.now() / 1000).toFixed(1)} s: (second SIGINT sent)`);
  const status = await p.status;
  await pump;
  console.log(lines.join("\n"));
  console.log(
    `${block}: exit ${status.code} ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s after the first SIGINT`,
  );
}
