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

// Shape rules shared by every implementation: one place says what a valid call is.

/** Validated per-slot sizes and capacities of a new tensor. */
export function slotSizes(
  shape: TensorShape,
): { rows: Int32Array; cols: Int32Array; rowCap: number; colCap: number } {
  const { slots } = shape;
  if (!Number.isInteger(slots) || slots < 1) {
    throw new Error(`tensor needs >= 1 slot, got ${slots}`);
  }
  const per = (v: number | ArrayLike<number>, what: string): Int32Array => {
    const out = new Int32Array(slots);
    for (let p = 0; p < slots; p++) {
      const x = typeof v === "number" ? v : v[p];
      if (!Number.isInteger(x) || x < 1) throw new Error(`tensor ${what} must be integers >= 1`);
      out[p] = x;
    }
    return out;
  };
  const rows = per(shape.rows, "rows");
  const cols = per(shape.cols, "cols");
  return { rows, cols, rowCap: Math.max(...rows), colCap: Math.max(...cols) };
}

/** Slot of operand `t` for output slot p: 0 when `t` is broadcast (one slot). */
export function operandSlot(
  t: DbmTensor,
  p: number,
  options: { slots: number; what: string },
): number {
  if (t.slots === 1) return 0;
  if (t.slots !== options.slots) {
    throw new Error(`${options.what}: ${t.slots} slots against ${options.slots}`);
  }
  return p;
}

/** Throws unless `a` and `b` have the same slots and per-slot sizes. */
export function assertSameShapes(a: DbmTensor, b: DbmTensor, what: string): void {
  if (a.slots !== b.slots) throw new Error(`${what}: ${a.slots} slots against ${b.slots}`);
  for (let p = 0; p < a.slots; p++) {
    if (a.rows[p] !== b.rows[p] || a.cols[p] !== b.cols[p]) {
      throw new Error(`${what}: slot ${p} shapes differ`);
    }
  }
}

/** Throws unless a resize fits the capacity. */
export function checkResize(
  t: DbmTensor,
  dims: { slot: number; rows: number; cols: number },
): void {
  if (dims.slot < 0 || dims.slot >= t.slots) throw new Error(`resize: no slot ${dims.slot}`);
  if (dims.rows < 1 || dims.cols < 1 || dims.rows > t.rowCap || dims.cols > t.colCap) {
    throw new Error(`resize: ${dims.rows} x ${dims.cols} outside ${t.rowCap} x ${t.colCap}`);
  }
}

/** Throws unless `data` fills the slot. */
export function checkWrite(t: DbmTensor, options: { slot: number; data: ArrayLike<number> }): void {
  const { slot, data } = options;
  if (slot < 0 || slot >= t.slots) throw new Error(`write: no slot ${slot}`);
  if (data.length !== t.rows[slot] * t.cols[slot]) {
    throw new Error(`write: ${data.length} values for a ${t.rows[slot]} x ${t.cols[slot]} slot`);
  }
}

/** One output slot of a product: operand slots and sizes (x is b x n, out is b x m). */
export interface LinearSlot {
  /** Slot of x. */
  px: number;
  /** Slot of W. */
  pw: number;
  /** Slot of the bias (-1 without). */
  pb: number;
  /** Rows of x and out. */
  b: number;
  /** Columns of x. */
  n: number;
  /** Columns of out. */
  m: number;
}

/** Checks a product's shapes and returns its per-slot plan. */
export function planLinear(out: DbmTensor, x: DbmTensor, options: LinearOptions): LinearSlot[] {
  const { w, bias, transpose } = options;
  const slots = out.slots;
  return Array.from({ length: slots }, (_, p) => {
    const px = operandSlot(x, p, { slots, what: "linear x" });
    const pw = operandSlot(w, p, { slots, what: "linear w" });
    const b = x.rows[px];
    const n = x.cols[px];
    const wn = transpose ? w.cols[pw] : w.rows[pw];
    const m = transpose ? w.rows[pw] : w.cols[pw];
    if (wn !== n || out.rows[p] !== b || out.cols[p] !== m) {
      throw new Error(
        `linear: slot ${p}: x ${b} x ${n}, w ${wn} x ${m}, out ${out.rows[p]} x ${out.cols[p]}`,
      );
    }
    let pb = -1;
    if (bias) {
      pb = operandSlot(bias, p, { slots, what: "linear bias" });
      if (bias.rows[pb] !== 1 || bias.cols[pb] !== m) throw new Error("linear: bias is not 1 x m");
    }
    return { px, pw, pb, b, n, m };
  });
}

