/**
 * The two-layer deep Boltzmann machine of spec 2.2 as plain host data: weights, biases, masks and
 * the original indices of the surviving hidden units. Weights are float32 (the precision the
 * authors trained in, spec 0) and row-major: `w1[i * n1 + j]` joins visible i and h1 unit j,
 * `w2[j * n2 + k]` joins h1 unit j and h2 unit k. Masked weights are exactly 0.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";

/** A DBM v(nv) - h1(n1) - h2(n2). */
export interface Dbm {
  /** Visible units (never removed). */
  nv: number;
  /** Surviving h1 units. */
  n1: number;
  /** Surviving h2 units. */
  n2: number;
  /** v-h1 weights, nv x n1. */
  w1: Float32Array;
  /** h1-h2 weights, n1 x n2. */
  w2: Float32Array;
  /** Visible biases. */
  bv: Float32Array;
  /** h1 biases. */
  b1: Float32Array;
  /** h2 biases. */
  b2: Float32Array;
  /** 1 where a v-h1 weight exists (receptive fields AND pruning). */
  m1: Uint8Array;
  /** 1 where an h1-h2 weight exists. */
  m2: Uint8Array;
  /** Index in the initial model of each surviving h1 unit. */
  units1: Int32Array;
  /** Index in the initial model of each surviving h2 unit. */
  units2: Int32Array;
}

/** The paper's sizes (spec 1.3): 20 x 20 pixels, 400 h1 units on the same grid, 676 h2 units. */
export const DBM_SIZES = { side: 20, nv: 400, n1: 400, n2: 676, radius: 2 } as const;

/**
 * Receptive-field mask of W1 (spec 2.2): h1 unit (r, c) on a `side x side` grid sees every pixel
 * within `radius` rows and columns that lies inside the image; windows shrink at the borders.
 * Row-major `(side^2) x (side^2)`, pixel-major.
 */
export function receptiveFieldMask(side: number, radius: number): Uint8Array {
  const n = side * side;
  const mask = new Uint8Array(n * n);
  for (let pr = 0; pr < side; pr++) {
    for (let pc = 0; pc < side; pc++) {
      const i = pr * side + pc;
      for (let r = Math.max(0, pr - radius); r <= Math.min(side - 1, pr + radius); r++) {
        for (let c = Math.max(0, pc - radius); c <= Math.min(side - 1, pc + radius); c++) {
          mask[i * n + r * side + c] = 1;
        }
      }
    }
  }
  return mask;
}

/** Number of ones in a mask. */
export function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let k = 0; k < mask.length; k++) n += mask[k];
  return n;
}

/** Existing weights and surviving units of a model (spec 6.4 step 3.9). */
export interface DbmCounts {
  /** Existing v-h1 weights. */
  nw1: number;
  /** Existing h1-h2 weights. */
  nw2: number;
  /** Surviving h1 units. */
  n1: number;
  /** Surviving h2 units. */
  n2: number;
}

/** Counts of a model. */
export function dbmCounts(m: Dbm): DbmCounts {
  return { nw1: countOnes(m.m1), nw2: countOnes(m.m2), n1: m.n1, n2: m.n2 };
}

/**
 * Visible units left without any v-h1 weight (spec 7.2.3, Fig 3D), as pixel indices.
 */
export function disconnectedVisibles(m: Dbm): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.nv; i++) {
    let any = 0;
    for (let j = 0; j < m.n1 && !any; j++) any = m.m1[i * m.n1 + j];
    if (!any) out.push(i);
  }
  return out;
}

/** Deep copy. */
export function cloneDbm(m: Dbm): Dbm {
  return {
    ...m,
    w1: m.w1.slice(),
    w2: m.w2.slice(),
    bv: m.bv.slice(),
    b1: m.b1.slice(),
    b2: m.b2.slice(),
    m1: m.m1.slice(),
    m2: m.m2.slice(),
    units1: m.units1.slice(),
    units2: m.units2.slice(),
  };
}

/** Normal(0, sd^2) weights times a 0/1 mask (spec 3.3: "then times the mask"). */
export function maskedNormal(mask: Uint8Array, options: { sd: number; rng: Rng }): Float32Array {
  const { sd, rng } = options;
  const w = new Float32Array(mask.length);
  // Every entry draws, masked or not, so the stream does not depend on the mask.
  for (let k = 0; k < w.length; k++) {
    const x = sd * rng.normal();
    w[k] = mask[k] ? x : 0;
  }
  return w;
}

