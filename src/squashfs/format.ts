/**
 * Constants of the squashfs 4.0 on-disk format, as specified in
 * squashfs-tools-ng `doc/format.adoc` and read by Linux `fs/squashfs/`.
 * All integers on disk are little endian.
 * @module
 */

/** `hsqs` as a little-endian u32. */
export const SQUASHFS_MAGIC = 0x73717368;
/** Size of the superblock at the start of the image. */
export const SUPERBLOCK_SIZE = 96;
/** Uncompressed size of a metadata block. */
export const METADATA_SIZE = 8192;
/** Bit of a metadata block's u16 header: the block is stored uncompressed. */
export const METADATA_UNCOMPRESSED = 0x8000;
/** Bit of a data block size word: the block is stored uncompressed. */
export const DATA_UNCOMPRESSED = 1 << 24;
/** A table that is absent (xattr, export, fragment) has this start. */
export const INVALID_OFFSET = 0xffffffffffffffffn;
/** Fragment index of a file without a tail in a fragment block; xattr index of "none". */
export const NO_INDEX = 0xffffffff;
/** At most this many entries follow one directory header. */
export const DIR_HEADER_MAX_ENTRIES = 256;
/** Longest name a directory entry holds (the kernel's SQUASHFS_NAME_LEN). */
export const MAX_NAME = 256;
/** Default data block size: 128 KiB. */
export const DEFAULT_BLOCK_SIZE = 131072;
/** Images are padded to a multiple of this (the device block size loop mounts need). */
export const DEVICE_BLOCK = 4096;

/** Compressor IDs of the superblock. */
export const COMPRESSOR = { gzip: 1, zstd: 6 } as const;

/** Superblock flags. */
export const FLAGS = {
  DUPLICATES: 0x0040,
  NO_XATTRS: 0x0200,
} as const;

/** Inode types; an extended type is the basic one + 7. */
export const INODE = {
  DIR: 1,
  FILE: 2,
  SYMLINK: 3,
  BLOCK: 4,
  CHAR: 5,
  FIFO: 6,
  SOCKET: 7,
  EXT_DIR: 8,
  EXT_FILE: 9,
  EXT_SYMLINK: 10,
  EXT_BLOCK: 11,
  EXT_CHAR: 12,
  EXT_FIFO: 13,
  EXT_SOCKET: 14,
} as const;

/** Xattr name prefixes squashfs can store, by prefix ID. */
export const XATTR_PREFIXES = ["user.", "trusted.", "security."] as const;