/** One output slot of an outer product: operand slots and sizes (g is n x m). */
export interface OuterSlot {
  /** Slot of a. */
  pa: number;
  /** Slot of b. */
  pb: number;
  /** Slot of the mask (-1 without). */
  pm: number;
  /** Rows of a and b. */
  rows: number;
  /** Columns of a. */
  n: number;
  /** Columns of b. */
  m: number;
}

/** Checks an outer product's shapes and returns its per-slot plan. */
export function planOuter(g: DbmTensor, a: DbmTensor, options: OuterOptions): OuterSlot[] {
  const { b, mask } = options;
  const slots = g.slots;
  return Array.from({ length: slots }, (_, p) => {
    const pa = operandSlot(a, p, { slots, what: "outer a" });
    const pb = operandSlot(b, p, { slots, what: "outer b" });
    const rows = a.rows[pa];
    const n = a.cols[pa];
    const m = b.cols[pb];
    if (b.rows[pb] !== rows || g.rows[p] !== n || g.cols[p] !== m) {
      throw new Error(`outer: slot ${p}: a ${rows} x ${n}, b ${b.rows[pb]} x ${m}, g mismatch`);
    }
    let pm = -1;
    if (mask) {
      pm = operandSlot(mask, p, { slots, what: "outer mask" });
      if (mask.rows[pm] !== n || mask.cols[pm] !== m) {
        throw new Error("outer: mask shape differs from g");
      }
    }
    return { pa, pb, pm, rows, n, m };
  });
}

/** Checks a column sum's shapes; per slot: the slot of a, its rows and columns. */
export function planColSum(
  out: DbmTensor,
  a: DbmTensor,
): { pa: number; rows: number; m: number }[] {
  const slots = out.slots;
  return Array.from({ length: slots }, (_, p) => {
    const pa = operandSlot(a, p, { slots, what: "colSum a" });
    const m = a.cols[pa];
    if (out.rows[p] !== 1 || out.cols[p] !== m) throw new Error("colSum: out is not 1 x m");
    return { pa, rows: a.rows[pa], m };
  });
}

/** One slot of a copy. */
export interface CopySlot {
  /** Destination slot. */
  p: number;
  /** Source slot. */
  ps: number;
  /** Rows copied. */
  rows: number;
  /** Columns. */
  cols: number;
  /** First source row. */
  srcRow: number;
  /** First destination row. */
  dstRow: number;
}

/** Checks a copy and returns the slots it touches. */
export function planCopy(dst: DbmTensor, src: DbmTensor, options: CopyOptions): CopySlot[] {
  const out: CopySlot[] = [];
  for (let p = 0; p < dst.slots; p++) {
    if (options.only && !options.only[p]) continue;
    const ps = operandSlot(src, p, { slots: dst.slots, what: "copy src" });
    const cols = src.cols[ps];
    const srcRow = options.srcRow ?? 0;
    const dstRow = options.dstRow ?? 0;
    const rows = options.rows ?? src.rows[ps] - srcRow;
    if (cols !== dst.cols[p] || srcRow + rows > src.rows[ps] || dstRow + rows > dst.rows[p]) {
      throw new Error(`copy: slot ${p}: rows or columns out of range`);
    }
    out.push({ p, ps, rows, cols, srcRow, dstRow });
  }
  return out;
}

/** Checks a momentum step: buffer, gradient and mask have w's slots, sizes and capacities. */
export function checkMomentum(w: DbmTensor, g: DbmTensor, options: MomentumOptions): void {
  for (const [t, what] of [[options.buffer, "buffer"], [g, "g"], [options.mask, "mask"]] as const) {
    if (!t) continue;
    if (t.rowCap !== w.rowCap || t.colCap !== w.colCap) {
      throw new Error(`momentumStep ${what}: capacity differs from w`);
    }
    assertSameShapes(w, t, `momentumStep ${what}`);
  }
}
