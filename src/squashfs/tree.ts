/**
 * Turns the image tree into the inode table, directory table, id table and
 * xattr table (pure, in memory). Inode numbers: the root is 1, and each
 * folder numbers its children consecutively in name order before descending,
 * so a listing needs few headers; a hard link (one FileNode under several
 * names) gets one number and one inode with its link count. Inodes are
 * written children first, so every listing can point at its entries' inodes
 * and every folder inode at its listing.
 * @module
 */

import type { DirNode, FileData, FileNode, ImageNode, NodeAttrs } from "../layers/image_tree.ts";
import { writeListing } from "./directory.ts";
import type { DirEntry } from "./directory.ts";
import { FIELD, fileBlockCount, type FileTable } from "./file_table.ts";
import {
  BASIC_TYPE,
  encodeDeviceInode,
  encodeDirInode,
  encodeFileInode,
  encodeIpcInode,
  encodeSymlinkInode,
  type InodeHeader,
} from "./inode.ts";
import { type BlockCompressor, MetadataWriter } from "./metadata.ts";
import { XattrTable } from "./xattr.ts";
import { SquashfsLimitError } from "./errors.ts";
import { RecordBuilder } from "./_record.ts";

/** The encoded tables of a tree. */
export interface EncodedTree {
  inodes: { chunks: Uint8Array[]; length: number };
  directories: { chunks: Uint8Array[]; length: number };
  /** The id table's entries (u32 each). */
  ids: Uint8Array;
  idCount: number;
  xattrs: XattrTable;
  rootRef: number;
  inodeCount: number;
}

/** Where a file's block size words are (the data writer's list). */
export type BlockSizes = (first: number, count: number) => Uint32Array;

/**
 * Encodes the tables of the tree under `root`. File nodes must carry the
 * records the writer gave (`data`, an index in `files`), or none when empty
 * (such nodes are given records in `files`, not in the tree, so the tree can
 * be written again by another writer). Throws {@link SquashfsLimitError} on
 * a name, id or device number the format cannot hold, and an Error when a
 * file's record is missing or not of its size.
 */
export function encodeTree(
  root: DirNode,
  options: {
    compress: BlockCompressor;
    blockSize: number;
    blockSizes: BlockSizes;
    /** The records of the contents the writer stored (`DataWriter.files`). */
    files: FileTable;
    /** Where a content's first block moved to (compaction); default where it was written. */
    relocate?: (start: number) => number;
  },
): EncodedTree {
  const encoder = new TreeEncoder(options);
  return encoder.encode(root);
}

class TreeEncoder {
  #inodes: MetadataWriter;
  #dirs: MetadataWriter;
  #xattrs: XattrTable;
  #ids = new Map<number, number>();
  #next = 1;
  #count = 0;
  #out = new RecordBuilder();
  #blockSize: number;
  #blockSizes: BlockSizes;
  #files: FileTable;
  /** Records of the empty files that came without one. */
  #dataless = new Map<FileNode, FileData>();
  /** Per record: inode number (0 until numbered), names linked, inode reference (-1: not written). */
  #ino = new Int32Array(0);
  #nlink = new Int32Array(0);
  #ref = new Float64Array(0);

  #relocate: (start: number) => number;

  constructor(
    o: {
      compress: BlockCompressor;
      blockSize: number;
      blockSizes: BlockSizes;
      files: FileTable;
      relocate?: (start: number) => number;
    },
  ) {
    this.#inodes = new MetadataWriter(o.compress);
    this.#dirs = new MetadataWriter(o.compress);
    this.#xattrs = new XattrTable(o.compress);
    this.#blockSize = o.blockSize;
    this.#blockSizes = o.blockSizes;
    this.#files = o.files;
    this.#relocate = o.relocate ?? ((start) => start);
  }

