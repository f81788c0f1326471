/**
 * Byte strings: names, link targets and xattr names as the layer wrote them.
 *
 * A tar name is bytes, not text: `caf\xe9.txt` (Latin-1) and
 * `r\xe9sum\xe9`/`r\xe8sum\xe8` are distinct names that UTF-8 decoding would
 * turn into the same `\uFFFD` string. A byte string keeps them apart: each
 * UTF-16 code unit (0..255) of the JS string is one byte of the name. ASCII
 * names are the same in both forms; V8 stores such strings one byte per
 * character, so they also cost half the memory of general strings.
 *
 * Convert at the edges only: {@link byteStringToText} for a path on disk
 * (fails on bytes that are not UTF-8, which Deno cannot name),
 * {@link displayName} for messages.
 * @module
 */

/** A string whose code units are bytes (0..255). */
export type ByteString = string;

const CHUNK = 0x8000;

/** The byte string of `bytes` (every byte one code unit). */
export function bytesToByteString(bytes: Uint8Array): ByteString {
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return out;
}

/** The bytes of byte string `s`. Throws `RangeError` on a code unit above 255. */
export function byteStringToBytes(s: ByteString): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new RangeError(`not a byte string: code unit ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

/** The byte string of text `s` encoded as UTF-8 (for names sregistry itself creates). */
export function textToByteString(s: string): ByteString {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : bytesToByteString(encoder.encode(s));
}

/** `s` decoded as UTF-8, or undefined when its bytes are not UTF-8. */
export function byteStringToText(s: ByteString): string | undefined {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  try {
    return strict.decode(byteStringToBytes(s));
  } catch {
    return undefined;
  }
}

/**
 * `s` for a message: UTF-8 text where it is UTF-8; otherwise each byte that
 * is not part of valid UTF-8 shown as `\xNN`, so two distinct names never
 * print the same.
 */
export function displayName(s: ByteString): string {
  const text = byteStringToText(s);
  if (text !== undefined) return text;
  const bytes = byteStringToBytes(s);
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const n = utf8Length(bytes, i);
    if (n > 0) {
      out += lenient.decode(bytes.subarray(i, i + n));
      i += n;
    } else {
      out += `\\x${bytes[i].toString(16).padStart(2, "0")}`;
      i++;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence at `i`, or 0. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return c === 0x5c ? 0 : 1; // a literal backslash is escaped too
  const n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n === 0 || i + n > b.length) return 0;
  try {
    strict.decode(b.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}
