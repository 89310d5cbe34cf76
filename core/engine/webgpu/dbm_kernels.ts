/**
 * WebGPU implementation of the DBM kernels ({@link DbmKernels}) in our own WGSL, on a device of
 * its own. Every kernel takes the population's slot as its third dispatch dimension, so one
 * dispatch advances every (seed x criterion) slot; ragged slot sizes and the per-call scalars
 * travel in a small `meta` storage buffer written before each dispatch (queue order makes that
 * safe). The kernels are plain one-thread-per-output loops that read exact zeros of binary
 * operands without multiplying: correct everywhere and testable on llvmpipe; tiling for a real GPU
 * is future work (docs/dbm_design.md).
 *
 * Bernoulli draws use the same hash as the CPU ({@link bernoulliUniform}), so both engines draw
 * identical samples wherever their float32 probabilities agree.
 *
 * @module
 */
import {
  assertSameShapes,
  type BernoulliKeys,
  checkMomentum,
  checkResize,
  checkWrite,
  type CopyOptions,
  type DbmKernels,
  type DbmTensor,
  type LinearOptions,
  type MomentumOptions,
  type OuterOptions,
  planColSum,
  planCopy,
  planLinear,
  planOuter,
  slotSizes,
  type TensorShape,
} from "../dbm.ts";

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const COPY_DST = 0x08;
const COPY_SRC = 0x04;
const MAP_READ = 0x01;
const WG = 64;

/** A population tensor in one GPU buffer: slot p at float offset p * rowCap * colCap. */
export class GpuTensor implements DbmTensor {
  /** Number of slots. */
  readonly slots: number;
  /** Row capacity. */
  readonly rowCap: number;
  /** Column capacity. */
  readonly colCap: number;
  /** Current rows per slot. */
  readonly rows: Int32Array;
  /** Current columns per slot. */
  readonly cols: Int32Array;
  /** The buffer. */
  readonly buffer: GPUBuffer;
  /** False once freed. */
  live: boolean = true;

  /** Allocates a zero-filled tensor. */
  constructor(device: GPUDevice, shape: TensorShape) {
    const sizes = slotSizes(shape);
    this.slots = shape.slots;
    this.rows = sizes.rows;
    this.cols = sizes.cols;
    this.rowCap = sizes.rowCap;
    this.colCap = sizes.colCap;
    // New buffers are zero-initialised by WebGPU.
    this.buffer = device.createBuffer({
      size: Math.max(16, 4 * this.slots * this.rowCap * this.colCap),
      usage: STORAGE | COPY_DST | COPY_SRC,
    });
  }

  /** Floats per slot. */
  get stride(): number {
    return this.rowCap * this.colCap;
  }
}

function own(t: DbmTensor, what: string): GpuTensor {
  if (!(t instanceof GpuTensor)) throw new Error(`${what}: not a tensor of the WebGPU kernels`);
  if (!t.live) throw new Error(`${what}: tensor was freed`);
  return t;
}

/** Shared WGSL: the meta words and a float view of them. */
const HEAD = `
@group(0) @binding(0) var<storage, read> mt: array<u32>;
fn mf(i: u32) -> f32 { return bitcast<f32>(mt[i]); }
`;

/** Per-slot block of meta starts after a fixed header of H words. */
const LINEAR = `${HEAD}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> Bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
// meta: 0 slots, 1 transpose, 2 acc, 3 hasBias, 4 scale, 5 biasScale,
// then per slot p at 8 + 8p: B, n, m, xOff, xCap, wOff, wCap, bOff; out at 8 + 8 slots + 2p: oOff, oCap.
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 8u * p;
  let B = mt[s]; let n = mt[s + 1u]; let m = mt[s + 2u];
  let r = g.y; let j = g.x;
  if (r >= B || j >= m) { return; }
  let xo = mt[s + 3u] + r * mt[s + 4u];
  let wo = mt[s + 5u]; let wc = mt[s + 6u];
  var acc: f32 = 0.0;
  if (mt[1] == 0u) {
    for (var i = 0u; i < n; i++) {
      let xi = X[xo + i];
      if (xi != 0.0) { acc += xi * W[wo + i * wc + j]; }
    }
  } else {
    for (var i = 0u; i < n; i++) {
      let xi = X[xo + i];
      if (xi != 0.0) { acc += xi * W[wo + j * wc + i]; }
    }
  }
  var v = mf(4u) * acc;
  if (mt[3] == 1u) { v += mf(5u) * Bias[mt[s + 7u] + j]; }
  let t = 8u + 8u * mt[0] + 2u * p;
  let oi = mt[t] + r * mt[t + 1u] + j;
  if (mt[2] == 1u) { v += O[oi]; }
  O[oi] = v;
}
`;

