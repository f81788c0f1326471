/**
 * The image tree: the root filesystem the layers build, one compact record
 * per path, in memory. The layer engine (`src/layers/`) applies each layer's
 * entries to it; the squashfs writer (`src/squashfs/`) turns the final tree
 * into the image's inode and directory tables. File content is never held
 * here: the writer stores it as it arrives and leaves where it went in
 * `FileNode.data`.
 *
 * Names, link targets and xattr names are byte strings (`../byte_string.ts`):
 * a name that is not UTF-8 reaches the image byte for byte.
 *
 * A hard link is the same `FileNode` object under two or more names; the
 * writer gives it one inode with its link count.
 * @module
 */
import type { ByteString } from "../byte_string.ts";

/** What every node carries (squashfs inode header fields). */
export interface NodeAttrs {
  /** Permission bits with setuid, setgid and sticky (`mode & 0o7777`); no type bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, whole seconds since the epoch (squashfs keeps an unsigned 32-bit value). */
  mtime: number;
  /** Extended attributes, full name (`security.capability`) to value; absent when none. */
  xattrs?: Map<ByteString, Uint8Array>;
}

/** A folder; children by name (byte string), in no particular order. */
export interface DirNode extends NodeAttrs {
  kind: "dir";
  children: Map<ByteString, ImageNode>;
}

/**
 * Where a regular file's content lies in the squashfs being written. Owned by
 * the writer (`src/squashfs/`), which fills it in as the content is stored
 * (some fields only once the blocks are compressed; all final after
 * `SquashfsWriter.finish`); opaque to the layer engine. One record per
 * stored content: give each FileNode the record of its own `FileSink`.
 */
export interface FileData {
  /** Bytes stored (the file's size). */
  readonly size: number;
  /** Offset of the first data block from the start of the squashfs. */
  start: number;
  /** Index of the file's first block size in the writer's block list; -1 when it has none. */
  blocks: number;
  /** Fragment table index of the block holding the file's tail, or -1. */
  fragment: number;
  /** Offset of the tail inside the uncompressed fragment block. */
  fragmentOffset: number;
  /** Bytes stored as sparse (all-zero, 0-size) blocks. */
  sparse: number;
}

/** A regular file (all of its hard links share this object). */
export interface FileNode extends NodeAttrs {
  kind: "file";
  /** Content length in bytes. */
  size: number;
  /** Set by the squashfs writer once the content is stored; absent for a sandbox-only build. */
  data?: FileData;
}

/** A symbolic link; the target as written, unresolved. */
export interface SymlinkNode extends NodeAttrs {
  kind: "symlink";
  target: ByteString;
}

/** A character or block device. */
export interface DeviceNode extends NodeAttrs {
  kind: "char" | "block";
  major: number;
  minor: number;
}

/** A FIFO or a Unix socket. */
export interface IpcNode extends NodeAttrs {
  kind: "fifo" | "socket";
}

/** Any node of the image tree. */
export type ImageNode = DirNode | FileNode | SymlinkNode | DeviceNode | IpcNode;
