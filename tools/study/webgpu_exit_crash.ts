/**
 * `deno run -A tools/study/webgpu_exit_crash.ts [--runs N] [--threads T]`: reproduces the crash
 * behind the rare exit 134 of the test run (docs/reliability.md). Each run is a child process
 * whose T Worker threads keep WebGPU devices busy (on this machine wgpu's OpenGL ES backend on
 * Mesa's llvmpipe, through EGL) while the main thread exits. Exit runs Mesa's EGL clean-up while
 * those threads still use the display; wgpu then panics (`wgpu-hal .../gles/egl.rs:182: BadDisplay`)
 * and glibc aborts on the corrupted heap ("corrupted double-linked list", "malloc_consolidate():
 * unaligned fastbin chunk detected", ...), exit 134, or the process segfaults (139). A single
 * thread using WebGPU on the main thread does not crash this way (0 of 400 here). Prints one line
 * per crash and a count.
 *
 * @module
 */
import { parseFlags, stringFlag } from "../../core/app/args.ts";
import { parseIntFlag } from "../../core/app/flags.ts";

if (Deno.args[0] === "--child") {
  const threads = Number(Deno.args[1] ?? 2);
  let ready = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL("./webgpu_exit_crash_worker.ts", import.meta.url), {
        type: "module",
      });
      w.onmessage = () => {
        if (++ready === threads) resolve();
      };
    }
  });
  await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
  Deno.exit(0);
}

const { flags } = parseFlags([
  { name: "runs", type: "string", help: "child processes", default: "50" },
  { name: "threads", type: "string", help: "worker threads with a device each", default: "2" },
], Deno.args);
const runs = parseIntFlag("runs", stringFlag(flags, "runs") ?? "50", { min: 1, max: 10000 });
const threads = parseIntFlag("threads", stringFlag(flags, "threads") ?? "2", { min: 1, max: 16 });
let crashes = 0;
for (let i = 1; i <= runs; i++) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", import.meta.filename ?? "", "--child", `${threads}`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (o.code === 0) continue;
  crashes++;
  const err = new TextDecoder().decode(o.stderr);
  const signs = err.match(/panicked at \S+|corrupted[^\n.]*|double free[^\n.]*|malloc[^\n.]*/g);
  console.log(
    `run ${i}: exit ${o.code}${o.signal ? ` (${o.signal})` : ""}: ${(signs ?? []).join("; ")}`,
  );
}
console.log(`${crashes} of ${runs} runs crashed at exit (${threads} threads with WebGPU devices)`);
