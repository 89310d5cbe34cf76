/**
 * The engine boundary, modelled on tfjs-core's split between ops and backend kernels: experiments
 * and the training loop talk only to {@link Engine}; the CPU engine (float64, Deno Workers) and the
 * WebGPU engine implement it. An engine evaluates loss and gradient, runs forward passes and runs
 * whole SCG calls for a *population* of networks, each with its own weights and training data, so
 * that a GPU engine can fuse everything and keep SCG's per-network state on the device.
 *
 * @module
 */
import type { RnnShape } from "../rnn/network.ts";

/**
 * Engine identifiers accepted by `--engine` (plus `auto`, resolved by the selector). "cpu-f32" is
 * the CPU float32 twin of the WebGPU engine's arithmetic (never picked by `auto`).
 */
export type EngineName = "cpu" | "webgpu" | "cpu-f32";

/**
 * A set of S sequences of T steps for one network. Layouts are time-major with the sequence index
 * innermost, so the S sequences of a step are contiguous: `inputs[(k * ni + c) * s + q]`,
 * `targets[(k * no + o) * s + q]` (k = step, c = channel, o = output, q = sequence; 0-based).
 */
export interface SequenceSet {
  /** Network shape the set is made for. */
  readonly shape: RnnShape;
  /** Number of sequences S. */
  readonly s: number;
  /** Steps per sequence T. */
  readonly t: number;
  /** Inputs, length T * Ni * S. */
  readonly inputs: Float64Array;
  /** Targets, length T * No * S. */
  readonly targets: Float64Array;
}

/** One network evaluated on one sequence set. */
export interface GradJob {
  /** Training data. */
  readonly data: SequenceSet;
  /** Flat parameters `[vec(B); vec(A); vec(C)]`. */
  readonly w: Float64Array;
}

/** Loss and exact BPTT gradient (spec 5.1-5.2). */
export interface GradResult {
  /** E(w) = sum of squared errors / (S * T). */
  loss: number;
  /** dE/dw, same layout as w. */
  grad: Float64Array;
}

/** Trajectories of a forward pass, same layout as {@link SequenceSet}. */
export interface ForwardResult {
  /** Pre-activations x(k), `[(k * n + i) * s + q]`. */
  x: Float64Array;
  /** Outputs y(k), `[(k * no + o) * s + q]`. */
  y: Float64Array;
}

/** Which stopping test SCG applies (spec 5.3). */
export type StopRule = "dms" | "rl" | "none";

/** Constants of one SCG call; defaults are the spec's. */
export interface ScgOptions {
  /** Steps per call; default = parameter count K. */
  kMax?: number;
  /** Stopping test. */
  stopRule: StopRule;
  /** Target-noise sd of the DMS rule (previous loss < 1.05 sigmaY^2); default 0.1. */
  sigmaY?: number;
  /** Finite-difference scale; default 5e-5. */
  sigma0?: number;
  /** Initial lambda; default 5e-7. */
  lambda0?: number;
  /** Emergency plain-gradient step; default 1e-3. */
  fallbackStep?: number;
  /**
   * A stop flag shared with the caller (an `Int32Array` over a `SharedArrayBuffer`, so workers see
   * it while they compute): once its first element is non-zero the call ends between two SCG steps
   * with {@link ScgStoppedError} and its work is discarded. Ctrl-C reaches a running SCG call
   * through it (`trainPopulation` sets it when its `signal` aborts).
   */
  stop?: Int32Array;
}

/** A shared stop flag for {@link ScgOptions.stop}, initially clear. */
export function newStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Whether the stop flag of an SCG call is set (false without one). */
export function stopRequested(options: Pick<ScgOptions, "stop">): boolean {
  return options.stop !== undefined && Atomics.load(options.stop, 0) !== 0;
}

/** Thrown by an SCG call whose {@link ScgOptions.stop} flag was set: the call's work is discarded. */
export class ScgStoppedError extends Error {
  /** Creates the error. */
  constructor(message = "SCG call stopped on request") {
    super(message);
    this.name = "ScgStoppedError";
  }
}

/** One network's SCG call: start at `w`, keep `mask == 0` entries frozen. */
export interface ScgJob {
  /** Training data. */
  readonly data: SequenceSet;
  /** Starting parameters (not modified). */
  readonly w: Float64Array;
  /** 1 = trainable, 0 = pruned; null = all trainable. */
  readonly mask: Uint8Array | null;
}

/** Outcome of one SCG call for one network. */
export interface ScgResult {
  /** Parameters after the call. */
  w: Float64Array;
  /** Loss at the starting point (the outer loop's lossHistory entry). */
  startLoss: number;
  /** Last accepted loss. */
  endLoss: number;
  /** Whether the stopping test fired. */
  converged: boolean;
  /** SCG steps run. */
  steps: number;
  /** Gradient evaluations spent (including the one at the start). */
  gradEvals: number;
  /** Times the emergency gradient step fired (spec D8: it is masked). */
  emergencySteps: number;
  /** Set when the loss or weights became NaN/Inf; the call stopped there. */
  failure?: string;
}

/** A compute engine for populations of tanh RNNs. */
export interface Engine {
  /** Identifier. */
  readonly name: EngineName;
  /** Arithmetic of the gradient kernels. */
  readonly precision: "float64" | "float32";
  /**
   * The arithmetic, engine and kernel build together (e.g. "cpu-wasm"): a run reproduces bit for
   * bit only within one, so caches of trained networks are keyed by it.
   */
  readonly arithmetic: string;
  /** Human-readable description (device, workers). */
  readonly description: string;
  /** Loss and gradient for every job. */
  lossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]>;
  /** Forward trajectories for every job. */
  forward(jobs: readonly GradJob[]): Promise<ForwardResult[]>;
  /** One SCG call (one "outer iteration") for every job, vectorised over the population. */
  scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]>;
  /** Releases workers and device resources. */
  close(): Promise<void>;
}

/**
 * An engine that cannot run on this machine (WebGPU asked for without an adapter): the CLI treats
 * it as bad input (one `error:` line, exit code 2).
 */
export class EngineUnavailableError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "EngineUnavailableError";
  }
}

/** FLOPs of one gradient evaluation (forward + BPTT), counting a multiply-add as 2. */
export function gradFlops(shape: RnnShape, s: number, t: number): number {
  const { n, ni, no } = shape;
  const cCols = n + (shape.outputBias ? 1 : 0);
  const forward = 2 * n * n + 2 * n * ni + 2 * no * cCols;
  const backward = 4 * n * n + 2 * n * ni + 2 * no * cCols + 2 * no * n;
  return (forward + backward) * s * t;
}
