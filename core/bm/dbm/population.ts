/**
 * A population of DBMs on the engine (one slot per seed x criterion), advanced in lockstep: the
 * mean-field positive phase and PCD negative phase of joint training (spec 3.5) and retraining
 * (3.6), particle initialisation, the DBM sampler (4.2) and mean-field encodings (7.2.1). Slots
 * may differ in their numbers of hidden units; they share the data, the batch size and the number
 * of particles.
 *
 * @module
 */
import type { DbmKernels, DbmTensor } from "../../engine/dbm.ts";
import { abortPoll } from "../../util/abort_poll.ts";
import { sched } from "../cd1.ts";
import { batches, type BinaryRows, firstRows, rowSlice } from "./data.ts";
import type { Dbm } from "./model.ts";
import type { EpochSchedule, LoopHooks } from "./rbm_stage.ts";
import type { SlotStreams } from "./streams.ts";

/** Mean-field settings (spec 3.5 step 1). */
export interface MeanFieldOptions {
  /** Most iterations (50 in the paper). */
  maxIterations: number;
  /** Stop when the largest change of any mean is at most this (1e-7). */
  tolerance: number;
}

/** Joint-training settings beyond the epoch schedule. */
export interface JointOptions extends LoopHooks {
  /** Epochs, batch, learning rates, momenta. */
  schedule: EpochSchedule;
  /** Mean-field settings. */
  meanField: MeanFieldOptions;
  /** Column max-norm of W1 and W2 (6). */
  maxNorm: number;
  /** Called with the mean-field iterations used by each update (diagnostics). */
  onMeanField?: (iterations: number) => void;
  /**
   * Continues a call stopped after epoch `epochs` of the same schedule: the momentum buffers it
   * had then, one set per slot (models, particles and streams are the population's own).
   */
  from?: { epochs: number; moments: readonly Moments[] };
  /** Called after each epoch but the last (a checkpoint: see {@link DbmPopulation.moments}). */
  onEpoch?: (epoch: number) => void | Promise<void>;
}

/** One slot's momentum buffers of joint training, in the shapes of W1, W2, bv, b1, b2. */
export interface Moments {
  /** Of W1. */
  w1: Float32Array;
  /** Of W2. */
  w2: Float32Array;
  /** Of bv. */
  bv: Float32Array;
  /** Of b1. */
  b1: Float32Array;
  /** Of b2. */
  b2: Float32Array;
}

const MOMENT_NAMES = ["w1", "w2", "bv", "b1", "b2"] as const;

/** Binary particle states of one slot (rows of nv, n1, n2 bits). */
export interface Particles {
  /** n_p x nv. */
  v: Uint8Array;
  /** n_p x n1. */
  h1: Uint8Array;
  /** n_p x n2. */
  h2: Uint8Array;
}

/** One recorded batch of joint samples of one slot. */
export interface SampleRecord {
  /** Slot. */
  slot: number;
  /** Chains in the record. */
  count: number;
  /** count x nv. */
  v: Uint8Array;
  /** count x n1. */
  h1: Uint8Array;
  /** count x n2. */
  h2: Uint8Array;
}

/** Sampler settings (spec 4.2). */
export interface SamplerOptions extends LoopHooks {
  /** Parallel chains C (1000 in the paper), tiled from the particles. */
  chains: number;
  /** Gibbs sweeps before each record (200). */
  sweeps: number;
  /** Samples per slot N (60,000); a multiple of `chains` is drawn, the last record cut. */
  samples: number;
  /** Receives every record. */
  onRecord: (record: SampleRecord) => void;
}

interface MfBuffers {
  x: DbmTensor;
  xw: DbmTensor;
  mu1: DbmTensor;
  mu2: DbmTensor;
  nu1: DbmTensor;
  nu2: DbmTensor;
}

interface ChainBuffers {
  v: DbmTensor;
  h1: DbmTensor;
  h2: DbmTensor;
  pv: DbmTensor;
  p1: DbmTensor;
  p2: DbmTensor;
}

function toBits(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = values[k] > 0.5 ? 1 : 0;
  return out;
}

/** DBMs on the engine. Call {@link DbmPopulation.free} when done. */
export class DbmPopulation {
  /** Number of slots. */
  readonly slots: number;
  /** Visible units. */
  readonly nv: number;
  /** Persistent chains per slot. */
  readonly particles: number;
  readonly #k: DbmKernels;
  readonly #streams: SlotStreams;
  readonly #template: Dbm[];
  readonly #w1: DbmTensor;
  readonly #w2: DbmTensor;
  readonly #m1: DbmTensor;
  readonly #m2: DbmTensor;
  readonly #bv: DbmTensor;
  readonly #b1: DbmTensor;
  readonly #b2: DbmTensor;
  readonly #chains: ChainBuffers;
  #grads: DbmTensor[] | null = null;
  #moments: DbmTensor[] | null = null;
  readonly #mf = new Map<number, MfBuffers>();

