/**
 * Pure encoder of the xattr table (format.adoc "Extended Attribute Table"):
 * key/value pairs in metadata blocks, a lookup table of (reference, count,
 * size) per distinct set, and the uncompressed header the superblock points
 * to. Names keep their prefix as an ID (0 `user.`, 1 `trusted.`,
 * 2 `security.`); a name with another prefix cannot be stored in squashfs
 * and is left out, as mksquashfs does. Identical sets are stored once;
 * values are always inline.
 * @module
 */

import { NO_INDEX, XATTR_PREFIXES } from "./format.ts";
import { type BlockCompressor, lookupTable, MetadataWriter } from "./metadata.ts";
import { RecordBuilder } from "./_record.ts";

/** Collects the xattr sets of the inodes and encodes the table. */
export class XattrTable {
  #compress: BlockCompressor;
  #pairs: MetadataWriter;
  #entries = new RecordBuilder();
  #count = 0;
  #seen = new Map<string, number>();
  #record = new RecordBuilder();

  constructor(compress: BlockCompressor) {
    this.#compress = compress;
    this.#pairs = new MetadataWriter(compress);
  }

  /** Number of distinct sets stored. */
  get count(): number {
    return this.#count;
  }

  /**
   * Stores `xattrs` (full name as a byte string -> value) and returns its
   * index for an inode, or {@link NO_INDEX} when it holds nothing storable.
   */
  add(xattrs: Map<string, Uint8Array> | undefined): number {
    if (!xattrs || xattrs.size === 0) return NO_INDEX;
    const out = this.#record.reset();
    let pairs = 0;
    for (const name of [...xattrs.keys()].sort()) {
      const prefix = XATTR_PREFIXES.findIndex((p) => name.startsWith(p));
      if (prefix < 0 || name.length === XATTR_PREFIXES[prefix].length) continue;
      const suffix = name.slice(XATTR_PREFIXES[prefix].length);
      const value = xattrs.get(name)!;
      out.u16(prefix).u16(suffix.length).raw(suffix).u32(value.length).raw(value);
      pairs++;
    }
    if (pairs === 0) return NO_INDEX;
    const bytes = out.bytes();
    const key = bytes.length <= 4096 ? String.fromCharCode(...bytes) : undefined;
    const known = key === undefined ? undefined : this.#seen.get(key);
    if (known !== undefined) return known;
    const ref = this.#pairs.reference();
    this.#pairs.write(bytes);
    this.#entries.u64(ref).u32(pairs).u32(bytes.length);
    if (key !== undefined) this.#seen.set(key, this.#count);
    return this.#count++;
  }

  /**
   * The table placed at absolute position `at`: the pairs, the lookup table's
   * blocks, then the header (u64 pairs start, u32 count, u32 0, u64 block
   * locations). Returns the bytes and the header's position (the
   * superblock's xattr table field).
   */
  finish(at: number): { chunks: Uint8Array[]; length: number; tableStart: number } {
    const pairs = this.#pairs.finish();
    const ids = lookupTable(this.#entries.bytes(), at + pairs.length, this.#compress);
    const head = new RecordBuilder().u64(at).u32(this.#count).u32(0).bytes().slice();
    const list = ids.chunks.pop()!;
    const headerAt = at + pairs.length + ids.length - list.length;
    return {
      chunks: [...pairs.chunks, ...ids.chunks, head, list],
      length: pairs.length + ids.length + head.length,
      tableStart: headerAt,
    };
  }
}
