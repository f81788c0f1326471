/**
 * The fields of a tar header block: octal and base-256 numbers, NUL-ended
 * text, the checksum, the format magic, and PAX records. Pure functions for
 * `tar_reader.ts`.
 * @module
 */

/** The tar block size. */
export const BLOCK = 512;

const utf8 = new TextDecoder();

/** A header that is not valid tar (bad checksum, number or PAX record). */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

/** True for an all-zero block (the end-of-archive marker is two). */
export function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** True for the POSIX magic, whose header has the name prefix field. */
export function isUstar(block: Uint8Array): boolean {
  // "ustar\0" (POSIX; GNU's is "ustar " and has no prefix field)
  return block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 &&
    block[260] === 0x61 && block[261] === 0x72 && block[262] === 0;
}

/** True for a star header (its prefix field is 131 bytes). */
export function isStar(block: Uint8Array): boolean {
  return block[508] === 0x74 && block[509] === 0x61 && block[510] === 0x72 && block[511] === 0;
}

/** Checks the header checksum (unsigned or signed sum); throws {@link TarFormatError}. */
export function checkSum(block: Uint8Array): void {
  const stored = number(block, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarFormatError("invalid header checksum");
  }
}

/** The NUL-terminated UTF-8 text of a field. */
export function text(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end++;
  if (end === offset) return "";
  let ascii = true;
  for (let i = offset; i < end; i++) {
    if (block[i] > 127) {
      ascii = false;
      break;
    }
  }
  if (ascii && end - offset < 64) return String.fromCharCode(...block.subarray(offset, end));
  return utf8.decode(block.subarray(offset, end));
}

/** An octal field (spaces and NULs around the digits), or base-256 when the top bit is set. */
export function number(block: Uint8Array, offset: number, length: number, field: string): number {
  if (block[offset] & 0x80) {
    if (block[offset] === 0xff) throw new TarFormatError(`invalid header: negative ${field}`);
    let value = block[offset] & 0x7f;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i];
    if (!Number.isSafeInteger(value)) {
      throw new TarFormatError(`invalid header: ${field} too large`);
    }
    return value;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) {
      throw new TarFormatError(`invalid header: the ${field} field is not an octal number`);
    }
    value = value * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    if (block[i] !== 0 && block[i] !== 0x20) {
      throw new TarFormatError(`invalid header: the ${field} field is not an octal number`);
    }
  }
  return value;
}

/** Parses PAX records `"<length> <key>=<value>\n"`; throws on a malformed one. */
export function parsePax(bytes: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0) break; // padding some writers leave
    let space = at;
    while (space < bytes.length && bytes[space] >= 0x30 && bytes[space] <= 0x39) space++;
    const length = Number(utf8.decode(bytes.subarray(at, space)));
    if (space === at || bytes[space] !== 0x20 || length < 5 || at + length > bytes.length) {
      throw new TarFormatError("invalid header: a PAX record has a bad length");
    }
    if (bytes[at + length - 1] !== 0x0a) {
      throw new TarFormatError("invalid header: a PAX record does not end with a newline");
    }
    const record = utf8.decode(bytes.subarray(space + 1, at + length - 1));
    const equals = record.indexOf("=");
    if (equals <= 0) throw new TarFormatError("invalid header: a PAX record has no key");
    records[record.slice(0, equals)] = record.slice(equals + 1);
    at += length;
  }
  return records;
}
