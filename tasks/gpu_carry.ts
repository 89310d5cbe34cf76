/**
 * `deno run -A tasks/gpu_carry.ts`: prepares the git-ignored `.carry/` folder for a run on a
 * device machine with a GPU (see docs/gpu.md): single-file bundles of the fig5 and bench tasks
 * (npm packages inlined, so no node_modules and no registry are needed there), the CPU engine's
 * worker next to them, an xz-compressed copy of this Deno binary, the Vulkan loader packages, and
 * `run_gpu.sh`, the command to run there.
 *
 * Flags: --no-deno (skip the binary), --no-gl (skip the Vulkan debs).
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;
const carry = `${root}.carry`;

async function run(cmd: string, args: string[], cwd = root): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code})`);
}

const RUN_SCRIPT = `#!/bin/bash
# Run on the device machine from the repository root (docs/gpu.md): bash .carry/run_gpu.sh [bench|precision|fig5|smoke]
set -euo pipefail
if ls .carry/gl/*.deb >/dev/null 2>&1; then
  for f in .carry/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
DENO=/tmp/deno
if [ ! -x "$DENO" ]; then
  if command -v xz >/dev/null; then xz -dc .carry/deno.xz > "$DENO"
  else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open('.carry/deno.xz'), open('$DENO','wb'))"; fi
  chmod +x "$DENO"
fi
OUT=\${OUT:-/tmp/out}; mkdir -p "$OUT"
RUN="$DENO run -A --unstable-webgpu --unstable-kv"
case "\${1:-bench}" in
  smoke) $RUN .carry/twin_check.js --out "$OUT/twin_check.json" 2>&1 | tee "$OUT/twin_check.log" || true
         $RUN .carry/bench.js --engines webgpu --networks 1,400 --seconds 2 ;;
  bench) $RUN .carry/bench.js --engines cpu,webgpu --networks 1,16,100,400,1000,4000 --seconds 5 \\
           --out "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/bench_gpu.log"
         $RUN .carry/bench.js --mode scg --steps 100 --engines webgpu,webgpu-host \\
           --networks 1,16,100,400,1000,4000 --seconds 5 \\
           --out "$OUT/bench_scg_gpu.json" 2>&1 | tee "$OUT/bench_scg_gpu.log" ;;
  fig5)  /usr/bin/time -v $RUN .carry/fig5.js --preset paper --engine webgpu --store /tmp/fig5_paper.kv \\
           --out "$OUT/fig5_paper.json" \${2:+--resume "$2"} 2>&1 | tee "$OUT/fig5_paper.log" ;;
  precision) $RUN .carry/fig5.js --engine cpu --store /tmp/ref.kv --quiet 2>&1 | tee "$OUT/ref_cpu.log"
           ID=$(grep -o 'fig5-[0-9]*-[0-9]*-[0-9a-z]*' "$OUT/ref_cpu.log" | head -1)
           $RUN .carry/precision.js --from "$ID" --store /tmp/ref.kv --engine webgpu \\
             --out "$OUT/precision_webgpu.json" 2>&1 | tee "$OUT/precision_webgpu.log"
           # The same replay with the CPU twin of device SCG: GPU vs twin isolates the device's own
           # tanh, division and compiler from the float32 scheme itself.
           $RUN .carry/precision.js --from "$ID" --store /tmp/ref.kv --engine cpu-f32 --quiet \\
             --out "$OUT/precision_twin.json" 2>&1 | tee "$OUT/precision_twin.log" ;;
  *) echo "usage: bash .carry/run_gpu.sh [smoke|bench|precision|fig5 [RUN_ID]]"; exit 2 ;;
esac
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.csv" 2>/dev/null || true
`;

async function main(args: string[]): Promise<number> {
  const known = new Set(["--no-deno", "--no-gl"]);
  const bad = args.find((a) => !known.has(a));
  if (bad) {
    console.error(`unknown flag ${bad} (known: --no-deno, --no-gl)`);
    return 2;
  }
  await Deno.mkdir(`${carry}/gl`, { recursive: true });
  const bundle = (entry: string, out: string): Promise<void> =>
    run(Deno.execPath(), [
      "bundle",
      "--platform",
      "deno",
      "--minify",
      "-o",
      `${carry}/${out}`,
      entry,
    ]);
  await bundle("tasks/fig5.ts", "fig5.js");
  await bundle("tasks/bench.ts", "bench.js");
  await bundle("tasks/precision_check.ts", "precision.js");
  await bundle("tasks/twin_check.ts", "twin_check.js");
  // The CPU engine starts workers from new URL("./cpu_worker.ts", import.meta.url), which in a
  // bundle resolves next to the bundle file.
  await bundle("core/engine/cpu/cpu_worker.ts", "cpu_worker.ts");
  if (!args.includes("--no-deno")) {
    console.log("compressing the Deno binary (xz -6)...");
    const out = await new Deno.Command("xz", {
      args: ["-T2", "-6", "-c", Deno.execPath()],
      stdout: "piped",
    })
      .output();
    if (!out.success) throw new Error("xz failed");
    await Deno.writeFile(`${carry}/deno.xz`, out.stdout);
  }
  if (!args.includes("--no-gl")) {
    const o = [
      "-oAPT::Architecture=amd64",
      "-oAPT::Architectures=amd64",
      "-oDir::State::Lists=/tmp/amd64",
    ];
    await Deno.mkdir("/tmp/amd64/partial", { recursive: true });
    await run("apt-get", [...o, "update"]);
    await run("apt-get", [...o, "download", "libvulkan1"], `${carry}/gl`);
  }
  await Deno.writeTextFile(`${carry}/run_gpu.sh`, RUN_SCRIPT);
  let total = 0;
  for await (const e of Deno.readDir(carry)) {
    if (e.isFile) total += (await Deno.stat(`${carry}/${e.name}`)).size;
  }
  console.log(`.carry/ ready (${(total / 2 ** 20).toFixed(1)} MiB); see docs/gpu.md`);
  return 0;
}

Deno.exit(await main(Deno.args));
