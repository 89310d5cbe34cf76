/**
 * WebAssembly SIMD build of the float64 kernels (core/engine/cpu/wasm/kernels.c): the same forward
 * pass and exact BPTT gradient as core/rnn/kernels.ts, with pairs of sequences in f64x2 lanes and
 * tiles of 4 units x 4 sequences in registers. The two builds differ only in the rounding of a few
 * sums (about 1e-16 relative). The CPU engine uses this build when the runtime supports WebAssembly
 * SIMD with relaxed SIMD (Deno 2.x does); a run is bit-for-bit reproducible for a given kernel
 * build.
 *
 * tanh is computed inside the module (`tanh2` in kernels.c): glibc's tanh, operation for operation,
 * which is what Math.tanh is in Deno on Linux and what the first version of this build imported; on
 * Linux x86-64 the two versions agree bit for bit (tests/cpu_wasm_build_test.ts). Unlike the import,
 * it no longer depends on the host's C library.
 *
 * @module
 */
import type { ForwardResult, SequenceSet } from "../engine.ts";
import { paramLayout, type RnnShape } from "../../rnn/network.ts";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";
import { HeapArena, instantiateKernels, type KernelInstance } from "./wasm/instance.ts";

interface Exports {
  rnn_run(
    n: number,
    ni: number,
    no: number,
    bias: number,
    S: number,
    T: number,
    w: number,
    inputs: number,
    targets: number,
    act: number,
    r: number,
    x: number,
    y: number,
    e: number,
    scratch: number,
  ): number;
  rnn_loss_and_grad(
    n: number,
    ni: number,
    no: number,
    bias: number,
    S: number,
    T: number,
    w: number,
    inputs: number,
    targets: number,
    act: number,
    r: number,
    e: number,
    g: number,
    next: number,
    grad: number,
    scratch: number,
  ): number;
  rnn_scratch_bytes(n: number, ni: number): number;
  rnn_tanh(x: number, count: number): void;
}

type Instance = KernelInstance<Exports>;

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance === undefined) {
    // null without WebAssembly (relaxed) SIMD: callers fall back to the TypeScript kernels.
    instance = instantiateKernels<Exports>(KERNELS_WASM_BASE64, null);
  }
  return instance;
}

/** Whether the WebAssembly SIMD kernels can run here. */
export function wasmKernelsAvailable(): boolean {
  return load() !== null;
}

interface Layout {
  w: number;
  inputs: number;
  targets: number;
  act: number;
  r: number;
  e: number;
  g: number;
  next: number;
  grad: number;
  x: number;
  y: number;
  scratch: number;
}

function layout(inst: Instance, shape: RnnShape, data: SequenceSet, wantXY: boolean): Layout {
  const { n, ni, no } = shape;
  const { s: S, t: T } = data;
  const K = paramLayout(shape).size;
  const arena = new HeapArena(inst);
  const take = (doubles: number): number => arena.take(doubles * 8);
  const L: Layout = {
    w: take(K),
    inputs: take(T * ni * S),
    targets: take(T * no * S),
    act: 0,
    r: take(T * n * S),
    e: take(T * no * S),
    g: take(n * S),
    next: take(n * S),
    grad: take(K),
    x: wantXY ? take(T * n * S) : 0,
    y: wantXY ? take(T * no * S) : 0,
    scratch: arena.take(inst.exports.rnn_scratch_bytes(n, ni)),
  };
  L.act = arena.take(T * ni);
  const mem = arena.finish();
  new Float64Array(mem, L.inputs, T * ni * S).set(data.inputs);
  new Float64Array(mem, L.targets, T * no * S).set(data.targets);
  const act = new Uint8Array(mem, L.act, T * ni);
  for (let kc = 0; kc < T * ni; kc++) {
    let any = 0;
    for (let q = 0; q < S; q++) {
      if (data.inputs[kc * S + q] !== 0) {
        any = 1;
        break;
      }
    }
    act[kc] = any;
  }
  return L;
}

function required(): Instance {
  const inst = load();
  if (!inst) throw new Error("WebAssembly SIMD kernels are not available in this runtime");
  return inst;
}

/** Loss and exact gradient (spec 5.1-5.2), WebAssembly build; writes `grad`. */
export function lossAndGradWasm(
  shape: RnnShape,
  w: Float64Array,
  data: SequenceSet,
  grad: Float64Array,
): number {
  const inst = required();
  const L = layout(inst, shape, data, false);
  const mem = inst.memory.buffer;
  new Float64Array(mem, L.w, w.length).set(w);
  const E = inst.exports.rnn_loss_and_grad(
    shape.n,
    shape.ni,
    shape.no,
    shape.outputBias ? 1 : 0,
    data.s,
    data.t,
    L.w,
    L.inputs,
    L.targets,
    L.act,
    L.r,
    L.e,
    L.g,
    L.next,
    L.grad,
    L.scratch,
  );
  grad.set(new Float64Array(inst.memory.buffer, L.grad, grad.length));
  return E;
}

/** Forward pass, WebAssembly build. */
export function forwardWasm(shape: RnnShape, w: Float64Array, data: SequenceSet): ForwardResult {
  const inst = required();
  const L = layout(inst, shape, data, true);
  const mem = inst.memory.buffer;
  new Float64Array(mem, L.w, w.length).set(w);
  inst.exports.rnn_run(
    shape.n,
    shape.ni,
    shape.no,
    shape.outputBias ? 1 : 0,
    data.s,
    data.t,
    L.w,
    L.inputs,
    L.targets,
    L.act,
    L.r,
    L.x,
    L.y,
    0,
    L.scratch,
  );
  const { n, no } = shape;
  const { s: S, t: T } = data;
  return {
    x: new Float64Array(inst.memory.buffer, L.x, T * n * S).slice(),
    y: new Float64Array(inst.memory.buffer, L.y, T * no * S).slice(),
  };
}

/**
 * The build's own tanh applied to every value (a new array): for tests that hold it against the
 * runtime's Math.tanh.
 */
export function tanhWasm(values: Float64Array): Float64Array {
  const inst = required();
  const arena = new HeapArena(inst);
  const at = arena.take(values.length * 8);
  const mem = arena.finish();
  new Float64Array(mem, at, values.length).set(values);
  inst.exports.rnn_tanh(at, values.length);
  return new Float64Array(inst.memory.buffer, at, values.length).slice();
}
