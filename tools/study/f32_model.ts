/**
 * A CPU model of the fused WGSL kernel's arithmetic: the same loops in the same order, every
 * operation rounded by `round` (Math.fround = float32, identity = float64). It computes loss,
 * gradient and the exact Hessian-vector product (R-operator), and exists to study and test the
 * precision of the float32 engine without a GPU (llvmpipe needs ~0.1 s per evaluation, far too
 * slow for whole SCG trajectories). Not used by the engine itself.
 *
 * @module
 */
import type { SequenceSet } from "../../core/engine/engine.ts";
import { paramLayout, type RnnShape } from "../../core/rnn/network.ts";

/** Loss, gradient and (optionally) H v of one network. */
export interface ModelEval {
  /** E(w). */
  loss: number;
  /** dE/dw. */
  grad: Float64Array;
  /** H v, when v was given. */
  hv: Float64Array | null;
}

/** Rounding of every operation: Math.fround for float32, identity for float64. */
export type Rounding = (x: number) => number;

/** Evaluates loss, gradient and optionally H v with the kernel's operation order. */
export function modelEval(
  shape: RnnShape,
  data: SequenceSet,
  options: { w: Float64Array; v?: Float64Array; round: Rounding },
): ModelEval {
  const { n, ni, no, outputBias } = shape;
  const L = paramLayout(shape);
  const K = L.size;
  const { s: S, t: T, inputs, targets } = data;
  const f = options.round;
  const w = Float64Array.from(options.w, f);
  const v = options.v ? Float64Array.from(options.v, f) : null;
  const gsum = new Float64Array(K);
  const hsum = new Float64Array(K);
  const gTmp = new Float64Array(K);
  const hTmp = new Float64Array(K);
  const R = new Float64Array(T * n);
  const Rv = new Float64Array(T * n);
  const E = new Float64Array(T * no);
  const Ev = new Float64Array(T * no);
  let sse = 0;
  for (let q = 0; q < S; q++) {
    const u = (k: number, c: number): number => f(inputs[(k * ni + c) * S + q]);
    for (let k = 0; k < T; k++) {
      for (let i = 0; i < n; i++) {
        let x = 0;
        let rx = 0;
        for (let c = 0; c < ni; c++) {
          x = f(x + f(w[L.b + i + n * c] * u(k, c)));
          if (v) rx = f(rx + f(v[L.b + i + n * c] * u(k, c)));
        }
        if (k > 0) {
          for (let j = 0; j < n; j++) {
            const a = w[L.a + i + n * j];
            x = f(x + f(a * R[(k - 1) * n + j]));
            if (v) {
              rx = f(
                rx + f(f(v[L.a + i + n * j] * R[(k - 1) * n + j]) + f(a * Rv[(k - 1) * n + j])),
              );
            }
          }
        }
        const r = f(Math.tanh(x));
        R[k * n + i] = r;
        if (v) Rv[k * n + i] = f(f(1 - f(r * r)) * rx);
      }
    }
    let lsum = 0;
    for (let k = 0; k < T; k++) {
      for (let o = 0; o < no; o++) {
        let y = 0;
        let ry = 0;
        for (let i = 0; i < n; i++) {
          const c = w[L.c + o + no * i];
          y = f(y + f(c * R[k * n + i]));
          if (v) ry = f(ry + f(f(v[L.c + o + no * i] * R[k * n + i]) + f(c * Rv[k * n + i])));
        }
        if (outputBias) {
          y = f(y + w[L.c + o + no * n]);
          if (v) ry = f(ry + v[L.c + o + no * n]);
        }
        const d = f(y - f(targets[(k * no + o) * S + q]));
        E[k * no + o] = f(2 * d);
        if (v) Ev[k * no + o] = f(2 * ry);
        lsum = f(lsum + f(d * d));
      }
    }
    sse += lsum; // per-sequence partials are summed in float64 on the host
    gTmp.fill(0);
    hTmp.fill(0);
    let D = new Float64Array(n);
    let Dv = new Float64Array(n);
    for (let k = T - 1; k >= 0; k--) {
      const nD = new Float64Array(n);
      const nDv = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = R[k * n + i];
        const rr = Rv[k * n + i];
        let g = 0;
        let rg = 0;
        for (let o = 0; o < no; o++) {
          const e = E[k * no + o];
          const c = w[L.c + o + no * i];
          g = f(g + f(c * e));
          gTmp[L.c + o + no * i] = f(gTmp[L.c + o + no * i] + f(e * r));
          if (v) {
            const re = Ev[k * no + o];
            rg = f(rg + f(f(v[L.c + o + no * i] * e) + f(c * re)));
            hTmp[L.c + o + no * i] = f(hTmp[L.c + o + no * i] + f(f(re * r) + f(e * rr)));
          }
        }
        for (let j = 0; j < n; j++) {
          const a = w[L.a + j + n * i];
          g = f(g + f(a * D[j]));
          if (v) rg = f(rg + f(f(v[L.a + j + n * i] * D[j]) + f(a * Dv[j])));
        }
        const dl = f(f(1 - f(r * r)) * g);
        const rdl = v ? f(f(f(1 - f(r * r)) * rg) - f(f(f(2 * r) * rr) * g)) : 0;
        nD[i] = dl;
        nDv[i] = rdl;
        for (let c = 0; c < ni; c++) {
          gTmp[L.b + i + n * c] = f(gTmp[L.b + i + n * c] + f(dl * u(k, c)));
          if (v) hTmp[L.b + i + n * c] = f(hTmp[L.b + i + n * c] + f(rdl * u(k, c)));
        }
        if (k > 0) {
          for (let j = 0; j < n; j++) {
            const rj = R[(k - 1) * n + j];
            gTmp[L.a + i + n * j] = f(gTmp[L.a + i + n * j] + f(dl * rj));
            if (v) {
              hTmp[L.a + i + n * j] = f(
                hTmp[L.a + i + n * j] + f(f(rdl * rj) + f(dl * Rv[(k - 1) * n + j])),
              );
            }
          }
        }
      }
      D = nD;
      Dv = nDv;
    }
    if (outputBias) {
      for (let o = 0; o < no; o++) {
        let sb = 0;
        let hb = 0;
        for (let k = 0; k < T; k++) {
          sb = f(sb + E[k * no + o]);
          if (v) hb = f(hb + Ev[k * no + o]);
        }
        gTmp[L.c + o + no * n] = sb;
        hTmp[L.c + o + no * n] = hb;
      }
    }
    // The device reduces over sequences with Kahan summation: model it as exact, then round.
    for (let m = 0; m < K; m++) {
      gsum[m] += gTmp[m];
      hsum[m] += hTmp[m];
    }
  }
  const scale = 1 / (S * T);
  return {
    loss: sse * scale,
    grad: gsum.map((x) => f(x * scale)),
    hv: v ? hsum.map((x) => f(x * scale)) : null,
  };
}

