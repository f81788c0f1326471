/**
 * What the layer engine (`engine.ts`) tells its backends. The engine applies
 * every rule (whiteouts, opaque folders, hard links, replacing, resolving
 * paths through symbolic links) on the in-memory image tree; a backend
 * mirrors each resulting change: {@link ContentTarget} stores file bodies for
 * the squashfs image, `disk_target.ts` writes the sandbox folder. Paths are
 * resolved, relative to the root, byte strings; the nodes are the tree's.
 * @module
 */
import type { ByteString } from "../byte_string.ts";
import type { DirNode, FileData, FileNode, ImageNode } from "./image_tree.ts";

/** Receives one file's body, chunk by chunk, then `end()`. */
export interface BodyWriter {
  /** A chunk of the body (valid only during the call); a promise means "wait before the next". */
  write(chunk: Uint8Array): void | Promise<void>;
  /** The body is complete. */
  end(): void | Promise<void>;
  /** `n` zero bytes (a sparse file's hole), left unwritten where the backend can. */
  hole?(n: number): void | Promise<void>;
}

/** Times a tar entry carries beyond the node (seconds, may be fractional). */
export interface EntryTimes {
  atime: number;
  mtime: number;
}

/** One backend of the engine: mirrors every change the engine makes to the tree. */
export interface LayerTarget {
  /** A folder was created at `rel` (`implicit`: a missing parent, not a tar entry). */
  mkdir(rel: ByteString, dir: DirNode, implicit: boolean): void | Promise<void>;
  /** An existing folder got a tar entry of its own (owner and xattrs may change). */
  updateDir(rel: ByteString, dir: DirNode): void | Promise<void>;
  /** `node` (and everything below it) was removed from `rel`. */
  remove(rel: ByteString, node: ImageNode): void | Promise<void>;
  /**
   * A regular file was put at `rel` (nothing is there any more), or, with
   * `rewrite`, the existing file `node` gets new content (its hard links share it).
   */
  file(
    rel: ByteString,
    node: FileNode,
    times: EntryTimes,
    rewrite?: boolean,
  ): BodyWriter | Promise<BodyWriter>;
  /** A symbolic link, device node, FIFO or socket was put at `rel`. */
  special(rel: ByteString, node: ImageNode, times: EntryTimes): void | Promise<void>;
  /** `rel` became another name of the node at `target` (a copy, for nodes other than files). */
  hardlink(rel: ByteString, target: ByteString, node: ImageNode): void | Promise<void>;
  /** Every layer and the extra files are applied; `root` is the final tree. */
  finish(root: DirNode): void | Promise<void>;
  /** Stops early work (threads) after a failure; the output is abandoned. */
  abort(): void;
}

/** Where one file's content goes (`SquashfsWriter.beginFile()`'s shape). */
export interface FileSink {
  /** A chunk of the content (valid only during the call). */
  write(chunk: Uint8Array): void;
  /** `n` zero bytes of content, stored as sparse blocks where whole (optional). */
  zeros?(n: number): void;
  /** The content is complete; where it was stored. */
  end(): FileData;
}

/** Stores file contents as they arrive (`SquashfsWriter`'s shape). */
export interface ContentSink {
  beginFile(): FileSink;
  /** Resolves when the sink has room for more (backpressure): await between chunks. */
  drain(): Promise<void>;
}

/**
 * The image backend: the tree is the image, so only file bodies need
 * storing; they go to the sink as they arrive. Counts the bytes stored, so
 * {@link ContentTarget.wastedBytes} can tell what upper layers threw away.
 */
export class ContentTarget implements LayerTarget {
  #sink: ContentSink;
  /** Uncompressed bytes stored, all files. */
  storedBytes = 0;
  /** Uncompressed bytes stored of files no longer in the tree (set by `finish`). */
  wastedBytes = 0;

  constructor(sink: ContentSink) {
    this.#sink = sink;
  }

  mkdir(): void {}
  updateDir(): void {}
  remove(): void {}
  special(): void {}
  hardlink(): void {}
  abort(): void {}

  file(_rel: ByteString, node: FileNode): BodyWriter {
    const out = this.#sink.beginFile();
    const sink = this.#sink;
    let size = 0;
    return {
      write: (chunk) => {
        out.write(chunk);
        size += chunk.length;
        this.storedBytes += chunk.length;
        return sink.drain();
      },
      hole: async (n) => {
        if (out.zeros) {
          out.zeros(n);
          size += n;
          this.storedBytes += n;
          return await sink.drain();
        }
        const zeros = new Uint8Array(Math.min(n, 1 << 20));
        for (; n > 0; n -= zeros.length) {
          const chunk = n >= zeros.length ? zeros : zeros.subarray(0, n);
          out.write(chunk);
          size += chunk.length;
          this.storedBytes += chunk.length;
          await sink.drain();
        }
      },
      end: () => {
        node.data = out.end();
        node.size = size;
      },
    };
  }

  /**
   * Counts the stored bytes that no name of the final tree reaches. A file
   * (all its hard links) is counted once: a bit per content record (each
   * FileNode has its own, see `FileData`), as a set of 300,000 nodes took 10
   * MB at the build's peak; nodes with no small record number go to a set.
   */
  finish(root: DirNode): void {
    let bits = new Uint8Array(1024);
    const others = new Set<FileNode>();
    const first = (node: FileNode): boolean => {
      const r = node.data;
      if (r === undefined || !Number.isInteger(r) || r < 0 || r >= 2 ** 31) {
        return others.size < others.add(node).size;
      }
      if (r >> 3 >= bits.length) {
        const grown = new Uint8Array(Math.max(bits.length * 2, (r >> 3) + 1));
        grown.set(bits);
        bits = grown;
      }
      const bit = 1 << (r & 7);
      if (bits[r >> 3] & bit) return false;
      bits[r >> 3] |= bit;
      return true;
    };
    let live = 0;
    const walk = (dir: DirNode) => {
      for (const node of dir.children.values()) {
        if (node.kind === "dir") walk(node);
        else if (node.kind === "file" && first(node)) live += node.size;
      }
    };
    walk(root);
    this.wastedBytes = this.storedBytes - live;
  }
}