/** Elementwise kernels over a slot's rows x cols: header 0 slots, per slot at 4 + 6p. */
function elementwise(body: string, bindings: string): string {
  return `${HEAD}
${bindings}
// meta per slot p at 4 + 6p: rows, cols, aOff, aCap, bOff, bCap (a = output, b = input).
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 6u * p;
  let r = g.y; let j = g.x;
  if (r >= mt[s] || j >= mt[s + 1u]) { return; }
  let ai = mt[s + 2u] + r * mt[s + 3u] + j;
  let bi = mt[s + 4u] + r * mt[s + 5u] + j;
  let idx = r * mt[s + 1u] + j;
  ${body}
}
`;
}

const IO_SEPARATE = `@group(0) @binding(1) var<storage, read> IN: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;`;
const IO_SAME = `@group(0) @binding(1) var<storage, read_write> O: array<f32>;`;

const SIGMOID = (inPlace: boolean): string =>
  elementwise(
    `let x = ${inPlace ? "O" : "IN"}[bi];\n  O[ai] = 1.0 / (1.0 + exp(-x));`,
    inPlace ? IO_SAME : IO_SEPARATE,
  );

const HASH = `
fn lowbias32(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u; x *= 0x7feb352du; x ^= x >> 15u; x *= 0x846ca68bu; x ^= x >> 16u;
  return x;
}`;

// Keys of slot p at mt[2 + ...] are stored after the per-slot blocks: 4 + 6 slots + 2p.
const BERNOULLI = (inPlace: boolean): string =>
  HASH +
  elementwise(
    `let k = 4u + 6u * mt[0] + 2u * p;
  let h = lowbias32(lowbias32(idx ^ mt[k]) ^ mt[k + 1u]);
  let u = f32(h >> 8u) * (1.0 / 16777216.0);
  O[ai] = select(0.0, 1.0, u < ${inPlace ? "O" : "IN"}[bi]);`,
    inPlace ? IO_SAME : IO_SEPARATE,
  );

// Fill: mt[1] holds the value.
const FILL = elementwise(`O[ai] = mf(1u);`, IO_SAME);

// Copy: per slot at 4 + 6p: rows, cols, dstOff (row dstRow), dstCap, srcOff (row srcRow), srcCap.
const COPY = elementwise(`O[ai] = IN[bi];`, IO_SEPARATE);

const OUTER = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> G: array<f32>;
// meta: 0 slots, 1 hasMask, 2 alpha, 3 beta; per slot at 4 + 10p:
// rows, n, m, aOff, aCap, bOff, bCap, gOff, gCap, mOff (mask cap = gCap's layout: mCap at the end).
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 10u * p;
  let rows = mt[s]; let n = mt[s + 1u]; let m = mt[s + 2u];
  let i = g.y; let j = g.x;
  if (i >= n || j >= m) { return; }
  let gi = mt[s + 7u] + i * mt[s + 8u] + j;
  if (mt[1] == 1u) {
    let mc = mt[4u + 10u * mt[0] + p];
    if (M[mt[s + 9u] + i * mc + j] == 0.0) { G[gi] = 0.0; return; }
  }
  var acc: f32 = 0.0;
  for (var r = 0u; r < rows; r++) {
    let a = A[mt[s + 3u] + r * mt[s + 4u] + i];
    if (a != 0.0) { acc += a * Bm[mt[s + 5u] + r * mt[s + 6u] + j]; }
  }
  let beta = mf(3u);
  var old: f32 = 0.0;
  if (beta != 0.0) { old = beta * G[gi]; }
  G[gi] = old + mf(2u) * acc;
}
`;

const COLSUM = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
// meta: 0 slots, 1 alpha, 2 beta; per slot at 4 + 5p: rows, m, aOff, aCap, oOff.
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 5u * p;
  let j = g.x;
  if (j >= mt[s + 1u]) { return; }
  var acc: f32 = 0.0;
  for (var r = 0u; r < mt[s]; r++) { acc += A[mt[s + 2u] + r * mt[s + 3u] + j]; }
  let oi = mt[s + 4u] + j;
  O[oi] = mf(2u) * O[oi] + mf(1u) * acc;
}
`;

