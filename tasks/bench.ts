/**
 * `deno task bench`: gradient-evaluation throughput of the engines side by side on populations of
 * DMS networks; prints a table and, with `--out FILE`, writes the rows as a JSON array.
 *
 * @module
 */
import {
  type BenchConfig,
  type BenchRow,
  benchUsage,
  DEFAULT_NETWORKS,
  formatTable,
  GPU_EXTRA_NETWORKS,
  gpuPeakGflops,
  measureEngine,
  measureNumpy,
  measureScg,
  numpyAvailable,
  parseBenchArgs,
  targetLabel,
} from "../tools/bench/bench.ts";
import { UsageError } from "../core/util/errors.ts";
import { createEngine, probeWebGpu } from "../core/engine/select.ts";
import type { Engine } from "../core/engine/engine.ts";

async function main(args: string[]): Promise<number> {
  let cfg: BenchConfig;
  try {
    cfg = parseBenchArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (cfg.help) {
    console.log(benchUsage());
    return 0;
  }
  const wantsGpu = cfg.engines.some((e) =>
    e === "webgpu-tfjs" || (typeof e !== "string" && e.engine === "webgpu")
  );
  const probe = wantsGpu ? await probeWebGpu() : null;
  if (wantsGpu && !probe) {
    console.error("--engines webgpu: no WebGPU adapter is available on this machine");
    return 2;
  }
  const hardwareGpu = probe !== null && !probe.isFallback;
  const networks = cfg.networks ??
    [...DEFAULT_NETWORKS, ...(hardwareGpu ? GPU_EXTRA_NETWORKS : [])];
  const rows: BenchRow[] = [];
  for (const target of cfg.engines) {
    const name = targetLabel(target);
    if (cfg.mode === "scg" && typeof target === "string") {
      console.log(`${name}: no SCG in this baseline; skipped in --mode scg`);
      continue;
    }
    if (target === "numpy") {
      if (!(await numpyAvailable())) {
        console.log("numpy: python3 with NumPy not found; baseline row skipped");
        continue;
      }
      for (const p of networks) {
        rows.push(await measureNumpy(p, cfg.seconds));
        console.log(formatTable(rows.slice(-1)).split("\n")[2]);
      }
      continue;
    }
    let engine: Pick<Engine, "lossAndGrad" | "precision" | "description" | "close"> & {
      scg?: Engine["scg"];
    };
    let peak: number | null = null;
    if (target === "webgpu-tfjs") {
      const ops = await import("../tools/study/tfjs_ops.ts");
      await ops.tfjsWebGpuReady();
      peak = gpuPeakGflops(probe!.description);
      engine = {
        precision: "float32",
        description: "generic tfjs ops (matMul/tanh per step, tf.grads) on the webgpu backend",
        lossAndGrad: ops.tfjsOpsLossAndGrad,
        close: () => Promise.resolve(),
      };
    } else {
      engine = await createEngine(target);
      if (target.engine === "webgpu") {
        peak = gpuPeakGflops(probe!.description);
        if (probe!.isFallback) {
          console.log(`${name}: software adapter (${probe!.description}); expect it to be slow`);
        }
      }
    }
    console.log(`${name}: ${engine.description}`);
    try {
      for (const p of networks) {
        const o = { seconds: cfg.seconds, label: name, peakGflops: peak };
        const scg = engine.scg?.bind(engine);
        const r = cfg.mode === "scg" && scg
          ? await measureScg({ ...engine, scg }, p, { ...o, steps: cfg.steps })
          : await measureEngine(engine, p, o);
        rows.push(r);
        console.log(formatTable([r]).split("\n")[2]);
      }
    } finally {
      await engine.close();
    }
  }
  console.log("");
  console.log(formatTable(rows));
  if (cfg.out) {
    await Deno.writeTextFile(cfg.out, JSON.stringify(rows, null, 2) + "\n");
    console.log(`\nwrote ${rows.length} rows to ${cfg.out}`);
  }
  return 0;
}

Deno.exit(await main(Deno.args));
