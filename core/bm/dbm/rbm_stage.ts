/**
 * Greedy pre-training of the DBM's two RBMs (spec 3.3) on the engine: CD-1 (spec 3.1) with the
 * doubled conditionals of 2.2, mini-batches, the `sched` epoch lists and the library's momentum
 * rule, for a population of RBMs of equal size (one per seed) trained in lockstep.
 *
 * @module
 */
import type { DbmKernels, DbmTensor } from "../../engine/dbm.ts";
import { abortPoll } from "../../util/abort_poll.ts";
import { sched } from "../cd1.ts";
import { batches, type BinaryRows, rowSlice } from "./data.ts";
import type { SlotStreams } from "./streams.ts";

/** Host copy of an RBM's parameters (W is nv x nh, row-major). */
export interface RbmParams {
  /** Visible units. */
  nv: number;
  /** Hidden units. */
  nh: number;
  /** Weights (masked entries 0). */
  w: Float32Array;
  /** Visible biases. */
  bv: Float32Array;
  /** Hidden biases. */
  bh: Float32Array;
  /** 0/1 mask, or null for a dense layer. */
  mask: Uint8Array | null;
}

/** A training schedule (spec 3.3 tables). */
export interface EpochSchedule {
  /** Epochs. */
  epochs: number;
  /** Mini-batch size (1 in the paper's pre-training and joint training, 10 in retraining). */
  batch: number;
  /** Learning-rate list, read with `sched`. */
  lr: number[];
  /** Momentum list, read with `sched`. */
  momentum: number[];
  /** Momentum rule (spec 12 D2); default "code". */
  rule?: "code" | "conventional";
}

/** Progress and cancellation hooks of long loops. */
export interface LoopHooks {
  /** Checked between mini-batches; an aborted signal throws its reason. */
  signal?: AbortSignal;
  /** Called after each mini-batch with updates done and total updates of this call. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link trainRbms}. */
export interface RbmTrainOptions extends LoopHooks {
  /** Schedule. */
  schedule: EpochSchedule;
  /** Multiplier of the hidden input, bias included (2 for RBM1, spec 2.2). */
  mUp: number;
  /** Multiplier of the visible input, bias included (2 for RBM2). */
  mDown: number;
}

/** Data of an RBM population: one set shared by every slot, or one per slot. */
export type RbmData = BinaryRows | readonly BinaryRows[];

function dataOf(data: RbmData, slot: number): BinaryRows {
  return "bits" in data ? data : data[slot];
}

/** Engine tensors of a population of equal-sized RBMs. */
class RbmTensors {
  readonly w: DbmTensor;
  readonly mask: DbmTensor | null;
  readonly bv: DbmTensor;
  readonly bh: DbmTensor;
  readonly #k: DbmKernels;

  constructor(k: DbmKernels, rbms: readonly RbmParams[]) {
    const { nv, nh } = rbms[0];
    for (const r of rbms) {
      if (r.nv !== nv || r.nh !== nh) throw new Error("RBM population: sizes differ");
      if ((r.mask === null) !== (rbms[0].mask === null)) {
        throw new Error("RBM population: masks differ");
      }
    }
    const slots = rbms.length;
    this.#k = k;
    this.w = k.alloc({ slots, rows: nv, cols: nh });
    this.bv = k.alloc({ slots, rows: 1, cols: nv });
    this.bh = k.alloc({ slots, rows: 1, cols: nh });
    this.mask = rbms[0].mask ? k.alloc({ slots, rows: nv, cols: nh }) : null;
    rbms.forEach((r, p) => {
      k.write(this.w, { slot: p, data: r.w });
      k.write(this.bv, { slot: p, data: r.bv });
      k.write(this.bh, { slot: p, data: r.bh });
      if (this.mask && r.mask) k.write(this.mask, { slot: p, data: r.mask });
    });
  }

  async read(template: readonly RbmParams[]): Promise<RbmParams[]> {
    return await Promise.all(template.map(async (r, p) => ({
      nv: r.nv,
      nh: r.nh,
      w: await this.#k.read(this.w, p),
      bv: await this.#k.read(this.bv, p),
      bh: await this.#k.read(this.bh, p),
      mask: r.mask ? r.mask.slice() : null,
    })));
  }

