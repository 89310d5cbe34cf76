/**
 * Float64 reference kernels of the tanh RNN: forward pass and exact BPTT gradient (spec 2, 5.1,
 * 5.2) for one network on a whole {@link SequenceSet}. All S sequences advance together, with the
 * sequence index innermost, so every inner loop is a contiguous run of S doubles. These are the
 * kernels of the CPU engine and the float64 ground truth every other engine is tested against.
 *
 * @module
 */
import type { ForwardResult, SequenceSet } from "../engine/engine.ts";
import { paramLayout, type RnnShape } from "./network.ts";

interface Workspace {
  r: Float64Array; // tanh(x), [k][i][q]
  e: Float64Array; // 2 (y - target), [k][o][q]
  g: Float64Array; // back-propagated error into r(k), [i][q]
  next: Float64Array; // A^T delta(k+1), [i][q]
}

const workspaces = new Map<string, Workspace>();

// Most DMS/RL inputs are zero at most steps: find the non-zero (step, channel) columns once per
// call (cheap next to the matrix work; not cached, so callers may reuse and mutate their buffers).
function inputActivity(data: SequenceSet): Uint8Array {
  const { s, t } = data;
  const ni = data.shape.ni;
  const act = new Uint8Array(t * ni);
  for (let kc = 0; kc < t * ni; kc++) {
    for (let q = 0; q < s; q++) {
      if (data.inputs[kc * s + q] !== 0) {
        act[kc] = 1;
        break;
      }
    }
  }
  return act;
}

function workspace(shape: RnnShape, s: number, t: number): Workspace {
  const key = `${shape.n}:${shape.no}:${s}:${t}`;
  let ws = workspaces.get(key);
  if (!ws) {
    if (workspaces.size > 16) workspaces.clear();
    ws = {
      r: new Float64Array(t * shape.n * s),
      e: new Float64Array(t * shape.no * s),
      g: new Float64Array(shape.n * s),
      next: new Float64Array(shape.n * s),
    };
    workspaces.set(key, ws);
  }
  return ws;
}

/** Creates an empty (all-zero) sequence set of the given size. */
export function emptySequenceSet(shape: RnnShape, s: number, t: number): SequenceSet {
  return {
    shape,
    s,
    t,
    inputs: new Float64Array(t * shape.ni * s),
    targets: new Float64Array(t * shape.no * s),
  };
}

/**
 * Runs the network over every sequence; writes rates into `r` and pre-activations into `x` when
 * given. Returns nothing: callers read the buffers.
 */
function run(
  shape: RnnShape,
  w: Float64Array,
  data: SequenceSet,
  r: Float64Array,
  x: Float64Array | null,
  y: Float64Array | null,
  e: Float64Array | null,
): number {
  const { n, ni, no, outputBias } = shape;
  const { s: S, t: T, inputs, targets } = data;
  const L = paramLayout(shape);
  const nS = n * S;
  const act = inputActivity(data);
  let sse = 0;
  for (let k = 0; k < T; k++) {
    const rk = k * nS;
    const uk = k * ni * S;
    // x(k) = B u(k) (+ A r(k-1)); accumulate into r's slot, then squash.
    for (let i = 0; i < n; i++) {
      const row = rk + i * S;
      for (let q = 0; q < S; q++) r[row + q] = 0;
      for (let c = 0; c < ni; c++) {
        const b = w[L.b + i + n * c];
        if (b === 0 || act[k * ni + c] === 0) continue;
        const u = uk + c * S;
        for (let q = 0; q < S; q++) r[row + q] += b * inputs[u + q];
      }
    }
    if (k > 0) {
      // Register-blocked over 4 sequences: the accumulators stay in registers across j.
      const rp = rk - nS;
      for (let i = 0; i < n; i++) {
        const dst = rk + i * S;
        const rowA = L.a + i;
        let q = 0;
        for (; q + 3 < S; q += 4) {
          let a0 = r[dst + q], a1 = r[dst + q + 1], a2 = r[dst + q + 2], a3 = r[dst + q + 3];
          for (let j = 0; j < n; j++) {
            const a = w[rowA + n * j];
            if (a === 0) continue; // pruned weights cost nothing
            const src = rp + j * S + q;
            a0 += a * r[src];
            a1 += a * r[src + 1];
            a2 += a * r[src + 2];
            a3 += a * r[src + 3];
          }
          r[dst + q] = a0;
          r[dst + q + 1] = a1;
          r[dst + q + 2] = a2;
          r[dst + q + 3] = a3;
        }
        for (; q < S; q++) {
          let acc = r[dst + q];
          for (let j = 0; j < n; j++) acc += w[rowA + n * j] * r[rp + j * S + q];
          r[dst + q] = acc;
        }
      }
    }
    if (x) { for (let m = 0; m < nS; m++) x[rk + m] = r[rk + m]; }
    for (let m = rk; m < rk + nS; m++) r[m] = Math.tanh(r[m]);
    // y(k) = C r(k) (+ bias); e = 2 (y - target)
    for (let o = 0; o < no; o++) {
      const yo = (k * no + o) * S;
      const bias = outputBias ? w[L.c + o + no * n] : 0;
      for (let q = 0; q < S; q++) {
        let acc = bias;
        for (let j = 0; j < n; j++) acc += w[L.c + o + no * j] * r[rk + j * S + q];
        if (y) y[yo + q] = acc;
        if (e) {
          const d = acc - targets[yo + q];
          sse += d * d;
          e[yo + q] = 2 * d;
        }
      }
    }
  }
  return sse / (S * T);
}

