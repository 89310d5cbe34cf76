/**
 * Does this device run SCG's kernels with the same arithmetic as the CPU twin? Each of the four
 * kernels of `scg_wgsl.ts` runs once on crafted state of one network for every branch (init;
 * probe after a success and a failure; trial with positive and negative curvature, after a failed
 * step and with a non-finite step size; update: accept, DMS convergence, reject, emergency step,
 * stall limit, RL rule, no rule), and so does its transcription in `scg_twin.ts`; every value the
 * kernel writes is compared bit for bit (+0 and -0 count as equal: WGSL does not promise the sign
 * of a zero).
 *
 * On llvmpipe every case is identical (tests/scg_twin_test.ts). On a GPU it tells whether the
 * population-level comparison made with the twin (docs/benchmarks.md) transfers to the device's
 * SCG arithmetic, or where the device's division, square root or fused multiply-adds differ:
 * `deno task twin-check`, and the `smoke` mode of the GPU carry (docs/gpu.md).
 *
 * @module
 */
import { Rng } from "../../core/util/rng.ts";
import type { GpuRunner } from "../../core/engine/webgpu/gpu_runner.ts";
import {
  SCG_BINDINGS,
  type ScgBuffer,
  type ScgKernel,
  scgSource,
} from "../../core/engine/webgpu/scg_wgsl.ts";
import {
  type ScgKernelConstants,
  ST,
  stateStride,
  VEC,
  VEC_COUNT,
} from "../../core/engine/f32_layout.ts";
import {
  twinInit,
  twinProbe,
  type TwinState,
  twinTrial,
  twinUpdate,
} from "../../core/engine/cpu_f32/scg_twin.ts";

const f = Math.fround;

/** What a kernel wrote for one network. */
export interface KernelOutput {
  /** Scalar state. */
  st: Float32Array;
  /** Vector block. */
  vec: Float32Array;
  /** Evaluation point written by probe/trial. */
  wIn: Float32Array;
  /** (w, dw) of the loss difference written by trial. */
  wDiff: Float32Array;
  /** Done flag. */
  done: number;
  /** Probe and trial slots (0xffffffff = none). */
  slots: { probe: number; trial: number };
}

/** Inputs of one kernel run: a network's state and what the kernel reads besides. */
export interface KernelInput {
  /** Scalar state (`stateStride(c.h)` floats). */
  st: Float32Array;
  /** Vector block (`VEC_COUNT * c.k` floats). */
  vec: Float32Array;
  /** The gradient the kernel reads (probe point for trial, trial point for update, w0 for init). */
  gred?: Float32Array;
  /** Loss partials (init). */
  lpart?: Float32Array;
  /** Loss-change partials (update). */
  dpart?: Float32Array;
}

/** Runs `kernel` with constants `c` once on one network's state, returning all it may write. */
export async function runScgKernel(
  runner: GpuRunner,
  kernel: ScgKernel,
  options: { c: ScgKernelConstants; input: KernelInput },
): Promise<KernelOutput> {
  const { c, input } = options;
  const dev = runner.device;
  const K = c.k;
  const made: GPUBuffer[] = [];
  const mk = (view: ArrayLike<number>, u32 = false): GPUBuffer => {
    // A copy on a fresh ArrayBuffer: the inputs may be views into any buffer.
    const data = u32 ? Uint32Array.from(view) : Float32Array.from(view);
    const b = dev.createBuffer({
      size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
      usage: 0x80 | 0x08 | 0x04, // STORAGE | COPY_DST | COPY_SRC
    });
    dev.queue.writeBuffer(b, 0, data);
    made.push(b);
    return b;
  };
  const bufs: Record<ScgBuffer, GPUBuffer> = {
    st: mk(input.st),
    vec: mk(input.vec),
    act: mk([0], true),
    gred: mk(input.gred ?? new Float32Array(K)),
    lpart: mk(input.lpart ?? new Float32Array(c.s)),
    dpart: mk(input.dpart ?? new Float32Array(c.sNo)),
    slotsProbe: mk([0], true),
    slotsTrial: mk([0], true),
    wIn: mk(new Float32Array(K)),
    wDiff: mk(new Float32Array(2 * K)),
    doneOut: mk([0], true),
  };
  const pipe = runner.pipeline(`check-${kernel}:${JSON.stringify(c)}`, () => scgSource(kernel, c));
  const group = runner.bindBuffers(pipe, SCG_BINDINGS[kernel].map(([b]) => bufs[b]));
  const read: [ScgBuffer, number][] = [
    ["st", 4 * input.st.length],
    ["vec", 4 * input.vec.length],
    ["wIn", 4 * K],
    ["wDiff", 8 * K],
    ["doneOut", 4],
    ["slotsProbe", 4],
    ["slotsTrial", 4],
  ];
  const out = await runner.runPass((pass) => {
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(1);
  }, read.map(([b, bytes]) => ({ buffer: bufs[b], bytes })));
  made.forEach((b) => b.destroy());
  const at: number[] = [];
  read.reduce((off, [, bytes]) => (at.push(off), off + bytes), 0);
  const f32 = (i: number) => new Float32Array(out, at[i], read[i][1] / 4).slice();
  const u32 = (i: number) => new Uint32Array(out, at[i], 1)[0];
  return {
    st: f32(0),
    vec: f32(1),
    wIn: f32(2),
    wDiff: f32(3),
    done: u32(4),
    slots: { probe: u32(5), trial: u32(6) },
  };
}

