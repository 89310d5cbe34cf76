/**
 * SCG with its state on the GPU (kernels in `scg_wgsl.ts`): the weights (double-float), gradient,
 * direction, residual, mask and per-network scalars are uploaded once per SCG call, every step is
 * recorded as eight dispatches with no read-back, and the host only looks at which networks are
 * done after each submit, to shrink the dispatches to the networks still training. The results
 * come back once, at the end of the call.
 *
 * How many steps go into one submit is paced by time ({@link nextSubmitSteps}): a submit of a few
 * hundred milliseconds of device work, so that the stop flag (Ctrl-C), which the host can only
 * look at between submits (on llvmpipe the compute runs inside `queue.submit` on the main thread),
 * is seen within about that. The pacing changes no number: the state lives on the device, every
 * step records the same dispatches whatever the submit, a network that is done leaves its state
 * untouched whether or not it is still dispatched, and the network count of a dispatch changes only
 * between submits (tests/webgpu_device_scg_test.ts compares 1, 25 and paced steps per submit).
 *
 * The algorithm is `core/rnn/scg.ts`'s (spec 5.3) with the WebGPU engine's curvature (finite
 * difference of float32 gradients) and loss changes (difference propagation), and its float32
 * stall guard. What differs from the host-side driver is only where the scalars live and their
 * arithmetic: see the module comment of `scg_wgsl.ts`, and docs/benchmarks.md for the comparison.
 *
 * @module
 */
import {
  type ScgJob,
  type ScgOptions,
  type ScgResult,
  ScgStoppedError,
  stopRequested,
} from "../engine.ts";
import { scgConstants } from "../../rnn/scg.ts";
import type { DataUpload, GpuRunner } from "./gpu_runner.ts";
import {
  df32CheckSource,
  SCG_BINDINGS,
  type ScgBuffer,
  type ScgKernel,
  scgSource,
} from "./scg_wgsl.ts";
import {
  readScgResult,
  scgKernelConstants,
  stateStride,
  VEC,
  VEC_COUNT,
  writeScgVectors,
} from "../f32_layout.ts";

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const COPY_DST = 0x08;
const COPY_SRC = 0x04;

/** Options of {@link deviceScg}: the call's constants plus where its data is. */
export interface DeviceScgOptions extends ScgOptions {
  /** Training data of the jobs, uploaded in job order (job i uses slot i). */
  data: DataUpload;
  /** The float32 stall guard (0 or undefined: none). */
  stallLimit?: number;
  /**
   * Steps per submit, fixed (each submit ends with a look at which networks are done and at the
   * stop flag). Default: paced by time, see {@link nextSubmitSteps}.
   */
  checkEvery?: number;
}

/** Device work one submit aims at when paced: the stop flag is seen within about this. */
export const SUBMIT_SECONDS = 0.3;
/** Most steps in one paced submit (each submit costs a host wait). */
export const MAX_SUBMIT_STEPS = 25;

/**
 * Steps for the next paced submit, given that the last one ran `steps` steps in `seconds`: as
 * many as fit in {@link SUBMIT_SECONDS} at that rate, between 1 and {@link MAX_SUBMIT_STEPS}.
 * (A step takes longer than that on a loaded software adapter: then one step per submit.)
 */
export function nextSubmitSteps(steps: number, seconds: number): number {
  if (!(seconds > 0)) return MAX_SUBMIT_STEPS;
  const fit = Math.floor((steps * SUBMIT_SECONDS) / seconds);
  return Math.max(1, Math.min(MAX_SUBMIT_STEPS, fit));
}

/**
 * Runs one SCG call for every job on the GPU (all jobs of one shape and data size, uploaded as
 * `options.data`), returning the same results as the host-side driver would report.
 */