/**
 * Rebuilds a pruned model (spec 6.4 step 3.5): keeps h1 units `keepUnits1` and h2 units
 * `keepUnits2` (indices into the current model), applies the keep masks, keeps biases.
 */
export function restrictDbm(
  m: Dbm,
  keep: { keep1: Uint8Array; keep2: Uint8Array },
  units: { h1: readonly number[]; h2: readonly number[] },
): Dbm {
  const { nv } = m;
  const n1 = units.h1.length;
  const n2 = units.h2.length;
  const w1 = new Float32Array(nv * n1);
  const m1 = new Uint8Array(nv * n1);
  for (let i = 0; i < nv; i++) {
    for (let jj = 0; jj < n1; jj++) {
      const k = i * m.n1 + units.h1[jj];
      const on = keep.keep1[k] & m.m1[k];
      m1[i * n1 + jj] = on;
      w1[i * n1 + jj] = on ? m.w1[k] : 0;
    }
  }
  const w2 = new Float32Array(n1 * n2);
  const m2 = new Uint8Array(n1 * n2);
  for (let jj = 0; jj < n1; jj++) {
    for (let kk = 0; kk < n2; kk++) {
      const k = units.h1[jj] * m.n2 + units.h2[kk];
      const on = keep.keep2[k] & m.m2[k];
      m2[jj * n2 + kk] = on;
      w2[jj * n2 + kk] = on ? m.w2[k] : 0;
    }
  }
  return {
    nv,
    n1,
    n2,
    w1,
    w2,
    m1,
    m2,
    bv: m.bv.slice(),
    b1: Float32Array.from(units.h1, (j) => m.b1[j]),
    b2: Float32Array.from(units.h2, (k) => m.b2[k]),
    units1: Int32Array.from(units.h1, (j) => m.units1[j]),
    units2: Int32Array.from(units.h2, (k) => m.units2[k]),
  };
}

/** A model in JSON-friendly form (typed arrays as base64), for checkpoints and resume. */
export interface DbmJson {
  /** Sizes. */
  nv: number;
  /** h1 units. */
  n1: number;
  /** h2 units. */
  n2: number;
  /** Base64 of each array's bytes. */
  arrays: Record<
    "w1" | "w2" | "bv" | "b1" | "b2" | "m1" | "m2" | "units1" | "units2",
    string
  >;
}

/** Base64 of an array's bytes (checkpoints; the standard library's encoder lives on JSR). */
export function bytesToBase64(a: ArrayBufferView): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let k = 0; k < bytes.length; k += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  }
  return btoa(s);
}

/** The bytes of a base64 string. */
export function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

/** Serialises a model (exact: float32 bytes are kept). */
export function dbmToJson(m: Dbm): DbmJson {
  return {
    nv: m.nv,
    n1: m.n1,
    n2: m.n2,
    arrays: {
      w1: bytesToBase64(m.w1),
      w2: bytesToBase64(m.w2),
      bv: bytesToBase64(m.bv),
      b1: bytesToBase64(m.b1),
      b2: bytesToBase64(m.b2),
      m1: bytesToBase64(m.m1),
      m2: bytesToBase64(m.m2),
      units1: bytesToBase64(m.units1),
      units2: bytesToBase64(m.units2),
    },
  };
}

/** Restores a model written by {@link dbmToJson}; throws when sizes do not match. */
export function dbmFromJson(j: DbmJson): Dbm {
  const f32 = (s: string, n: number, what: string): Float32Array => {
    const b = base64ToBytes(s);
    if (b.length !== 4 * n) {
      throw new Error(`checkpoint: ${what} has ${b.length / 4} values, not ${n}`);
    }
    return new Float32Array(b.buffer);
  };
  const i32 = (s: string, n: number, what: string): Int32Array => {
    const b = base64ToBytes(s);
    if (b.length !== 4 * n) {
      throw new Error(`checkpoint: ${what} has ${b.length / 4} values, not ${n}`);
    }
    return new Int32Array(b.buffer);
  };
  const u8 = (s: string, n: number, what: string): Uint8Array => {
    const b = base64ToBytes(s);
    if (b.length !== n) throw new Error(`checkpoint: ${what} has ${b.length} values, not ${n}`);
    return b;
  };
  const { nv, n1, n2, arrays: a } = j;
  return {
    nv,
    n1,
    n2,
    w1: f32(a.w1, nv * n1, "w1"),
    w2: f32(a.w2, n1 * n2, "w2"),
    bv: f32(a.bv, nv, "bv"),
    b1: f32(a.b1, n1, "b1"),
    b2: f32(a.b2, n2, "b2"),
    m1: u8(a.m1, nv * n1, "m1"),
    m2: u8(a.m2, n1 * n2, "m2"),
    units1: i32(a.units1, n1, "units1"),
    units2: i32(a.units2, n2, "units2"),
  };
}

