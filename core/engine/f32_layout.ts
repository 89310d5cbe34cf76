/**
 * What the float32 engines share: the WebGPU engine's kernels and their CPU twin
 * (`core/engine/cpu_f32/`) compute the same float32 arithmetic over the same data layouts, so the
 * layouts live here, in neither engine folder: the workgroup size of the fused gradient kernels,
 * and the state of SCG on the device (per-network vector block and scalar fields, failure codes,
 * kernel constants, and how a job's vectors go in and its result comes out).
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult } from "./engine.ts";
import { scgConstants, type ScgFailure, scgFailureMessage } from "../rnn/scg.ts";
import { paramLayout, type RnnShape } from "../rnn/network.ts";

/** Threads per workgroup for a shape: units rounded up to a power of two, at least 32. */
export function workgroupSize(shape: RnnShape): number {
  let wg = 32;
  while (wg < shape.n) wg *= 2;
  return wg;
}

/** Threads per workgroup of the SCG kernels (one workgroup per network). */
export const SCG_WG = 128;

/** Vectors of a network's block in the SCG vector buffer, each K floats. */
export const VEC = { hi: 0, lo: 1, g: 2, p: 3, r: 4, mask: 5 } as const;
/** Vectors per network in the SCG vector buffer. */
export const VEC_COUNT = 6;

/** Fields of a network's scalar state (float32 each; counters are exact integers below 2^24). */
export const ST = {
  sseHi: 0,
  sseLo: 1,
  prevHi: 2,
  prevLo: 3,
  lambda: 4,
  delta: 5,
  pn2: 6,
  mu: 7,
  alpha: 8,
  sEps: 9,
  drop: 10,
  sse0Hi: 11,
  sse0Lo: 12,
  done: 13,
  success: 14,
  converged: 15,
  dropInf: 16,
  failCount: 17,
  stall: 18,
  steps: 19,
  gradEvals: 20,
  emergency: 21,
  hPtr: 22,
  failCode: 23,
  failStep: 24,
  failValue: 25,
  /** First entry of the DMS history of accepted decreases. */
  hist: 28,
} as const;

/** Failures by the code written to `failCode` (code = index + 1; 0 = none). */
export const FAIL_CODES: readonly ScgFailure[] = ["start", "alpha", "loss", "stall", "lambda"];
/** The `failCode` of each failure. */
export const FAIL_CODE = Object.fromEntries(FAIL_CODES.map((f, i) => [f, i + 1])) as Record<
  ScgFailure,
  number
>;

/** Floats of scalar state per network for a history of `h` entries (16-byte multiple). */
export function stateStride(h: number): number {
  return Math.ceil((ST.hist + h) / 4) * 4;
}

/**
 * Writes a job's starting vectors into its block of the vector buffer (`VEC_COUNT * K` floats):
 * the weights as double-float (hi, lo) pairs, hi + lo = w to ~48 bits, and the mask (1 where
 * none). g, p and r are the init kernel's to write.
 */
export function writeScgVectors(job: ScgJob, block: Float32Array): void {
  const K = job.w.length;
  const hi = block.subarray(VEC.hi * K, (VEC.hi + 1) * K);
  const lo = block.subarray(VEC.lo * K, (VEC.lo + 1) * K);
  for (let k = 0; k < K; k++) {
    hi[k] = job.w[k];
    lo[k] = job.w[k] - hi[k];
  }
  const m = block.subarray(VEC.mask * K, (VEC.mask + 1) * K);
  if (job.mask) m.set(job.mask);
  else m.fill(1);
}

/**
 * The result of a network's SCG call from its final scalar state `st` and vector block `vec`;
 * `scale` is 1 / (S T), from the carried sums of squared errors to the loss E.
 */
export function readScgResult(
  st: Float32Array,
  vec: Float32Array,
  options: { scale: number },
): ScgResult {
  const K = vec.length / VEC_COUNT;
  const w = new Float64Array(K);
  for (let k = 0; k < K; k++) w[k] = vec[VEC.hi * K + k] + vec[VEC.lo * K + k];
  const res: ScgResult = {
    w,
    startLoss: (st[ST.sse0Hi] + st[ST.sse0Lo]) * options.scale,
    endLoss: (st[ST.sseHi] + st[ST.sseLo]) * options.scale,
    converged: st[ST.converged] !== 0,
    steps: st[ST.steps],
    gradEvals: st[ST.gradEvals],
    emergencySteps: st[ST.emergency],
  };
  const code = st[ST.failCode];
  if (code > 0) {
    res.failure = scgFailureMessage(FAIL_CODES[code - 1], {
      step: st[ST.failStep],
      value: st[ST.failValue],
    });
  }
  return res;
}

/** Compile-time constants of the SCG kernels of one call. */
export interface ScgKernelConstants {
  /** Parameters per network. */
  readonly k: number;
  /** Sequences per network (loss partials per network). */
  readonly s: number;
  /** Loss-change partials per network (S x No). */
  readonly sNo: number;
  /** 1 / (S T): from summed squared errors to the loss E. */
  readonly scale: number;
  /** DMS history length. */
  readonly h: number;
  /** Spec constants. */
  readonly sigma0: number;
  /** Initial lambda. */
  readonly lambda0: number;
  /** Emergency step. */
  readonly fallbackStep: number;
  /** DMS target-noise sd. */
  readonly sigmaY: number;
  /** Stopping test. */
  readonly stopRule: "dms" | "rl" | "none";
  /** Stall limit (0 = none). */
  readonly stallLimit: number;
}

/**
 * The kernel constants of an SCG call of `options` on data of `dims` (shape, S sequences of T
 * steps): the spec's defaults filled in, the loss scale 1 / (S T).
 */
export function scgKernelConstants(
  dims: { shape: RnnShape; s: number; t: number },
  options: ScgOptions & { stallLimit?: number },
): ScgKernelConstants {
  const K = paramLayout(dims.shape).size;
  const c = scgConstants(options, K);
  return {
    k: K,
    s: dims.s,
    sNo: dims.s * dims.shape.no,
    scale: 1 / (dims.s * dims.t),
    h: c.historyLength,
    sigma0: c.sigma0,
    lambda0: c.lambda0,
    fallbackStep: c.fallbackStep,
    sigmaY: c.sigmaY,
    stopRule: options.stopRule,
    stallLimit: options.stallLimit ?? 0,
  };
}
