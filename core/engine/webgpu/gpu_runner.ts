/**
 * Runs the fused WGSL kernels of `wgsl.ts` on a GPUDevice: pipelines per (shape, S, T, mode),
 * persistent buffers that grow with the population, and one submit + one read-back per batched
 * evaluation. Losses come back as per-sequence float32 partials and are summed in float64 on the
 * host; gradients and Hessian-vector products are reduced over sequences on the device (Kahan).
 *
 * @module
 */
import type { SequenceSet } from "../engine.ts";
import { paramLayout } from "../../rnn/network.ts";
import {
  diffSource,
  fusedSource,
  type KernelDims,
  type KernelMode,
  reduceSource,
  trajectoryFloats,
  workgroupBytes,
} from "./wgsl.ts";

/** Result of one batched evaluation (one entry per dispatched network). */
export interface BatchEval {
  /** Loss per network (float32 partials summed in float64). */
  loss: Float64Array;
  /** Gradients, P x K (float32). */
  grad: Float32Array;
  /** Hessian-vector products, P x K, when asked for. */
  hv: Float32Array | null;
}

/** A recordable fused-gradient evaluation (see {@link GpuRunner.gradProgram}). */
export interface GradProgram {
  /** Reduced gradients (or [gradient, H v] blocks), capacity x K(M). */
  readonly grad: GPUBuffer;
  /** Per-sequence loss partials (sums of squared errors), capacity x S. */
  readonly lpart: GPUBuffer;
  /** Records the kernel and the reduction for the first `count` networks. */
  encode(pass: GPUComputePassEncoder, count: number): void;
}

/** A recordable loss-difference evaluation (see {@link GpuRunner.diffProgram}). */
export interface DiffProgram {
  /** Per-(sequence, output) partials of S T (E(w + dw) - E(w)), capacity x S x No. */
  readonly dpart: GPUBuffer;
  /** Records the kernel for the first `count` networks. */
  encode(pass: GPUComputePassEncoder, count: number): void;
}

/** Forward trajectories of a batch: x is P x (T N S), y is P x (T No S). */
export interface BatchForward {
  /** Pre-activations. */
  x: Float32Array;
  /** Outputs. */
  y: Float32Array;
}

const STORAGE = 0x80; // GPUBufferUsage.STORAGE
const COPY_DST = 0x08;
const COPY_SRC = 0x04;
const MAP_READ = 0x01;
const UNIFORM = 0x40;

/** Data of a population uploaded once and addressed by slot. */
export interface DataUpload {
  /** Dimensions shared by every set. */
  readonly dims: KernelDims;
  /** Number of slots. */
  readonly count: number;
  /** Inputs buffer. */
  readonly inputs: GPUBuffer;
  /** Targets buffer. */
  readonly targets: GPUBuffer;
  /** The sets, to recognise a repeated upload. */
  readonly sets: readonly SequenceSet[];
}

/** `[a_i, b_i]` blocks of 2K per network from two P x K arrays (the kernels' [w, v] layout). */
function interleave(a: Float32Array, b: Float32Array, k: number): Float32Array {
  const p = a.length / k;
  const out = new Float32Array(p * 2 * k);
  for (let i = 0; i < p; i++) {
    out.set(a.subarray(i * k, (i + 1) * k), i * 2 * k);
    out.set(b.subarray(i * k, (i + 1) * k), i * 2 * k + k);
  }
  return out;
}

/** Per-network sums of `m` float32 partials each, in float64, each passed through `finish`. */
function sumPartials(
  all: Float32Array,
  m: number,
  finish: (sum: number) => number,
): Float64Array {
  const out = new Float64Array(all.length / m);
  for (let p = 0; p < out.length; p++) {
    let acc = 0;
    for (let q = 0; q < m; q++) acc += all[p * m + q];
    out[p] = finish(acc);
  }
  return out;
}

/** Key of a kernel family (shape and data size). */
export function dimsKey(dims: KernelDims): string {
  const { n, ni, no, outputBias } = dims.shape;
  return `${n}:${ni}:${no}:${outputBias ? 1 : 0}:${dims.s}:${dims.t}`;
}