/**
 * A model as named typed arrays for a results store: `sizes` = [nv, n1, n2], the weights of
 * existing entries only (row-major order of the mask), bit-packed masks, biases and unit indices.
 * A pruned layer therefore costs what is left of it; {@link dbmFromArrays} is the exact inverse.
 */
export interface DbmArrays {
  /** [nv, n1, n2]. */
  sizes: Int32Array;
  /** W1 at the mask's ones. */
  w1: Float32Array;
  /** W2 at the mask's ones. */
  w2: Float32Array;
  /** Visible biases. */
  bv: Float32Array;
  /** h1 biases. */
  b1: Float32Array;
  /** h2 biases. */
  b2: Float32Array;
  /** M1, 8 entries per byte (least significant bit first). */
  m1: Uint8Array;
  /** M2, packed like m1. */
  m2: Uint8Array;
  /** Original indices of the h1 units. */
  units1: Int32Array;
  /** Original indices of the h2 units. */
  units2: Int32Array;
}

/** 0/1 bytes packed 8 per byte, least significant bit first. */
export function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let k = 0; k < bits.length; k++) if (bits[k]) out[k >> 3] |= 1 << (k & 7);
  return out;
}

/** The first `n` bits of {@link packBits}' output as 0/1 bytes. */
export function unpackBits(packed: Uint8Array, n: number): Uint8Array {
  if (packed.length !== Math.ceil(n / 8)) {
    throw new Error(`packed bits: ${packed.length} bytes cannot hold exactly ${n} bits`);
  }
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = (packed[k >> 3] >> (k & 7)) & 1;
  return out;
}

function atMask(w: Float32Array, mask: Uint8Array): Float32Array {
  const out = new Float32Array(countOnes(mask));
  let q = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) out[q++] = w[k];
  return out;
}

function fromMask(values: Float32Array, mask: Uint8Array, what: string): Float32Array {
  if (values.length !== countOnes(mask)) {
    throw new Error(`stored model: ${what} has ${values.length} values for ${countOnes(mask)}`);
  }
  const out = new Float32Array(mask.length);
  let q = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) out[k] = values[q++];
  return out;
}

/** The arrays of a model (see {@link DbmArrays}). */
export function dbmToArrays(m: Dbm): DbmArrays {
  return {
    sizes: Int32Array.from([m.nv, m.n1, m.n2]),
    w1: atMask(m.w1, m.m1),
    w2: atMask(m.w2, m.m2),
    bv: m.bv.slice(),
    b1: m.b1.slice(),
    b2: m.b2.slice(),
    m1: packBits(m.m1),
    m2: packBits(m.m2),
    units1: m.units1.slice(),
    units2: m.units2.slice(),
  };
}

/** The model of {@link dbmToArrays}; throws when the arrays do not fit together. */
export function dbmFromArrays(a: DbmArrays): Dbm {
  const [nv, n1, n2] = a.sizes;
  const m1 = unpackBits(a.m1, nv * n1);
  const m2 = unpackBits(a.m2, n1 * n2);
  const len = (x: ArrayLike<number>, n: number, what: string): void => {
    if (x.length !== n) throw new Error(`stored model: ${what} has ${x.length} values, not ${n}`);
  };
  len(a.bv, nv, "bv");
  len(a.b1, n1, "b1");
  len(a.b2, n2, "b2");
  len(a.units1, n1, "units1");
  len(a.units2, n2, "units2");
  return {
    nv,
    n1,
    n2,
    w1: fromMask(a.w1, m1, "w1"),
    w2: fromMask(a.w2, m2, "w2"),
    bv: a.bv.slice(),
    b1: a.b1.slice(),
    b2: a.b2.slice(),
    m1,
    m2,
    units1: a.units1.slice(),
    units2: a.units2.slice(),
  };
}
