/**
 * A synchronous, push-style tar parser: bytes go in with `write`, headers and
 * body slices come out through a visitor, with no copy of file content and no
 * promise per entry. It reads what container layers hold: ustar, PAX (`x`
 * records; `g` global headers are skipped, as Go's archive/tar and so umoci
 * do), GNU long names (`L`, `K`), GNU sparse files in every form GNU tar
 * writes (old GNU `S`, PAX 0.0, 0.1 and 1.0; see `_sparse.ts`: the
 * visitor sees the real name, the real size and the holes as zeros, or as
 * lengths when it has `hole`),
 * base-256 numbers, V7 headers, and the end-of-archive marker. Every header's
 * checksum is checked (unsigned or signed sum).
 *
 * Names, link targets and PAX values are byte strings (`../byte_string.ts`):
 * the bytes of the archive, whether or not they are UTF-8.
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
  field,
  isZero,
  namedFault,
  number,
  parsePax,
  TarFormatError,
  TarHolesError,
  TarTruncatedError,
} from "./_fields.ts";
import {
  entryHeader,
  HEADER_ONLY,
  type Pending,
  type TarHeader,
  type TarVisitor,
} from "./_entry.ts";
import {
  checkMap,
  emitZeros,
  MAX_HOLES,
  oldGnuSparse,
  paxSparse,
  PendingSparse,
  SparseBody,
  type SparseMap,
  type TarReaderOptions,
} from "./_sparse.ts";

export { parsePax, TarFormatError, TarHolesError, TarTruncatedError };
export type { TarHeader, TarType, TarVisitor } from "./_entry.ts";
export type { TarReaderOptions } from "./_sparse.ts";

/** Ceiling of a PAX or GNU long-name record body kept in memory. */
const MAX_META = 1 << 20;

const enum State {
  Header,
  Body,
  Padding,
  Meta,
  AfterZero,
  /** Old GNU sparse extension blocks (header blocks, not body). */
  SparseExtension,
  /** The 1.0 sparse map at the start of the body, read a block at a time. */
  SparseMap,
  Done,
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
  #sparse?: SparseBody;
  #sparseMap?: PendingSparse;
  #holes: number;
  #maxHoles: number;
  #paused = false;
  /** Bytes of the archive given to `write`. */
  #offset = 0;
  /** Where the block or bytes being parsed start in the archive. */
  #faultAt = 0;
  #body = (chunk: Uint8Array) => this.#visitor.body(chunk);
  #hole = (n: number) => {
    this.#holes -= n;
    if (this.#holes < 0) throw new TarHolesError(this.#maxHoles);
    if (n === 0) return;
    if (this.#visitor.hole) this.#visitor.hole(n);
    else emitZeros(n, this.#body);
  };

  constructor(visitor: TarVisitor, options: TarReaderOptions = {}) {
    this.#visitor = visitor;
    this.#maxHoles = this.#holes = options.maxHoleBytes ?? MAX_HOLES;
  }

  /** True once the end-of-archive marker was read (later bytes are ignored). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Parses `chunk`, or its start up to the end of an entry when the visitor
   * called {@link TarReader.pause}; returns the bytes parsed (give the rest to
   * the next `write`). Throws {@link TarFormatError} on a bad header, its
   * `offset` set to where the bad block (or bytes) starts in the archive.
   */
  write(chunk: Uint8Array): number {
    const base = this.#offset;
    let at = chunk.length;
    try {
      at = this.#write(chunk, base);
    } catch (e) {
      if (e instanceof TarFormatError) e.offset ??= this.#faultAt;
      throw e;
    } finally {
      this.#offset = base + at;
      this.#paused = false;
    }
    return at;
  }

  /** From the visitor's `end`: the running `write` returns after this entry (entry by entry). */
  pause(): void {
    this.#paused = true;
  }

  #write(chunk: Uint8Array, base: number): number {
    let at = 0;
    while (at < chunk.length && this.#state !== State.Done && !this.#paused) {
      const n = chunk.length - at;
      this.#faultAt = base + at - this.#partialLength;
      switch (this.#state) {
        case State.Header:
        case State.AfterZero:
        case State.SparseExtension:
        case State.SparseMap: {
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
          if (this.#sparse) this.#sparse.data(chunk.subarray(at, at + take));
          else this.#visitor.body(chunk.subarray(at, at + take));
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
    return at;
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
    const inBody = this.#state === State.Body || this.#state === State.Padding ||
      this.#state === State.SparseMap;
    const e = new TarTruncatedError(inBody);
    e.offset = this.#offset;
    throw e;
  }

  #block(block: Uint8Array): void {
    if (this.#state === State.SparseExtension || this.#state === State.SparseMap) {
      return this.#sparseBlock(block);
    }
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
    const h = entryHeader(block, typeflag, size, this.#pending);
    this.#pending = {};
    if (typeflag === "S") {
      const stored = h.size;
      const { map, more } = oldGnuSparse(block, h);
      if (!more) return this.#startSparse(h, map, stored, stored);
      this.#sparseMap = new PendingSparse(h, stored, map);
      this.#state = State.SparseExtension;
      return;
    }
    const sparse = namedFault(h.name, () => paxSparse(h.pax));
    if (sparse === undefined) return this.#startBody(h, h.size, h.size);
    if (HEADER_ONLY.has(h.type)) {
      throw new TarFormatError("invalid header: a sparse map on a link or folder");
    }
    if (sparse.name !== undefined) h.name = sparse.name;
    const stored = h.size;
    h.size = sparse.realSize ?? stored;
    if (sparse.map) return this.#startSparse(h, sparse.map, stored, stored);
    // 1.0: the map opens the data
    this.#sparseMap = new PendingSparse(h, stored);
    this.#left = stored;
    this.#state = State.SparseMap;
    if (stored < BLOCK) throw new TarFormatError("invalid header: the GNU sparse map is missing");
  }

  /** Emits `h` and reads a body of `stored` bytes, `left` of them still to come. */
  #startBody(h: TarHeader, stored: number, left: number): void {
    this.#visitor.header(h);
    this.#left = left;
    this.#pad = (BLOCK - (stored % BLOCK)) % BLOCK;
    this.#state = State.Body;
    if (left === 0) this.#endBody();
  }

  /** Emits a sparse file's header, then expands the `left` bytes of data that follow. */
  #startSparse(h: TarHeader, map: SparseMap, stored: number, left: number): void {
    namedFault(h.name, () => checkMap(map, h.size, left));
    this.#sparse = new SparseBody(map, h.size, this.#body, this.#hole);
    this.#startBody(h, stored, left);
  }

  /** One block of an old GNU sparse extension, or of a 1.0 map. */
  #sparseBlock(block: Uint8Array): void {
    const pending = this.#sparseMap!;
    if (pending.inData) this.#left -= BLOCK;
    const done = pending.push(block);
    if (!done && pending.inData && this.#left < BLOCK) {
      throw new TarFormatError("invalid header: the GNU sparse map runs past the entry's data");
    }
    if (!done) return;
    this.#sparseMap = undefined;
    const left = pending.inData ? this.#left : pending.stored;
    this.#startSparse(pending.header, pending.map, pending.stored, left);
  }

  #endBody(): void {
    if (this.#sparse) {
      const sparse = this.#sparse;
      this.#sparse = undefined;
      sparse.end();
    }
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
    else if (type === "L") this.#pending.longName = field(bytes, 0, bytes.length);
    else if (type === "K") this.#pending.longLink = field(bytes, 0, bytes.length);
    else parsePax(bytes); // "g": checked, then ignored as Go does
  }
}
