/**
 * The squashfs 4.0 writer: file contents are stored as they arrive (blocks
 * compressed on Workers), then `finish(root)` writes the inode, directory,
 * fragment, id and xattr tables and the superblock. Writes straight into a
 * file at an offset (a SIF partition), never through a temporary image.
 *
 * Format: squashfs-tools-ng `doc/format.adoc`; the reader that must accept
 * it is Linux `fs/squashfs/`, whose checks fix the order of the tables
 * (inodes, directories, fragment table, id table, xattrs, with each lookup
 * list ending where the next table begins).
 * @module
 */

import type { DirNode, FileData } from "../layers/image_tree.ts";
import { availableProcessors } from "../processors.ts";
import {
  applyMoves,
  hasDeadBlocks,
  liveExtents,
  planCompaction,
  reachedRecords,
  relocateFragments,
  worthCompacting,
} from "./compact.ts";
import { metadataCompressor } from "./compress.ts";
import { DataWriter } from "./data.ts";
import { COMPRESSOR, DEFAULT_BLOCK_SIZE, DEVICE_BLOCK, FLAGS, SUPERBLOCK_SIZE } from "./format.ts";
import { lookupTable } from "./metadata.ts";
import { CompressionPool } from "./pool.ts";
import { fileSink, type OutputSink } from "./sink.ts";
import { encodeSuperblock } from "./superblock.ts";
import { encodeTree } from "./tree.ts";

/** Options of {@link SquashfsWriter}. */
export interface SquashfsWriterOptions {
  compression: "gzip" | "zstd";
  /**
   * Compression level; default {@link DEFAULT_WRITER_LEVELS}. Measured on 48 MB of
   * binaries and docs, 128 KiB blocks: gzip 1 166 MB/s ratio 0.496, gzip 6
   * 58 MB/s 0.381, gzip 9 22 MB/s 0.368; zstd 3 194 MB/s 0.386.
   */
  level?: number;
  /** Data block size, a power of two from 4096 to 1048576; default 131072. */
  blockSize?: number;
  /**
   * Compression Workers; default the CPUs this process may use, capped by
   * SREGISTRY_PROCESSORS; never more than {@link MAX_WORKERS}.
   */
  processors?: number;
  /** The superblock's modification time (seconds); default now. SOURCE_DATE_EPOCH for reproducible images. */
  mkfsTime?: number;
  /**
   * Whether `finish()` moves live data down over the contents no inode
   * points at (files removed or replaced after they were written; see
   * `compact.ts`): "auto" (default) when that drops at least 1 MiB and 1% of
   * the data area, "always", or "never". Only when writing into a file.
   */
  compaction?: "auto" | "always" | "never";
}

/** Takes one file's content, in order. */
export interface FileSink {
  /** Adds `chunk` (read during the call only; the writer copies what it keeps). */
  write(chunk: Uint8Array): void;
  /** Adds `n` zero bytes; whole blocks of them become sparse blocks without being built. */
  zeros(n: number): void;
  /** Ends the file; its record is final once `finish()` resolves. */
  end(): FileData;
}

/**
 * Most compression Workers a writer starts, whatever `processors` says: each
 * costs about 14 MB of memory (measured: 1 Worker 25 MB, 4 Workers 66 MB,
 * 8 Workers 117 MB), so a 64-CPU login node would otherwise spend 900 MB on
 * them; and at gzip level 6 (about 55 MB/s per Worker on 128 KiB blocks)
 * four compress faster than the main thread parses and feeds the layers.
 */
export const MAX_WORKERS = 4;

/**
 * Default compression levels (the native pull's). gzip 2, measured in one run
 * on 2 CPUs (image size; time, median of 3): the benchmark image (170 MB)
 * level 1 67.4 MB 2.65 s, level 2 63.1 MB 2.34 s, level 3 62.8 MB 3.41 s,
 * level 6 61.0 MB 4.78 s; a 1.2 GB Debian image level 1 522 MB, level 2
 * 438 MB, level 6 405 MB (about 1.4x level 1's CPU for level 2, 2.3x for 6).
 * Level 2 is the lowest within 1.10x of Apptainer's gzip level 9 images.
 */