/** Kernel constants of the crafted cases: K > 2 workgroups, so strides and the tree are used. */
function checkConstants(
  stopRule: "dms" | "rl" | "none",
): ScgKernelConstants {
  return {
    k: 300,
    s: 1,
    sNo: 1,
    scale: 1 / 58,
    h: 8,
    sigma0: 5e-5,
    lambda0: 5e-7,
    fallbackStep: 1e-3,
    sigmaY: 0.1,
    stopRule,
    stallLimit: 50,
  };
}

/** A mid-call state of one network with random vectors (float32 values, normalised pairs). */
function craftedState(c: ScgKernelConstants, options: { seed: number }): TwinState {
  const rng = new Rng(options.seed);
  const K = c.k;
  const st = new Float32Array(stateStride(c.h));
  const vec = new Float32Array(VEC_COUNT * K);
  for (let k = 0; k < K; k++) {
    const hi = f(0.5 * rng.normal());
    vec[VEC.hi * K + k] = hi;
    vec[VEC.lo * K + k] = f(hi * 2 ** -30 * (rng.uniform() - 0.5));
    const m = rng.uniform() < 0.8 ? 1 : 0;
    vec[VEC.mask * K + k] = m;
    vec[VEC.g * K + k] = 0.01 * rng.normal();
    vec[VEC.r * K + k] = -vec[VEC.g * K + k];
    vec[VEC.p * K + k] = m * 0.01 * rng.normal();
  }
  st[ST.sseHi] = f(1.3);
  st[ST.sseLo] = f(1.3 * 2 ** -31);
  st[ST.prevHi] = f(1.31);
  st[ST.prevLo] = f(-1.31 * 2 ** -32);
  st[ST.sse0Hi] = f(3.7);
  st[ST.lambda] = f(2e-4);
  st[ST.delta] = f(0.021);
  st[ST.sEps] = f(0.0037);
  st[ST.pn2] = f(0.028);
  st[ST.mu] = f(0.0191);
  st[ST.alpha] = f(0.73);
  st[ST.success] = 1;
  st[ST.failCount] = 4;
  st[ST.steps] = 57;
  st[ST.gradEvals] = 113;
  st[ST.hPtr] = 3;
  for (let h = 0; h < c.h; h++) st[ST.hist + h] = f(1e-7 * rng.uniform());
  return { st, vec };
}

/** A random float32 gradient, or one within 1e-3 (relative) of `around`. */
function randomGrad(c: ScgKernelConstants, seed: number, around?: Float32Array): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from(
    { length: c.k },
    (_, k) => around ? f(around[k] * (1 + 1e-3 * rng.normal())) : 0.01 * rng.normal(),
  );
}

/** One crafted case: a kernel, its constants, and how to set up its state and inputs. */
interface CheckCase {
  name: string;
  kernel: ScgKernel;
  c: ScgKernelConstants;
  /** Adjusts the crafted state and returns the kernel's extra inputs. */
  setup: (s: TwinState, c: ScgKernelConstants) => Omit<KernelInput, "st" | "vec">;
}

const gOf = (s: TwinState, c: ScgKernelConstants): Float32Array =>
  s.vec.slice(VEC.g * c.k, (VEC.g + 1) * c.k);

