/**
 * Binary data as the DBM code consumes it: rows of 0/1 bytes, and the small helpers that move
 * them in mini-batches. The same type carries digits (400 pixels) and the hidden codes Q and G of
 * greedy pre-training.
 *
 * @module
 */

/** `n` binary rows of `width` bits, row-major, one byte per bit. */
export interface BinaryRows {
  /** Number of rows. */
  readonly n: number;
  /** Bits per row. */
  readonly width: number;
  /** n x width values in {0, 1}. */
  readonly bits: Uint8Array;
}

/** Wraps and checks a row-major 0/1 array. */
export function binaryRows(bits: Uint8Array, width: number): BinaryRows {
  if (width < 1 || bits.length % width !== 0) {
    throw new Error(`binary rows: ${bits.length} values are not rows of ${width}`);
  }
  return { n: bits.length / width, width, bits };
}

/** Rows [start, start + count) (a view, no copy). */
export function rowSlice(rows: BinaryRows, range: { start: number; count: number }): Uint8Array {
  return rows.bits.subarray(range.start * rows.width, (range.start + range.count) * rows.width);
}

/** The first `count` rows, cycling from the top if there are fewer. */
export function firstRows(rows: BinaryRows, count: number): Uint8Array {
  const out = new Uint8Array(count * rows.width);
  for (let r = 0; r < count; r++) {
    out.set(rowSlice(rows, { start: r % rows.n, count: 1 }), r * rows.width);
  }
  return out;
}

/** Mini-batches of a fixed-order pass: [start, size] pairs, the last one possibly shorter. */
export function batches(n: number, size: number): Array<[number, number]> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be >= 1, got ${size}`);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** `n` values from 10^a to 10^b, equal in log (NumPy's logspace). */
export function logspace(a: number, b: number, options: { count: number }): number[] {
  const n = options.count;
  if (n === 1) return [10 ** a];
  return Array.from({ length: n }, (_, k) => 10 ** (a + ((b - a) * k) / (n - 1)));
}