const MOMENTUM_BINDINGS = `${HEAD}
@group(0) @binding(1) var<storage, read_write> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<storage, read> Gr: array<f32>;
@group(0) @binding(4) var<storage, read> M: array<f32>;
// meta: 0 slots, 1 hasMask, 2 lr, 3 mu, 4 code, 5 maxNorm (0 = none);
// per slot at 8 + 5p: rows, cols, off, cap, mOff (mask uses the same cap).
`;

// Pass 1: d and t = w + d, elementwise.
const MOMENTUM_STEP = `${MOMENTUM_BINDINGS}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 5u * p;
  let r = g.y; let j = g.x;
  if (r >= mt[s] || j >= mt[s + 1u]) { return; }
  let q = mt[s + 2u] + r * mt[s + 3u] + j;
  var gm = Gr[q];
  if (mt[1] == 1u) {
    if (M[mt[s + 4u] + r * mt[s + 3u] + j] == 0.0) { gm = 0.0; }
  }
  let lr = mf(2u); let mu = mf(3u);
  var dn: f32;
  if (mt[4] == 1u) { dn = lr * (mu * D[q] + gm); } else { dn = mu * D[q] + lr * gm; }
  D[q] = dn;
  Wt[q] = Wt[q] + dn;
}
`;

// Pass 2: per column, the max-norm scale and the mask.
const MOMENTUM_NORM = `${MOMENTUM_BINDINGS}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 5u * p;
  let j = g.x;
  let rows = mt[s];
  if (j >= mt[s + 1u]) { return; }
  let off = mt[s + 2u]; let cap = mt[s + 3u];
  // Never true: keeps D and Gr statically used, so this pass shares the step's bind group.
  if (j == 0xffffffffu) { D[0] = Gr[0]; }
  var f: f32 = 1.0;
  let maxNorm = mf(5u);
  if (maxNorm > 0.0) {
    var n2: f32 = 0.0;
    for (var r = 0u; r < rows; r++) { let t = Wt[off + r * cap + j]; n2 += t * t; }
    let nj = sqrt(n2);
    f = min(nj, maxNorm) / max(nj, 1e-8);
  }
  for (var r = 0u; r < rows; r++) {
    let q = off + r * cap + j;
    var keep = true;
    if (mt[1] == 1u) { keep = M[mt[s + 4u] + r * cap + j] != 0.0; }
    if (!keep) { Wt[q] = 0.0; } else if (maxNorm > 0.0) { Wt[q] = Wt[q] * f; }
  }
}
`;