/**
 * Update-kernel cases: each sets the state and returns the change of summed squared errors. The
 * trial gradient is near g (a small step), except in the "new direction" case, where it is
 * unrelated to g, so that beta p is as large as -g_try and the rounding of the new direction shows.
 */
const UPDATE_CASES: [string, "dms" | "rl" | "none", (s: TwinState) => number, boolean?][] = [
  ["accept", "dms", () => f(-0.02)],
  ["accept, new direction", "dms", (s) => {
    s.st[ST.mu] = f(2e-5);
    return f(-0.02);
  }, true],
  ["accept, converged (DMS)", "dms", (s) => {
    s.st[ST.prevHi] = f(0.0101);
    s.st[ST.sseHi] = f(0.0101);
    s.st[ST.sseLo] = 0;
    s.st[ST.prevLo] = 0;
    s.st.fill(f(1e-10), ST.hist, ST.hist + 8);
    return f(-1e-9);
  }],
  ["reject", "dms", () => f(0.02)],
  ["reject into the emergency step", "dms", (s) => {
    s.st[ST.failCount] = 10;
    return f(0.02);
  }],
  ["stall limit", "dms", (s) => {
    s.st[ST.stall] = 49;
    return 0;
  }],
  ["RL rule, accept and converge", "rl", (s) => {
    s.st[ST.sseHi] = f(0.7);
    s.st[ST.sseLo] = 0;
    s.st[ST.drop] = f(3e-9);
    s.st[ST.steps] = 30;
    return f(-1e-6);
  }],
  ["RL rule, reject", "rl", () => f(0.3)],
  ["no stopping rule, accept", "none", () => f(-0.5)],
];

/** Every crafted case, in report order. */
export const CHECK_CASES: readonly CheckCase[] = [
  {
    name: "init",
    kernel: "init",
    c: checkConstants("dms"),
    setup: (_s, c) => ({ gred: randomGrad(c, 2), lpart: Float32Array.of(f(4.25)) }),
  },
  ...[1, 0].map((success): CheckCase => ({
    name: `probe after a ${success ? "success" : "failure"}`,
    kernel: "probe",
    c: checkConstants("dms"),
    setup: (s) => {
      s.st[ST.success] = success;
      return {};
    },
  })),
  {
    name: "trial, positive curvature",
    kernel: "trial",
    c: checkConstants("dms"),
    setup: (s, c) => ({ gred: randomGrad(c, 5, gOf(s, c)) }),
  },
  {
    name: "trial, negative curvature: lambda fix-up",
    kernel: "trial",
    c: checkConstants("dms"),
    setup: (s, c) => {
      const p = s.vec.subarray(VEC.p * c.k, (VEC.p + 1) * c.k);
      return { gred: gOf(s, c).map((x, k) => f(x - 3 * p[k])) };
    },
  },
  {
    name: "trial after a failed step: old delta",
    kernel: "trial",
    c: checkConstants("dms"),
    setup: (s, c) => {
      s.st[ST.success] = 0;
      return { gred: randomGrad(c, 6) };
    },
  },
  {
    name: "trial, zero delta: step size not finite",
    kernel: "trial",
    c: checkConstants("dms"),
    setup: (s, c) => {
      s.st[ST.lambda] = 0;
      return { gred: gOf(s, c) };
    },
  },
  ...UPDATE_CASES.map(([name, rule, dsseOf, fresh]): CheckCase => ({
    name: `update: ${name}`,
    kernel: "update",
    c: checkConstants(rule),
    setup: (s, c) => ({
      dpart: Float32Array.of(dsseOf(s)),
      gred: randomGrad(c, 9, fresh ? undefined : gOf(s, c)),
    }),
  })),
];

