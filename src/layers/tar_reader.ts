/**
 * A synchronous, push-style tar parser: bytes go in with `write`, headers and
 * body slices come out through a visitor, with no copy of file content and no
 * promise per entry. It reads what container layers hold: ustar, PAX (`x`
 * records; `g` global headers are skipped, as Go's archive/tar and so umoci
 * do), GNU long names (`L`, `K`), base-256 numbers, V7 headers, and the
 * end-of-archive marker. Every header's checksum is checked (unsigned or
 * signed sum).
 *
 * Written for speed: tar-stream's per-entry streams cost more than inflating
 * the layer (measured in the benchmark). Rules follow Go's archive/tar, the
 * reader of Docker, containerd and umoci: link, symlink, device, fifo and
 * directory entries have no body whatever their size field says, and
 * anything after the end marker is ignored.
 * @module
 */

/** Entry types as the extractor names them; PAX and GNU meta entries never reach the visitor. */
export type TarType =
  | "file"
  | "link"
  | "symlink"
  | "char"
  | "block"
  | "directory"
  | "fifo"
  | "other";

/** One entry's header, PAX and GNU long names applied. */
export interface TarHeader {
  name: string;
  linkname: string;
  type: TarType;
  /** The typeflag character, for messages about `other` entries. */
  typeflag: string;
  /** Bytes of body that follow (0 for header-only types). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, from the header field. */
  mtime: number;
  devmajor: number;
  devminor: number;
  /** The entry's PAX records (key to value), empty when it has none. */
  pax: Record<string, string>;
}

/** Receives the archive's entries in order. */
export interface TarVisitor {
  /** An entry starts; its `size` bytes of body follow through `body`, then `end`. */
  header(h: TarHeader): void;
  /** A slice of the current entry's body: a view of the written chunk, not a copy. */
  body(chunk: Uint8Array): void;
  /** The current entry's body is complete. */
  end(): void;
}

/** A header that is not valid tar (bad checksum, number or PAX record). */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

/** The archive ends inside an entry: in its body (`inBody`), or in a header. */
export class TarTruncatedError extends Error {
  constructor(readonly inBody: boolean) {
    super(inBody ? "the archive ends inside an entry" : "the archive ends inside a header");
    this.name = "TarTruncatedError";
  }
}

const BLOCK = 512;
/** Ceiling of a PAX or GNU long-name record body kept in memory. */
const MAX_META = 1 << 20;
const HEADER_ONLY = new Set<TarType>(["link", "symlink", "char", "block", "directory", "fifo"]);
const TYPES: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
};
const utf8 = new TextDecoder();

const enum State {
  Header,
  Body,
  Padding,
  Meta,
  AfterZero,
  Done,
}

/** What the next entry inherits from PAX and GNU meta entries before it. */
interface Pending {
  pax?: Record<string, string>;
  longName?: string;
  longLink?: string;
}

/** Parses one tar archive; feed it with {@link TarReader.write}, then call {@link TarReader.close}. */
export class TarReader {
  #visitor: TarVisitor;
  #state = State.Header;
  /** A header block split across writes. */
  #partial = new Uint8Array(BLOCK);
  #partialLength = 0;
  #left = 0;
  #pad = 0;
  #meta?: { type: string; bytes: Uint8Array; used: number };
  #pending: Pending = {};
  #offset = 0;

  constructor(visitor: TarVisitor) {
    this.#visitor = visitor;
  }

