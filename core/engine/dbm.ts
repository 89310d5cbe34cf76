/**
 * The compute boundary of the deep-Boltzmann-machine experiments (spec family B), in the style of
 * tfjs's split between ops and backend kernels: the domain code in `core/bm/dbm/` composes CD-1,
 * mean-field, PCD and sampling from the few primitives of {@link DbmKernels}; the CPU
 * (`core/engine/cpu/dbm_kernels.ts`) and WebGPU (`core/engine/webgpu/dbm_kernels.ts`)
 * implementations only run them.
 *
 * Every tensor is a *population* tensor: `slots` independent float32 matrices, one per population
 * member (a seed x criterion pair), so that one kernel call advances every member (the GPU's
 * batch dimension). A tensor with one slot is broadcast to every slot of the other operands (a
 * data batch shared by the population). Slots may have different sizes ("ragged": pruned models
 * lose units at different rates); each slot's matrix is row-major with its own `rows x cols`,
 * inside a fixed capacity.
 *
 * Bernoulli draws come from a counter-based hash (see {@link bernoulliUniform}) so that the CPU and
 * the GPU draw the same uniforms, and a slot's stream depends only on its own keys, never on the
 * population it shares a call with.
 *
 * @module
 */

/** Shape of a new population tensor; a number applies to every slot. */
export interface TensorShape {
  /** Population slots (1 = broadcast operand). */
  readonly slots: number;
  /** Rows of each slot (the largest is the capacity). */
  readonly rows: number | ArrayLike<number>;
  /** Columns of each slot (the largest is the capacity). */
  readonly cols: number | ArrayLike<number>;
}

/** A population tensor owned by one {@link DbmKernels} instance. */
export interface DbmTensor {
  /** Number of slots. */
  readonly slots: number;
  /** Row capacity (allocation). */
  readonly rowCap: number;
  /** Column capacity (allocation). */
  readonly colCap: number;
  /** Current rows of each slot. */
  readonly rows: Int32Array;
  /** Current columns of each slot. */
  readonly cols: Int32Array;
}

/** Operand and options of {@link DbmKernels.linear}. */
export interface LinearOptions {
  /** The weights W (n x m), or W' when `transpose` (stored m x n). */
  readonly w: DbmTensor;
  /** Use W' instead of W (W stored as m x n). */
  readonly transpose?: boolean;
  /** Multiplies the product: out = scale * x W + biasScale * b. Default 1. */
  readonly scale?: number;
  /** Bias row vector (1 x m per slot), added to every row. */
  readonly bias?: DbmTensor;
  /** Multiplies the bias. Default 1. */
  readonly biasScale?: number;
  /** Add to `out` instead of overwriting it. */
  readonly accumulate?: boolean;
}

/** Per-slot keys of one Bernoulli call: `keys[2p]`, `keys[2p + 1]` for slot p. */
export type BernoulliKeys = Uint32Array;

/** Operand and options of {@link DbmKernels.outer}. */
export interface OuterOptions {
  /** The right operand b (B x m). */
  readonly b: DbmTensor;
  /** Multiplies a' b. */
  readonly alpha: number;
  /** Multiplies the old g (0 overwrites). */
  readonly beta: number;
  /**
   * Entries where this 0/1 tensor is 0 are set to 0 (and need not be computed): the gradient of a
   * masked weight layer.
   */
  readonly mask?: DbmTensor;
}

/** Buffer and options of {@link DbmKernels.momentumStep} (spec 0 and 3.5 step 4). */
export interface MomentumOptions {
  /** The momentum buffer D (same shape as the parameter). */
  readonly buffer: DbmTensor;
  /** Learning rate of this epoch. */
  readonly lr: number;
  /** Momentum of this epoch. */
  readonly momentum: number;
  /** "code" (DEFAULT, D <- lr (mu D + g)) or "conventional" (D <- mu D + lr g); spec 12 D2. */
  readonly rule?: "code" | "conventional";
  /** 0/1 mask: the gradient is masked, and so is the result. */
  readonly mask?: DbmTensor;
  /** Column max-norm of the result (spec 3.5: 6), applied before the mask. */
  readonly maxNorm?: number;
}

