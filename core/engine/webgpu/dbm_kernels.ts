/**
 * WebGPU implementation of the DBM kernels ({@link DbmKernels}) in our own WGSL (`dbm_wgsl.ts`), on
 * a device of its own. Every kernel takes the population's slot as its third dispatch dimension,
 * so one dispatch advances every (seed x criterion) slot; ragged slot sizes and the per-call
 * scalars travel in a small `meta` storage buffer written before each dispatch (queue order makes
 * that safe). The kernels are plain one-thread-per-output loops that read exact zeros of binary
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
import { DBM_SOURCES, type DbmKernelName, WG } from "./dbm_wgsl.ts";

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const COPY_DST = 0x08;
const COPY_SRC = 0x04;
const MAP_READ = 0x01;

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
  readonly #pipelines = new Map<DbmKernelName, GPUComputePipeline>();
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

  #pipeline(name: DbmKernelName): GPUComputePipeline {
    let p = this.#pipelines.get(name);
    if (!p) {
      const module = this.#device.createShaderModule({ code: DBM_SOURCES[name]() });
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
    name: DbmKernelName,
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
