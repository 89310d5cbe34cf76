/**
 * Typed-array helpers shared by every layer (the store's blob chunks, the image tiles of the data
 * sets).
 *
 * @module
 */

/** The numeric typed arrays {@link concatTyped} joins. */
export type NumericArray =
  | Uint8Array
  | Uint16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * Joins `parts` in order into one new array made by `create` (the parts' element type, of the
 * summed length).
 */
export function concatTyped<T extends NumericArray>(
  parts: readonly T[],
  create: (length: number) => T,
): T {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = create(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