/** Options of {@link DbmKernels.copy}. */
export interface CopyOptions {
  /** First source row (default 0). */
  readonly srcRow?: number;
  /** First destination row (default 0). */
  readonly dstRow?: number;
  /** Rows to copy (default: all rows of the source slot from srcRow). */
  readonly rows?: number;
  /** Copy only the slots whose flag is 1 (default: all). */
  readonly only?: Uint8Array;
}

/**
 * The DBM compute primitives. Calls are recorded in order and run in order; only `read` and
 * `maxAbsDiff` wait for results. Every call checks shapes and throws on a mismatch.
 */
export interface DbmKernels {
  /** Identifier, e.g. "cpu" or "webgpu". */
  readonly name: string;
  /** Human-readable description (device, threads). */
  readonly description: string;
  /** Allocates a zero-filled population tensor. */
  alloc(shape: TensorShape): DbmTensor;
  /** Changes one slot's size within the capacity (contents become unspecified). */
  resize(t: DbmTensor, dims: { slot: number; rows: number; cols: number }): void;
  /** Writes one slot's row-major `rows x cols` values. */
  write(t: DbmTensor, options: { slot: number; data: ArrayLike<number> }): void;
  /** Reads one slot's row-major `rows x cols` values. */
  read(t: DbmTensor, slot: number): Promise<Float32Array>;
  /** Sets every element of every slot. */
  fill(t: DbmTensor, value: number): void;
  /** Releases a tensor. */
  free(t: DbmTensor): void;
  /**
   * out[p] = scale * x[p] W[p] + biasScale * b[p] (+ out[p]): x is B x n, W is n x m (or m x n
   * with `transpose`), out is B x m. Exact zeros of x may be skipped (binary states).
   */
  linear(out: DbmTensor, x: DbmTensor, options: LinearOptions): void;
  /** out = sigma(pre) elementwise (out may be pre). */
  sigmoid(out: DbmTensor, pre: DbmTensor): void;
  /**
   * out = 1 where u < p, else 0, with u = {@link bernoulliUniform}(slot-local index, keys of the
   * slot); out may be p.
   */
  bernoulli(out: DbmTensor, p: DbmTensor, options: { keys: BernoulliKeys }): void;
  /** g[p] = beta g[p] + alpha a[p]' b[p] (a is B x n, b is B x m, g is n x m). */
  outer(g: DbmTensor, a: DbmTensor, options: OuterOptions): void;
  /** out[p] = beta out[p] + alpha * (column sums of a[p]) (out is 1 x m). */
  colSum(out: DbmTensor, a: DbmTensor, options: { alpha: number; beta: number }): void;
  /** Momentum step of spec 0 / 3.5 step 4 on parameter w with ascent direction g. */
  momentumStep(w: DbmTensor, g: DbmTensor, options: MomentumOptions): void;
  /** Copies rows of each slot (a one-slot source is broadcast). */
  copy(dst: DbmTensor, src: DbmTensor, options?: CopyOptions): void;
  /** max |a - b| per slot (float64 of float32 values). */
  maxAbsDiff(a: DbmTensor, b: DbmTensor): Promise<Float64Array>;
  /** Releases every tensor and the device. */
  close(): Promise<void>;
}

/** One round of Chris Wellons' `lowbias32` integer hash (a bijection on 32-bit words). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** 2^-24: uniforms have 24 bits so that float32 represents them exactly on every device. */
export const U24 = 1 / 16777216;

/**
 * The uniform of element `index` (slot-local, row-major) under keys (k1, k2): two hash rounds with
 * a key between them, so that streams of different keys are not shifted copies of each other.
 * WGSL mirrors this exactly.
 */
export function bernoulliUniform(index: number, keys: readonly [number, number]): number {
  const h = lowbias32((lowbias32((index ^ keys[0]) >>> 0) ^ keys[1]) >>> 0);
  return (h >>> 8) * U24;
}