  free(): void {
    for (const t of [this.w, this.bv, this.bh, this.mask]) if (t) this.#k.free(t);
  }
}

function resizeRows(k: DbmKernels, t: DbmTensor, rows: number): void {
  for (let p = 0; p < t.slots; p++) k.resize(t, { slot: p, rows, cols: t.cols[p] });
}

function writeBatch(k: DbmKernels, x: DbmTensor, data: RbmData, start: number, rows: number): void {
  for (let p = 0; p < x.slots; p++) {
    k.write(x, { slot: p, data: rowSlice(dataOf(data, p), { start: start, count: rows }) });
  }
}

/**
 * Trains a population of RBMs with CD-1 (spec 3.1) and returns the trained parameters. Every
 * slot sees its data in the same fixed order (no reshuffle between epochs); momentum buffers
 * start at 0.
 */
export async function trainRbms(
  k: DbmKernels,
  rbms: readonly RbmParams[],
  options: RbmTrainOptions & { data: RbmData; streams: SlotStreams },
): Promise<RbmParams[]> {
  const { data, streams, schedule, mUp, mDown } = options;
  const slots = rbms.length;
  if (streams.slots !== slots) throw new Error("trainRbms: one stream per slot needed");
  const { nv, nh } = rbms[0];
  const n = dataOf(data, 0).n;
  const shared = "bits" in data;
  if (!shared && data.length !== slots) throw new Error("trainRbms: one data set per slot needed");
  for (let p = 0; p < (shared ? 1 : slots); p++) {
    const d = dataOf(data, p);
    if (d.width !== nv || d.n !== n) throw new Error("trainRbms: data rows do not fit the RBMs");
  }
  const t = new RbmTensors(k, rbms);
  const B = Math.min(schedule.batch, n);
  const xs = shared ? 1 : slots;
  const x = k.alloc({ slots: xs, rows: B, cols: nv });
  const p0 = k.alloc({ slots, rows: B, cols: nh });
  const h0 = k.alloc({ slots, rows: B, cols: nh });
  const v1 = k.alloc({ slots, rows: B, cols: nv });
  const p1 = k.alloc({ slots, rows: B, cols: nh });
  const gw = k.alloc({ slots, rows: nv, cols: nh });
  const gbv = k.alloc({ slots, rows: 1, cols: nv });
  const gbh = k.alloc({ slots, rows: 1, cols: nh });
  const dw = k.alloc({ slots, rows: nv, cols: nh });
  const dbv = k.alloc({ slots, rows: 1, cols: nv });
  const dbh = k.alloc({ slots, rows: 1, cols: nh });
  const plan = batches(n, B);
  const total = plan.length * schedule.epochs;
  let done = 0;
  const checkAbort = abortPoll(options.signal);
  try {
    for (let epoch = 1; epoch <= schedule.epochs; epoch++) {
      const lr = sched(schedule.lr, epoch);
      const momentum = sched(schedule.momentum, epoch);
      for (const [start, rows] of plan) {
        await checkAbort();
        if (rows !== x.rows[0]) { for (const b of [x, p0, h0, v1, p1]) resizeRows(k, b, rows); }
        writeBatch(k, x, data, start, rows);
        k.linear(p0, x, { w: t.w, bias: t.bh, scale: mUp, biasScale: mUp });
        k.sigmoid(p0, p0);
        k.bernoulli(h0, p0, { keys: streams.next() });
        k.linear(v1, h0, { w: t.w, transpose: true, bias: t.bv, scale: mDown, biasScale: mDown });
        k.sigmoid(v1, v1);
        k.bernoulli(v1, v1, { keys: streams.next() });
        k.linear(p1, v1, { w: t.w, bias: t.bh, scale: mUp, biasScale: mUp });
        k.sigmoid(p1, p1);
        const mask = t.mask ?? undefined;
        k.outer(gw, x, { b: p0, alpha: 1 / rows, beta: 0, mask });
        k.outer(gw, v1, { b: p1, alpha: -1 / rows, beta: 1, mask });
        k.colSum(gbv, x, { alpha: 1 / rows, beta: 0 });
        k.colSum(gbv, v1, { alpha: -1 / rows, beta: 1 });
        k.colSum(gbh, p0, { alpha: 1 / rows, beta: 0 });
        k.colSum(gbh, p1, { alpha: -1 / rows, beta: 1 });
        const rule = schedule.rule;
        k.momentumStep(t.w, gw, { buffer: dw, lr, momentum, rule, mask });
        k.momentumStep(t.bv, gbv, { buffer: dbv, lr, momentum, rule });
        k.momentumStep(t.bh, gbh, { buffer: dbh, lr, momentum, rule });
        options.onProgress?.(++done, total);
      }
    }
    return await t.read(rbms);
  } finally {
    t.free();
    for (const b of [x, p0, h0, v1, p1, gw, gbv, gbh, dw, dbv, dbh]) k.free(b);
  }
}

/**
 * Samples h ~ Bern(sigma(m (x W + bh))) for every data row of every slot (spec 3.3.2: the fixed
 * training data Q of RBM2, with m = 2; and G with m = 1). Returns one BinaryRows per slot.
 */
export async function sampleHidden(
  k: DbmKernels,
  rbms: readonly RbmParams[],
  options: { data: RbmData; streams: SlotStreams; multiplier: number; chunk?: number },
): Promise<BinaryRows[]> {
  const { data, streams, multiplier } = options;
  const slots = rbms.length;
  const { nv, nh } = rbms[0];
  const n = dataOf(data, 0).n;
  const shared = "bits" in data;
  const chunk = Math.min(options.chunk ?? 1000, n);
  const t = new RbmTensors(k, rbms);
  const x = k.alloc({ slots: shared ? 1 : slots, rows: chunk, cols: nv });
  const h = k.alloc({ slots, rows: chunk, cols: nh });
  const out = rbms.map(() => new Uint8Array(n * nh));
  try {
    for (const [start, rows] of batches(n, chunk)) {
      if (rows !== x.rows[0]) { for (const b of [x, h]) resizeRows(k, b, rows); }
      writeBatch(k, x, data, start, rows);
      k.linear(h, x, { w: t.w, bias: t.bh, scale: multiplier, biasScale: multiplier });
      k.sigmoid(h, h);
      k.bernoulli(h, h, { keys: streams.next() });
      for (let p = 0; p < slots; p++) {
        const v = await k.read(h, p);
        const o = out[p];
        for (let q = 0; q < v.length; q++) o[start * nh + q] = v[q];
      }
    }
    return out.map((bits) => ({ n, width: nh, bits }));
  } finally {
    t.free();
    k.free(x);
    k.free(h);
  }
}
