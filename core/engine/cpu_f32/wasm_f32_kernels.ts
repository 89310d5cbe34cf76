/**
 * The float32 twin of the WebGPU engine's arithmetic, WebAssembly SIMD build of
 * core/engine/cpu_f32/wasm/kernels_f32.c: loss and gradient as the fused WGSL "grad" kernel plus the Kahan
 * reduction over sequences compute them, and the loss change of a step by difference propagation
 * (`diffSource`), each operation in float32 in the kernel's order per sequence. Weights, inputs
 * and targets are rounded to float32 as the GPU upload rounds them; loss partials are summed in
 * float64 as the GPU engine's host does. tanh is computed in float64 and rounded once to float32,
 * i.e. the correctly rounded float32 tanh up to rare near-ties (what the CPU model
 * tools/study/f32_model.ts uses, Math.fround(Math.tanh(x))); a GPU's own tanh, which is
 * implementation-defined in WGSL, is not reproduced.
 *
 * @module
 */
import type { SequenceSet } from "../engine.ts";
import { paramLayout } from "../../rnn/network.ts";
import { workgroupSize } from "../f32_layout.ts";
import { KERNELS_F32_WASM_BASE64 } from "./wasm/kernels_f32_wasm.ts";
import { HeapArena, instantiateKernels, type KernelInstance } from "../wasm_runtime.ts";

type Ptr = number;

interface Exports {
  f32_loss_and_grad(
    n: number,
    ni: number,
    no: number,
    bias: number,
    S: number,
    Sp: number,
    T: number,
    wg: number,
    w: Ptr,
    inputs: Ptr,
    targets: Ptr,
    r: Ptr,
    e: Ptr,
    sq: Ptr,
    d0: Ptr,
    d1: Ptr,
    gpart: Ptr,
    grad: Ptr,
  ): number;
  f32_loss_diff(
    n: number,
    ni: number,
    no: number,
    bias: number,
    S: number,
    Sp: number,
    T: number,
    w: Ptr,
    dw: Ptr,
    inputs: Ptr,
    targets: Ptr,
    prev: Ptr,
    cur: Ptr,
    acc: Ptr,
  ): number;
  f32_tanh_block(x: Ptr, count: number): void;
}

let instance: KernelInstance<Exports> | null | undefined;

function required(): KernelInstance<Exports> {
  if (instance === undefined) {
    instance = instantiateKernels<Exports>(KERNELS_F32_WASM_BASE64, null);
  }
  if (!instance) {
    throw new Error(
      "the float32 twin kernels need WebAssembly SIMD, not available in this runtime",
    );
  }
  return instance;
}

/** Whether the float32 twin kernels can run here. */
export function f32KernelsAvailable(): boolean {
  try {
    required();
    return true;
  } catch {
    return false;
  }
}

/** A sequence set rounded to float32, with S padded to a multiple of 4 (the SIMD lanes). */
interface PaddedSet {
  sp: number;
  inputs: Float32Array;
  targets: Float32Array;
}

// Data sets are reused by every evaluation of an SCG call (and never modified): convert each once.
const padded = new WeakMap<SequenceSet, PaddedSet>();

function pad(data: SequenceSet): PaddedSet {
  const hit = padded.get(data);
  if (hit) return hit;
  const { s: S, t: T, shape } = data;
  const sp = Math.ceil(S / 4) * 4;
  const widen = (src: Float64Array, rows: number): Float32Array => {
    const out = new Float32Array(rows * sp);
    for (let r = 0; r < rows; r++) out.set(src.subarray(r * S, (r + 1) * S), r * sp);
    return out;
  };
  const set = {
    sp,
    inputs: widen(data.inputs, T * shape.ni),
    targets: widen(data.targets, T * shape.no),
  };
  padded.set(data, set);
  return set;
}

/** Addresses of a call's arrays in the module's memory. */
interface Staged {
  w: Ptr;
  dw: Ptr;
  inputs: Ptr;
  targets: Ptr;
  scratch: Ptr[];
}

