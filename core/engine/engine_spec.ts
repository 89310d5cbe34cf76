/**
 * The engine value: which engine, and the settings that decide its arithmetic, as one
 * discriminated union, parsed and validated here once. The CLI (`--engine`, `--cpu-kernel`,
 * `--scg-state`, `--workers`), precision-check, the bench and the engines' workers all take an
 * {@link EngineSpec}; {@link arithmeticId} names the arithmetic it asks for (caches of trained
 * networks are keyed by it, because a run reproduces bit for bit only within one).
 *
 * - `cpu`: float64, with a kernel build from `core/engine/cpu/kernel_builds.ts` (where a new
 *   build is registered).
 * - `cpu-f32`: the CPU float32 twin of the WebGPU engine's arithmetic, with the SCG driver it
 *   mirrors.
 * - `webgpu`: float32 on the GPU, with where SCG's state lives.
 *
 * @module
 */
import { UsageError } from "../util/errors.ts";
import type { EngineName } from "./engine.ts";
import {
  CPU_KERNEL_BUILD_NAMES,
  CPU_KERNEL_BUILDS,
  type CpuKernelBuild,
  defaultKernelBuild,
} from "./cpu/kernel_builds.ts";

export type { CpuKernelBuild };

/** Engine names, in the order help texts and errors list them. */
export const ENGINE_NAMES: readonly EngineName[] = ["cpu", "webgpu", "cpu-f32"];

/**
 * Where a float32 engine keeps SCG's state: "device" (double-float weights, float32 scalars: SCG
 * on the GPU, or its CPU twin) or "host" (float64 SCG on the host, read-backs every step).
 */
export type ScgState = "device" | "host";

/** The SCG drivers of the float32 engines. */
export const SCG_STATES: readonly ScgState[] = ["device", "host"];

/** The float64 CPU engine. */
export interface CpuSpec {
  /** Engine name. */
  readonly engine: "cpu";
  /** Kernel build. */
  readonly kernel: CpuKernelBuild;
  /** Worker threads (default: one per core; 0 or 1 = the calling thread). */
  readonly workers?: number;
}

/** The CPU float32 twin of the WebGPU engine's arithmetic. */
export interface CpuF32Spec {
  /** Engine name. */
  readonly engine: "cpu-f32";
  /** Which WebGPU SCG driver the twin mirrors. */
  readonly scgState: ScgState;
  /** Worker threads (default: one per core; 0 or 1 = the calling thread). */
  readonly workers?: number;
}

/** The WebGPU engine. */
export interface WebGpuSpec {
  /** Engine name. */
  readonly engine: "webgpu";
  /** Where SCG's state lives (the engine falls back to "host" where the device cannot). */
  readonly scgState: ScgState;
}

/** One engine with everything that decides its arithmetic. */
export type EngineSpec = CpuSpec | CpuF32Spec | WebGpuSpec;

/**
 * `--engine auto`: WebGPU on a hardware adapter, else the float64 CPU engine; the settings apply
 * to whichever is picked.
 */
export interface AutoEngine {
  /** Engine name. */
  readonly engine: "auto";
  /** Kernel build if the CPU engine is picked (default: the fastest). */
  readonly kernel?: CpuKernelBuild;
  /** SCG state if WebGPU is picked (default: device). */
  readonly scgState?: ScgState;
  /** Worker threads if the CPU engine is picked. */
  readonly workers?: number;
}

/** What a user may ask for: an engine, or `auto`. */
export type EngineRequest = EngineSpec | AutoEngine;

/**
 * The arithmetic id of a spec, e.g. "cpu-wasm", "cpu-f32-scgdev-wasm", "webgpu-f32": engine,
 * kernel build and SCG driver together.
 */
export function arithmeticId(spec: EngineSpec): string {
  switch (spec.engine) {
    case "cpu":
      return `cpu-${spec.kernel}`;
    case "cpu-f32":
      return spec.scgState === "device" ? "cpu-f32-scgdev-wasm" : "cpu-f32-wasm";
    case "webgpu":
      return spec.scgState === "device" ? "webgpu-f32-scgdev" : "webgpu-f32";
  }
}

/** The float64 CPU spec (default build: the fastest this runtime runs). */
export function cpuSpec(options: { kernel?: CpuKernelBuild; workers?: number } = {}): CpuSpec {
  return { engine: "cpu", kernel: options.kernel ?? defaultKernelBuild(), ...workers(options) };
}

/** The float32 twin's spec (default driver: device). */
export function cpuF32Spec(options: { scgState?: ScgState; workers?: number } = {}): CpuF32Spec {
  return { engine: "cpu-f32", scgState: options.scgState ?? "device", ...workers(options) };
}

/** The WebGPU spec (default driver: device). */
export function webGpuSpec(options: { scgState?: ScgState } = {}): WebGpuSpec {
  return { engine: "webgpu", scgState: options.scgState ?? "device" };
}