export async function deviceScg(
  runner: GpuRunner,
  jobs: readonly ScgJob[],
  options: DeviceScgOptions,
): Promise<ScgResult[]> {
  const P = jobs.length;
  if (P === 0) return [];
  const { data } = options;
  const { dims } = data;
  const consts = scgKernelConstants(dims, options);
  const K = consts.k;
  const { kMax } = scgConstants(options, K);
  const SS = stateStride(consts.h);
  const VS = VEC_COUNT * K;
  const dev = runner.device;

  const buf = (name: string, bytes: number, usage: number): GPUBuffer =>
    runner.buffer(`scg:${name}`, bytes, STORAGE | usage);
  const st = buf("st", P * SS * 4, COPY_SRC);
  const vec = buf("vec", P * VS * 4, COPY_DST | COPY_SRC);
  const act = buf("act", P * 4, COPY_DST);
  const slotsProbe = buf("slotsProbe", P * 4, 0);
  const slotsTrial = buf("slotsTrial", P * 4, 0);
  const wIn = buf("wIn", P * K * 4, COPY_DST);
  const wDiff = buf("wDiff", P * 2 * K * 4, 0);
  const doneOut = buf("done", P * 4, COPY_SRC);

  const gInit = runner.gradProgram(data, { w: wIn, slots: act, capacity: P });
  const gProbe = runner.gradProgram(data, { w: wIn, slots: slotsProbe, capacity: P });
  const gTrial = runner.gradProgram(data, { w: wIn, slots: slotsTrial, capacity: P });
  const diff = runner.diffProgram(data, { w: wDiff, slots: slotsTrial, capacity: P });

  const key = JSON.stringify(consts);
  const common = { st, vec, act, slotsProbe, slotsTrial, wIn, wDiff, doneOut, dpart: diff.dpart };
  // Each kernel reads the gradient of the evaluation just before it.
  const kernel = (name: ScgKernel, own: Partial<Record<ScgBuffer, GPUBuffer>>) => {
    const pipe = runner.pipeline(`scg-${name}:${key}`, () => scgSource(name, consts));
    const all: Partial<Record<ScgBuffer, GPUBuffer>> = { ...common, ...own };
    const group = runner.bindBuffers(
      pipe,
      SCG_BINDINGS[name].map(([b]) => {
        const buffer = all[b];
        if (!buffer) throw new Error(`device SCG: no buffer for binding '${b}' of ${name}`);
        return buffer;
      }),
    );
    return (pass: GPUComputePassEncoder, count: number): void => {
      pass.setPipeline(pipe);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(count);
    };
  };
  const init = kernel("init", { gred: gInit.grad, lpart: gInit.lpart });
  const probe = kernel("probe", {});
  const trial = kernel("trial", { gred: gProbe.grad });
  const update = kernel("update", { gred: gTrial.grad });

  // Upload: weights as (hi, lo), the mask; g, p, r are written by the init kernel.
  const host = new Float32Array(P * VS);
  const w0 = new Float32Array(P * K);
  jobs.forEach((job, i) => {
    const block = host.subarray(i * VS, (i + 1) * VS);
    writeScgVectors(job, block);
    w0.set(block.subarray(VEC.hi * K, (VEC.hi + 1) * K), i * K);
  });
  let active = Uint32Array.from({ length: P }, (_, i) => i);
  dev.queue.writeBuffer(vec, 0, host);
  dev.queue.writeBuffer(wIn, 0, w0);
  dev.queue.writeBuffer(act, 0, active);

  let enc = dev.createCommandEncoder();
  let pass = enc.beginComputePass();
  gInit.encode(pass, P);
  init(pass, P);
  const fixed = options.checkEvery === undefined ? null : Math.max(1, options.checkEvery);
  // Paced: the first submit (one step and the initial gradient) measures the device.
  let stepsPerSubmit = fixed ?? 1;
  let recorded = 0;
  for (let step = 1; step <= kMax; step++) {
    const n = active.length;
    probe(pass, n);
    gProbe.encode(pass, n);
    trial(pass, n);
    gTrial.encode(pass, n);
    diff.encode(pass, n);
    update(pass, n);
    recorded++;
    // After the last step the closing read-back below is the only wait.
    if (recorded < stepsPerSubmit || step === kMax) continue;
    pass.end();
    const t0 = performance.now();
    const done = new Uint32Array(await runner.readBack(enc, [{ buffer: doneOut, bytes: P * 4 }]));
    const seconds = (performance.now() - t0) / 1000;
    // Ctrl-C: checked after each submit.
    if (stopRequested(options)) throw new ScgStoppedError();
    if (fixed === null) stepsPerSubmit = nextSubmitSteps(recorded, seconds);
    recorded = 0;
    enc = dev.createCommandEncoder();
    pass = enc.beginComputePass();
    const still = active.filter((i) => done[i] === 0);
    if (still.length === 0) break;
    if (still.length < active.length) {
      active = still;
      dev.queue.writeBuffer(act, 0, active);
    }
  }
  pass.end();
  const out = await runner.readBack(enc, [
    { buffer: st, bytes: P * SS * 4 },
    { buffer: vec, bytes: P * VS * 4 },
  ]);
  const sv = new Float32Array(out, 0, P * SS);
  const vv = new Float32Array(out, P * SS * 4, P * VS);
  return jobs.map((_, i): ScgResult =>
    readScgResult(sv.subarray(i * SS, (i + 1) * SS), vv.subarray(i * VS, (i + 1) * VS), {
      scale: consts.scale,
    })
  );
}

/**
 * Whether this device's shader compiler keeps the double-float error-free transforms exact
 * (a compiler that reassociates float additions would silently drop the low parts).
 */
export async function df32Exact(runner: GpuRunner): Promise<boolean> {
  // Pairs whose float32 sum rounds, so each error term is non-zero and known exactly.
  const pairs = [1, 2 ** -30, 1e8, 1.2345, -3.75, 1e-9, 0.1, 0.2, 16777216, 1, 1e-3, -1e-6];
  const inp = Float32Array.from(pairs);
  const n = inp.length / 2;
  const pipe = runner.pipeline("df32-check", df32CheckSource);
  const ib = runner.buffer("df32-in", inp.byteLength, STORAGE | COPY_DST);
  const ob = runner.buffer("df32-out", n * 16, STORAGE | COPY_SRC);
  runner.device.queue.writeBuffer(ib, 0, inp);
  const group = runner.bindBuffers(pipe, [ib, ob]);
  const out = new Float32Array(
    await runner.runPass((pass) => {
      pass.setPipeline(pipe);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(n);
    }, [{ buffer: ob, bytes: n * 16 }]),
  );
  for (let i = 0; i < n; i++) {
    const exact = inp[2 * i] + inp[2 * i + 1]; // exact in float64
    if (out[4 * i] + out[4 * i + 1] !== exact || out[4 * i + 2] + out[4 * i + 3] !== exact) {
      return false;
    }
  }
  return true;
}