export const DEFAULT_WRITER_LEVELS = { gzip: 2, zstd: 3 } as const;

/**
 * Writes one squashfs image; see the module doc.
 *
 * @example
 * ```ts
 * import { SquashfsWriter } from "./writer.ts";
 * import type { DirNode, FileNode } from "../layers/image_tree.ts";
 *
 * const path = await Deno.makeTempFile();
 * using file = await Deno.open(path, { read: true, write: true });
 * const writer = new SquashfsWriter(file, 0, { compression: "gzip", processors: 1 });
 * const sink = writer.beginFile();
 * sink.write(new TextEncoder().encode("hello\n"));
 * await writer.drain();
 * const attrs = { mode: 0o644, uid: 0, gid: 0, mtime: 0 };
 * const hello: FileNode = { kind: "file", ...attrs, size: 6, data: sink.end() };
 * const root: DirNode = { kind: "dir", ...attrs, mode: 0o755, children: new Map([["hello", hello]]) };
 * const size = await writer.finish(root); // 4096: `unsquashfs -cat <path> hello` prints "hello"
 * await Deno.remove(path);
 * ```
 */
export class SquashfsWriter {
  #file: Deno.FsFile | undefined;
  #offset: number;
  #out: OutputSink;
  #pool: CompressionPool;
  #data: DataWriter;
  #codec: number;
  #level: number;
  #blockSize: number;
  #mkfsTime: number;
  #state: "open" | "finishing" | "done" = "open";
  #compaction: "auto" | "always" | "never";
  /** Bytes of the data area `finish()` dropped by compaction (0 when it did not compact). */
  droppedBytes = 0;

  /**
   * Writes into `file` (opened for reading too: compaction reads it back)
   * with the squashfs starting at byte `offset` of it (a
   * SIF partition offset; 0 for a bare image), or into an
   * {@link OutputSink}, which gets positions relative to the squashfs start
   * (`offset` unused). Starts the compression Workers: call `finish()` or
   * `abort()` to stop them. Throws RangeError on a bad option.
   */
  constructor(file: Deno.FsFile | OutputSink, offset: number, options: SquashfsWriterOptions) {
    if (!(options.compression in COMPRESSOR)) {
      throw new RangeError(
        `The native writer compresses with gzip or zstd, not ${options.compression}`,
      );
    }
    this.#codec = COMPRESSOR[options.compression];
    this.#level = options.level ?? DEFAULT_WRITER_LEVELS[options.compression];
    this.#blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    const log = Math.log2(this.#blockSize);
    if (!Number.isInteger(log) || log < 12 || log > 20) {
      throw new RangeError(
        `A squashfs block size is a power of two from 4096 to 1048576, got ${this.#blockSize}`,
      );
    }
    this.#mkfsTime = options.mkfsTime ?? Math.floor(Date.now() / 1000);
    this.#compaction = options.compaction ?? "auto";
    this.#offset = offset;
    if ("writeAt" in file) this.#out = file;
    else {
      this.#file = file;
      this.#out = fileSink(file, offset);
    }
    const processors = Math.min(options.processors ?? availableProcessors(), MAX_WORKERS);
    this.#pool = new CompressionPool(processors, this.#codec, this.#level);
    this.#data = new DataWriter(this.#pool, this.#out, this.#blockSize, processors * 8 + 8);
  }