/** Forward pass: pre-activations x(k) and outputs y(k) of every sequence. */
export function forward(shape: RnnShape, w: Float64Array, data: SequenceSet): ForwardResult {
  const { s, t } = data;
  const x = new Float64Array(t * shape.n * s);
  const y = new Float64Array(t * shape.no * s);
  const ws = workspace(shape, s, t);
  run(shape, w, data, ws.r, x, y, null);
  return { x, y };
}

/** Loss E(w) only (spec 5.1). */
export function loss(shape: RnnShape, w: Float64Array, data: SequenceSet): number {
  const ws = workspace(shape, data.s, data.t);
  return run(shape, w, data, ws.r, null, null, ws.e);
}

/**
 * Loss and exact gradient (spec 5.2). The gradient is written into `grad` (length K, overwritten)
 * for every entry, pruned ones included: the mask acts on SCG's search direction, not here.
 */
export function lossAndGrad(
  shape: RnnShape,
  w: Float64Array,
  data: SequenceSet,
  grad: Float64Array,
): number {
  const { n, ni, no, outputBias } = shape;
  const { s: S, t: T, inputs } = data;
  const L = paramLayout(shape);
  const ws = workspace(shape, S, T);
  const { r, e, g, next } = ws;
  const act = inputActivity(data);
  const E = run(shape, w, data, r, null, null, ws.e);
  grad.fill(0);
  const nS = n * S;
  for (let k = T - 1; k >= 0; k--) {
    const rk = k * nS;
    if (k === T - 1) next.fill(0);
    // g = C0^T e(k) + A^T delta(k+1); delta(k) = (1 - r^2) g, stored in g.
    for (let i = 0; i < n; i++) {
      const gi = i * S;
      for (let q = 0; q < S; q++) g[gi + q] = next[gi + q];
      for (let o = 0; o < no; o++) {
        const c = w[L.c + o + no * i];
        const eo = (k * no + o) * S;
        for (let q = 0; q < S; q++) g[gi + q] += c * e[eo + q];
      }
      for (let q = 0; q < S; q++) {
        const rv = r[rk + gi + q];
        g[gi + q] *= 1 - rv * rv;
      }
    }
    // dC += e r^T (+ bias column)
    for (let o = 0; o < no; o++) {
      const eo = (k * no + o) * S;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        const rj = rk + j * S;
        for (let q = 0; q < S; q++) acc += e[eo + q] * r[rj + q];
        grad[L.c + o + no * j] += acc;
      }
      if (outputBias) {
        let acc = 0;
        for (let q = 0; q < S; q++) acc += e[eo + q];
        grad[L.c + o + no * n] += acc;
      }
    }
    // dB += delta u^T
    const uk = k * ni * S;
    for (let c = 0; c < ni; c++) {
      if (act[k * ni + c] === 0) continue;
      const u = uk + c * S;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        const gi = i * S;
        for (let q = 0; q < S; q++) acc += g[gi + q] * inputs[u + q];
        grad[L.b + i + n * c] += acc;
      }
    }
    // dA += delta(k) r(k-1)^T, 2 x 2 register blocks (n is even for both tasks; odd n falls back).
    if (k > 0) {
      const rp = rk - nS;
      let j = 0;
      for (; j + 1 < n; j += 2) {
        const r0 = rp + j * S;
        const r1 = r0 + S;
        let i = 0;
        for (; i + 1 < n; i += 2) {
          const g0 = i * S;
          const g1 = g0 + S;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
          for (let q = 0; q < S; q++) {
            const x0 = g[g0 + q], x1 = g[g1 + q], y0 = r[r0 + q], y1 = r[r1 + q];
            s00 += x0 * y0;
            s01 += x0 * y1;
            s10 += x1 * y0;
            s11 += x1 * y1;
          }
          const col0 = L.a + n * j + i;
          const col1 = col0 + n;
          grad[col0] += s00;
          grad[col0 + 1] += s10;
          grad[col1] += s01;
          grad[col1 + 1] += s11;
        }
        for (; i < n; i++) {
          let s0 = 0, s1 = 0;
          for (let q = 0; q < S; q++) {
            s0 += g[i * S + q] * r[r0 + q];
            s1 += g[i * S + q] * r[r1 + q];
          }
          grad[L.a + n * j + i] += s0;
          grad[L.a + n * (j + 1) + i] += s1;
        }
      }
      for (; j < n; j++) {
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let q = 0; q < S; q++) acc += g[i * S + q] * r[rp + j * S + q];
          grad[L.a + n * j + i] += acc;
        }
      }
      // next = A^T delta(k): column j of A is contiguous in the column-major layout.
      for (let jj = 0; jj < n; jj++) {
        const colA = L.a + n * jj;
        const dst = jj * S;
        let q = 0;
        for (; q + 3 < S; q += 4) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let i = 0; i < n; i++) {
            const a = w[colA + i];
            if (a === 0) continue;
            const src = i * S + q;
            a0 += a * g[src];
            a1 += a * g[src + 1];
            a2 += a * g[src + 2];
            a3 += a * g[src + 3];
          }
          next[dst + q] = a0;
          next[dst + q + 1] = a1;
          next[dst + q + 2] = a2;
          next[dst + q + 3] = a3;
        }
        for (; q < S; q++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += w[colA + i] * g[i * S + q];
          next[dst + q] = acc;
        }
      }
    }
  }
  const scale = 1 / (S * T);
  for (let m = 0; m < grad.length; m++) grad[m] *= scale;
  return E;
}

/** Pre-activation trajectory of sequence `q` as a T x N row-major array (for Jacobian analyses). */
export function sequenceTrajectory(
  fwd: ForwardResult,
  shape: RnnShape,
  data: { s: number; t: number },
  q: number,
): Float64Array {
  return sequenceRows(fwd.x, shape.n, data, q);
}

/** Outputs of sequence `q` as a T x No row-major array. */
export function sequenceOutputs(
  fwd: ForwardResult,
  shape: RnnShape,
  data: { s: number; t: number },
  q: number,
): Float64Array {
  return sequenceRows(fwd.y, shape.no, data, q);
}

/** Extracts sequence q of a `[(k * width + i) * s + q]` buffer as T x width rows. */
function sequenceRows(
  buf: Float64Array,
  width: number,
  data: { s: number; t: number },
  q: number,
): Float64Array {
  const { s: S, t: T } = data;
  const out = new Float64Array(T * width);
  for (let k = 0; k < T; k++) {
    for (let i = 0; i < width; i++) out[k * width + i] = buf[(k * width + i) * S + q];
  }
  return out;
}
