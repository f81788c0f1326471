/**
 * GNU sparse files in tar: the sparse map of each form GNU tar writes, its
 * validation, and the expansion of the stored data into the file it stands
 * for (holes as zeros). Followed: GNU tar's manual, "Storing Sparse Files"
 * (formats old GNU, PAX 0.0, 0.1 and 1.0), and Go's archive/tar
 * (`readOldGNUSparseMap`, `readGNUSparsePAXHeaders`, `readGNUSparseMap1x0`,
 * `readGNUSparseMap0x1`, `validateSparseEntries`, `sparseFileReader`).
 *
 * - old GNU (`tar --format=gnu --sparse`): typeflag `S`; 4 regions in the
 *   header at byte 386, the real size at 483, then extension blocks of 21
 *   regions while the "is extended" byte is set.
 * - PAX 0.0: repeated `GNU.sparse.offset`/`GNU.sparse.numbytes` records
 *   (`parsePax` joins them into `GNU.sparse.map`), `GNU.sparse.size`.
 * - PAX 0.1: `GNU.sparse.map` (`offset,numbytes,...`), `GNU.sparse.size`,
 *   `GNU.sparse.name`.
 * - PAX 1.0: `GNU.sparse.major=1`, `minor=0`, `name`, `realsize`; the map is
 *   text at the start of the data (count, then offset and numbytes, one
 *   decimal number a line), padded to a 512-byte block.
 * @module
 */
import type { ByteString } from "../byte_string.ts";
import { BLOCK, isGnu, number, TarFormatError } from "./_fields.ts";
import type { TarHeader } from "./_entry.ts";

/** Default ceiling of the zeros a reader emits for the holes of sparse files (64 GiB). */
export const MAX_HOLES = 64 * 2 ** 30;

/** Options of `TarReader` (`reader.ts`). */
export interface TarReaderOptions {
  /**
   * Ceiling of the zeros emitted for the holes of sparse files, over the
   * whole archive (a few bytes can claim a file of petabytes); default 64
   * GiB. Past it, `write` throws `TarHolesError`.
   */
  maxHoleBytes?: number;
}

/** Most data regions a sparse map may hold (16 bytes each in memory). */
export const MAX_REGIONS = 1 << 20;
/** Most bytes of 1.0 map text read for one entry (old GNU extension blocks are bounded by `MAX_REGIONS`). */
export const MAX_MAP_BYTES = 16 << 20;

/** A sparse map: data regions as `[offset0, length0, offset1, length1, ...]`, in file order. */
export type SparseMap = number[];

function bad(what: string): TarFormatError {
  return new TarFormatError(`invalid header: the GNU sparse map ${what}`);
}

/**
 * Appends the regions of an old GNU sparse array (`count` entries of two
 * 12-byte numbers from `at`) to `map`; an entry whose offset starts with NUL
 * ends the array, as in GNU and BSD tar.
 * @returns true when the "is extended" byte after the array says more blocks follow
 */
export function oldGnuRegions(
  block: Uint8Array,
  at: number,
  count: number,
  map: SparseMap,
): boolean {
  for (let i = 0; i < count; i++) {
    const entry = at + i * 24;
    if (block[entry] === 0) break;
    if (map.length >= 2 * MAX_REGIONS) throw bad(`has over ${MAX_REGIONS} regions`);
    map.push(
      number(block, entry, 12, "sparse offset"),
      number(block, entry + 12, 12, "sparse size"),
    );
  }
  return block[at + count * 24] !== 0;
}

/** What the PAX records of a GNU sparse file say. */
export interface PaxSparse {
  /** The real name (`GNU.sparse.name`), when given. */
  name?: ByteString;
  /** The real size, when given. */
  realSize?: number;
  /** The map of 0.0 and 0.1; undefined for 1.0, whose map opens the data. */
  map?: SparseMap;
}

/** The decimal value of PAX record `key` (a part of it for `GNU.sparse.map`). */
function decimal(value: string, key: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    throw new TarFormatError(
      `invalid header: the PAX record ${key} has ${shown}, which is not a decimal number`,
    );
  }
  return Number(value);
}

/** The GNU sparse records of `pax`, or undefined for a file that is not sparse (or of an unknown version). */
export function paxSparse(pax: Record<ByteString, ByteString>): PaxSparse | undefined {
  const major = pax["GNU.sparse.major"];
  const minor = pax["GNU.sparse.minor"];
  let v1 = false;
  if (major === "1" && minor === "0") v1 = true;
  else if (major === "0" && (minor === "0" || minor === "1")) v1 = false;
  else if (major !== undefined || minor !== undefined) return undefined;
  // 0.0 and 0.1 have no version records; GNU tar takes numblocks=0 (no offsets) as sparse too.
  else if (!pax["GNU.sparse.map"] && pax["GNU.sparse.numblocks"] === undefined) return undefined;
  const out: PaxSparse = {};
  if (pax["GNU.sparse.name"]) out.name = pax["GNU.sparse.name"];
  const sizeKey = pax["GNU.sparse.size"] !== undefined ? "GNU.sparse.size" : "GNU.sparse.realsize";
  const size = pax[sizeKey];
  if (size !== undefined) out.realSize = decimal(size, sizeKey);
  if (v1) return out;
  const count = decimal(pax["GNU.sparse.numblocks"] ?? "", "GNU.sparse.numblocks");
  const text = pax["GNU.sparse.map"] ?? "";
  const parts = text === "" ? [] : text.split(",");
  if (count > MAX_REGIONS || parts.length !== 2 * count) {
    throw bad(`has ${parts.length} numbers for ${count} regions`);
  }
  out.map = parts.map((p) => decimal(p, "GNU.sparse.map"));
  return out;
}

