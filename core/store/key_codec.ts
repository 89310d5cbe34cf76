/**
 * Unit keys as order-preserving bytes, for backends that sort keys themselves (PostgreSQL sorts
 * `bytea` bytewise). The encoding is the tuple encoding Deno KV uses (FoundationDB's): a string is
 * 0x02, its UTF-8 bytes with 0x00 escaped as 0x00 0xFF, and a 0x00 terminator; a number is 0x21 and
 * its big-endian IEEE-754 bits with the sign bit flipped (all bits for negatives). So units list in
 * the same order on both backends: strings before numbers, numbers numerically, and a key before
 * every key it prefixes.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { KeyPart } from "./types.ts";

const STRING = 0x02;
const NUMBER = 0x21;

/** Encodes a unit key. */
export function encodeKey(key: KeyPart[]): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (const part of key) {
    if (typeof part === "string") {
      out.push(STRING);
      for (const b of enc.encode(part)) {
        out.push(b);
        if (b === 0) out.push(0xff);
      }
      out.push(0);
    } else if (typeof part === "number") {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, part, false);
      if (bytes[0] & 0x80) { for (let i = 0; i < 8; i++) bytes[i] ^= 0xff; }
      else bytes[0] ^= 0x80;
      out.push(NUMBER, ...bytes);
    } else {
      throw new StoreError("backend", `a unit key part must be a string or a number`);
    }
  }
  return Uint8Array.from(out);
}

/** Decodes a unit key written by {@link encodeKey}. */
export function decodeKey(stored: Uint8Array): KeyPart[] {
  // A copy: drivers hand out Node Buffers whose `slice` is a view into a shared pool.
  const bytes = Uint8Array.from(stored);
  const key: KeyPart[] = [];
  const dec = new TextDecoder();
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i++];
    if (tag === STRING) {
      const buf: number[] = [];
      while (i < bytes.length) {
        const b = bytes[i++];
        if (b !== 0) buf.push(b);
        else if (bytes[i] === 0xff) {
          buf.push(0);
          i++;
        } else break;
      }
      key.push(dec.decode(Uint8Array.from(buf)));
    } else if (tag === NUMBER) {
      const b = bytes.slice(i, i + 8);
      i += 8;
      if (b[0] & 0x80) b[0] ^= 0x80;
      else for (let k = 0; k < 8; k++) b[k] ^= 0xff;
      key.push(new DataView(b.buffer).getFloat64(0, false));
    } else {
      throw new StoreError("damaged", `a stored unit key has an unknown tag ${tag}`);
    }
  }
  return key;
}

/**
 * The smallest byte string greater than every key that starts with `prefix`: a complete part is
 * always followed by a tag byte (0x02 or 0x21) or nothing, so appending 0xFF bounds them all.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = new Uint8Array(prefix.length + 1);
  end.set(prefix);
  end[prefix.length] = 0xff;
  return end;
}
