/**
 * `deno task twin-check [--states N] [--out FILE]`: on this machine's WebGPU adapter, checks that
 * the shader compiler keeps double-float sums exact and compares each device-SCG kernel with its
 * CPU twin bit for bit on crafted state of every branch (tools/verify/twin_check.ts). Prints
 * one line per case and a summary; `--out` writes the cases as JSON. Exit code 0 when every case is
 * identical, 1 when some differ, 2 for bad input or no adapter. Uses `navigator.gpu` directly (no
 * tfjs), so its bundle is small enough for the GPU carry (docs/gpu.md).
 *
 * @module
 */
import { flagHelp, type FlagSpec, parseFlags, stringFlag } from "../core/app/args.ts";
import { parseIntFlag } from "../core/app/flags.ts";
import { outPathProblem } from "../core/app/fs.ts";
import { formatTable } from "../core/app/text_table.ts";
import { GpuRunner } from "../core/engine/webgpu/gpu_runner.ts";
import { df32Exact } from "../core/engine/webgpu/device_scg.ts";
import { twinCheck } from "../tools/verify/twin_check.ts";

/** Flags of `deno task twin-check`. */
export const TWIN_CHECK_FLAGS: readonly FlagSpec[] = [
  { name: "states", type: "string", value: "N", help: "crafted states per kernel", default: "8" },
  { name: "out", type: "string", value: "FILE", help: "write the cases as JSON" },
  { name: "help", type: "boolean", help: "show this help" },
];

/** Runs the check with `args`; returns the exit code. */
export async function runTwinCheck(args: string[]): Promise<number> {
  let states = 8;
  let out: string | undefined;
  try {
    const { flags } = parseFlags(TWIN_CHECK_FLAGS, args);
    if (flags.help) {
      console.log(
        "usage: deno task twin-check [flags]\n" +
          "Runs each device-SCG kernel and its CPU twin on crafted state of every branch on this\n" +
          "machine's WebGPU adapter and lists the values that differ (exit 0: all identical,\n" +
          "1: some differ, 2: bad input or no adapter). See docs/gpu.md.\n" +
          flagHelp(TWIN_CHECK_FLAGS),
      );
      return 0;
    }
    const n = stringFlag(flags, "states");
    if (n !== undefined) states = parseIntFlag("states", n, { min: 1, max: 1000 });
    out = stringFlag(flags, "out");
    const problem = out !== undefined ? await outPathProblem(out) : null;
    if (problem) throw new Error(problem);
  } catch (err) {
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 2;
  }
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: "high-performance" }) : null;
  if (!adapter) {
    console.error("error: twin-check: no WebGPU adapter is available on this machine");
    return 2;
  }
  const info = adapter.info;
  console.log(
    `adapter: ${
      [info.vendor, info.architecture, info.device, info.description].filter((s) => s)
        .join(" ")
    }`,
  );
  const runner = new GpuRunner(await adapter.requestDevice());
  try {
    const exact = await df32Exact(runner);
    console.log(`double-float sums exact: ${exact ? "yes" : "NO (the engine uses host SCG)"}`);
    const results = await twinCheck(runner, { states });
    console.log(formatTable(
      null,
      results.map((r) => [
        r.name,
        r.differences.length === 0
          ? `identical (${r.compared} values)`
          : `${r.differences.length} of ${r.compared} values differ; first: ${r.differences[0]}`,
      ]),
      { gap: 1 },
    ));
    const same = results.filter((r) => r.differences.length === 0).length;
    console.log(`twin-check: ${same} of ${results.length} cases identical to the CPU twin`);
    if (out) {
      const rows = results.map(({ name, compared, differences }) => ({
        name,
        compared,
        differences,
      }));
      await Deno.writeTextFile(out, JSON.stringify({ df32Exact: exact, cases: rows }, null, 2));
    }
    return same === results.length && exact ? 0 : 1;
  } finally {
    runner.destroy();
  }
}

if (import.meta.main) Deno.exit(await runTwinCheck(Deno.args));