/** The twin's version of a kernel run, in the layout {@link runScgKernel} returns. */
function runTwinKernel(
  kernel: ScgKernel,
  options: { c: ScgKernelConstants; input: KernelInput },
): KernelOutput {
  const { c, input } = options;
  const s: TwinState = { st: input.st.slice(), vec: input.vec.slice() };
  const out: KernelOutput = {
    st: s.st,
    vec: s.vec,
    wIn: new Float32Array(c.k),
    wDiff: new Float32Array(2 * c.k),
    done: 0,
    slots: { probe: 0, trial: 0 },
  };
  const none = 0xffffffff;
  const gred = input.gred ?? new Float32Array(c.k);
  if (kernel === "init") {
    twinInit(c, s, { grad: gred, sse: (input.lpart ?? [0])[0] });
  } else if (kernel === "probe") {
    const x = twinProbe(c, s);
    if (x) out.wIn.set(x);
    out.slots.probe = x ? 0 : none;
  } else if (kernel === "trial") {
    const t = twinTrial(c, s, { probeGrad: gred });
    if (t) {
      out.wIn.set(t.x);
      out.wDiff.set(t.w);
      out.wDiff.set(t.dw, c.k);
    }
    out.slots.trial = t ? 0 : none;
  } else {
    twinUpdate(c, s, { trialGrad: gred, dsse: (input.dpart ?? [0])[0] });
  }
  out.done = s.st[ST.done];
  return out;
}

/** The outcome of one case. */
export interface CheckResult {
  /** Case name. */
  name: string;
  /** Values compared. */
  compared: number;
  /** Differences ("state 0: st.lambda: twin x vs device y (n ulp)"). */
  differences: string[];
  /** The twin's output per crafted state (for tests that look at which branch was taken). */
  twin: KernelOutput[];
}

const FIELD = Object.fromEntries(Object.entries(ST).map(([k, v]) => [v, k]));

function ulps(a: number, b: number): number {
  const x = new Int32Array(Float32Array.of(a, b).buffer);
  return Math.abs(x[0] - x[1]);
}

/** What differs between two kernel outputs (bit for bit, with +0 = -0). */
function compareOutputs(twin: KernelOutput, device: KernelOutput, kernel: ScgKernel): {
  compared: number;
  differences: string[];
} {
  const differences: string[] = [];
  let compared = 0;
  const arrays: [string, Float32Array, Float32Array][] = [
    ["st", twin.st, device.st],
    ["vec", twin.vec, device.vec],
  ];
  if (kernel === "probe" || kernel === "trial") arrays.push(["wIn", twin.wIn, device.wIn]);
  if (kernel === "trial") arrays.push(["wDiff", twin.wDiff, device.wDiff]);
  for (const [name, a, b] of arrays) {
    for (let i = 0; i < a.length; i++) {
      compared++;
      const same = Object.is(a[i], b[i]) || (a[i] === 0 && b[i] === 0) ||
        (Number.isNaN(a[i]) && Number.isNaN(b[i]));
      if (!same) {
        const field = name === "st" ? FIELD[i] ?? `hist[${i - ST.hist}]` : String(i);
        differences.push(
          `${name}.${field}: twin ${a[i]} vs device ${b[i]} (${ulps(a[i], b[i])} ulp)`,
        );
      }
    }
  }
  compared += 2;
  if (twin.done !== device.done) differences.push(`done: twin ${twin.done} vs ${device.done}`);
  const slot = kernel === "probe" ? "probe" : kernel === "trial" ? "trial" : null;
  if (slot && (twin.slots[slot] === 0) !== (device.slots[slot] === 0)) {
    differences.push(`${slot} slot: twin ${twin.slots[slot]} vs device ${device.slots[slot]}`);
  }
  return { compared, differences };
}

/**
 * Runs every crafted case on the device and with the twin, and compares them; each case with
 * `states` crafted states (default 8): a rounding difference such as a one-ulp square root shows
 * only on some inputs.
 */
export async function twinCheck(
  runner: GpuRunner,
  options: { states?: number } = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const n = Math.max(1, options.states ?? 8);
  for (const [i, cs] of CHECK_CASES.entries()) {
    const r: CheckResult = { name: cs.name, compared: 0, differences: [], twin: [] };
    for (let j = 0; j < n; j++) {
      const s = craftedState(cs.c, { seed: 1000 * i + j });
      const input: KernelInput = { ...s, ...cs.setup(s, cs.c) };
      const device = await runScgKernel(runner, cs.kernel, { c: cs.c, input });
      const twin = runTwinKernel(cs.kernel, { c: cs.c, input });
      const cmp = compareOutputs(twin, device, cs.kernel);
      r.compared += cmp.compared;
      r.differences.push(...cmp.differences.map((d) => `state ${j}: ${d}`));
      r.twin.push(twin);
    }
    results.push(r);
  }
  return results;
}