  /** Uploads the models; particles start at 0 until set. */
  constructor(
    k: DbmKernels,
    models: readonly Dbm[],
    options: { particles: number; streams: SlotStreams },
  ) {
    if (models.length === 0) throw new Error("DbmPopulation: no models");
    if (options.streams.slots !== models.length) {
      throw new Error("DbmPopulation: one stream per slot");
    }
    const nv = models[0].nv;
    for (const m of models) if (m.nv !== nv) throw new Error("DbmPopulation: visible sizes differ");
    this.#k = k;
    this.#streams = options.streams;
    this.#template = models.map((m) => ({ ...m }));
    this.slots = models.length;
    this.nv = nv;
    this.particles = options.particles;
    const slots = this.slots;
    const n1 = models.map((m) => m.n1);
    const n2 = models.map((m) => m.n2);
    this.#w1 = k.alloc({ slots, rows: nv, cols: n1 });
    this.#m1 = k.alloc({ slots, rows: nv, cols: n1 });
    this.#w2 = k.alloc({ slots, rows: n1, cols: n2 });
    this.#m2 = k.alloc({ slots, rows: n1, cols: n2 });
    this.#bv = k.alloc({ slots, rows: 1, cols: nv });
    this.#b1 = k.alloc({ slots, rows: 1, cols: n1 });
    this.#b2 = k.alloc({ slots, rows: 1, cols: n2 });
    models.forEach((m, p) => {
      k.write(this.#w1, { slot: p, data: m.w1 });
      k.write(this.#m1, { slot: p, data: m.m1 });
      k.write(this.#w2, { slot: p, data: m.w2 });
      k.write(this.#m2, { slot: p, data: m.m2 });
      k.write(this.#bv, { slot: p, data: m.bv });
      k.write(this.#b1, { slot: p, data: m.b1 });
      k.write(this.#b2, { slot: p, data: m.b2 });
    });
    this.#chains = this.#chainBuffers(options.particles);
  }

  /** Sets one slot's particles (spec 3.5: data, Q and G rows). */
  setParticles(slot: number, particles: Particles): void {
    const c = this.#chains;
    this.#k.write(c.v, { slot: slot, data: particles.v });
    this.#k.write(c.h1, { slot: slot, data: particles.h1 });
    this.#k.write(c.h2, { slot: slot, data: particles.h2 });
  }

  /** Reads one slot's particles. */
  async getParticles(slot: number): Promise<Particles> {
    const c = this.#chains;
    return {
      v: toBits(await this.#k.read(c.v, slot)),
      h1: toBits(await this.#k.read(c.h1, slot)),
      h2: toBits(await this.#k.read(c.h2, slot)),
    };
  }

  /**
   * Particles of a freshly pruned model (spec 3.6): V = the first n_p training digits,
   * H1 ~ Bern(sigma(2 (V W1 + b1))), H2 ~ Bern(sigma(H1 W2 + b2)).
   */
  initParticlesFromData(data: BinaryRows): void {
    const k = this.#k;
    const c = this.#chains;
    const v = firstRows(data, this.particles);
    for (let p = 0; p < this.slots; p++) k.write(c.v, { slot: p, data: v });
    k.linear(c.p1, c.v, { w: this.#w1, bias: this.#b1, scale: 2, biasScale: 2 });
    k.sigmoid(c.p1, c.p1);
    k.bernoulli(c.h1, c.p1, { keys: this.#streams.next() });
    k.linear(c.p2, c.h1, { w: this.#w2, bias: this.#b2 });
    k.sigmoid(c.p2, c.p2);
    k.bernoulli(c.h2, c.p2, { keys: this.#streams.next() });
  }

  /** Downloads the current models. */
  async models(): Promise<Dbm[]> {
    const k = this.#k;
    return await Promise.all(this.#template.map(async (m, p) => ({
      ...m,
      w1: await k.read(this.#w1, p),
      w2: await k.read(this.#w2, p),
      bv: await k.read(this.#bv, p),
      b1: await k.read(this.#b1, p),
      b2: await k.read(this.#b2, p),
      m1: m.m1.slice(),
      m2: m.m2.slice(),
    })));
  }

  /** Current states of the slots' Bernoulli streams. */
  streamStates(): ReturnType<SlotStreams["states"]> {
    return this.#streams.states();
  }

  /** The momentum buffers of each slot as the last {@link DbmPopulation.train} left them. */
  async moments(): Promise<Moments[]> {
    const k = this.#k;
    const d = this.#momentBuffers();
    return await Promise.all(this.#template.map(async (_, p) => {
      const [w1, w2, bv, b1, b2] = await Promise.all(d.map((t) => k.read(t, p)));
      return { w1, w2, bv, b1, b2 };
    }));
  }

  /**
   * Joint training (spec 3.5) or retraining (3.6): per mini-batch, mean field on the batch, one
   * Gibbs sweep of the particles, gradients, momentum steps with column max-norm. Momentum buffers
   * start at 0 on each call, unless it continues a stopped one (`from`).
   */
  async train(data: BinaryRows, options: JointOptions): Promise<void> {
    const checkAbort = abortPoll(options.signal);
    const { schedule } = options;
    if (data.width !== this.nv) throw new Error("train: data width differs from nv");
    const k = this.#k;
    const B = Math.min(schedule.batch, data.n);
    const grads = this.#gradBuffers();
    const moments = this.#momentBuffers();
    for (const d of moments) k.fill(d, 0);
    const from = options.from;
    if (from) {
      if (from.moments.length !== this.slots) throw new Error("train: one set of moments per slot");
      from.moments.forEach((m, p) => {
        MOMENT_NAMES.forEach((name, j) => k.write(moments[j], { slot: p, data: m[name] }));
      });
    }
    const [g1, g2, gv, gb1, gb2] = grads;
    const [d1, d2, dv, db1, db2] = moments;
    const c = this.#chains;
    const np = this.particles;
    const plan = batches(data.n, B);
    const total = plan.length * schedule.epochs;
    const first = (from?.epochs ?? 0) + 1;
    let done = (first - 1) * plan.length;
    for (let epoch = first; epoch <= schedule.epochs; epoch++) {
      const lr = sched(schedule.lr, epoch);
      const momentum = sched(schedule.momentum, epoch);
      for (const [start, rows] of plan) {
        await checkAbort();
        const mf = this.#mfBuffers(B, rows);
        k.write(mf.x, { slot: 0, data: rowSlice(data, { start: start, count: rows }) });
        const its = await this.#meanField(mf, options.meanField);
        options.onMeanField?.(its);
        this.#gibbsSweep(c);
        k.outer(g1, mf.x, { b: mf.mu1, alpha: 1 / rows, beta: 0, mask: this.#m1 });
        k.outer(g1, c.v, { b: c.h1, alpha: -1 / np, beta: 1, mask: this.#m1 });
        k.outer(g2, mf.mu1, { b: mf.mu2, alpha: 1 / rows, beta: 0, mask: this.#m2 });
        k.outer(g2, c.h1, { b: c.h2, alpha: -1 / np, beta: 1, mask: this.#m2 });
        k.colSum(gv, mf.x, { alpha: 1 / rows, beta: 0 });
        k.colSum(gv, c.v, { alpha: -1 / np, beta: 1 });
        k.colSum(gb1, mf.mu1, { alpha: 1 / rows, beta: 0 });
        k.colSum(gb1, c.h1, { alpha: -1 / np, beta: 1 });
        k.colSum(gb2, mf.mu2, { alpha: 1 / rows, beta: 0 });
        k.colSum(gb2, c.h2, { alpha: -1 / np, beta: 1 });
        const rule = schedule.rule;
        const maxNorm = options.maxNorm;
        k.momentumStep(this.#w1, g1, { buffer: d1, lr, momentum, rule, mask: this.#m1, maxNorm });
        k.momentumStep(this.#w2, g2, { buffer: d2, lr, momentum, rule, mask: this.#m2, maxNorm });
        k.momentumStep(this.#bv, gv, { buffer: dv, lr, momentum, rule });
        k.momentumStep(this.#b1, gb1, { buffer: db1, lr, momentum, rule });
        k.momentumStep(this.#b2, gb2, { buffer: db2, lr, momentum, rule });
        options.onProgress?.(++done, total);
      }
      if (epoch < schedule.epochs) await options.onEpoch?.(epoch);
    }
  }

  /**
   * Mean-field h1 and h2 probabilities of digits (spec 7.2.1 encodings; v clamped). Returns, per
   * slot, n x n1 and n x n2 float32 arrays.
   */
  async encode(
    data: BinaryRows,
    options: MeanFieldOptions & LoopHooks & { chunk?: number },
  ): Promise<{ mu1: Float32Array; mu2: Float32Array }[]> {
    const checkAbort = abortPoll(options.signal);
    const k = this.#k;
    const chunk = Math.min(options.chunk ?? 500, data.n);
    const out = this.#template.map((m) => ({
      mu1: new Float32Array(data.n * m.n1),
      mu2: new Float32Array(data.n * m.n2),
    }));
    const plan = batches(data.n, chunk);
    let done = 0;
    for (const [start, rows] of plan) {
      await checkAbort();
      const mf = this.#mfBuffers(chunk, rows);
      k.write(mf.x, { slot: 0, data: rowSlice(data, { start: start, count: rows }) });
      await this.#meanField(mf, options);
      for (let p = 0; p < this.slots; p++) {
        out[p].mu1.set(await k.read(mf.mu1, p), start * this.#template[p].n1);
        out[p].mu2.set(await k.read(mf.mu2, p), start * this.#template[p].n2);
      }
      options.onProgress?.(++done, plan.length);
    }
    return out;
  }

  /**
   * The DBM sampler (spec 4.2): C chains start as copies of the particles (chain c = particle
   * c mod n_p), run `sweeps` Gibbs sweeps, are recorded, and continue, until `samples` states
   * per slot are recorded. The particles themselves are left unchanged.
   */
  async sample(options: SamplerOptions): Promise<void> {
    const checkAbort = abortPoll(options.signal);
    const k = this.#k;
    const C = options.chains;
    const ch = this.#chainBuffers(C);
    const np = this.particles;
    try {
      for (let c0 = 0; c0 < C; c0 += np) {
        const rows = Math.min(np, C - c0);
        k.copy(ch.v, this.#chains.v, { dstRow: c0, rows });
        k.copy(ch.h1, this.#chains.h1, { dstRow: c0, rows });
        k.copy(ch.h2, this.#chains.h2, { dstRow: c0, rows });
      }
      const records = Math.ceil(options.samples / C);
      let recorded = 0;
      for (let r = 0; r < records; r++) {
        for (let s = 0; s < options.sweeps; s++) {
          await checkAbort();
          this.#gibbsSweep(ch);
        }
        const count = Math.min(C, options.samples - recorded);
        for (let p = 0; p < this.slots; p++) {
          const m = this.#template[p];
          const v = toBits(await k.read(ch.v, p));
          const h1 = toBits(await k.read(ch.h1, p));
          const h2 = toBits(await k.read(ch.h2, p));
          options.onRecord({
            slot: p,
            count,
            v: v.subarray(0, count * this.nv),
            h1: h1.subarray(0, count * m.n1),
            h2: h2.subarray(0, count * m.n2),
          });
        }
        recorded += count;
        options.onProgress?.(r + 1, records);
      }
    } finally {
      for (const t of Object.values(ch)) k.free(t);
    }
  }

  /** Releases every tensor. */
  free(): void {
    const k = this.#k;
    for (const t of [this.#w1, this.#w2, this.#m1, this.#m2, this.#bv, this.#b1, this.#b2]) {
      k.free(t);
    }
    for (const t of Object.values(this.#chains)) k.free(t);
    for (const t of [...(this.#grads ?? []), ...(this.#moments ?? [])]) k.free(t);
    for (const b of this.#mf.values()) for (const t of Object.values(b)) k.free(t);
    this.#mf.clear();
  }

  /** One Gibbs sweep in the order of spec 3.5 step 2: h1 | (v, old h2), h2 | h1, v | h1. */
  #gibbsSweep(c: ChainBuffers): void {
    const k = this.#k;
    k.linear(c.p1, c.v, { w: this.#w1, bias: this.#b1 });
    k.linear(c.p1, c.h2, { w: this.#w2, transpose: true, accumulate: true });
    k.sigmoid(c.p1, c.p1);
    k.bernoulli(c.h1, c.p1, { keys: this.#streams.next() });
    k.linear(c.p2, c.h1, { w: this.#w2, bias: this.#b2 });
    k.sigmoid(c.p2, c.p2);
    k.bernoulli(c.h2, c.p2, { keys: this.#streams.next() });
    k.linear(c.pv, c.h1, { w: this.#w1, transpose: true, bias: this.#bv });
    k.sigmoid(c.pv, c.pv);
    k.bernoulli(c.v, c.pv, { keys: this.#streams.next() });
  }

  /**
   * Mean field with v clamped to mf.x (spec 3.5 step 1, DEFAULT D10): doubled bottom-up guess
   * without doubling the bias, then sequential h1, h2 updates until the largest change of a slot
   * is at most the tolerance; a converged slot keeps the iterate that met the tolerance while
   * the others go on. Returns the iterations of the slowest slot.
   */
  async #meanField(mf: MfBuffers, o: MeanFieldOptions): Promise<number> {
    const k = this.#k;
    k.linear(mf.mu1, mf.x, { w: this.#w1, bias: this.#b1, scale: 2 });
    k.sigmoid(mf.mu1, mf.mu1);
    k.linear(mf.mu2, mf.mu1, { w: this.#w2, bias: this.#b2 });
    k.sigmoid(mf.mu2, mf.mu2);
    // v W1 + b1 does not change while v is clamped.
    k.linear(mf.xw, mf.x, { w: this.#w1, bias: this.#b1 });
    const active = new Uint8Array(this.slots).fill(1);
    let its = 0;
    for (let t = 1; t <= o.maxIterations; t++) {
      its = t;
      k.copy(mf.nu1, mf.xw);
      k.linear(mf.nu1, mf.mu2, { w: this.#w2, transpose: true, accumulate: true });
      k.sigmoid(mf.nu1, mf.nu1);
      k.linear(mf.nu2, mf.nu1, { w: this.#w2, bias: this.#b2 });
      k.sigmoid(mf.nu2, mf.nu2);
      const [a, b] = await Promise.all([
        k.maxAbsDiff(mf.nu1, mf.mu1),
        k.maxAbsDiff(mf.nu2, mf.mu2),
      ]);
      k.copy(mf.mu1, mf.nu1, { only: active });
      k.copy(mf.mu2, mf.nu2, { only: active });
      let any = false;
      for (let p = 0; p < this.slots; p++) {
        if (active[p] && Math.max(a[p], b[p]) <= o.tolerance) active[p] = 0;
        if (active[p]) any = true;
      }
      if (!any) break;
    }
    return its;
  }

  #mfBuffers(capacity: number, rows: number): MfBuffers {
    const k = this.#k;
    let b = this.#mf.get(capacity);
    if (!b) {
      const slots = this.slots;
      const n1 = this.#template.map((m) => m.n1);
      const n2 = this.#template.map((m) => m.n2);
      b = {
        x: k.alloc({ slots: 1, rows: capacity, cols: this.nv }),
        xw: k.alloc({ slots, rows: capacity, cols: n1 }),
        mu1: k.alloc({ slots, rows: capacity, cols: n1 }),
        mu2: k.alloc({ slots, rows: capacity, cols: n2 }),
        nu1: k.alloc({ slots, rows: capacity, cols: n1 }),
        nu2: k.alloc({ slots, rows: capacity, cols: n2 }),
      };
      this.#mf.set(capacity, b);
    }
    if (b.x.rows[0] !== rows) {
      for (const t of Object.values(b)) {
        for (let p = 0; p < t.slots; p++) k.resize(t, { slot: p, rows, cols: t.cols[p] });
      }
    }
    return b;
  }

  #chainBuffers(count: number): ChainBuffers {
    const k = this.#k;
    const slots = this.slots;
    const n1 = this.#template.map((m) => m.n1);
    const n2 = this.#template.map((m) => m.n2);
    return {
      v: k.alloc({ slots, rows: count, cols: this.nv }),
      h1: k.alloc({ slots, rows: count, cols: n1 }),
      h2: k.alloc({ slots, rows: count, cols: n2 }),
      pv: k.alloc({ slots, rows: count, cols: this.nv }),
      p1: k.alloc({ slots, rows: count, cols: n1 }),
      p2: k.alloc({ slots, rows: count, cols: n2 }),
    };
  }

  #gradBuffers(): DbmTensor[] {
    this.#grads ??= this.#paramShaped();
    return this.#grads;
  }

  #momentBuffers(): DbmTensor[] {
    this.#moments ??= this.#paramShaped();
    return this.#moments;
  }

  #paramShaped(): DbmTensor[] {
    const k = this.#k;
    const slots = this.slots;
    const n1 = this.#template.map((m) => m.n1);
    const n2 = this.#template.map((m) => m.n2);
    return [
      k.alloc({ slots, rows: this.nv, cols: n1 }),
      k.alloc({ slots, rows: n1, cols: n2 }),
      k.alloc({ slots, rows: 1, cols: this.nv }),
      k.alloc({ slots, rows: 1, cols: n1 }),
      k.alloc({ slots, rows: 1, cols: n2 }),
    ];
  }
}