const MAXDIFF = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bt: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
var<workgroup> part: array<f32, 256>;
// meta: 0 slots; per slot at 4 + 6p: rows, cols, aOff, aCap, bOff, bCap. One workgroup per slot.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = wg.x;
  let s = 4u + 6u * p;
  let rows = mt[s]; let cols = mt[s + 1u];
  var m: f32 = 0.0;
  for (var q = lid; q < rows * cols; q += 256u) {
    let r = q / cols; let j = q % cols;
    let d = abs(A[mt[s + 2u] + r * mt[s + 3u] + j] - Bt[mt[s + 4u] + r * mt[s + 5u] + j]);
    m = max(m, d);
  }
  part[lid] = m;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid < w) { part[lid] = max(part[lid], part[lid + w]); }
    workgroupBarrier();
  }
  if (lid == 0u) { O[p] = part[0]; }
}
`;

type KernelName =
  | "linear"
  | "sigmoid"
  | "sigmoidInPlace"
  | "bernoulli"
  | "bernoulliInPlace"
  | "fill"
  | "copy"
  | "outer"
  | "colSum"
  | "momentumStep"
  | "momentumNorm"
  | "maxDiff";

const SOURCES: Record<KernelName, () => string> = {
  linear: () => LINEAR,
  sigmoid: () => SIGMOID(false),
  sigmoidInPlace: () => SIGMOID(true),
  bernoulli: () => BERNOULLI(false),
  bernoulliInPlace: () => BERNOULLI(true),
  fill: () => FILL,
  copy: () => COPY,
  outer: () => OUTER,
  colSum: () => COLSUM,
  momentumStep: () => MOMENTUM_STEP,
  momentumNorm: () => MOMENTUM_NORM,
  maxDiff: () => MAXDIFF,
};

/** Requests a WebGPU device and creates the kernels; throws when there is no adapter. */
export async function createWebGpuDbmKernels(): Promise<WebGpuDbmKernels> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) throw new Error("WebGPU is not available in this runtime");
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter");
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const info = adapter.info;
  const what = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => s && s.length > 0).join(" ") || "unknown adapter";
  return new WebGpuDbmKernels(device, what);
}

/** DBM kernels on a WebGPU device. */
export class WebGpuDbmKernels implements DbmKernels {
  /** Engine name. */
  readonly name: string = "webgpu";
  /** Description. */
  readonly description: string;
  readonly #device: GPUDevice;
  readonly #pipelines = new Map<KernelName, GPUComputePipeline>();
  #meta: GPUBuffer;
  #metaBytes = 4096;
  readonly #dummy: GPUBuffer;

  /** Wraps a device. */
  constructor(device: GPUDevice, adapter: string) {
    this.#device = device;
    this.description = `WebGPU float32 (${adapter})`;
    this.#meta = device.createBuffer({ size: this.#metaBytes, usage: STORAGE | COPY_DST });
    this.#dummy = device.createBuffer({ size: 16, usage: STORAGE });
  }

  /** Allocates a zero-filled tensor. */
  alloc(shape: TensorShape): DbmTensor {
    return new GpuTensor(this.#device, shape);
  }

  /** Changes one slot's size within the capacity. */
  resize(t: DbmTensor, dims: { slot: number; rows: number; cols: number }): void {
    const x = own(t, "resize");
    checkResize(x, dims);
    x.rows[dims.slot] = dims.rows;
    x.cols[dims.slot] = dims.cols;
  }

  /** Writes one slot (rows are laid out at the column capacity). */
  write(t: DbmTensor, options: { slot: number; data: ArrayLike<number> }): void {
    const x = own(t, "write");
    checkWrite(x, options);
    const { slot, data } = options;
    const rows = x.rows[slot];
    const cols = x.cols[slot];
    const buf = new Float32Array(rows * x.colCap);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) buf[r * x.colCap + c] = data[r * cols + c];
    }
    // Columns beyond cols are written as 0 within those rows; other contents are unspecified.
    this.#device.queue.writeBuffer(x.buffer, 4 * slot * x.stride, buf);
  }

  /** Reads one slot. */
  async read(t: DbmTensor, slot: number): Promise<Float32Array> {
    const x = own(t, "read");
    const rows = x.rows[slot];
    const cols = x.cols[slot];
    const bytes = 4 * rows * x.colCap;
    const staging = this.#device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    const enc = this.#device.createCommandEncoder();
    enc.copyBufferToBuffer(x.buffer, 4 * slot * x.stride, staging, 0, bytes);
    this.#device.queue.submit([enc.finish()]);
    await staging.mapAsync(1);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      out.set(all.subarray(r * x.colCap, r * x.colCap + cols), r * cols);
    }
    return out;
  }

  /** Fills every element of every slot (whole capacity). */
  fill(t: DbmTensor, value: number): void {
    const x = own(t, "fill");
    const meta = new Uint32Array(4 + 6 * x.slots);
    meta[0] = x.slots;
    new Float32Array(meta.buffer)[1] = value;
    for (let p = 0; p < x.slots; p++) {
      meta.set([x.rowCap, x.colCap, p * x.stride, x.colCap, 0, 0], 4 + 6 * p);
    }
    this.#run("fill", meta, [x.buffer], [Math.ceil(x.colCap / WG), x.rowCap, x.slots]);
  }

  /** Releases a tensor. */
  free(t: DbmTensor): void {
    const x = own(t, "free");
    x.live = false;
    x.buffer.destroy();
  }

  /** out = scale x W + biasScale b (+ out). */
  linear(out: DbmTensor, x: DbmTensor, options: LinearOptions): void {
    const o = own(out, "linear out");
    const xx = own(x, "linear x");
    const ww = own(options.w, "linear w");
    const bias = options.bias ? own(options.bias, "linear bias") : null;
    const plan = planLinear(o, xx, options);
    const slots = o.slots;
    const meta = new Uint32Array(8 + 10 * slots);
    const f = new Float32Array(meta.buffer);
    meta[0] = slots;
    meta[1] = options.transpose ? 1 : 0;
    meta[2] = options.accumulate ? 1 : 0;
    meta[3] = bias ? 1 : 0;
    f[4] = options.scale ?? 1;
    f[5] = options.biasScale ?? 1;
    plan.forEach(({ px, pw, pb, b, n, m }, p) => {
      const bOff = bias && pb >= 0 ? pb * bias.stride : 0;
      meta.set([b, n, m, px * xx.stride, xx.colCap, pw * ww.stride, ww.colCap, bOff], 8 + 8 * p);
      meta.set([p * o.stride, o.colCap], 8 + 8 * slots + 2 * p);
    });
    const maxB = Math.max(...plan.map((q) => q.b));
    const maxM = Math.max(...plan.map((q) => q.m));
    this.#run(
      "linear",
      meta,
      [xx.buffer, ww.buffer, bias ? bias.buffer : this.#dummy, o.buffer],
      [Math.ceil(maxM / WG), maxB, slots],
    );
  }

  /** out = sigma(pre). */
  sigmoid(out: DbmTensor, pre: DbmTensor): void {
    const o = own(out, "sigmoid out");
    const x = own(pre, "sigmoid pre");
    const meta = this.#elementMeta(o, x, "sigmoid", 0);
    const same = o === x;
    this.#run(
      same ? "sigmoidInPlace" : "sigmoid",
      meta.meta,
      same ? [o.buffer] : [x.buffer, o.buffer],
      meta.grid,
    );
  }

  /** out = Bern(p) with the hash stream of each slot. */
  bernoulli(out: DbmTensor, p: DbmTensor, options: { keys: BernoulliKeys }): void {
    const keys = options.keys;
    const o = own(out, "bernoulli out");
    const x = own(p, "bernoulli p");
    if (keys.length !== 2 * o.slots) throw new Error("bernoulli: need 2 keys per slot");
    const m = this.#elementMeta(o, x, "bernoulli", 2 * o.slots);
    m.meta.set(keys, 4 + 6 * o.slots);
    const same = o === x;
    this.#run(
      same ? "bernoulliInPlace" : "bernoulli",
      m.meta,
      same ? [o.buffer] : [x.buffer, o.buffer],
      m.grid,
    );
  }

  /** g = beta g + alpha a' b, optionally masked. */
  outer(g: DbmTensor, a: DbmTensor, options: OuterOptions): void {
    const gg = own(g, "outer g");
    const aa = own(a, "outer a");
    const bb = own(options.b, "outer b");
    const mask = options.mask ? own(options.mask, "outer mask") : null;
    const plan = planOuter(gg, aa, options);
    const slots = gg.slots;
    const meta = new Uint32Array(4 + 11 * slots);
    const f = new Float32Array(meta.buffer);
    meta[0] = slots;
    meta[1] = mask ? 1 : 0;
    f[2] = options.alpha;
    f[3] = options.beta;
    plan.forEach(({ pa, pb, pm, rows, n, m }, p) => {
      const mOff = mask && pm >= 0 ? pm * mask.stride : 0;
      meta.set(
        [
          rows,
          n,
          m,
          pa * aa.stride,
          aa.colCap,
          pb * bb.stride,
          bb.colCap,
          p * gg.stride,
          gg.colCap,
          mOff,
        ],
        4 + 10 * p,
      );
      meta[4 + 10 * slots + p] = mask ? mask.colCap : 0;
    });
    const maxN = Math.max(...plan.map((q) => q.n));
    const maxM = Math.max(...plan.map((q) => q.m));
    this.#run(
      "outer",
      meta,
      [aa.buffer, bb.buffer, mask ? mask.buffer : this.#dummy, gg.buffer],
      [Math.ceil(maxM / WG), maxN, slots],
    );
  }

  /** out = beta out + alpha colsum(a). */
  colSum(out: DbmTensor, a: DbmTensor, options: { alpha: number; beta: number }): void {
    const o = own(out, "colSum out");
    const aa = own(a, "colSum a");
    const plan = planColSum(o, aa);
    const slots = o.slots;
    const meta = new Uint32Array(4 + 5 * slots);
    const f = new Float32Array(meta.buffer);
    meta[0] = slots;
    f[1] = options.alpha;
    f[2] = options.beta;
    plan.forEach(({ pa, rows, m }, p) => {
      meta.set([rows, m, pa * aa.stride, aa.colCap, p * o.stride], 4 + 5 * p);
    });
    const maxM = Math.max(...plan.map((q) => q.m));
    this.#run("colSum", meta, [aa.buffer, o.buffer], [Math.ceil(maxM / WG), 1, slots]);
  }

  /** Momentum step with optional mask and column max-norm (two passes). */
  momentumStep(w: DbmTensor, g: DbmTensor, options: MomentumOptions): void {
    const ww = own(w, "momentumStep w");
    const dd = own(options.buffer, "momentumStep buffer");
    const gg = own(g, "momentumStep g");
    const mask = options.mask ? own(options.mask, "momentumStep mask") : null;
    checkMomentum(ww, gg, options);
    const slots = ww.slots;
    const meta = new Uint32Array(8 + 5 * slots);
    const f = new Float32Array(meta.buffer);
    meta[0] = slots;
    meta[1] = mask ? 1 : 0;
    f[2] = options.lr;
    f[3] = options.momentum;
    meta[4] = (options.rule ?? "code") === "code" ? 1 : 0;
    f[5] = options.maxNorm ?? 0;
    for (let p = 0; p < slots; p++) {
      meta.set([ww.rows[p], ww.cols[p], p * ww.stride, ww.colCap, p * ww.stride], 8 + 5 * p);
    }
    const maxR = Math.max(...ww.rows);
    const maxC = Math.max(...ww.cols);
    const bufs = [ww.buffer, dd.buffer, gg.buffer, mask ? mask.buffer : this.#dummy];
    this.#run("momentumStep", meta, bufs, [Math.ceil(maxC / WG), maxR, slots]);
    if (mask || options.maxNorm !== undefined) {
      this.#run("momentumNorm", meta, bufs, [Math.ceil(maxC / WG), 1, slots]);
    }
  }

  /** Copies rows of each slot. */
  copy(dst: DbmTensor, src: DbmTensor, options: CopyOptions = {}): void {
    const o = own(dst, "copy dst");
    const s = own(src, "copy src");
    const plan = planCopy(o, s, options);
    if (plan.length === 0) return;
    const meta = new Uint32Array(4 + 6 * plan.length);
    meta[0] = plan.length;
    plan.forEach(({ p, ps, rows, cols, srcRow, dstRow }, q) => {
      meta.set(
        [
          rows,
          cols,
          p * o.stride + dstRow * o.colCap,
          o.colCap,
          ps * s.stride + srcRow * s.colCap,
          s.colCap,
        ],
        4 + 6 * q,
      );
    });
    const maxR = Math.max(...plan.map((q) => q.rows));
    const maxC = Math.max(...plan.map((q) => q.cols));
    this.#run("copy", meta, [s.buffer, o.buffer], [Math.ceil(maxC / WG), maxR, plan.length]);
  }

  /** max |a - b| per slot. */
  async maxAbsDiff(a: DbmTensor, b: DbmTensor): Promise<Float64Array> {
    const aa = own(a, "maxAbsDiff a");
    const bb = own(b, "maxAbsDiff b");
    const m = this.#elementMeta(aa, bb, "maxAbsDiff", 0);
    const out = this.#device.createBuffer({
      size: Math.max(16, 4 * aa.slots),
      usage: STORAGE | COPY_SRC,
    });
    this.#run("maxDiff", m.meta, [aa.buffer, bb.buffer, out], [aa.slots, 1, 1]);
    const staging = this.#device.createBuffer({
      size: Math.max(16, 4 * aa.slots),
      usage: MAP_READ | COPY_DST,
    });
    const enc = this.#device.createCommandEncoder();
    enc.copyBufferToBuffer(out, 0, staging, 0, Math.max(16, 4 * aa.slots));
    this.#device.queue.submit([enc.finish()]);
    await staging.mapAsync(1);
    const v = new Float32Array(staging.getMappedRange().slice(0, 4 * aa.slots));
    staging.unmap();
    staging.destroy();
    out.destroy();
    return Float64Array.from(v);
  }

  /** Releases the device. */
  close(): Promise<void> {
    this.#meta.destroy();
    this.#dummy.destroy();
    this.#device.destroy();
    return Promise.resolve();
  }

  /** Meta of an elementwise kernel: a = output side, b = input side, same shapes. */
  #elementMeta(
    a: GpuTensor,
    b: GpuTensor,
    what: string,
    extra: number,
  ): { meta: Uint32Array<ArrayBuffer>; grid: [number, number, number] } {
    assertSameShapes(a, b, what);
    const meta = new Uint32Array(4 + 6 * a.slots + extra);
    meta[0] = a.slots;
    let maxR = 1;
    let maxC = 1;
    for (let p = 0; p < a.slots; p++) {
      meta.set([a.rows[p], a.cols[p], p * a.stride, a.colCap, p * b.stride, b.colCap], 4 + 6 * p);
      maxR = Math.max(maxR, a.rows[p]);
      maxC = Math.max(maxC, a.cols[p]);
    }
    return { meta, grid: [Math.ceil(maxC / WG), maxR, a.slots] };
  }

  #pipeline(name: KernelName): GPUComputePipeline {
    let p = this.#pipelines.get(name);
    if (!p) {
      const module = this.#device.createShaderModule({ code: SOURCES[name]() });
      p = this.#device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.#pipelines.set(name, p);
    }
    return p;
  }

  /** Writes the meta words and submits one dispatch (queue order keeps each meta with its kernel). */
  #run(
    name: KernelName,
    meta: Uint32Array<ArrayBuffer>,
    buffers: GPUBuffer[],
    grid: [number, number, number],
  ): void {
    if (meta.byteLength > this.#metaBytes) {
      this.#meta.destroy();
      this.#metaBytes = 2 * meta.byteLength;
      this.#meta = this.#device.createBuffer({ size: this.#metaBytes, usage: STORAGE | COPY_DST });
    }
    this.#device.queue.writeBuffer(this.#meta, 0, meta);
    const pipeline = this.#pipeline(name);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#meta } }];
    buffers.forEach((buffer, k) => entries.push({ binding: k + 1, resource: { buffer } }));
    const bind = this.#device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const enc = this.#device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    pass.end();
    this.#device.queue.submit([enc.finish()]);
  }
}
