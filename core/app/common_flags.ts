/**
 * The flags every figure task accepts and its usage text: {@link COMMON_FLAGS} (with the defaults
 * of the experiment's default preset filled in for `--networks` and `--levels`) followed by the
 * experiment's own flags and its further presets.
 *
 * @module
 */
import { flagHelp, type FlagSpec } from "./args.ts";
import type { Experiment } from "./experiment.ts";
import { DETACH_FLAGS } from "./work_units.ts";

/** Flags every figure task accepts. */
export const COMMON_FLAGS: readonly FlagSpec[] = Object.freeze([
  {
    name: "preset",
    type: "string",
    value: "NAME",
    help: "default (reduced protocol: fewer networks/levels/seeds; each figure's cost is in its " +
      "docs), paper (the full protocol) or one listed below",
    default: "default",
  },
  {
    name: "networks",
    type: "string",
    value: "N",
    help: "number of networks (lineage pairs / seeds)",
  },
  {
    name: "levels",
    type: "string",
    value: "LIST",
    help: "prune levels, e.g. 0.1,0.3,0.5 (increasing, in (0,1))",
  },
  {
    name: "seed",
    type: "string",
    value: "N",
    help: "master seed (whole number; seed 1 reuses the embedded starting networks)",
    default: "1",
  },
  {
    name: "engine",
    type: "string",
    value: "NAME",
    help: "auto, cpu, webgpu or cpu-f32 (CPU float32 twin of the webgpu arithmetic)",
    default: "auto",
  },
  {
    name: "scg-state",
    type: "string",
    value: "WHERE",
    help: "float32 engines: SCG state on the device or the host",
    default: "device",
  },
  { name: "workers", type: "string", value: "N", help: "CPU worker threads", default: "all cores" },
  {
    name: "cpu-kernel",
    type: "string",
    value: "BUILD",
    help: "CPU kernel build: wasm or js",
    default: "wasm",
  },
  {
    name: "store",
    type: "string",
    value: "PATH",
    help: "results store: a Deno KV file or a postgres:// URL",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  { name: "out", type: "string", value: "FILE", help: "write a JSON summary to this file" },
  { name: "resume", type: "string", value: "RUN_ID", help: "finish an interrupted run by id" },
  {
    name: "max-outer",
    type: "string",
    value: "N",
    help: "cap on outer SCG iterations per training call",
    default: "the preset's",
  },
  {
    name: "scg-steps",
    type: "string",
    value: "N",
    help: "SCG steps per outer iteration",
    default: "K, the parameter count",
  },
  ...DETACH_FLAGS,
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/**
 * The common flags with the defaults of `experiment`'s default preset filled in where the config
 * has the field (`networks`, `levels`).
 */
function commonFlagsOf(experiment: Pick<Experiment, "presets">): FlagSpec[] {
  const preset: object = experiment.presets.default;
  return COMMON_FLAGS.map((f) => {
    if (f.default !== undefined || (f.name !== "networks" && f.name !== "levels")) return f;
    const v: unknown = Reflect.get(preset, f.name);
    const shown = Array.isArray(v) ? v.join(",") : typeof v === "number" ? String(v) : undefined;
    return shown === undefined ? f : { ...f, default: shown };
  });
}

/** Usage text of a figure task. */
export function usage(
  experiment: Pick<Experiment, "id" | "title" | "flags" | "presetHelp" | "presets">,
): string {
  const presets = Object.entries(experiment.presetHelp ?? {});
  return [
    `prunelab ${experiment.id}: ${experiment.title}`,
    "",
    "Flags:",
    flagHelp([...commonFlagsOf(experiment), ...experiment.flags]),
    ...(presets.length > 0
      ? ["", "Further presets:", ...presets.map(([name, text]) => `  --preset ${name}: ${text}`)]
      : []),
  ].join("\n");
}
