/**
 * CPU implementation of the DBM kernels ({@link DbmKernels}), float32, in the calling thread.
 * Tensors (`dbm_tensor.ts`) live in the linear memory of a WebAssembly SIMD module
 * (`wasm/dbm_kernels.c`), which runs the kernels that carry the work (products, outer products,
 * momentum steps, sigmoid, Bernoulli draws); copies and column sums are JavaScript over views of
 * the same memory.
 *
 * The kernels exploit what the DBM's tensors look like rather than doing dense algebra:
 * - products skip exact zeros of the left operand, so binary states cost one add per active unit
 *   and weight (h2 fires 1-2% of the time, h1 about 40%);
 * - each weight row is only visited between its first and last non-zero entry, which turns the
 *   banded 5 x 5 receptive fields of W1 (8,836 of 160,000 entries) into short loops;
 * - products with a transposed weight matrix use a cached transposed copy, rebuilt only when the
 *   weights changed, so they too become row accumulations that skip zeros;
 * - outer products iterate over the non-zero entries of sparse binary rows.
 *
 * Sums are accumulated in float32 (as on the GPU); exp is a float32 polynomial of about 1 ulp.
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
  type TensorShape,
} from "../dbm.ts";
import { DBM_KERNELS_WASM_BASE64 } from "./wasm/dbm_kernels_wasm.ts";
import { instantiateKernels } from "./wasm/instance.ts";
import { CpuTensor, type Extents, WasmHeap } from "./dbm_tensor.ts";

interface Exports {
  dbm_linear(
    out: number,
    x: number,
    w: number,
    lo: number,
    hi: number,
    rows: number,
    n: number,
    m: number,
    xcap: number,
    wcap: number,
    ocap: number,
    scale: number,
    bias: number,
    biasScale: number,
    acc: number,
    t: number,
    trans: number,
  ): void;
  dbm_scale(g: number, n: number, m: number, gcap: number, beta: number): void;
  dbm_outer(
    g: number,
    a: number,
    b: number,
    lo: number,
    hi: number,
    rows: number,
    n: number,
    m: number,
    acap: number,
    bcap: number,
    gcap: number,
    alpha: number,
    act: number,
    cnt: number,
    mask: number,
    mcap: number,
  ): void;
  dbm_momentum(
    w: number,
    d: number,
    g: number,
    mask: number,
    n: number,
    m: number,
    cap: number,
    mcap: number,
    lr: number,
    mu: number,
    code: number,
    maxNorm: number,
    norm2: number,
  ): void;
  dbm_sigmoid(out: number, x: number, rows: number, cols: number, ocap: number, icap: number): void;
  dbm_bernoulli(
    out: number,
    p: number,
    rows: number,
    cols: number,
    ocap: number,
    pcap: number,
    k1: number,
    k2: number,
  ): void;
}

/**
 * Products with the same weight version after which a transposed copy is made: a training update
 * uses W2' about once per mean-field iteration before W2 changes again, a sampler thousands of
 * times.
 */
const TRANSPOSE_AFTER = 12;

/** Most rows of x per slot for which a product with W' reads W in place (see linear). */
const DIRECT_ROWS = 2;

function own(t: DbmTensor, what: string): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error(`${what}: not a tensor of the CPU kernels`);
  if (!t.live) throw new Error(`${what}: tensor was freed`);
  return t;
}

/** Creates the CPU DBM kernels; throws when the runtime lacks WebAssembly SIMD. */
export function createCpuDbmKernels(): CpuDbmKernels {
  return new CpuDbmKernels();
}

/** Float32 DBM kernels in the calling thread (WebAssembly SIMD for the heavy kernels). */
export class CpuDbmKernels implements DbmKernels {
  /** Engine name. */
  readonly name: string = "cpu";
  /** Description. */
  readonly description: string = "CPU float32, WebAssembly SIMD, 1 thread";
  readonly #wasm: Exports;
  readonly #heap: WasmHeap;
  #scratchAt = 0;
  #scratchBytes = 0;

  /** Instantiates the WebAssembly module. */
  constructor() {
    const inst = instantiateKernels<Exports>(DBM_KERNELS_WASM_BASE64, null);
    if (!inst) {
      throw new Error("the CPU DBM kernels need WebAssembly SIMD, which this runtime lacks");
    }
    this.#wasm = inst.exports;
    this.#heap = new WasmHeap(inst);
  }