/** Owns pipelines and scratch buffers on one device. */
export class GpuRunner {
  readonly #device: GPUDevice;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #buffers = new Map<string, GPUBuffer>();
  #lastUpload: DataUpload | null = null;

  /** Wraps a device (owned by the tfjs backend). */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Bind-group entry of the trajectory scratch buffer for `p` networks. */
  #trajEntry(dims: KernelDims, mode: KernelMode, p: number): GPUBindGroupEntry {
    const bytes = p * dims.s * trajectoryFloats(dims, mode) * 4;
    return { binding: 8, resource: { buffer: this.buffer("traj", bytes, STORAGE) } };
  }

  /** The device. */
  get device(): GPUDevice {
    return this.#device;
  }

  /** A compute pipeline compiled once per key (entry point `main`, automatic layout). */
  pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.#pipelines.get(key);
    if (!p) {
      const module = this.#device.createShaderModule({ code: code() });
      p = this.#device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.#pipelines.set(key, p);
    }
    return p;
  }

  /**
   * A scratch buffer of at least `bytes`, reused across calls under `name`; growing it destroys
   * the old one, so bind groups made before hold a dead buffer.
   */
  buffer(name: string, bytes: number, usage: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const old = this.#buffers.get(name);
    if (old && old.size >= size) return old;
    old?.destroy();
    // Grow geometrically so a slowly growing population does not reallocate every call.
    const grown = old ? Math.max(size, Math.ceil(old.size * 1.5 / 16) * 16) : size;
    const buf = this.#device.createBuffer({ size: grown, usage });
    this.#buffers.set(name, buf);
    return buf;
  }

  #checkLimits(dims: KernelDims, mode: KernelMode, p: number): void {
    const lim = this.#device.limits;
    const need = workgroupBytes(dims, mode);
    if (need > lim.maxComputeWorkgroupStorageSize) {
      throw new Error(
        `webgpu: network of ${dims.shape.n} units x ${dims.t} steps needs ${need} bytes of ` +
          `workgroup memory; the device allows ${lim.maxComputeWorkgroupStorageSize}`,
      );
    }
    if (p > lim.maxComputeWorkgroupsPerDimension || dims.s > lim.maxComputeWorkgroupsPerDimension) {
      throw new Error(`webgpu: ${p} networks exceed the device's dispatch size`);
    }
  }

  /** Largest number of networks one dispatch may hold under the storage-binding limit. */
  maxBatch(dims: KernelDims): number {
    const K = paramLayout(dims.shape).size;
    const perNet = Math.max(dims.s * K, trajectoryFloats(dims, "gradHv") * dims.s) * 4;
    const lim = Math.min(
      this.#device.limits.maxStorageBufferBindingSize,
      this.#device.limits.maxBufferSize,
    );
    return Math.max(
      1,
      Math.min(this.#device.limits.maxComputeWorkgroupsPerDimension, Math.floor(lim / perNet)),
    );
  }

  /**
   * Uploads the training data of a population (one slot per set, all with the same dims). A call
   * with the same set objects as the previous upload reuses it.
   */
  upload(sets: readonly SequenceSet[]): DataUpload {
    const last = this.#lastUpload;
    if (last && last.sets.length === sets.length && last.sets.every((s, i) => s === sets[i])) {
      return last;
    }
    const first = sets[0];
    const dims: KernelDims = { shape: first.shape, s: first.s, t: first.t };
    const inLen = first.inputs.length;
    const tgLen = first.targets.length;
    const inp = new Float32Array(inLen * sets.length);
    const tgt = new Float32Array(tgLen * sets.length);
    sets.forEach((set, i) => {
      if (
        set.s !== dims.s || set.t !== dims.t ||
        dimsKey({ ...dims, shape: set.shape }) !== dimsKey(dims)
      ) {
        throw new Error("webgpu: one upload needs sequence sets of one shape and size");
      }
      inp.set(set.inputs, i * inLen);
      tgt.set(set.targets, i * tgLen);
    });
    // Each upload owns its buffers; the previous one is freed (engine calls are serialised).
    last?.inputs.destroy();
    last?.targets.destroy();
    const mk = (bytes: number): GPUBuffer =>
      this.#device.createBuffer({
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage: STORAGE | COPY_DST,
      });
    const ib = mk(inp.byteLength);
    const tb = mk(tgt.byteLength);
    this.#device.queue.writeBuffer(ib, 0, inp);
    this.#device.queue.writeBuffer(tb, 0, tgt);
    const up: DataUpload = { dims, count: sets.length, inputs: ib, targets: tb, sets: [...sets] };
    this.#lastUpload = up;
    return up;
  }

  /**
   * The fused gradient kernel (and its reduction over sequences) of up to `capacity` networks,
   * reading weights from `w` (blocks of K, or [w, v] of 2K with `hv`) and data slots from `slots`,
   * ready to be recorded into compute passes. Every encode of one program before a submit must use
   * the same network count (it sits in the reduction's uniform).
   */
  gradProgram(
    data: DataUpload,
    options: { w: GPUBuffer; slots: GPUBuffer; capacity: number; hv?: boolean },
  ): GradProgram {
    const { dims } = data;
    const { capacity: P, hv = false } = options;
    const mode: KernelMode = hv ? "gradHv" : "grad";
    this.#checkLimits(dims, mode, P);
    const KM = paramLayout(dims.shape).size * (hv ? 2 : 1);
    const S = dims.s;
    const dev = this.#device;
    const fused = this.pipeline(`${mode}:${dimsKey(dims)}`, () => fusedSource(dims, mode));
    const reduce = this.pipeline(`reduce:${KM}:${S}`, () => reduceSource(KM, S));
    const gpart = this.buffer("gpart", P * S * KM * 4, STORAGE);
    const lpart = this.buffer("lpart", P * S * 4, STORAGE | COPY_SRC);
    const grad = this.buffer("gout", P * KM * 4, STORAGE | COPY_SRC);
    const uni = this.buffer(`uniform:${KM}`, 16, UNIFORM | COPY_DST);
    const fusedGroup = dev.createBindGroup({
      layout: fused.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: options.w } },
        { binding: 1, resource: { buffer: data.inputs } },
        { binding: 2, resource: { buffer: data.targets } },
        { binding: 3, resource: { buffer: gpart } },
        { binding: 4, resource: { buffer: lpart } },
        { binding: 7, resource: { buffer: options.slots } },
        this.#trajEntry(dims, mode, P),
      ],
    });
    const reduceGroup = dev.createBindGroup({
      layout: reduce.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: gpart } },
        { binding: 1, resource: { buffer: grad } },
        { binding: 2, resource: { buffer: uni } },
      ],
    });
    let lastCount = -1;
    return {
      grad,
      lpart,
      encode: (pass, count) => {
        if (count !== lastCount) {
          const u = new ArrayBuffer(16);
          new Uint32Array(u, 0, 1)[0] = count * KM;
          new Float32Array(u, 4, 1)[0] = 1 / (S * dims.t);
          dev.queue.writeBuffer(uni, 0, u);
          lastCount = count;
        }
        pass.setPipeline(fused);
        pass.setBindGroup(0, fusedGroup);
        pass.dispatchWorkgroups(S, count);
        const groups = Math.ceil((count * KM) / 64);
        const gx = Math.min(groups, 65535);
        pass.setPipeline(reduce);
        pass.setBindGroup(0, reduceGroup);
        pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
      },
    };
  }

  /**
   * The loss-difference kernel of up to `capacity` networks, reading blocks `[w, dw]` (2K each)
   * from `w` and data slots from `slots`; per-sequence partials go to `dpart` (S x No per network).
   */
  diffProgram(
    data: DataUpload,
    options: { w: GPUBuffer; slots: GPUBuffer; capacity: number },
  ): DiffProgram {
    const { dims } = data;
    const P = options.capacity;
    this.#checkLimits(dims, "grad", P);
    const pipe = this.pipeline(`diff:${dimsKey(dims)}`, () => diffSource(dims));
    const dpart = this.buffer("dpart", P * dims.s * dims.shape.no * 4, STORAGE | COPY_SRC);
    const group = this.#device.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: options.w } },
        { binding: 1, resource: { buffer: data.inputs } },
        { binding: 2, resource: { buffer: data.targets } },
        { binding: 4, resource: { buffer: dpart } },
        { binding: 7, resource: { buffer: options.slots } },
      ],
    });
    return {
      dpart,
      encode: (pass, count) => {
        pass.setPipeline(pipe);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(dims.s, count);
      },
    };
  }

  /** A bind group of `pipeline` with `buffers[i]` at binding i. */
  bindBuffers(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    return this.#device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** Records `record` into one compute pass, submits it and returns `parts` (one host wait). */
  runPass(
    record: (pass: GPUComputePassEncoder) => void,
    parts: readonly { buffer: GPUBuffer; bytes: number }[],
  ): Promise<ArrayBuffer> {
    const enc = this.#device.createCommandEncoder();
    const pass = enc.beginComputePass();
    record(pass);
    pass.end();
    return this.readBack(enc, parts);
  }

  /** Submits `enc` after copying `parts` into one staging buffer, and returns its contents. */
  async readBack(
    enc: GPUCommandEncoder,
    parts: readonly { buffer: GPUBuffer; bytes: number }[],
  ): Promise<ArrayBuffer> {
    const total = parts.reduce((a, p) => a + p.bytes, 0);
    const staging = this.#device.createBuffer({
      size: Math.max(16, Math.ceil(total / 16) * 16),
      usage: MAP_READ | COPY_DST,
    });
    let at = 0;
    for (const p of parts) {
      enc.copyBufferToBuffer(p.buffer, 0, staging, at, p.bytes);
      at += p.bytes;
    }
    this.#device.queue.submit([enc.finish()]);
    await staging.mapAsync(1 /* GPUMapMode.READ */);
    const out = staging.getMappedRange().slice(0, total);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /**
   * Loss and gradient (and H v when `v` is given) of `slots.length` networks: network i has
   * parameters `w[i*K .. (i+1)*K)`, data slot `slots[i]` of `data`, direction `v[i*K ..]`.
   */
  async evaluate(
    data: DataUpload,
    w: Float32Array,
    options: { slots: Uint32Array; v?: Float32Array },
  ): Promise<BatchEval> {
    const { dims } = data;
    const { slots, v } = options;
    const P = slots.length;
    const K = paramLayout(dims.shape).size;
    const KM = v ? 2 * K : K;
    const S = dims.s;
    // Per network: [w, v] when H v is asked for (matches the kernel's blocks).
    const packed = v ? interleave(w, v, K) : w;
    const wBuf = this.buffer("w", packed.byteLength, STORAGE | COPY_DST);
    const slotBuf = this.buffer("slots", slots.byteLength, STORAGE | COPY_DST);
    const prog = this.gradProgram(data, { w: wBuf, slots: slotBuf, capacity: P, hv: Boolean(v) });
    this.#device.queue.writeBuffer(wBuf, 0, packed as Float32Array<ArrayBuffer>);
    this.#device.queue.writeBuffer(slotBuf, 0, slots as Uint32Array<ArrayBuffer>);
    // One staging buffer holds loss partials and the reduced blocks, so the host waits once.
    const all = new Float32Array(
      await this.runPass((pass) => prog.encode(pass, P), [
        { buffer: prog.lpart, bytes: P * S * 4 },
        { buffer: prog.grad, bytes: P * KM * 4 },
      ]),
    );
    const scale = 1 / (S * dims.t);
    const loss = sumPartials(all.subarray(0, P * S), S, (acc) => acc * scale);
    const blocks = all.subarray(P * S);
    if (!v) return { loss, grad: blocks.slice(), hv: null };
    const grad = new Float32Array(P * K);
    const hv = new Float32Array(P * K);
    for (let i = 0; i < P; i++) {
      grad.set(blocks.subarray(i * KM, i * KM + K), i * K);
      hv.set(blocks.subarray(i * KM + K, (i + 1) * KM), i * K);
    }
    return { loss, grad, hv };
  }

  /**
   * E(w + dw) - E(w) of `slots.length` networks (float32 difference propagation, per-sequence
   * partials summed in float64), with w and dw laid out like `w` in {@link evaluate}.
   */
  async lossDiff(
    data: DataUpload,
    w: Float32Array,
    options: { slots: Uint32Array; dw: Float32Array },
  ): Promise<Float64Array> {
    const { dims } = data;
    const { slots, dw } = options;
    const P = slots.length;
    const K = paramLayout(dims.shape).size;
    const SNO = dims.s * dims.shape.no;
    const packed = interleave(w, dw, K);
    const wBuf = this.buffer("wdiff", packed.byteLength, STORAGE | COPY_DST);
    const slotBuf = this.buffer("slots", slots.byteLength, STORAGE | COPY_DST);
    const prog = this.diffProgram(data, { w: wBuf, slots: slotBuf, capacity: P });
    this.#device.queue.writeBuffer(wBuf, 0, packed as Float32Array<ArrayBuffer>);
    this.#device.queue.writeBuffer(slotBuf, 0, slots as Uint32Array<ArrayBuffer>);
    const all = new Float32Array(
      await this.runPass((pass) => prog.encode(pass, P), [
        { buffer: prog.dpart, bytes: P * SNO * 4 },
      ]),
    );
    return sumPartials(all, SNO, (acc) => acc / (dims.s * dims.t));
  }

  /** Forward trajectories of `slots.length` networks (layout as {@link evaluate}). */
  async forward(data: DataUpload, w: Float32Array, slots: Uint32Array): Promise<BatchForward> {
    const { dims } = data;
    const P = slots.length;
    this.#checkLimits(dims, "forward", P);
    const dev = this.#device;
    const fused = this.pipeline(
      `forward:${dimsKey(dims)}`,
      () => fusedSource(dims, "forward"),
    );
    const xLen = dims.t * dims.shape.n * dims.s;
    const yLen = dims.t * dims.shape.no * dims.s;
    const wBuf = this.buffer("w", w.byteLength, STORAGE | COPY_DST);
    const slotBuf = this.buffer("slots", slots.byteLength, STORAGE | COPY_DST);
    const xBuf = this.buffer("xout", P * xLen * 4, STORAGE | COPY_SRC);
    const yBuf = this.buffer("yout", P * yLen * 4, STORAGE | COPY_SRC);
    dev.queue.writeBuffer(wBuf, 0, w as Float32Array<ArrayBuffer>);
    dev.queue.writeBuffer(slotBuf, 0, slots as Uint32Array<ArrayBuffer>);
    const group = dev.createBindGroup({
      layout: fused.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: wBuf } },
        { binding: 1, resource: { buffer: data.inputs } },
        { binding: 3, resource: { buffer: xBuf } },
        { binding: 4, resource: { buffer: yBuf } },
        { binding: 7, resource: { buffer: slotBuf } },
        this.#trajEntry(dims, "forward", P),
      ],
    });
    const all = new Float32Array(
      await this.runPass((pass) => {
        pass.setPipeline(fused);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(dims.s, P);
      }, [
        { buffer: xBuf, bytes: P * xLen * 4 },
        { buffer: yBuf, bytes: P * yLen * 4 },
      ]),
    );
    return { x: all.slice(0, P * xLen), y: all.slice(P * xLen, P * (xLen + yLen)) };
  }

  /** Frees buffers (pipelines go with the device). */
  destroy(): void {
    for (const b of this.#buffers.values()) b.destroy();
    this.#buffers.clear();
    this.#lastUpload?.inputs.destroy();
    this.#lastUpload?.targets.destroy();
    this.#lastUpload = null;
  }
}
