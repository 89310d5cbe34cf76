/**
 * The tanh RNN of both Averbeck 2022 tasks: shapes, the flattened parameter layout and
 * initialisation. Parameters are one Float64Array `w = [vec(B); vec(A); vec(C)]` with column-major
 * vec(), exactly the spec's ordering (section 0), so test vectors and masks line up with the
 * original code.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Sizes of a network. `outputBias` adds a last column of C multiplying a constant 1 (RL task). */
export interface RnnShape {
  /** Recurrent units N. */
  readonly n: number;
  /** Input channels Ni (channel 1 is the constant bias input). */
  readonly ni: number;
  /** Outputs No. */
  readonly no: number;
  /** Whether C has an extra bias column. */
  readonly outputBias: boolean;
}

/** DMS network: 30 units, 6 inputs, 1 output, no output bias (spec section 2). */
export const DMS_SHAPE: RnnShape = Object.freeze({ n: 30, ni: 6, no: 1, outputBias: false });
/** RL network: 20 units, 10 inputs, 4 outputs with an output bias (spec section 2). */
export const RL_SHAPE: RnnShape = Object.freeze({ n: 20, ni: 10, no: 4, outputBias: true });

/** Offsets of B, A and C inside the flat parameter vector. */
export interface ParamLayout {
  /** Offset of vec(B) (always 0). */
  readonly b: number;
  /** Offset of vec(A). */
  readonly a: number;
  /** Offset of vec(C). */
  readonly c: number;
  /** Number of columns of C (N, or N + 1 with an output bias). */
  readonly cCols: number;
  /** Total parameter count K. */
  readonly size: number;
}

/** Layout of the flat parameter vector for a shape. */
export function paramLayout(shape: RnnShape): ParamLayout {
  const { n, ni, no, outputBias } = shape;
  const cCols = n + (outputBias ? 1 : 0);
  return { b: 0, a: n * ni, c: n * ni + n * n, cCols, size: n * ni + n * n + no * cCols };
}

/** Row-major nested matrices, the exchange format of `--out` files and the store's JSON views. */
export interface WeightMatrices {
  /** Input weights, N x Ni. */
  B: number[][];
  /** Recurrent weights, N x N. */
  A: number[][];
  /** Output weights, No x N (or No x (N + 1) with the bias column last). */
  C: number[][];
}

function colMajorToRows(w: Float64Array, offset: number, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row = new Array<number>(cols);
    for (let j = 0; j < cols; j++) row[j] = w[offset + i + rows * j];
    out.push(row);
  }
  return out;
}

/** Splits a flat parameter vector into row-major B, A, C. */
export function toMatrices(shape: RnnShape, w: Float64Array): WeightMatrices {
  const L = paramLayout(shape);
  return {
    B: colMajorToRows(w, L.b, shape.n, shape.ni),
    A: colMajorToRows(w, L.a, shape.n, shape.n),
    C: colMajorToRows(w, L.c, shape.no, L.cCols),
  };
}

/** Builds a flat parameter vector from row-major B, A, C (inverse of {@link toMatrices}). */
export function fromMatrices(shape: RnnShape, m: WeightMatrices): Float64Array {
  const L = paramLayout(shape);
  const w = new Float64Array(L.size);
  const put = (rows: number[][], offset: number, r: number, c: number): void => {
    if (rows.length !== r || rows.some((row) => row.length !== c)) {
      throw new Error(`matrix has the wrong size: expected ${r} x ${c}`);
    }
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) w[offset + i + r * j] = rows[i][j];
  };
  put(m.B, L.b, shape.n, shape.ni);
  put(m.A, L.a, shape.n, shape.n);
  put(m.C, L.c, shape.no, L.cCols);
  return w;
}

/** Initialisation scales of spec section 2. */
export interface InitScales {
  /** sd of B entries. */
  b: number;
  /** sd of A entries. */
  a: number;
  /** Added to the diagonal of A. */
  aDiagonal: number;
  /** sd of C entries (bias column included). */
  c: number;
}

/** DMS initialisation: B 0.2 N(0,1), A 0.1 N(0,1) + 0.5 I, C 0.2 N(0,1). */
export const DMS_INIT: InitScales = Object.freeze({ b: 0.2, a: 0.1, aDiagonal: 0.5, c: 0.2 });
/** RL initialisation: B 0.2 N(0,1), A sqrt(2/30) N(0,1), C sqrt(2/20) N(0,1). */
export const RL_INIT: InitScales = Object.freeze({
  b: 0.2,
  a: Math.sqrt(2 / 30),
  aDiagonal: 0,
  c: Math.sqrt(2 / 20),
});

/** Draws a fresh network (B, then A, then C, each in column-major order). */
export function initWeights(shape: RnnShape, scales: InitScales, rng: Rng): Float64Array {
  const L = paramLayout(shape);
  const w = new Float64Array(L.size);
  for (let k = L.b; k < L.a; k++) w[k] = scales.b * rng.normal();
  for (let k = L.a; k < L.c; k++) w[k] = scales.a * rng.normal();
  for (let i = 0; i < shape.n; i++) w[L.a + i + shape.n * i] += scales.aDiagonal;
  for (let k = L.c; k < L.size; k++) w[k] = scales.c * rng.normal();
  return w;
}

/** Recurrent matrix A as a column-major view into `w` (no copy). */
export function recurrentView(shape: RnnShape, w: Float64Array): Float64Array {
  const L = paramLayout(shape);
  return w.subarray(L.a, L.c);
}
