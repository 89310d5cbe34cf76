/**
 * `deno task bench`: gradient-evaluation throughput of the engines side by side on populations of
 * DMS networks; prints a table and, with `--out FILE`, writes the rows as a JSON array.
 *
 * @module
 */
import {
  type BenchConfig,
  type BenchRow,
  benchTable,
  benchUsage,
  DEFAULT_NETWORKS,
  GPU_EXTRA_NETWORKS,
  gpuPeakGflops,
  measureEngine,
  measureNumpy,
  measureScg,
  numpyAvailable,
  parseBenchArgs,
  targetLabel,
} from "../tools/bench/bench.ts";
import { measureWasmSimdPeak } from "../tools/bench/cpu_peak.ts";
import { UsageError } from "../core/util/errors.ts";
import { outPathProblem, writeJsonAtomic } from "../core/app/fs.ts";
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
  // Checked before measuring: a bench that cannot save its rows should not run for minutes.
  const outProblem = cfg.out !== null ? await outPathProblem(cfg.out) : null;
  if (outProblem) {
    console.error(`error: ${outProblem}`);
    return 2;
  }
  const wantsGpu = cfg.engines.some((e) =>
    e === "webgpu-tfjs" || (typeof e !== "string" && e.engine === "webgpu")
  );
  const probe = wantsGpu ? await probeWebGpu() : null;
  if (wantsGpu && !probe) {
    console.error("error: --engines webgpu: no WebGPU adapter is available on this machine");
    return 2;
  }
  const hardwareGpu = probe !== null && !probe.isFallback;
  const networks = cfg.networks ??
    [...DEFAULT_NETWORKS, ...(hardwareGpu ? GPU_EXTRA_NETWORKS : [])];
  // One core's float64 WebAssembly SIMD peak, measured, for the fraction of the float64 CPU rows.
  const corePeak =
    cfg.engines.some((e) => e === "numpy" || (typeof e !== "string" && e.engine === "cpu"))
      ? measureWasmSimdPeak()
      : null;
  if (corePeak) {
    console.log(
      `WebAssembly SIMD float64 peak of one core: ${corePeak.peak.toFixed(1)} GFLOP/s ` +
        `(mul + add ${corePeak.mulAdd.toFixed(1)}, relaxed multiply-add ` +
        `${corePeak.relaxedMadd.toFixed(1)}, ${corePeak.fused ? "fused" : "not fused"})`,
    );
  }
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
        rows.push(await measureNumpy(p, cfg.seconds, corePeak?.peak ?? null));
        console.log(benchTable(rows.slice(-1)).split("\n")[2]);
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
    // CPU engines: the cores a population keeps busy (workers from 2 networks on, as the pool does)
    const workers = "workerCount" in engine && typeof engine.workerCount === "number"
      ? engine.workerCount
      : null;
    const cores = (p: number): number | null =>
      workers === null ? null : workers > 1 && p >= 2 ? Math.min(workers, hardwareCores()) : 1;
    const float64Cpu = typeof target !== "string" && target.engine === "cpu";
    try {
      for (const p of networks) {
        const c = cores(p);
        const o = {
          seconds: cfg.seconds,
          label: name,
          peakGflops: float64Cpu && corePeak && c ? corePeak.peak * c : peak,
          cores: c,
        };
        const scg = engine.scg?.bind(engine);
        const r = cfg.mode === "scg" && scg
          ? await measureScg({ ...engine, scg }, p, { ...o, steps: cfg.steps })
          : await measureEngine(engine, p, o);
        rows.push(r);
        console.log(benchTable([r]).split("\n")[2]);
      }
    } finally {
      await engine.close();
    }
  }
  console.log("");
  console.log(benchTable(rows));
  if (cfg.out) {
    await writeJsonAtomic(cfg.out, rows);
    console.log(`\nwrote ${rows.length} rows to ${cfg.out}`);
  }
  return 0;
}

function hardwareCores(): number {
  return (globalThis.navigator as { hardwareConcurrency?: number })?.hardwareConcurrency ?? 1;
}

try {
  Deno.exit(await main(Deno.args));
} catch (err) {
  // One line, no stack trace (a store, engine or file problem met while measuring).
  console.error(
    `error: bench failed: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`,
  );
  Deno.exit(1);
}
