/**
 * prunelab: a Deno workbench reproducing and extending Averbeck 2022 (pruning RNNs on working
 * memory and reinforcement learning) and Scholl, Rule & Hennig 2021 (Fisher-information pruning of
 * Boltzmann machines). This module is the public API: the engine boundary, the float64 kernels,
 * SCG, pruning, analyses, the results store and the experiments.
 *
 * ```ts
 * import { CpuEngine, fig5, runExperimentCli } from "./mod.ts";
 * await runExperimentCli(fig5, ["--networks", "2", "--levels", "0.5,0.7"]);
 * ```
 *
 * @module
 */
export * from "./core/engine/engine.ts";
export * from "./core/engine/engine_spec.ts";
export { CpuEngine, type CpuEngineOptions } from "./core/engine/cpu/cpu_engine.ts";
export { CpuF32Engine, type CpuF32EngineOptions } from "./core/engine/cpu_f32/cpu_f32_engine.ts";
export {
  type AdapterProbe,
  createEngine,
  type EngineSelection,
  probeWebGpu,
  resolveEngine,
  selectEngine,
} from "./core/engine/select.ts";
export * from "./core/util/rng.ts";
export * from "./core/rnn/network.ts";
export {
  emptySequenceSet,
  forward,
  loss,
  lossAndGrad,
  sequenceOutputs,
  sequenceTrajectory,
} from "./core/rnn/kernels.ts";
export * from "./core/rnn/scg.ts";
export * from "./core/rnn/train.ts";
export * from "./core/rnn/prune.ts";
export * from "./core/rnn/lyapunov.ts";
export * from "./core/util/stats.ts";
export * from "./core/util/histogram.ts";
export * from "./core/dms/task.ts";
export * from "./core/dms/analysis.ts";
export * from "./core/app/panels.ts";
export * from "./core/app/experiment.ts";
export * from "./core/app/flags.ts";
export * from "./core/app/progress.ts";
export * from "./core/store/store.ts";
export { EXIT, runExperimentCli } from "./core/app/cli.ts";
export { COMMON_FLAGS, usage } from "./core/app/common_flags.ts";
export { EXPERIMENTS } from "./experiments/registry.ts";
export { fig5, type Fig5Config } from "./experiments/fig5/fig5.ts";