  encode(root: DirNode): EncodedTree {
    this.#count = this.#countInodes(root);
    const rootRef = this.#writeDir(root, this.#next++, this.#count + 1);
    const ids = new Uint8Array(this.#ids.size * 4);
    const view = new DataView(ids.buffer);
    for (const [id, index] of this.#ids) view.setUint32(index * 4, id, true);
    return {
      inodes: this.#inodes.finish(),
      directories: this.#dirs.finish(),
      ids,
      idCount: this.#ids.size,
      xattrs: this.#xattrs,
      rootRef,
      inodeCount: this.#count,
    };
  }

  #writeDir(dir: DirNode, ino: number, parent: number): number {
    const names = [...dir.children.keys()].sort();
    const nodes = names.map((name) => dir.children.get(name)!);
    const numbers = nodes.map((node) => {
      if (node.kind !== "file") return this.#next++;
      const record = this.#record(node);
      if (this.#ino[record] === 0) this.#ino[record] = this.#next++;
      return this.#ino[record];
    });
    const refs = new Array<number>(nodes.length);
    let subdirs = 0;
    nodes.forEach((node, i) => {
      if (node.kind !== "dir") return;
      refs[i] = this.#writeDir(node, numbers[i], ino);
      subdirs++;
    });
    nodes.forEach((node, i) => {
      if (node.kind !== "dir") refs[i] = this.#writeLeaf(node, numbers[i]);
    });
    const entries: DirEntry[] = nodes.map((node, i) => ({
      name: names[i],
      ino: numbers[i],
      ref: refs[i],
      type: BASIC_TYPE[node.kind],
    }));
    const place = writeListing(this.#dirs, entries);
    const ref = this.#inodes.reference();
    encodeDirInode(this.#out.reset(), this.#header(dir, ino), {
      ...place,
      parent,
      nlink: subdirs + 2,
    });
    this.#inodes.write(this.#out.bytes());
    return ref;
  }

  #writeLeaf(node: Exclude<ImageNode, DirNode>, ino: number): number {
    if (node.kind === "file") {
      const record = this.#record(node);
      if (this.#ref[record] >= 0) return this.#ref[record];
      this.#ref[record] = this.#inodes.reference();
      this.#writeFile(node, record);
      return this.#ref[record];
    }
    const ref = this.#inodes.reference();
    const out = this.#out.reset();
    const header = this.#header(node, ino);
    if (node.kind === "symlink") encodeSymlinkInode(out, header, node.target);
    else if (node.kind === "char" || node.kind === "block") {
      encodeDeviceInode(out, header, node.kind, node.major, node.minor);
    } else encodeIpcInode(out, header, node.kind);
    this.#inodes.write(out.bytes());
    return ref;
  }

  #writeFile(node: FileNode, record: FileData): void {
    const files = this.#files;
    const size = files.get(record, FIELD.size);
    const fragment = files.get(record, FIELD.fragment);
    const blocks = files.get(record, FIELD.blocks);
    const count = fileBlockCount(size, fragment, this.#blockSize);
    if (count > 0 && blocks < 0) throw new Error("A file's blocks were never written");
    const blockSizes = count > 0 ? this.#blockSizes(blocks, count) : new Uint32Array(0);
    encodeFileInode(this.#out.reset(), this.#header(node, this.#ino[record]), {
      start: this.#relocate(files.get(record, FIELD.start)),
      size,
      fragment,
      fragmentOffset: files.get(record, FIELD.fragmentOffset),
      sparse: files.sparse(record),
      nlink: this.#nlink[record],
      blockSizes,
    });
    this.#inodes.write(this.#out.bytes());
  }

  /** The record of file node `node`: its own, or the one given to it as an empty file without. */
  #record(node: FileNode): FileData {
    return node.data ?? this.#dataless.get(node)!;
  }

  /**
   * Counts the inodes under `root` (itself included), checking each file
   * node's record (an empty file without one gets one) and counting its
   * links. Iterative: deep trees do not grow the stack.
   */
  #countInodes(root: DirNode): number {
    const files = this.#files;
    const fileNodes: FileNode[] = [];
    let count = 1;
    const stack: DirNode[] = [root];
    while (stack.length > 0) {
      for (const node of stack.pop()!.children.values()) {
        if (node.kind === "dir") {
          stack.push(node);
          count++;
        } else if (node.kind === "file") {
          if (node.data === undefined) {
            if (node.size !== 0) {
              throw new Error(`A file of ${node.size} bytes has no stored content`);
            }
            if (!this.#dataless.has(node)) this.#dataless.set(node, files.add(0));
          } else if (!files.has(node.data)) {
            throw new TypeError("A file's content was not stored by this SquashfsWriter");
          } else if (files.get(node.data, FIELD.size) !== node.size) {
            throw new Error(
              `A file's size is ${node.size} bytes but ${
                files.get(node.data, FIELD.size)
              } bytes were stored`,
            );
          }
          fileNodes.push(node);
        } else count++;
      }
    }
    this.#ino = new Int32Array(files.count);
    this.#nlink = new Int32Array(files.count);
    this.#ref = new Float64Array(files.count).fill(-1);
    for (const node of fileNodes) if (this.#nlink[this.#record(node)]++ === 0) count++;
    return count;
  }

  #header(node: NodeAttrs, ino: number): InodeHeader {
    return {
      mode: node.mode,
      uidIndex: this.#id(node.uid),
      gidIndex: this.#id(node.gid),
      mtime: node.mtime,
      ino,
      xattr: this.#xattrs.add(node.xattrs),
    };
  }

  #id(id: number): number {
    let index = this.#ids.get(id);
    if (index === undefined) {
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
        throw new SquashfsLimitError(
          `Cannot build the image: owner id ${id} is not a 32-bit unsigned integer: the image cannot be stored in a SIF`,
        );
      }
      index = this.#ids.size;
      if (index > 0xffff) {
        throw new SquashfsLimitError(
          "Cannot build the image: it has more than 65536 distinct owner ids (uid and gid), squashfs holds 65536: the image cannot be stored in a SIF",
        );
      }
      this.#ids.set(id, index);
    }
    return index;
  }
}