  /** Starts a regular file's content. One file at a time: end() it before the next. */
  beginFile(): FileSink {
    if (this.#state !== "open") throw new Error("The squashfs writer is finished");
    return this.#data.beginFile();
  }

  /** Resolves once the blocks queued or compressing are below a bound (a few per Worker). */
  drain(): Promise<void> {
    return this.#data.drain();
  }

  /**
   * Writes the tables and the superblock for the tree under `root`, pads the
   * image to a multiple of 4096 bytes (cutting the file there when writing to
   * a file) and stops the Workers. Returns the image size in bytes, padding
   * included. Throws `SquashfsLimitError` on what squashfs cannot hold
   * (a name over 256 bytes, over 65536 distinct owners, a device number out
   * of range).
   */
  async finish(root: DirNode): Promise<number> {
    if (this.#state !== "open") throw new Error("The squashfs writer is already finished");
    this.#state = "finishing";
    try {
      const data = await this.#data.finish();
      const compacted = await this.#compact(root, data.end, data.fragments);
      const size = this.#writeTables(root, compacted.end, compacted.fragments, compacted.relocate);
      this.#state = "done";
      return size;
    } finally {
      this.#pool.close();
    }
  }

  /** Stops the Workers and fails pending waits; the output is left as is for the caller to remove. */
  abort(): Promise<void> {
    this.#state = "done";
    this.#data.fail(new Error("The squashfs writer was aborted"));
    this.#pool.close();
    return Promise.resolve();
  }

  /** Compacts the data area when the option says so (see `compact.ts`). */
  async #compact(root: DirNode, end: number, fragments: Uint8Array) {
    const file = this.#file;
    if (file === undefined || this.#compaction === "never") return { end, fragments };
    const reached = reachedRecords(root, this.#data.files);
    if (!hasDeadBlocks(reached, this.#data.files, this.#blockSize)) return { end, fragments };
    const plan = planCompaction(
      liveExtents(reached, {
        files: this.#data.files,
        blockSize: this.#blockSize,
        blockSizes: (first, count) => this.#data.blockSizes(first, count),
        fragments,
      }),
      SUPERBLOCK_SIZE,
      end,
    );
    const worth = this.#compaction === "always"
      ? plan.dropped > 0
      : worthCompacting(plan.dropped, end - SUPERBLOCK_SIZE);
    if (!worth) return { end, fragments };
    await applyMoves(file, this.#offset, plan.moves);
    this.#out = fileSink(file, this.#offset); // the moves left the file elsewhere
    this.droppedBytes = plan.dropped;
    return {
      end: plan.end,
      fragments: relocateFragments(fragments, plan.relocate),
      relocate: plan.relocate,
    };
  }

  #writeTables(
    root: DirNode,
    dataEnd: number,
    fragments: Uint8Array,
    relocate?: (start: number) => number,
  ): number {
    const compress = metadataCompressor(this.#codec, this.#level);
    const tree = encodeTree(root, {
      compress,
      blockSize: this.#blockSize,
      blockSizes: (first, count) => this.#data.blockSizes(first, count),
      files: this.#data.files,
      relocate,
    });
    let at = dataEnd;
    const put = (part: { chunks: Uint8Array[]; length: number }) => {
      for (const chunk of part.chunks) {
        this.#out.writeAt(chunk, at);
        at += chunk.length;
      }
    };
    const inodeTableStart = at;
    put(tree.inodes);
    const directoryTableStart = at;
    put(tree.directories);
    const fragmentCount = fragments.length / 16;
    let fragmentTableStart = at;
    if (fragmentCount > 0) {
      const table = lookupTable(fragments, at, compress);
      fragmentTableStart = table.listStart;
      put(table);
    }
    const ids = lookupTable(tree.ids, at, compress);
    const idTableStart = ids.listStart;
    put(ids);
    let xattrTableStart: number | undefined;
    if (tree.xattrs.count > 0) {
      const xattrs = tree.xattrs.finish(at);
      xattrTableStart = xattrs.tableStart;
      put(xattrs);
    }
    const bytesUsed = at;
    this.#out.writeAt(
      encodeSuperblock({
        inodeCount: tree.inodeCount,
        modificationTime: this.#mkfsTime,
        blockSize: this.#blockSize,
        fragmentCount,
        compressor: this.#codec,
        flags: FLAGS.DUPLICATES | (xattrTableStart === undefined ? FLAGS.NO_XATTRS : 0),
        idCount: tree.idCount,
        rootInode: tree.rootRef,
        bytesUsed,
        idTableStart,
        xattrTableStart,
        inodeTableStart,
        directoryTableStart,
        fragmentTableStart,
      }),
      0,
    );
    const size = Math.ceil(bytesUsed / DEVICE_BLOCK) * DEVICE_BLOCK;
    if (size > bytesUsed) this.#out.writeAt(new Uint8Array(size - bytesUsed), bytesUsed);
    this.#file?.truncateSync(this.#offset + size);
    return size;
  }
}
