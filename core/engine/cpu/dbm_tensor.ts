/**
 * Memory of the CPU DBM kernels (`dbm_kernels.ts`): the allocator over the WebAssembly module's
 * linear memory and the population tensors that live in it, with the caches (transposed copy,
 * row extents) the kernels keep on each tensor.
 *
 * @module
 */
import { type DbmTensor, slotSizes, type TensorShape } from "../dbm.ts";
import type { KernelInstance } from "./wasm/instance.ts";

/**
 * First-fit allocator over a WebAssembly memory, with coalescing free blocks; the memory grows
 * when nothing fits. Growing detaches every view, so users re-create views through {@link view}.
 */
export class WasmHeap {
  /** The module's memory. */
  readonly memory: WebAssembly.Memory;
  #free: { at: number; size: number }[];

  /** Manages the memory above the instance's heap base. */
  constructor(inst: KernelInstance<unknown>) {
    this.memory = inst.memory;
    const base = (inst.heapBase + 15) & ~15;
    this.#free = [{ at: base, size: inst.memory.buffer.byteLength - base }];
  }

  /** Reserves `bytes` (rounded up to 16) and returns the byte address. */
  alloc(bytes: number): number {
    const size = Math.max(16, (bytes + 15) & ~15);
    for (let k = 0; k < this.#free.length; k++) {
      const b = this.#free[k];
      if (b.size < size) continue;
      const at = b.at;
      b.at += size;
      b.size -= size;
      if (b.size === 0) this.#free.splice(k, 1);
      return at;
    }
    const old = this.memory.buffer.byteLength;
    const pages = Math.ceil(Math.max(size, old / 2) / 65536);
    this.memory.grow(pages);
    this.release(old, pages * 65536);
    return this.alloc(bytes);
  }

  /** Returns a block that {@link alloc} handed out, with the size it was asked for. */
  release(at: number, bytes: number): void {
    const size = Math.max(16, (bytes + 15) & ~15);
    const list = this.#free;
    let k = 0;
    while (k < list.length && list[k].at < at) k++;
    list.splice(k, 0, { at, size });
    // Coalesce with the next, then the previous neighbour.
    if (k + 1 < list.length && list[k].at + list[k].size === list[k + 1].at) {
      list[k].size += list[k + 1].size;
      list.splice(k + 1, 1);
    }
    if (k > 0 && list[k - 1].at + list[k - 1].size === list[k].at) {
      list[k - 1].size += list[k].size;
      list.splice(k, 1);
    }
  }
}

/** Per-row [first, last + 1) non-zero column ranges of every slot, for one tensor version. */
export interface Extents {
  /** Tensor version the extents were computed from. */
  version: number;
  /** Byte address of rowCap * slots int32 `lo` values, followed by as many `hi` values. */
  at: number;
}

/** A CPU population tensor: slot p's row r starts at float `(p * rowCap + r) * colCap`. */
export class CpuTensor implements DbmTensor {
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
  /** Byte address in the module's memory. */
  readonly at: number;
  /** Floats allocated. */
  readonly length: number;
  /** Bumped by every write, so caches (transpose, extents) know when they are stale. */
  version: number = 0;
  /** Cached transposed copy. */
  transposed: CpuTensor | null = null;
  /** Version the transposed copy was made from. */
  transposedVersion: number = -1;
  /** Products with W' at the current version (see `TRANSPOSE_AFTER` in `dbm_kernels.ts`). */
  transposedUses: number = 0;
  /** Version `transposedUses` counts. */
  transposedUsesVersion: number = -1;
  /** Cached row extents. */
  extents: Extents | null = null;
  /** False once freed. */
  live: boolean = true;
  readonly #heap: WasmHeap;
  #view: Float32Array;

  /** Allocates a zero-filled tensor. */
  constructor(heap: WasmHeap, shape: TensorShape) {
    const sizes = slotSizes(shape);
    this.slots = shape.slots;
    this.rows = sizes.rows;
    this.cols = sizes.cols;
    this.rowCap = sizes.rowCap;
    this.colCap = sizes.colCap;
    this.length = this.slots * this.rowCap * this.colCap;
    this.#heap = heap;
    this.at = heap.alloc(4 * this.length);
    this.#view = new Float32Array(heap.memory.buffer, this.at, this.length);
    this.#view.fill(0);
  }

  /** The values (a view that survives memory growth). */
  get data(): Float32Array {
    if (this.#view.buffer !== this.#heap.memory.buffer) {
      this.#view = new Float32Array(this.#heap.memory.buffer, this.at, this.length);
    }
    return this.#view;
  }

  /** Float offset of slot p. */
  offset(p: number): number {
    return p * this.rowCap * this.colCap;
  }

  /** Byte address of slot p. */
  address(p: number): number {
    return this.at + 4 * this.offset(p);
  }
}