  /** True once the end-of-archive marker was read (later bytes are ignored). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Parses `chunk`; throws {@link TarFormatError} on a bad header. */
  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && this.#state !== State.Done) {
      const n = chunk.length - at;
      switch (this.#state) {
        case State.Header:
        case State.AfterZero: {
          if (this.#partialLength === 0 && n >= BLOCK) {
            this.#block(chunk.subarray(at, at + BLOCK));
            at += BLOCK;
            break;
          }
          const take = Math.min(BLOCK - this.#partialLength, n);
          this.#partial.set(chunk.subarray(at, at + take), this.#partialLength);
          this.#partialLength += take;
          at += take;
          if (this.#partialLength === BLOCK) {
            this.#partialLength = 0;
            this.#block(this.#partial);
          }
          break;
        }
        case State.Body: {
          const take = Math.min(this.#left, n);
          this.#left -= take;
          this.#visitor.body(chunk.subarray(at, at + take));
          at += take;
          if (this.#left === 0) this.#endBody();
          break;
        }
        case State.Meta: {
          const meta = this.#meta!;
          const take = Math.min(this.#left, n);
          meta.bytes.set(chunk.subarray(at, at + take), meta.used);
          meta.used += take;
          this.#left -= take;
          at += take;
          if (this.#left === 0) this.#endMeta();
          break;
        }
        case State.Padding: {
          const take = Math.min(this.#pad, n);
          this.#pad -= take;
          at += take;
          if (this.#pad === 0) this.#state = State.Header;
          break;
        }
      }
    }
    this.#offset += chunk.length;
  }

  /** The input ended: throws {@link TarTruncatedError} when it ended inside an entry. */
  close(): void {
    const between = this.#state === State.Header && this.#partialLength === 0 &&
      this.#meta === undefined && Object.keys(this.#pending).length === 0;
    if (between || this.#state === State.Done) return;
    if (this.#state === State.AfterZero && this.#partialLength === 0) {
      this.#state = State.Done; // one zero block, then the end: accepted
      return;
    }
    throw new TarTruncatedError(this.#state === State.Body || this.#state === State.Padding);
  }

  #block(block: Uint8Array): void {
    if (isZero(block)) {
      // Go's archive/tar: two zero blocks end the archive; one alone is an error.
      this.#state = this.#state === State.AfterZero ? State.Done : State.AfterZero;
      return;
    }
    if (this.#state === State.AfterZero) {
      throw new TarFormatError("a header follows a lone zero block (damaged end of archive)");
    }
    checkSum(block);
    const typeflag = String.fromCharCode(block[156]);
    const size = number(block, 124, 12, "size");
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      if (size > MAX_META) {
        throw new TarFormatError(`a ${typeflag} record of ${size} bytes is over ${MAX_META}`);
      }
      this.#meta = { type: typeflag, bytes: new Uint8Array(size), used: 0 };
      this.#left = size;
      this.#state = State.Meta;
      if (size === 0) this.#endMeta();
      return;
    }
    const h = this.#header(block, typeflag, size);
    this.#visitor.header(h);
    this.#left = h.size;
    this.#pad = (BLOCK - (h.size % BLOCK)) % BLOCK;
    this.#state = State.Body;
    if (h.size === 0) this.#endBody();
  }

  #header(block: Uint8Array, typeflag: string, size: number): TarHeader {
    const pending = this.#pending;
    this.#pending = {};
    const pax = pending.pax ?? {};
    let name = pending.longName ?? text(block, 0, 100);
    if (pending.longName === undefined && isUstar(block)) {
      const prefix = text(block, 345, isStar(block) ? 131 : 155);
      if (prefix !== "") name = `${prefix}/${name}`;
    }
    let type = TYPES[typeflag] ?? "other";
    if (typeflag === "\0" && name.endsWith("/")) type = "directory";
    if (pax.path !== undefined) name = pax.path;
    const linkname = pax.linkpath ?? pending.longLink ?? text(block, 157, 100);
    if (pax.size !== undefined) {
      if (!/^\d{1,16}$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) {
        throw new TarFormatError(
          `invalid header: the PAX size ${JSON.stringify(pax.size)} is not a number`,
        );
      }
      size = Number(pax.size);
    }
    return {
      name,
      linkname,
      type,
      typeflag,
      size: HEADER_ONLY.has(type) ? 0 : size,
      mode: number(block, 100, 8, "mode"),
      uid: number(block, 108, 8, "uid"),
      gid: number(block, 116, 8, "gid"),
      mtime: number(block, 136, 12, "mtime"),
      devmajor: type === "char" || type === "block" ? number(block, 329, 8, "devmajor") : 0,
      devminor: type === "char" || type === "block" ? number(block, 337, 8, "devminor") : 0,
      pax,
    };
  }

  #endBody(): void {
    this.#visitor.end();
    this.#state = this.#pad > 0 ? State.Padding : State.Header;
  }

  #endMeta(): void {
    const { type, bytes } = this.#meta!;
    this.#meta = undefined;
    const pad = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    this.#pad = pad;
    this.#state = pad > 0 ? State.Padding : State.Header;
    if (type === "x") this.#pending.pax = { ...this.#pending.pax, ...parsePax(bytes) };
    else if (type === "L") this.#pending.longName = text(bytes, 0, bytes.length);
    else if (type === "K") this.#pending.longLink = text(bytes, 0, bytes.length);
    else parsePax(bytes); // "g": checked, then ignored as Go does
  }
}

function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function isUstar(block: Uint8Array): boolean {
  // "ustar\0" (POSIX; GNU's is "ustar " and has no prefix field)
  return block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 &&
    block[260] === 0x61 && block[261] === 0x72 && block[262] === 0;
}

function isStar(block: Uint8Array): boolean {
  return block[508] === 0x74 && block[509] === 0x61 && block[510] === 0x72 && block[511] === 0;
}

function checkSum(block: Uint8Array): void {
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
function text(block: Uint8Array, offset: number, length: number): string {
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
function number(block: Uint8Array, offset: number, length: number, field: string): number {
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
