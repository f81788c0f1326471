/**
 * Pure encoder of one folder's listing in the directory table (format.adoc
 * "Directory Table" and "Directory Index"). Entries, sorted by name bytes,
 * are grouped under headers; a new header starts after 256 entries, when
 * the next entry's inode is in another inode-table block, when its inode
 * number is more than ±32767 from the header's, and when the listing crosses
 * into a new directory-table block. Each header that starts in a new block
 * gets a directory index entry, which lets the kernel find a name in a large
 * folder without scanning the whole listing.
 * @module
 */

import { displayName } from "../byte_string.ts";
import { SquashfsLimitError } from "./errors.ts";
import { DIR_HEADER_MAX_ENTRIES, MAX_NAME, METADATA_SIZE } from "./format.ts";
import type { DirIndexEntry } from "./inode.ts";
import type { MetadataWriter } from "./metadata.ts";
import { RecordBuilder } from "./_record.ts";

/** One entry of a listing. */
export interface DirEntry {
  /** Name as a byte string, 1..256 bytes, no `/` or NUL. */
  name: string;
  /** Inode number. */
  ino: number;
  /** Inode reference: stored block start (relative to the inode table) << 16 | offset. */
  ref: number;
  /** Basic inode type. */
  type: number;
}

/** Where a listing went, for its folder's inode. */
export interface ListingPlace {
  /** Stored start of the directory-table block where the listing begins. */
  startBlock: number;
  /** Offset of the listing inside that (uncompressed) block. */
  offset: number;
  /** Uncompressed bytes of the listing (headers included). */
  listingSize: number;
  index: DirIndexEntry[];
}

/**
 * Appends the listing of `entries` (sorted by name, byte order) to the
 * directory table `table`. Throws {@link SquashfsLimitError} on an empty or
 * too long name.
 */
export function writeListing(table: MetadataWriter, entries: DirEntry[]): ListingPlace {
  const ref = table.reference();
  const begin = table.uncompressedLength;
  const place: ListingPlace = {
    startBlock: Math.floor(ref / 0x10000),
    offset: ref % 0x10000,
    listingSize: 0,
    index: [],
  };
  const out = new RecordBuilder();
  let i = 0;
  while (i < entries.length) {
    const headerAt = table.uncompressedLength;
    const block = Math.floor(entries[i].ref / 0x10000);
    const base = entries[i].ino;
    let end = i;
    let at = headerAt + 12;
    while (end < entries.length && end - i < DIR_HEADER_MAX_ENTRIES) {
      const entry = entries[end];
      const delta = entry.ino - base;
      if (Math.floor(entry.ref / 0x10000) !== block || delta < -32768 || delta > 32767) break;
      if (end > i && Math.floor(at / METADATA_SIZE) !== Math.floor(headerAt / METADATA_SIZE)) break;
      at += 8 + checkName(entry.name);
      end++;
    }
    if (i > 0 && Math.floor(headerAt / METADATA_SIZE) !== Math.floor(begin / METADATA_SIZE)) {
      const last = place.index.at(-1);
      const lastBlock = Math.floor((begin + (last?.index ?? 0)) / METADATA_SIZE);
      if (Math.floor(headerAt / METADATA_SIZE) !== lastBlock) {
        place.index.push({
          index: headerAt - begin,
          start: table.blockStart(headerAt),
          name: entries[i].name,
        });
      }
    }
    out.reset().u32(end - i - 1).u32(block).u32(base);
    for (let j = i; j < end; j++) {
      const entry = entries[j];
      out.u16(entry.ref % 0x10000).i16(entry.ino - base).u16(entry.type)
        .u16(entry.name.length - 1).raw(entry.name);
    }
    table.write(out.bytes());
    i = end;
  }
  place.listingSize = table.uncompressedLength - begin;
  return place;
}

function checkName(name: string): number {
  if (name.length === 0 || name.length > MAX_NAME) {
    throw new SquashfsLimitError(
      `Cannot build the image: the name "${
        displayName(name)
      }" has ${name.length} bytes, squashfs holds 1 to ${MAX_NAME}: the image cannot be stored in a SIF`,
    );
  }
  return name.length;
}
