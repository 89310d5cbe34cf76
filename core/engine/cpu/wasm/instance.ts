/**
 * Loading of the embedded WebAssembly kernels (the float64 build, the float32 twin, the DBM
 * kernels): instantiation with an imported memory (and optionally an imported tanh over a block,
 * which the first float64 build used; every build now computes tanh inside), and a bump allocator
 * for the per-call buffers above `__heap_base`.
 *
 * @module
 */
import { decodeBase64 } from "./base64.ts";

/** An instantiated kernel module. */
export interface KernelInstance<E> {
  /** The module's exports. */
  exports: E;
  /** Its (imported) linear memory. */
  memory: WebAssembly.Memory;
  /** First free byte above the module's static data. */
  heapBase: number;
}

/** A tanh over a float64 block that the module imports (Math.tanh), by import name. */
export type TanhImport = { name: string };

/**
 * Instantiates an embedded kernel module; null when the runtime cannot (no WebAssembly SIMD), so
 * callers can fall back or report it.
 */
export function instantiateKernels<E>(
  base64: string,
  tanh: TanhImport | null,
): KernelInstance<E> | null {
  try {
    const memory = new WebAssembly.Memory({ initial: 32 });
    const module = new WebAssembly.Module(decodeBase64(base64));
    const env: Record<string, WebAssembly.ImportValue> = { memory };
    if (tanh) {
      env[tanh.name] = (ptr: number, count: number): void => {
        const v = new Float64Array(memory.buffer, ptr, count);
        for (let i = 0; i < count; i++) v[i] = Math.tanh(v[i]);
      };
    }
    const inst = new WebAssembly.Instance(module, { env });
    const heapBase = inst.exports.__heap_base;
    if (!(heapBase instanceof WebAssembly.Global)) return null;
    // The one assertion left: E (the caller's export signatures) is what the embedded module was
    // compiled with; WebAssembly exposes no signatures to check it against.
    const exports = inst.exports as unknown as E;
    return { exports, memory, heapBase: Number(heapBase.value) };
  } catch {
    return null;
  }
}

/** Hands out 16-byte aligned buffers above the heap base; `finish` grows memory to fit them. */
export class HeapArena {
  #p: number;
  readonly #memory: WebAssembly.Memory;

  /** Starts allocating at the instance's heap base. */
  constructor(inst: KernelInstance<unknown>) {
    this.#p = (inst.heapBase + 15) & ~15;
    this.#memory = inst.memory;
  }

  /** Reserves `bytes` and returns the address. */
  take(bytes: number): number {
    const at = this.#p;
    this.#p += (bytes + 15) & ~15;
    return at;
  }

  /** Grows the memory so that everything taken fits; returns the memory's buffer. */
  finish(): ArrayBufferLike {
    const need = this.#p - this.#memory.buffer.byteLength;
    if (need > 0) this.#memory.grow(Math.ceil(need / 65536));
    return this.#memory.buffer;
  }
}