function workers(options: { workers?: number }): { workers?: number } {
  return options.workers === undefined ? {} : { workers: options.workers };
}

/** Raw engine settings as a command line gives them (flag values, undefined when absent). */
export interface EngineFlags {
  /** `--engine`. */
  engine?: unknown;
  /** `--cpu-kernel`. */
  cpuKernel?: unknown;
  /** `--scg-state`. */
  scgState?: unknown;
  /** `--workers`. */
  workers?: unknown;
}

function oneOf<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    const list = choices.length === 2 ? choices.join(" or ") : `one of ${choices.join(", ")}`;
    throw new UsageError(`--${flag} must be ${list}, got '${String(value)}'`);
  }
  return value as T;
}

function parseWorkers(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (!/^[+-]?\d+$/.test(text) || n < 0 || n > 256) {
    throw new UsageError(`--workers must be a whole number between 0 and 256, got '${value}'`);
  }
  return n;
}

interface Settings {
  kernel?: CpuKernelBuild;
  scgState?: ScgState;
  workers?: number;
}

/** Validates the settings of the flags against the engine `engine`. */
function settings(engine: EngineName | "auto", flags: EngineFlags): Settings {
  const kernel = flags.cpuKernel === undefined
    ? undefined
    : oneOf("cpu-kernel", flags.cpuKernel, CPU_KERNEL_BUILD_NAMES);
  const scgState = flags.scgState === undefined
    ? undefined
    : oneOf("scg-state", flags.scgState, SCG_STATES);
  if (engine === "cpu" && scgState !== undefined) {
    throw new UsageError("--scg-state applies to the float32 engines (webgpu, cpu-f32), not cpu");
  }
  if ((engine === "cpu-f32" || engine === "webgpu") && kernel !== undefined) {
    throw new UsageError(`--cpu-kernel selects a float64 build; it does not apply to ${engine}`);
  }
  return { kernel, scgState, workers: parseWorkers(flags.workers) };
}

function specOf(engine: EngineName, s: Settings): EngineSpec {
  switch (engine) {
    case "cpu":
      return cpuSpec(s);
    case "cpu-f32":
      return cpuF32Spec(s);
    case "webgpu":
      return webGpuSpec(s);
  }
}

/**
 * Parses and validates the engine flags into an {@link EngineSpec} (no `auto`); throws a
 * {@link UsageError} naming the flag for an unknown value or a setting the engine does not have
 * (`--scg-state` with the float64 engine, `--cpu-kernel` with a float32 one).
 */
export function parseEngineSpec(
  flags: EngineFlags,
  options: { default?: EngineName } = {},
): EngineSpec {
  const engine = oneOf("engine", flags.engine ?? options.default ?? "cpu", ENGINE_NAMES);
  return specOf(engine, settings(engine, flags));
}

/** As {@link parseEngineSpec}, also accepting `auto` (the default when `--engine` is absent). */
export function parseEngineRequest(
  flags: EngineFlags,
  options: { default?: EngineName | "auto" } = {},
): EngineRequest {
  const engine = oneOf("engine", flags.engine ?? options.default ?? "auto", [
    "auto",
    ...ENGINE_NAMES,
  ]);
  const s = settings(engine, flags);
  if (engine !== "auto") return specOf(engine, s);
  return {
    engine,
    ...(s.kernel ? { kernel: s.kernel } : {}),
    ...(s.scgState ? { scgState: s.scgState } : {}),
    ...workers(s),
  };
}

/**
 * The compact text form of a spec: the engine name, then `:` and the setting that differs from
 * the default ("cpu", "cpu:js", "cpu-f32:host", "webgpu:host"). The bench names its rows so.
 */
export function formatEngineSpec(spec: EngineSpec): string {
  switch (spec.engine) {
    case "cpu":
      return spec.kernel === defaultKernelBuild() ? "cpu" : `cpu:${spec.kernel}`;
    case "cpu-f32":
    case "webgpu":
      return spec.scgState === "device" ? spec.engine : `${spec.engine}:host`;
  }
}

/**
 * Parses the compact text form ({@link formatEngineSpec}): `ENGINE[:SETTING]`, the setting being
 * a kernel build for cpu and an SCG state for the float32 engines.
 */
export function parseEngineSpecText(text: string, options: { flag?: string } = {}): EngineSpec {
  const flag = options.flag ?? "engines";
  const [name, setting, extra] = text.trim().split(":");
  if (extra !== undefined || setting === "") {
    throw new UsageError(`--${flag}: '${text}' is not ENGINE or ENGINE:SETTING`);
  }
  const engine = oneOf(flag, name, ENGINE_NAMES);
  return parseEngineSpec(
    engine === "cpu" ? { engine, cpuKernel: setting } : { engine, scgState: setting },
  );
}

/** Words for an engine's description: the kernels of a float64 build. */
export function kernelDescription(build: CpuKernelBuild): string {
  return CPU_KERNEL_BUILDS[build].description;
}
