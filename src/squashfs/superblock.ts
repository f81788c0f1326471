/**
 * Pure encoder of the 96-byte squashfs 4.0 superblock (format.adoc "The
 * Superblock").
 * @module
 */

import { INVALID_OFFSET, SQUASHFS_MAGIC, SUPERBLOCK_SIZE } from "./format.ts";
import { RecordBuilder } from "./_record.ts";

/** The superblock's fields; absent optional tables are `undefined`. */
export interface Superblock {
  inodeCount: number;
  /** Seconds since the epoch (u32). */
  modificationTime: number;
  blockSize: number;
  fragmentCount: number;
  /** Compressor ID ({@link COMPRESSOR}). */
  compressor: number;
  flags: number;
  idCount: number;
  /** Inode reference of the root folder. */
  rootInode: number;
  /** Bytes used, before the padding to the device block size. */
  bytesUsed: number;
  idTableStart: number;
  xattrTableStart?: number;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart?: number;
  exportTableStart?: number;
}

/** The superblock's 96 bytes. Throws RangeError on a block size that is not a power of two in 4 KiB..1 MiB. */
export function encodeSuperblock(s: Superblock): Uint8Array {
  const log = Math.log2(s.blockSize);
  if (!Number.isInteger(log) || log < 12 || log > 20) {
    throw new RangeError(
      `A squashfs block size is a power of two from 4096 to 1048576, got ${s.blockSize}`,
    );
  }
  const table = (at: number | undefined) => at === undefined ? INVALID_OFFSET : BigInt(at);
  const out = new RecordBuilder()
    .u32(SQUASHFS_MAGIC).u32(s.inodeCount).u32(
      Math.min(Math.max(s.modificationTime, 0), 0xffffffff),
    )
    .u32(s.blockSize).u32(s.fragmentCount).u16(s.compressor).u16(log).u16(s.flags)
    .u16(s.idCount).u16(4).u16(0).u64(s.rootInode).u64(s.bytesUsed).u64(s.idTableStart)
    .u64(table(s.xattrTableStart)).u64(s.inodeTableStart).u64(s.directoryTableStart)
    .u64(table(s.fragmentTableStart)).u64(table(s.exportTableStart));
  if (out.length !== SUPERBLOCK_SIZE) throw new Error("superblock encoder is broken");
  return out.bytes().slice();
}
