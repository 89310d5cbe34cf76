/** concatTyped (core/util/typed_arrays.ts): order, lengths, empty parts, the element type kept. */
import assert from "node:assert/strict";
import { concatTyped } from "../core/util/typed_arrays.ts";

Deno.test("concatTyped joins parts in order into a fresh array of their type", () => {
  const a = Uint16Array.from([1, 65535]);
  const b = new Uint16Array(0);
  const c = Uint16Array.from([7, 8, 9]);
  const out = concatTyped([a, b, c], (n) => new Uint16Array(n));
  assert.ok(out instanceof Uint16Array);
  assert.deepEqual(Array.from(out), [1, 65535, 7, 8, 9]);
  out[0] = 2;
  assert.equal(a[0], 1, "a copy, not a view of a part");
  // Bytes: a part that is a view into a larger buffer contributes only its own bytes.
  const big = Uint8Array.from([0, 1, 2, 3, 4, 5]);
  const bytes = concatTyped([big.subarray(2, 4), Uint8Array.from([9])], (n) => new Uint8Array(n));
  assert.deepEqual(Array.from(bytes), [2, 3, 9]);
  assert.equal(bytes.byteLength, 3);
  assert.equal(concatTyped([], (n) => new Float64Array(n)).length, 0);
});
