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
import {
  BLOCK,
  checkSum,
  isStar,
  isUstar,
  isZero,
  number,
  parsePax,
  TarFormatError,
  text,
} from "./_tar_fields.ts";

export { parsePax, TarFormatError };

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

/** The archive ends inside an entry: in its body (`inBody`), or in a header. */
export class TarTruncatedError extends Error {
  constructor(readonly inBody: boolean) {
    super(inBody ? "the archive ends inside an entry" : "the archive ends inside a header");
    this.name = "TarTruncatedError";
  }
}

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