  /** Allocates a zero-filled tensor. */
  alloc(shape: TensorShape): DbmTensor {
    return new CpuTensor(this.#heap, shape);
  }

  /** Changes one slot's size within the capacity. */
  resize(t: DbmTensor, dims: { slot: number; rows: number; cols: number }): void {
    const x = own(t, "resize");
    checkResize(x, dims);
    x.rows[dims.slot] = dims.rows;
    x.cols[dims.slot] = dims.cols;
    x.version++;
  }

  /** Writes one slot. */
  write(t: DbmTensor, options: { slot: number; data: ArrayLike<number> }): void {
    const x = own(t, "write");
    checkWrite(x, options);
    const { slot, data } = options;
    const cols = x.cols[slot];
    const d = x.data;
    const o = x.offset(slot);
    for (let r = 0; r < x.rows[slot]; r++) {
      const ro = o + r * x.colCap;
      for (let c = 0; c < cols; c++) d[ro + c] = data[r * cols + c];
    }
    x.version++;
  }

  /** Reads one slot. */
  read(t: DbmTensor, slot: number): Promise<Float32Array> {
    const x = own(t, "read");
    const rows = x.rows[slot];
    const cols = x.cols[slot];
    const out = new Float32Array(rows * cols);
    const d = x.data;
    const o = x.offset(slot);
    for (let r = 0; r < rows; r++) {
      out.set(d.subarray(o + r * x.colCap, o + r * x.colCap + cols), r * cols);
    }
    return Promise.resolve(out);
  }

  /** Fills every element. */
  fill(t: DbmTensor, value: number): void {
    const x = own(t, "fill");
    x.data.fill(value);
    x.version++;
  }

  /** Releases a tensor (and its caches). */
  free(t: DbmTensor): void {
    const x = own(t, "free");
    x.live = false;
    this.#heap.release(x.at, 4 * x.length);
    if (x.transposed) this.free(x.transposed);
    x.transposed = null;
    this.#dropExtents(x);
  }

  /** out = scale x W + biasScale b (+ out). */
  linear(out: DbmTensor, x: DbmTensor, options: LinearOptions): void {
    const o = own(out, "linear out");
    const xx = own(x, "linear x");
    const w0 = own(options.w, "linear w");
    const bias = options.bias ? own(options.bias, "linear bias") : null;
    const plan = planLinear(o, xx, options);
    // Products with W' use a cached transposed copy (row accumulations that skip zeros) once a
    // weight version is reused, as in sampling; weights that change after every few products
    // (training) are read in place instead of being transposed after each update. Both paths add
    // the same terms in the same order, so the choice never changes a bit of the result.
    const cached = options.transpose ? this.#cachedTranspose(w0, plan) : w0;
    const ww = cached ?? w0;
    const direct = cached === null ? 1 : 0;
    const ext = this.#extentsOf(ww);
    plan.forEach(({ px, pw, pb, b, n, m }, p) => {
      const lo = ext.at + 4 * pw * ww.rowCap;
      const hi = lo + 4 * ww.slots * ww.rowCap;
      this.#wasm.dbm_linear(
        o.address(p),
        xx.address(px),
        ww.address(pw),
        lo,
        hi,
        b,
        n,
        m,
        xx.colCap,
        ww.colCap,
        o.colCap,
        options.scale ?? 1,
        bias && pb >= 0 ? bias.address(pb) : 0,
        options.biasScale ?? 1,
        options.accumulate ? 1 : 0,
        this.#scratch(4 * Math.max(m, n)),
        direct,
      );
    });
    o.version++;
  }

  /** out = sigma(pre). */
  sigmoid(out: DbmTensor, pre: DbmTensor): void {
    const o = own(out, "sigmoid out");
    const x = own(pre, "sigmoid pre");
    assertSameShapes(o, x, "sigmoid");
    for (let p = 0; p < o.slots; p++) {
      this.#wasm.dbm_sigmoid(o.address(p), x.address(p), o.rows[p], o.cols[p], o.colCap, x.colCap);
    }
    o.version++;
  }

