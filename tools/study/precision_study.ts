/**
 * Precision study of the float32 engine's SCG: replays the original code's first DMS training
 * call (`dms_xcheck_init_seed1.json` of the Octave reference) for a few outer iterations with
 * float64 and float32 arithmetic (the f32 model of the fused kernel) and finite-difference or
 * exact curvature, and prints the loss at the start of each outer iteration.
 *
 * Usage: deno run -A tools/study/precision_study.ts REFERENCE_JSON VARIANT OUTER
 * VARIANT: f64-fd (the CPU engine's arithmetic), f32-fd, f32-exact, f64-exact; a "-diff" suffix
 * (e.g. f32-fd-diff, the WebGPU engine's default) computes each step's loss change by difference
 * propagation.
 *
 * @module
 */
import { DMS_SHAPE, fromMatrices, paramLayout } from "../../core/rnn/network.ts";
import { lossAndGrad } from "../../core/rnn/kernels.ts";
import type { SequenceSet } from "../../core/engine/engine.ts";
import { modelEval, modelLossDiff, type Rounding } from "./f32_model.ts";
import { type PopulationEvaluator, scgAsync } from "../../core/rnn/scg.ts";

const [file, variant = "f32-exact", outerArg = "4"] = Deno.args;
const ref = JSON.parse(await Deno.readTextFile(file)) as {
  Wi: number[][];
  Wr: number[][];
  Wo: number[];
  X: number[][][];
  Y: number[][];
};
const S = ref.X.length;
const T = ref.X[0][0].length;
const ni = DMS_SHAPE.ni;
const inputs = new Float64Array(T * ni * S);
const targets = new Float64Array(T * S);
for (let q = 0; q < S; q++) {
  for (let k = 0; k < T; k++) {
    for (let c = 0; c < ni; c++) inputs[(k * ni + c) * S + q] = ref.X[q][c][k];
    targets[k * S + q] = ref.Y[q][k];
  }
}
const data: SequenceSet = { shape: DMS_SHAPE, s: S, t: T, inputs, targets };
let w = fromMatrices(DMS_SHAPE, { B: ref.Wi, A: ref.Wr, C: [ref.Wo] });
const K = paramLayout(DMS_SHAPE).size;
const round: Rounding = variant.startsWith("f32") ? Math.fround : (x) => x;
const curvature = variant.includes("exact") ? "exact" : "fd";
const evaluator: PopulationEvaluator = variant === "f64-fd"
  ? {
    grad: (_ids, ws) => {
      const grad = ws.map(() => new Float64Array(K));
      const loss = Float64Array.from(ws, (x, i) => lossAndGrad(DMS_SHAPE, x, data, grad[i]));
      return Promise.resolve({ loss, grad });
    },
  }
  : {
    grad: (_ids, ws) => {
      const r = ws.map((x) => modelEval(DMS_SHAPE, data, { w: x, round }));
      return Promise.resolve({
        loss: Float64Array.from(r, (e) => e.loss),
        grad: r.map((e) => e.grad),
      });
    },
    hv: (_ids, ws, vs) =>
      Promise.resolve(ws.map((x, i) => modelEval(DMS_SHAPE, data, { w: x, v: vs[i], round }).hv!)),
    lossDiff: variant.endsWith("-diff")
      ? (_ids, ws, dws) =>
        Promise.resolve(
          Float64Array.from(
            ws,
            (x, i) => modelLossDiff(DMS_SHAPE, data, { w: x, dw: dws[i], round }),
          ),
        )
      : undefined,
  };
const losses: number[] = [];
const t0 = performance.now();
for (let it = 1; it <= Number(outerArg); it++) {
  const [res] = await scgAsync(
    [{ data, w, mask: null }],
    { stopRule: "dms", curvature },
    evaluator,
  );
  losses.push(res.startLoss);
  console.log(
    JSON.stringify({
      variant,
      outer: it,
      startLoss: res.startLoss,
      endLoss: res.endLoss,
      steps: res.steps,
      converged: res.converged,
      failure: res.failure ?? null,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
  w = res.w;
  if (res.converged || res.failure) break;
}