/** Places the weights (and optional step) and the padded data in the module's memory. */
function stage(
  inst: KernelInstance<Exports>,
  data: SequenceSet,
  arrays: { w: ArrayLike<number>; dw?: ArrayLike<number>; scratch: number[] },
): Staged {
  const K = paramLayout(data.shape).size;
  if (arrays.w.length !== K) {
    throw new Error(`weights have length ${arrays.w.length}, expected ${K}`);
  }
  const set = pad(data);
  const arena = new HeapArena(inst);
  const w = arena.take(4 * K);
  const dw = arrays.dw ? arena.take(4 * K) : 0;
  const inputs = arena.take(4 * set.inputs.length);
  const targets = arena.take(4 * set.targets.length);
  const scratch = arrays.scratch.map((floats) => arena.take(4 * floats));
  const mem = arena.finish();
  new Float32Array(mem, w, K).set(arrays.w);
  if (arrays.dw) new Float32Array(mem, dw, K).set(arrays.dw);
  new Float32Array(mem, inputs, set.inputs.length).set(set.inputs);
  new Float32Array(mem, targets, set.targets.length).set(set.targets);
  return { w, dw, inputs, targets, scratch };
}

/**
 * Float32 loss and gradient of one network as the WebGPU engine computes them; writes
 * `options.grad` (float32 values widened to float64) and returns the loss.
 */
export function lossAndGradF32(
  w: Float64Array | Float32Array,
  data: SequenceSet,
  options: { grad: Float64Array | Float32Array },
): number {
  const inst = required();
  const { shape, s: S, t: T } = data;
  const { n, ni, no } = shape;
  const K = paramLayout(shape).size;
  const wg = workgroupSize(shape);
  const sp = Math.ceil(S / 4) * 4;
  const st = stage(inst, data, {
    w,
    scratch: [T * n * sp, T * no * sp, wg * sp, n * sp, n * sp, K * sp, K],
  });
  const [r, e, sq, d0, d1, gpart, grad] = st.scratch;
  const E = inst.exports.f32_loss_and_grad(
    n,
    ni,
    no,
    shape.outputBias ? 1 : 0,
    S,
    sp,
    T,
    wg,
    st.w,
    st.inputs,
    st.targets,
    r,
    e,
    sq,
    d0,
    d1,
    gpart,
    grad,
  );
  options.grad.set(new Float32Array(inst.memory.buffer, grad, K));
  return E;
}

/** E(w + dw) - E(w) of one network by float32 difference propagation, as the WebGPU engine. */
export function lossDiffF32(
  w: Float64Array | Float32Array,
  data: SequenceSet,
  options: { dw: Float64Array | Float32Array },
): number {
  const inst = required();
  const { shape, s: S, t: T } = data;
  const { n, ni, no } = shape;
  const sp = Math.ceil(S / 4) * 4;
  const st = stage(inst, data, {
    w,
    dw: options.dw,
    scratch: [3 * n * sp, 3 * n * sp, no * sp],
  });
  const [prev, cur, acc] = st.scratch;
  return inst.exports.f32_loss_diff(
    n,
    ni,
    no,
    shape.outputBias ? 1 : 0,
    S,
    sp,
    T,
    st.w,
    st.dw,
    st.inputs,
    st.targets,
    prev,
    cur,
    acc,
  );
}

/** tanh of every entry as the twin's kernels compute it (float32 in, float32 out); for tests. */
export function tanhF32(x: Float32Array): Float32Array {
  const inst = required();
  const arena = new HeapArena(inst);
  const count = Math.ceil(x.length / 4) * 4;
  const at = arena.take(4 * count);
  const mem = arena.finish();
  const view = new Float32Array(mem, at, count);
  view.fill(0);
  view.set(x);
  inst.exports.f32_tanh_block(at, count);
  return new Float32Array(inst.memory.buffer, at, x.length).slice();
}
