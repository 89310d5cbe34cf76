/**
 * The "before" of the fused kernels: loss and gradient of a population written with generic tfjs
 * ops (batched matMul / tanh per time step, tf.grads for BPTT) on the same webgpu backend. Used by
 * `deno task bench` (engine `webgpu-tfjs`) to measure what the fused WGSL kernels gain; not used
 * for training.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import type { GradJob, GradResult } from "../../core/engine/engine.ts";
import { paramLayout } from "../../core/rnn/network.ts";

/** Initialises tfjs's webgpu backend; returns false when there is no adapter. */
export async function tfjsWebGpuReady(): Promise<boolean> {
  if (tf.getBackend() === "webgpu") return true;
  const ok = await tf.setBackend("webgpu");
  await tf.ready();
  return ok;
}

/** Loss and gradient of jobs that share one shape and data size, with generic tfjs ops. */
export async function tfjsOpsLossAndGrad(jobs: readonly GradJob[]): Promise<GradResult[]> {
  const { shape, s: S, t: T } = jobs[0].data;
  const { n, ni, no } = shape;
  if (shape.outputBias) throw new Error("tfjs-ops baseline: output bias not supported");
  const L = paramLayout(shape);
  const P = jobs.length;
  // Row-major [P, rows, cols] from the column-major flat layout.
  const mats = (off: number, rows: number, cols: number): tf.Tensor3D => {
    const a = new Float32Array(P * rows * cols);
    jobs.forEach((j, p) => {
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < cols; c++) a[(p * rows + i) * cols + c] = j.w[off + i + rows * c];
      }
    });
    return tf.tensor3d(a, [P, rows, cols]);
  };
  const u = new Float32Array(T * P * S * ni);
  const y = new Float32Array(T * P * S * no);
  jobs.forEach((j, p) => {
    for (let k = 0; k < T; k++) {
      for (let q = 0; q < S; q++) {
        for (let c = 0; c < ni; c++) {
          u[((k * P + p) * S + q) * ni + c] = j.data.inputs[(k * ni + c) * S + q];
        }
        for (let o = 0; o < no; o++) {
          y[((k * P + p) * S + q) * no + o] = j.data.targets[(k * no + o) * S + q];
        }
      }
    }
  });
  const B = mats(L.b, n, ni);
  const A = mats(L.a, n, n);
  const C = mats(L.c, no, n);
  const U = tf.tensor4d(u, [T, P, S, ni]);
  const Y = tf.tensor4d(y, [T, P, S, no]);
  // Written inside the gradient closure, so a holder rather than a narrowed local.
  const kept: { perNet: tf.Tensor | null } = { perNet: null };
  const f = (b: tf.Tensor, a: tf.Tensor, c: tf.Tensor): tf.Scalar => {
    let r: tf.Tensor | null = null;
    let sse: tf.Tensor = tf.zeros([P]);
    for (let k = 0; k < T; k++) {
      const uk = U.slice([k, 0, 0, 0], [1, P, S, ni]).reshape([P, S, ni]);
      let x = tf.matMul(uk as tf.Tensor3D, b as tf.Tensor3D, false, true);
      if (r) x = x.add(tf.matMul(r as tf.Tensor3D, a as tf.Tensor3D, false, true));
      r = tf.tanh(x);
      const yk = tf.matMul(r as tf.Tensor3D, c as tf.Tensor3D, false, true);
      const d = yk.sub(Y.slice([k, 0, 0, 0], [1, P, S, no]).reshape([P, S, no]));
      sse = sse.add(d.square().sum([1, 2]));
    }
    const perNet = tf.keep(sse.div(S * T));
    kept.perNet = perNet;
    return perNet.sum() as tf.Scalar;
  };
  const grads = tf.tidy(() => tf.grads(f)([B, A, C]).map((g) => tf.keep(g)));
  const [gb, ga, gc] = await Promise.all(grads.map((g) => g.data()));
  const perNet = kept.perNet;
  if (!perNet) throw new Error("tfjs ops: the loss was not evaluated");
  const losses = await perNet.data();
  tf.dispose([B, A, C, U, Y, ...grads, perNet]);
  return jobs.map((_, p) => {
    const g = new Float64Array(L.size);
    const put = (src: ArrayLike<number>, off: number, rows: number, cols: number): void => {
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < cols; c++) g[off + i + rows * c] = src[(p * rows + i) * cols + c];
      }
    };
    put(gb, L.b, n, ni);
    put(ga, L.a, n, n);
    put(gc, L.c, no, n);
    return { loss: losses[p], grad: g };
  });
}
