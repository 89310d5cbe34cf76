/**
 * The WebAssembly kernel loader shared by the engines that run WebAssembly (the float64 CPU
 * kernels and the float32 twin): instantiation with an imported memory and the per-call bump
 * allocator. It lives beside the float64 build it was written for (`cpu/wasm/instance.ts`, with
 * `tasks/build_wasm.ts`); other engine folders import it through this module, so no engine folder
 * reaches into another (tests/architecture_test.ts).
 *
 * @module
 */
export { HeapArena, instantiateKernels, type KernelInstance } from "./cpu/wasm/instance.ts";
