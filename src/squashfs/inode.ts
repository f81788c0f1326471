/**
 * Pure encoders of squashfs 4.0 inodes (format.adoc "Inode Table"). Each
 * picks the basic form when it can hold the node, else the extended one
 * (xattrs, a hard-linked or sparse file, a file or offset past 4 GiB, a large
 * or indexed folder).
 * @module
 */

import { SquashfsLimitError } from "./errors.ts";
import { INODE, NO_INDEX } from "./format.ts";
import type { RecordBuilder } from "./_record.ts";

/** Fields of the common inode header. */
export interface InodeHeader {
  /** Permission bits with setuid/setgid/sticky (`& 0o7777`). */
  mode: number;
  /** Index of the owner in the id table. */
  uidIndex: number;
  /** Index of the group in the id table. */
  gidIndex: number;
  /** Seconds since the epoch, clamped to u32. */
  mtime: number;
  /** Inode number, 1..inode count. */
  ino: number;
  /** Xattr table index, or {@link NO_INDEX}. */
  xattr: number;
}

const U32_MAX = 0xffffffff;

function header(out: RecordBuilder, type: number, h: InodeHeader): void {
  const mtime = Math.min(Math.max(Math.trunc(h.mtime), 0), U32_MAX);
  out.u16(type).u16(h.mode & 0o7777).u16(h.uidIndex).u16(h.gidIndex).u32(mtime).u32(h.ino);
}

/** A regular file's inode. `blockSizes` are the size words of its full blocks. */
export function encodeFileInode(
  out: RecordBuilder,
  h: InodeHeader,
  f: {
    start: number;
    size: number;
    fragment: number;
    fragmentOffset: number;
    sparse: number;
    nlink: number;
    blockSizes: Uint32Array;
  },
): void {
  const fragment = f.fragment < 0 ? NO_INDEX : f.fragment;
  const basic = h.xattr === NO_INDEX && f.nlink === 1 && f.sparse === 0 &&
    f.size <= U32_MAX && f.start <= U32_MAX;
  if (basic) {
    header(out, INODE.FILE, h);
    out.u32(f.start).u32(fragment).u32(f.fragmentOffset).u32(f.size);
  } else {
    header(out, INODE.EXT_FILE, h);
    out.u64(f.start).u64(f.size).u64(f.sparse).u32(f.nlink).u32(fragment).u32(f.fragmentOffset)
      .u32(h.xattr);
  }
  for (const word of f.blockSizes) out.u32(word);
}

/** One directory index entry (format.adoc "Directory Index"). */
export interface DirIndexEntry {
  /** Offset of the header from the start of the listing. */
  index: number;
  /** Stored start of the directory table block holding the header. */
  start: number;
  /** Name of the first entry after the header (byte string). */
  name: string;
}

/** A folder's inode; `listingSize` is the real listing size (the inode stores it + 3). */
export function encodeDirInode(
  out: RecordBuilder,
  h: InodeHeader,
  d: {
    startBlock: number;
    offset: number;
    listingSize: number;
    parent: number;
    nlink: number;
    index: DirIndexEntry[];
  },
): void {
  const fileSize = d.listingSize + 3;
  if (h.xattr === NO_INDEX && d.index.length === 0 && fileSize <= 0xffff) {
    header(out, INODE.DIR, h);
    out.u32(d.startBlock).u32(d.nlink).u16(fileSize).u16(d.offset).u32(d.parent);
    return;
  }
  if (d.index.length > 0xffff) throw new RangeError("A folder's directory index is too long");
  header(out, INODE.EXT_DIR, h);
  out.u32(d.nlink).u32(fileSize).u32(d.startBlock).u32(d.parent).u16(d.index.length)
    .u16(d.offset).u32(h.xattr);
  for (const entry of d.index) {
    out.u32(entry.index).u32(entry.start).u32(entry.name.length - 1).raw(entry.name);
  }
}

/** A symbolic link's inode; `target` is a byte string. */
export function encodeSymlinkInode(out: RecordBuilder, h: InodeHeader, target: string): void {
  const extended = h.xattr !== NO_INDEX;
  header(out, extended ? INODE.EXT_SYMLINK : INODE.SYMLINK, h);
  out.u32(1).u32(target.length).raw(target);
  if (extended) out.u32(h.xattr);
}

/**
 * The squashfs (Linux `new_encode_dev`) device number of `major`:`minor`.
 * Throws {@link SquashfsLimitError} when they do not fit (12 and 20 bits).
 */
export function deviceNumber(major: number, minor: number): number {
  const ok = (n: number, bits: number) => Number.isInteger(n) && n >= 0 && n < 2 ** bits;
  if (!ok(major, 12) || !ok(minor, 20)) {
    throw new SquashfsLimitError(
      `Cannot build the image: device ${major}:${minor} is out of range (major < 4096, minor < 1048576): the image cannot be stored in a SIF`,
    );
  }
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** A character or block device's inode. */
export function encodeDeviceInode(
  out: RecordBuilder,
  h: InodeHeader,
  kind: "char" | "block",
  major: number,
  minor: number,
): void {
  const extended = h.xattr !== NO_INDEX;
  const type = kind === "char"
    ? (extended ? INODE.EXT_CHAR : INODE.CHAR)
    : (extended ? INODE.EXT_BLOCK : INODE.BLOCK);
  header(out, type, h);
  out.u32(1).u32(deviceNumber(major, minor));
  if (extended) out.u32(h.xattr);
}

/** A FIFO's or socket's inode. */
export function encodeIpcInode(out: RecordBuilder, h: InodeHeader, kind: "fifo" | "socket"): void {
  const extended = h.xattr !== NO_INDEX;
  const type = kind === "fifo"
    ? (extended ? INODE.EXT_FIFO : INODE.FIFO)
    : (extended ? INODE.EXT_SOCKET : INODE.SOCKET);
  header(out, type, h);
  out.u32(1);
  if (extended) out.u32(h.xattr);
}

/** The basic inode type a directory entry records for a node kind. */
export const BASIC_TYPE = {
  dir: INODE.DIR,
  file: INODE.FILE,
  symlink: INODE.SYMLINK,
  block: INODE.BLOCK,
  char: INODE.CHAR,
  fifo: INODE.FIFO,
  socket: INODE.SOCKET,
} as const;