  /** out = Bern(p) with the hash stream of each slot (see bernoulliUniform). */
  bernoulli(out: DbmTensor, p: DbmTensor, options: { keys: BernoulliKeys }): void {
    const keys = options.keys;
    const o = own(out, "bernoulli out");
    const x = own(p, "bernoulli p");
    assertSameShapes(o, x, "bernoulli");
    if (keys.length !== 2 * o.slots) throw new Error("bernoulli: need 2 keys per slot");
    for (let s = 0; s < o.slots; s++) {
      this.#wasm.dbm_bernoulli(
        o.address(s),
        x.address(s),
        o.rows[s],
        o.cols[s],
        o.colCap,
        x.colCap,
        keys[2 * s] | 0,
        keys[2 * s + 1] | 0,
      );
    }
    o.version++;
  }

  /** g = beta g + alpha a' b, optionally masked. */
  outer(g: DbmTensor, a: DbmTensor, options: OuterOptions): void {
    const gg = own(g, "outer g");
    const aa = own(a, "outer a");
    const bb = own(options.b, "outer b");
    const mask = options.mask ? own(options.mask, "outer mask") : null;
    const plan = planOuter(gg, aa, options);
    const ext = mask ? this.#extentsOf(mask) : null;
    plan.forEach(({ pa, pb, pm, rows, n, m }, p) => {
      if (options.beta !== 1) this.#wasm.dbm_scale(gg.address(p), n, m, gg.colCap, options.beta);
      const lo = ext && mask ? ext.at + 4 * pm * mask.rowCap : 0;
      const hi = ext && mask ? lo + 4 * mask.slots * mask.rowCap : 0;
      const act = this.#scratch(4 * (rows * m + rows));
      this.#wasm.dbm_outer(
        gg.address(p),
        aa.address(pa),
        bb.address(pb),
        lo,
        hi,
        rows,
        n,
        m,
        aa.colCap,
        bb.colCap,
        gg.colCap,
        options.alpha,
        act,
        act + 4 * rows * m,
        mask ? mask.address(pm) : 0,
        mask ? mask.colCap : 0,
      );
    });
    gg.version++;
  }

  /** out = beta out + alpha colsum(a). */
  colSum(out: DbmTensor, a: DbmTensor, options: { alpha: number; beta: number }): void {
    const o = own(out, "colSum out");
    const aa = own(a, "colSum a");
    const od = o.data;
    const ad = aa.data;
    planColSum(o, aa).forEach(({ pa, rows, m }, p) => {
      const oo = o.offset(p);
      const ao = aa.offset(pa);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += ad[ao + r * aa.colCap + j];
        od[oo + j] = options.beta * od[oo + j] + options.alpha * s;
      }
    });
    o.version++;
  }

  /** Momentum step with optional mask and column max-norm. */
  momentumStep(w: DbmTensor, g: DbmTensor, options: MomentumOptions): void {
    const ww = own(w, "momentumStep w");
    const dd = own(options.buffer, "momentumStep buffer");
    const gg = own(g, "momentumStep g");
    const mask = options.mask ? own(options.mask, "momentumStep mask") : null;
    checkMomentum(ww, gg, options);
    const code = (options.rule ?? "code") === "code" ? 1 : 0;
    for (let p = 0; p < ww.slots; p++) {
      const cols = ww.cols[p];
      this.#wasm.dbm_momentum(
        ww.address(p),
        dd.address(p),
        gg.address(p),
        mask ? mask.address(p) : 0,
        ww.rows[p],
        cols,
        ww.colCap,
        mask ? mask.colCap : 0,
        options.lr,
        options.momentum,
        code,
        options.maxNorm ?? 0,
        this.#scratch(4 * cols),
      );
    }
    ww.version++;
    dd.version++;
  }

  /** Copies rows of each slot. */
  copy(dst: DbmTensor, src: DbmTensor, options: CopyOptions = {}): void {
    const o = own(dst, "copy dst");
    const s = own(src, "copy src");
    const plan = planCopy(o, s, options);
    const od = o.data;
    const sd = s.data;
    for (const { p, ps, rows, cols, srcRow, dstRow } of plan) {
      for (let r = 0; r < rows; r++) {
        const a = s.offset(ps) + (srcRow + r) * s.colCap;
        od.set(sd.subarray(a, a + cols), o.offset(p) + (dstRow + r) * o.colCap);
      }
    }
    o.version++;
  }

  /** max |a - b| per slot. */
  maxAbsDiff(a: DbmTensor, b: DbmTensor): Promise<Float64Array> {
    const aa = own(a, "maxAbsDiff a");
    const bb = own(b, "maxAbsDiff b");
    assertSameShapes(aa, bb, "maxAbsDiff");
    const ad = aa.data;
    const bd = bb.data;
    const out = new Float64Array(aa.slots);
    for (let p = 0; p < aa.slots; p++) {
      let m = 0;
      for (let r = 0; r < aa.rows[p]; r++) {
        const x = aa.offset(p) + r * aa.colCap;
        const y = bb.offset(p) + r * bb.colCap;
        for (let j = 0; j < aa.cols[p]; j++) {
          const dlt = Math.abs(ad[x + j] - bd[y + j]);
          if (dlt > m) m = dlt;
        }
      }
      out[p] = m;
    }
    return Promise.resolve(out);
  }

  /** Nothing to release beyond garbage collection. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A scratch area of at least `bytes` (reused between calls). */
  #scratch(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      if (this.#scratchBytes > 0) this.#heap.release(this.#scratchAt, this.#scratchBytes);
      this.#scratchBytes = Math.max(bytes, 2 * this.#scratchBytes);
      this.#scratchAt = this.#heap.alloc(this.#scratchBytes);
    }
    return this.#scratchAt;
  }

  #dropExtents(t: CpuTensor): void {
    if (t.extents) this.#heap.release(t.extents.at, 8 * t.slots * t.rowCap);
    t.extents = null;
  }

  /** Rows' non-zero ranges of every slot of `t` (cached per version), in module memory. */
  #extentsOf(t: CpuTensor): Extents {
    if (t.extents && t.extents.version === t.version) return t.extents;
    const at = t.extents ? t.extents.at : this.#heap.alloc(8 * t.slots * t.rowCap);
    const n = t.slots * t.rowCap;
    const lo = new Int32Array(this.#heap.memory.buffer, at, n);
    const hi = new Int32Array(this.#heap.memory.buffer, at + 4 * n, n);
    const d = t.data;
    for (let p = 0; p < t.slots; p++) {
      const cols = t.cols[p];
      for (let r = 0; r < t.rows[p]; r++) {
        const o = t.offset(p) + r * t.colCap;
        let a = 0;
        while (a < cols && d[o + a] === 0) a++;
        let b = cols;
        while (b > a && d[o + b - 1] === 0) b--;
        lo[p * t.rowCap + r] = a;
        hi[p * t.rowCap + r] = b;
      }
    }
    t.extents = { version: t.version, at };
    return t.extents;
  }

  /**
   * The transposed copy of `t` when it is current or worth making (the weight version has been
   * used {@link TRANSPOSE_AFTER} times); null means: read `t` in place.
   */
  #cachedTranspose(t: CpuTensor, plan: readonly { b: number }[]): CpuTensor | null {
    if (t.transposed && t.transposedVersion === t.version) return t.transposed;
    // In-place reads gather four weights per product term: worth it for a row or two (the
    // mean field of one digit), not for a batch of particles.
    if (plan.some((q) => q.b > DIRECT_ROWS)) return this.#transposeOf(t);
    if (t.transposedUsesVersion !== t.version) {
      t.transposedUsesVersion = t.version;
      t.transposedUses = 0;
    }
    if (++t.transposedUses < TRANSPOSE_AFTER) return null;
    return this.#transposeOf(t);
  }

  /** The transposed copy of `t` (cached per version). */
  #transposeOf(t: CpuTensor): CpuTensor {
    if (t.transposed && t.transposedVersion === t.version) return t.transposed;
    const tt = t.transposed ??
      new CpuTensor(this.#heap, { slots: t.slots, rows: t.cols, cols: t.rows });
    const src = t.data;
    const dst = tt.data;
    for (let p = 0; p < t.slots; p++) {
      tt.rows[p] = t.cols[p];
      tt.cols[p] = t.rows[p];
      const so = t.offset(p);
      const to = tt.offset(p);
      const rows = t.rows[p];
      const cols = t.cols[p];
      const scap = t.colCap;
      const tcap = tt.colCap;
      for (let r = 0; r < rows; r++) {
        const sr = so + r * scap;
        let q = to + r;
        for (let c = 0; c < cols; c++, q += tcap) dst[q] = src[sr + c];
      }
    }
    tt.version++;
    t.transposed = tt;
    t.transposedVersion = t.version;
    return tt;
  }
}
