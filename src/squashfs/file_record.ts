/**
 * The writer's record of one stored file content ({@link FileData}), plus
 * the inode fields `finish()` assigns (inode number, link count, inode
 * reference) so hard links, which share one FileNode, share one inode.
 * @module
 */

import type { FileData } from "../layers/image_tree.ts";

/** A {@link FileData} as the squashfs writer fills it. */
export class FileRecord implements FileData {
  start = 0;
  blocks = -1;
  fragment = -1;
  fragmentOffset = 0;
  sparse = 0;
  /** Inode number, 0 until `finish()` numbers the tree. */
  ino = 0;
  /** Names this content is linked under, counted by `finish()`. */
  nlink = 0;
  /** Inode reference once the inode is written, else -1. */
  ref = -1;

  /** A record for `size` bytes of content. */
  constructor(public size: number) {}
}

/** The record of `data`, which must have come from this writer. */
export function asRecord(data: FileData | undefined, size: number): FileRecord {
  if (data === undefined) {
    if (size !== 0) throw new Error(`A file of ${size} bytes has no stored content`);
    return new FileRecord(0);
  }
  if (!(data instanceof FileRecord)) throw new TypeError("FileData not made by SquashfsWriter");
  if (data.size !== size) {
    throw new Error(`A file's size is ${size} bytes but ${data.size} bytes were stored`);
  }
  return data;
}
