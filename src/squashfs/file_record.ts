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

  /** A record for `size` bytes of content stored by the writer numbered `owner`. */
  constructor(public size: number, readonly owner: number) {}
}

let owners = 0;

/** A number for a new writer, so its records can be told from another writer's. */
export function newOwner(): number {
  return ++owners;
}

/**
 * The record of `data` for the writer `owner`: a new empty one for an empty
 * file with none, or with one a previous image's writer made (a tree written
 * twice). Throws when a non-empty file has no record or another writer's, or
 * when the sizes disagree.
 */
export function asRecord(data: FileData | undefined, size: number, owner: number): FileRecord {
  if (data !== undefined && !(data instanceof FileRecord)) {
    throw new TypeError("FileData not made by SquashfsWriter");
  }
  if (data === undefined || (data.owner !== owner && data.size === 0)) {
    if (size !== 0) throw new Error(`A file of ${size} bytes has no stored content`);
    return new FileRecord(0, owner);
  }
  if (data.owner !== owner) {
    throw new Error("A file's content was stored by another SquashfsWriter");
  }
  if (data.size !== size) {
    throw new Error(`A file's size is ${size} bytes but ${data.size} bytes were stored`);
  }
  return data;
}

/**
 * The number of blocks (full or sparse) of a stored content: all of it in
 * blocks, or all but the tail when the tail is in a fragment block.
 */
export function fileBlockCount(
  record: { size: number; fragment: number },
  blockSize: number,
): number {
  return record.fragment >= 0
    ? Math.floor(record.size / blockSize)
    : Math.ceil(record.size / blockSize);
}
