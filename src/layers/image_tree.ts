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
 * Where a regular file's content lies in the squashfs being written: a
 * record number the content sink gave (`FileSink.end()`; for the squashfs
 * writer an index in its table of stored contents, whose fields it fills in
 * as the blocks are compressed, all final after `SquashfsWriter.finish`).
 * Opaque to the layer engine. One record per stored content: give each
 * FileNode the record of its own `FileSink`. A number, not an object, so the
 * tree holds no second object per file (see `src/squashfs/file_table.ts`).
 */
export type FileData = number;

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
