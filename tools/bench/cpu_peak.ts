/**
 * The float64 WebAssembly SIMD peak of one core, measured: the denominator of the CPU rows'
 * fraction of peak in `deno task bench`. A small module, assembled here byte by byte (so it needs
 * no compiler), runs 12 independent f64x2 accumulators through `acc = acc * m + c` from registers,
 * either as a multiply and an add (what the float64 kernels use) or as one relaxed-SIMD
 * multiply-add (which V8 fuses on FMA hardware). 12 chains cover the latency of a multiply-add
 * (4-5 cycles) at 2-4 vector operations per cycle, so the loop runs at the core's vector
 * throughput; no memory is touched. Each form runs 5 times for about `seconds` / 10 and the best
 * rate counts: 4 FLOP per f64x2 multiply-add, whichever form. Time is the process's CPU time
 * (`process.cpuUsage`), so that other work on a shared machine disturbs the peak little.
 *
 * @module
 */
import process from "node:process";

/** Measured WebAssembly SIMD float64 peak of the calling thread's core. */
export interface WasmSimdPeak {
  /** GFLOP/s with f64x2.mul + f64x2.add. */
  mulAdd: number;
  /** GFLOP/s with f64x2.relaxed_madd. */
  relaxedMadd: number;
  /** Whether relaxed_madd rounded once (a fused multiply-add) here. */
  fused: boolean;
  /** The larger of the two: the peak the fractions refer to. */
  peak: number;
}

const ACCUMULATORS = 12;
const UNROLL = 4;

/** LEB128 of a non-negative integer. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function f64Const(x: number): number[] {
  return [0x44, ...new Uint8Array(Float64Array.of(x).buffer)];
}

const SIMD = 0xfd;
const F64X2_SPLAT = [SIMD, 0x14];
const F64X2_EXTRACT_LANE0 = [SIMD, 0x21, 0];
const F64X2_ADD = [SIMD, ...leb(0xf0)];
const F64X2_MUL = [SIMD, ...leb(0xf2)];
const F64X2_RELAXED_MADD = [SIMD, ...leb(0x107)];

function vec(body: number[]): number[] {
  return [...leb(body.length), ...body];
}

function section(id: number, body: number[]): number[] {
  return [id, ...vec(body)];
}

/**
 * Module with `run(iterations: i32) -> f64` (the peak loop, mul + add or relaxed madd) and
 * `probe(a, b, c) -> f64` (lane 0 of relaxed_madd(a, b, c)).
 */
function peakModule(fused: boolean): Uint8Array<ArrayBuffer> {
  const m = ACCUMULATORS; // local m: multiplier, m + 1: addend, m + 2: loop counter (param 0 first)
  const acc = (i: number): number => 1 + i;
  const [mul, add, cnt] = [1 + m, 2 + m, 0];
  const run: number[] = [];
  run.push(...f64Const(0.9999999), ...F64X2_SPLAT, 0x21, mul);
  run.push(...f64Const(1e-3), ...F64X2_SPLAT, 0x21, add);
  for (let i = 0; i < m; i++) run.push(...f64Const(0.1 * (i + 1)), ...F64X2_SPLAT, 0x21, acc(i));
  run.push(0x03, 0x40); // loop
  for (let u = 0; u < UNROLL; u++) {
    for (let i = 0; i < m; i++) {
      run.push(0x20, acc(i), 0x20, mul);
      if (fused) run.push(0x20, add, ...F64X2_RELAXED_MADD);
      else run.push(...F64X2_MUL, 0x20, add, ...F64X2_ADD);
      run.push(0x21, acc(i));
    }
  }
  run.push(0x20, cnt, 0x41, 1, 0x6b, 0x22, cnt, 0x0d, 0, 0x0b); // cnt -= 1; br_if cnt; end
  run.push(...f64Const(0));
  for (let i = 0; i < m; i++) run.push(0x20, acc(i), ...F64X2_EXTRACT_LANE0, 0xa0);
  run.push(0x0b);
  const runBody = [0x01, ...leb(m + 2), 0x7b, ...run]; // one group of locals: m + 2 v128
  const probe = [0x00, 0x20, 0, ...F64X2_SPLAT, 0x20, 1, ...F64X2_SPLAT, 0x20, 2, ...F64X2_SPLAT];
  probe.push(...F64X2_RELAXED_MADD, ...F64X2_EXTRACT_LANE0, 0x0b);
  const types = [0x02, 0x60, 0x01, 0x7f, 0x01, 0x7c, 0x60, 0x03, 0x7c, 0x7c, 0x7c, 0x01, 0x7c];
  const name = (s: string): number[] => vec([...new TextEncoder().encode(s)]);
  const exports = [0x02, ...name("run"), 0x00, 0x00, ...name("probe"), 0x00, 0x01];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(3, [0x02, 0x00, 0x01]),
    ...section(7, exports),
    ...section(10, [0x02, ...vec(runBody), ...vec(probe)]),
  ]);
}

interface PeakExports {
  run(iterations: number): number;
  probe(a: number, b: number, c: number): number;
}

function instantiate(fused: boolean): PeakExports {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(peakModule(fused)));
  const { run, probe } = exports;
  if (typeof run !== "function" || typeof probe !== "function") {
    throw new Error("the peak module lacks its exports");
  }
  return {
    run: (iterations: number): number => Number(run(iterations)),
    probe: (a: number, b: number, c: number): number => Number(probe(a, b, c)),
  };
}

/** CPU seconds of one run. */
function cpuSeconds(f: PeakExports, iterations: number): number {
  const before = process.cpuUsage();
  f.run(iterations);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Best GFLOP/s of `reps` timed runs of about `seconds` each. */
function rate(f: PeakExports, seconds: number, reps: number): number {
  const flopsPerIteration = 4 * ACCUMULATORS * UNROLL;
  let iterations = 10_000;
  while (cpuSeconds(f, iterations) < seconds / 4) iterations *= 4;
  let best = 0;
  for (let r = 0; r < reps; r++) {
    best = Math.max(best, (iterations * flopsPerIteration) / cpuSeconds(f, iterations) / 1e9);
  }
  return best;
}

/** Measures the core's float64 WebAssembly SIMD peak (about `seconds` in all). */
export function measureWasmSimdPeak(seconds = 1): WasmSimdPeak {
  const plain = instantiate(false);
  const fused = instantiate(true);
  const mulAdd = rate(plain, seconds / 10, 5);
  const relaxedMadd = rate(fused, seconds / 10, 5);
  const a = 1 + 2 ** -30;
  const b = 1 - 2 ** -30;
  // exactly -2^-60 when fused; the rounded product is 1 and gives 0
  const isFused = fused.probe(a, b, -1) !== 0;
  return { mulAdd, relaxedMadd, fused: isFused, peak: Math.max(mulAdd, relaxedMadd) };
}