/** E(w + dw) - E(w) by difference propagation, modelling `diffSource` of wgsl.ts. */
export function modelLossDiff(
  shape: RnnShape,
  data: SequenceSet,
  options: { w: Float64Array; dw: Float64Array; round: Rounding },
): number {
  const { n, ni, no, outputBias } = shape;
  const L = paramLayout(shape);
  const { s: S, t: T, inputs, targets } = data;
  const f = options.round;
  const w = Float64Array.from(options.w, f);
  const d = Float64Array.from(options.dw, f);
  const th = (x: number): number => f(Math.tanh(x));
  let total = 0;
  for (let q = 0; q < S; q++) {
    let rb = new Float64Array(n);
    let rt = new Float64Array(n);
    let dr = new Float64Array(n);
    let acc = 0;
    for (let k = 0; k < T; k++) {
      const nb = new Float64Array(n);
      const nt = new Float64Array(n);
      const nd = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let xb = 0;
        let dx = 0;
        for (let c = 0; c < ni; c++) {
          const u = f(inputs[(k * ni + c) * S + q]);
          xb = f(xb + f(w[L.b + i + n * c] * u));
          dx = f(dx + f(d[L.b + i + n * c] * u));
        }
        for (let j = 0; j < n; j++) {
          const a = w[L.a + i + n * j];
          xb = f(xb + f(a * rb[j]));
          dx = f(dx + f(f(d[L.a + i + n * j] * rt[j]) + f(a * dr[j])));
        }
        nb[i] = th(xb);
        nt[i] = th(f(xb + dx));
        nd[i] = f(th(dx) * f(1 - f(nb[i] * nt[i])));
      }
      rb = nb;
      rt = nt;
      dr = nd;
      for (let o = 0; o < no; o++) {
        let yb = 0;
        let dy = 0;
        for (let i = 0; i < n; i++) {
          const c = w[L.c + o + no * i];
          yb = f(yb + f(c * rb[i]));
          dy = f(dy + f(f(d[L.c + o + no * i] * rt[i]) + f(c * dr[i])));
        }
        if (outputBias) {
          yb = f(yb + w[L.c + o + no * n]);
          dy = f(dy + d[L.c + o + no * n]);
        }
        const e = f(yb - f(targets[(k * no + o) * S + q]));
        acc = f(acc + f(dy * f(dy + f(2 * e))));
      }
    }
    total += acc;
  }
  return total / (S * T);
}