/** Reads the 1.0 map, one 512-byte block of the entry's data at a time. */
export class MapText {
  /** The regions read so far. */
  readonly map: SparseMap = [];
  #count = -1;
  #value = 0;
  #digits = 0;
  #blocks = 0;

  /** Parses one block; true once the map is complete (the block's rest is padding). */
  push(block: Uint8Array): boolean {
    if (++this.#blocks * BLOCK > MAX_MAP_BYTES) throw bad(`is over ${MAX_MAP_BYTES} bytes`);
    for (let i = 0; i < BLOCK; i++) {
      const c = block[i];
      if (c >= 0x30 && c <= 0x39) {
        this.#value = this.#value * 10 + (c - 0x30);
        if (++this.#digits > 16 || !Number.isSafeInteger(this.#value)) {
          throw bad("has a bad number");
        }
        continue;
      }
      if (c !== 0x0a || this.#digits === 0) throw bad("has a bad line");
      this.#token(this.#value);
      this.#value = 0;
      this.#digits = 0;
      if (this.#count >= 0 && this.map.length === 2 * this.#count) return true;
    }
    return false;
  }

  #token(n: number): void {
    if (this.#count >= 0) return void this.map.push(n);
    if (n > MAX_REGIONS) throw bad(`has over ${MAX_REGIONS} regions`);
    this.#count = n;
  }
}

/**
 * A sparse entry whose map is still being read: old GNU extension blocks
 * (typeflag `S`, while flagged), or the PAX 1.0 map written as text in the
 * first blocks of the entry's data (`inData`).
 */
export class PendingSparse {
  readonly header: TarHeader;
  /** Bytes stored for the entry (its size field), map blocks included. */
  readonly stored: number;
  readonly #regions: SparseMap;
  readonly #text?: MapText;

  /** `regions` read from an old GNU header so far; none for the 1.0 form. */
  constructor(header: TarHeader, stored: number, regions?: SparseMap) {
    this.header = header;
    this.stored = stored;
    this.#regions = regions ?? [];
    if (!regions) this.#text = new MapText();
  }

  /** True for the 1.0 form, whose map blocks count in the entry's data. */
  get inData(): boolean {
    return this.#text !== undefined;
  }

  /** The regions read so far. */
  get map(): SparseMap {
    return this.#text ? this.#text.map : this.#regions;
  }

  /** Parses one block of the map; true once it is complete. */
  push(block: Uint8Array): boolean {
    return this.#text ? this.#text.push(block) : !oldGnuRegions(block, 0, 21, this.#regions);
  }
}

/**
 * Typeflag `S` (old GNU sparse): reads the regions in the header and turns
 * `h` into a file of the real size.
 * @returns the regions, and `more` when extension blocks follow
 */
export function oldGnuSparse(block: Uint8Array, h: TarHeader): { map: SparseMap; more: boolean } {
  if (!isGnu(block)) throw new TarFormatError("invalid header: a sparse entry without GNU magic");
  const map: SparseMap = [];
  const more = oldGnuRegions(block, 386, 4, map);
  Object.assign(h, { type: "file", size: number(block, 483, 12, "real size") });
  return { map, more };
}

/**
 * Checks `map` against the real size and the bytes of data stored: regions
 * in order, not overlapping, inside the real size, and together exactly as
 * long as the stored data. Throws {@link TarFormatError}.
 */
export function checkMap(map: SparseMap, realSize: number, stored: number): void {
  let end = 0;
  let total = 0;
  for (let i = 0; i < map.length; i += 2) {
    const offset = map[i];
    const length = map[i + 1];
    if (offset < end) throw bad("has regions out of order or overlapping");
    end = offset + length;
    if (end > realSize) throw bad(`has a region past the real size ${realSize}`);
    total += length;
  }
  if (total !== stored) {
    throw bad(`describes ${total} bytes of data, but the entry stores ${stored}`);
  }
}

/** Zeros shared by every hole (a view of it is what a hole's `body` call gets). */
const ZEROS = new Uint8Array(256 * 1024);

/** Emits `n` zero bytes through `body` in slices of the shared zero buffer. */
export function emitZeros(n: number, body: (chunk: Uint8Array) => void): void {
  while (n > 0) {
    const take = Math.min(n, ZEROS.length);
    body(ZEROS.subarray(0, take));
    n -= take;
  }
}

/** Expands a sparse entry's stored data (checked with {@link checkMap}) into the file's bytes. */
export class SparseBody {
  #map: SparseMap;
  #realSize: number;
  #body: (chunk: Uint8Array) => void;
  #hole: (n: number) => void;
  #next = 0;
  #left = 0;
  #pos = 0;

  /**
   * @param body receives the file's bytes in order
   * @param hole emits `n` zeros (counted against the reader's ceiling)
   */
  constructor(
    map: SparseMap,
    realSize: number,
    body: (chunk: Uint8Array) => void,
    hole: (n: number) => void,
  ) {
    this.#map = map;
    this.#realSize = realSize;
    this.#body = body;
    this.#hole = hole;
  }

  /** The next stored bytes, in order. */
  data(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#left === 0) {
        this.#region();
        continue;
      }
      const take = Math.min(this.#left, chunk.length - at);
      this.#body(chunk.subarray(at, at + take));
      this.#left -= take;
      this.#pos += take;
      at += take;
    }
  }

  /** All stored data was given: the hole up to the real size. */
  end(): void {
    this.#hole(this.#realSize - this.#pos);
    this.#pos = this.#realSize;
  }

  #region(): void {
    if (this.#next >= this.#map.length) throw bad("describes less data than stored");
    const offset = this.#map[this.#next++];
    this.#left = this.#map[this.#next++];
    this.#hole(offset - this.#pos);
    this.#pos = offset;
  }
}
