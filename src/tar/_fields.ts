/**
 * The fields of a tar header block: octal and base-256 numbers, NUL-ended
 * names, the checksum, the format magic, and PAX records. Pure functions for
 * `reader.ts`. Names and PAX values are byte strings
 * (`../byte_string.ts`): tar stores bytes, and two names that differ only in
 * bytes that are not UTF-8 must stay two names.
 * @module
 */
import { bytesToByteString, type ByteString, displayName } from "../byte_string.ts";

/** The tar block size. */
export const BLOCK = 512;

/** A header that is not valid tar (bad checksum, number or PAX record). */
export class TarFormatError extends Error {
  /**
   * Where in the uncompressed archive the fault is, in bytes from its start:
   * the start of the bad header block (or of the bytes being read); set by
   * the reader.
   */
  offset?: number;
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

/** The archive ends inside an entry: in its body (`inBody`), or in a header. */
export class TarTruncatedError extends Error {
  /** Bytes of the archive read before it ended; set by the reader. */
  offset?: number;
  constructor(readonly inBody: boolean) {
    super(inBody ? "the archive ends inside an entry" : "the archive ends inside a header");
    this.name = "TarTruncatedError";
  }
}

/** The holes of sparse files add up to more than the reader's ceiling (a bomb, or a huge sparse file). */
export class TarHolesError extends TarFormatError {
  constructor(readonly limit: number) {
    super(`the holes of sparse files add up to more than ${limit} bytes`);
    this.name = "TarHolesError";
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

/** True for the GNU magic `"ustar  \0"` (old GNU and `--format=gnu`: atime, ctime, sparse map). */
export function isGnu(block: Uint8Array): boolean {
  return block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 &&
    block[260] === 0x61 && block[261] === 0x72 && block[262] === 0x20 && block[263] === 0x20 &&
    block[264] === 0;
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

/** The NUL-terminated bytes of a field, as a byte string (names are bytes, not text). */
export function field(block: Uint8Array, offset: number, length: number): ByteString {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end++;
  if (end === offset) return "";
  if (end - offset < 64) return String.fromCharCode(...block.subarray(offset, end));
  return bytesToByteString(block.subarray(offset, end));
}

/**
 * An octal field (spaces and NULs around the digits), or base-256 when the top
 * bit is set; a negative base-256 value (leading 0xff, two's complement: GNU
 * tar's form of a time before 1970) only when `signed`.
 */
export function number(
  block: Uint8Array,
  offset: number,
  length: number,
  field: string,
  signed = false,
): number {
  if (block[offset] & 0x80) {
    if (block[offset] === 0xff) {
      if (!signed) throw new TarFormatError(`invalid header: negative ${field}`);
      let complement = 0;
      for (let i = offset; i < offset + length; i++) complement = complement * 256 + 255 - block[i];
      if (!Number.isSafeInteger(complement)) {
        throw new TarFormatError(`invalid header: ${field} too large`);
      }
      return -complement - 1;
    }
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

const SPARSE_OFFSET = "GNU.sparse.offset";
const SPARSE_NUMBYTES = "GNU.sparse.numbytes";

/**
 * Parses PAX records `"<length> <key>=<value>\n"` (POSIX.1-2008 pax, "pax
 * Extended Header"); throws {@link TarFormatError} on a malformed one. Keys and
 * values are byte strings: `path` and `linkpath` are UTF-8 by POSIX but kept
 * as the bytes written (and as raw bytes under `hdrcharset=BINARY`), and
 * `SCHILY.xattr.*` values are the attribute's bytes (`byteStringToBytes`
 * gives them back). Repeated `GNU.sparse.offset`/`GNU.sparse.numbytes`
 * records (GNU sparse format 0.0) are joined, in order, into one
 * `GNU.sparse.map` value `"offset,numbytes,..."`, as Go's archive/tar does.
 */
export function parsePax(bytes: Uint8Array): Record<ByteString, ByteString> {
  const records: Record<ByteString, ByteString> = {};
  const sparse: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0) break; // padding some writers leave
    let space = at;
    let length = 0;
    while (
      space < bytes.length && space - at < 16 && bytes[space] >= 0x30 && bytes[space] <= 0x39
    ) {
      length = length * 10 + bytes[space++] - 0x30;
    }
    if (space === at || bytes[space] !== 0x20 || length < 5 || at + length > bytes.length) {
      throw new TarFormatError("invalid header: a PAX record has a bad length");
    }
    if (bytes[at + length - 1] !== 0x0a) {
      throw new TarFormatError("invalid header: a PAX record does not end with a newline");
    }
    const record = bytesToByteString(bytes.subarray(space + 1, at + length - 1));
    const equals = record.indexOf("=");
    if (equals <= 0) throw new TarFormatError("invalid header: a PAX record has no key");
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === SPARSE_OFFSET || key === SPARSE_NUMBYTES) {
      // 0.0: offset, numbytes, offset, numbytes... in that order
      if ((sparse.length % 2 === 0) !== (key === SPARSE_OFFSET) || value.includes(",")) {
        throw new TarFormatError(
          "invalid header: the GNU sparse offsets and sizes are out of order",
        );
      }
      sparse.push(value);
    } else records[key] = value;
    at += length;
  }
  if (sparse.length > 0) records["GNU.sparse.map"] = sparse.join(",");
  return records;
}

/** Runs `fn`; a {@link TarFormatError} it throws names entry `name`. */
export function namedFault<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TarFormatError)) throw e;
    const entry = `entry ${JSON.stringify(displayName(name))}: `;
    throw new TarFormatError(e.message.replace(/^(invalid header: )?/, `$1${entry}`));
  }
}
