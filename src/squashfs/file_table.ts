/**
 * The writer's records of stored file contents, one per `FileSink`, kept as
 * columns in typed arrays rather than one object per file: a record is a
 * number (its index, the {@link FileData} the writer hands out), its fields
 * 40 bytes of typed-array pages outside the garbage-collected heap. An
 * object per file cost 104 bytes of heap, which V8 then grows to about twice
 * the live data: at 300,000 small files that was 60 MB of peak memory.
 *
 * Pages are fixed-size, so the table grows without copying what it holds.
 * @module
 */

import type { FileData } from "../layers/image_tree.ts";

/** Records per page. */
const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;
const MASK = PAGE - 1;

/**
 * The numeric fields of a record: size and data start in bytes (Float64),
 * the index of the first block size word in the data writer's list (-1:
 * none), the fragment table index of the block holding the tail (-1: none),
 * and the tail's offset inside the uncompressed fragment block (Int32).
 */
export const FIELD = { size: 0, start: 1, blocks: 2, fragment: 3, fragmentOffset: 4 } as const;
/** A field of {@link FIELD}. */
export type Field = typeof FIELD[keyof typeof FIELD];
const F64_FIELDS = 2;
const I32_FIELDS = 3;
/** Bytes of the content key kept per record. */
export const KEY_BYTES = 16;

/**
 * Records of stored contents: size and data start (bytes), the index of the
 * first block size word (-1: none), the fragment index (-1: none) and the
 * tail's offset in it, bytes stored as sparse blocks, and the content key
 * (the first {@link KEY_BYTES} bytes of its SHA-256 over block digests and
 * tail, set by the data writer for the contents it stores).
 */
export class FileTable {
  #f64: Float64Array[] = [];
  #i32: Int32Array[] = [];
  #keys: Uint8Array[] = [];
  /** Sparse bytes by record, for the few records that have any. */
  #sparse = new Map<number, number>();
  #count = 0;

  /** Records made so far; valid records are 0 to count - 1. */
  get count(): number {
    return this.#count;
  }

  /** A new record of `size` bytes with no blocks, no fragment and nothing sparse. */
  add(size = 0): FileData {
    const index = this.#count++;
    const page = index >>> PAGE_BITS;
    if (page === this.#f64.length) {
      this.#f64.push(new Float64Array(PAGE * F64_FIELDS));
      this.#i32.push(new Int32Array(PAGE * I32_FIELDS).fill(-1));
      this.#keys.push(new Uint8Array(PAGE * KEY_BYTES));
    }
    this.set(index, FIELD.size, size);
    this.set(index, FIELD.fragmentOffset, 0);
    return index;
  }

  /** True when `data` is one of this table's records. */
  has(data: unknown): data is FileData {
    return typeof data === "number" && Number.isInteger(data) && data >= 0 && data < this.#count;
  }

  /** Field `field` of record `i`. */
  get(i: FileData, field: Field): number {
    const at = i & MASK;
    return field < F64_FIELDS
      ? this.#f64[i >>> PAGE_BITS][at * F64_FIELDS + field]
      : this.#i32[i >>> PAGE_BITS][at * I32_FIELDS + field - F64_FIELDS];
  }

  /** Sets field `field` of record `i`. */
  set(i: FileData, field: Field, value: number): void {
    const at = i & MASK;
    if (field < F64_FIELDS) this.#f64[i >>> PAGE_BITS][at * F64_FIELDS + field] = value;
    else this.#i32[i >>> PAGE_BITS][at * I32_FIELDS + field - F64_FIELDS] = value;
  }

  /** Bytes stored as sparse (all-zero, 0-size) blocks. */
  sparse(i: FileData): number {
    return this.#sparse.get(i) ?? 0;
  }
  setSparse(i: FileData, v: number): void {
    if (v === 0) this.#sparse.delete(i);
    else this.#sparse.set(i, v);
  }
  /** The record's content key (a view into the table). */
  key(i: FileData): Uint8Array {
    const at = (i & MASK) * KEY_BYTES;
    return this.#keys[i >>> PAGE_BITS].subarray(at, at + KEY_BYTES);
  }
  /** The key's byte `k`, without making a view. */
  keyByte(i: FileData, k: number): number {
    return this.#keys[i >>> PAGE_BITS][(i & MASK) * KEY_BYTES + k];
  }
  setKey(i: FileData, key: Uint8Array): void {
    this.#keys[i >>> PAGE_BITS].set(key.subarray(0, KEY_BYTES), (i & MASK) * KEY_BYTES);
  }

  /** Makes record `to` point at the same stored content as `from` (a duplicate). */
  copyPlace(to: FileData, from: FileData): void {
    for (const field of [FIELD.start, FIELD.blocks, FIELD.fragment, FIELD.fragmentOffset]) {
      this.set(to, field, this.get(from, field));
    }
    this.setSparse(to, this.sparse(from));
  }
}

/**
 * The number of blocks (full or sparse) of a stored content of `size` bytes:
 * all of it in blocks, or all but the tail when the tail is in a fragment
 * block (`fragment` >= 0).
 */
export function fileBlockCount(size: number, fragment: number, blockSize: number): number {
  return fragment >= 0 ? Math.floor(size / blockSize) : Math.ceil(size / blockSize);
}
