/**
 * The sandbox backend of the layer engine: mirrors each change of the image
 * tree onto a folder with synchronous file operations (Deno's async ops cost
 * about 8x more per file). The engine has already resolved every path inside
 * the root, so nothing here reads the disk to decide. Small regular files are
 * written by worker threads (`_write_pool.ts`); a removal or hard link that
 * could touch a pending file waits for them first.
 *
 * Folders stay owner-writable (0700) while layers are written; extended
 * attributes, then folder modes and times, are applied last, from the final
 * tree (`lsetxattr` through `_xattr.ts`). Without root, owners are not
 * applied, device nodes and FIFOs are skipped, folders keep the owner's rwx
 * so the sandbox stays deletable, and xattrs Linux keeps for root
 * (`security.*`, `trusted.*`) are counted, not set; these are the only
 * relaxations, and they exist only here (the image keeps everything).
 * @module
 */
import { join } from "node:path";
import { type ByteString, byteStringToText } from "../byte_string.ts";
import type { DirNode, FileNode, ImageNode } from "./image_tree.ts";
import type { BodyWriter, EntryTimes, LayerTarget } from "./target.ts";
import { treeError } from "./tree_paths.ts";
import { makeNode, removeAll, setOwner, setTimes } from "./_fsops.ts";
import { SMALL_FILE, WritePool } from "./_write_pool.ts";
import { openSetXattr, type SetXattr, setXattrs } from "./_xattr.ts";

/** Options of {@link DiskTarget}. */
export interface DiskTargetOptions {
  /** Apply owners and create device nodes; default `Deno.uid() === 0`. */
  isRoot?: boolean;
  /** Threads creating small files; default the CPU count (at most 4); 0 writes on this thread. */
  writers?: number;
}

/** Writes the tree into an existing folder. */
export class DiskTarget implements LayerTarget {
  /** The absolute root folder. */
  readonly root: string;
  readonly isRoot: boolean;
  /** Device nodes and FIFOs not created (no root). */
  devices = 0;
  /** Extended attributes not set (set by `finish`). */
  xattrs = 0;
  /** Why they were not set: `<namespace>.* (<reason>)` to a count (set by `finish`). */
  readonly xattrKinds: Map<string, number> = new Map();
  /** Folders kept owner-writable against their mode (set by `finish`). */
  relaxed = 0;
  #pool?: WritePool;
  #rootDeclared = false;
  /** Device nodes and FIFOs not created. */
  #absent = new WeakSet<ImageNode>();
  #setXattr?: SetXattr | { unavailable: string };

  /** @param root an absolute, existing folder */
  constructor(root: string, options: DiskTargetOptions = {}) {
    this.root = root;
    this.isRoot = options.isRoot ?? Deno.uid() === 0;
    const writers = options.writers ?? Math.min(4, navigator.hardwareConcurrency || 1);
    if (writers > 0) this.#pool = new WritePool(writers);
  }

  /** The host path of resolved path `rel`. */
  path(rel: ByteString): string {
    if (rel === "") return this.root;
    const text = byteStringToText(rel);
    if (text === undefined) {
      throw treeError("EINVAL", "the name is not UTF-8, which a folder on this system cannot hold");
    }
    return join(this.root, text);
  }

  mkdir(rel: ByteString, dir: DirNode, implicit: boolean): void {
    const abs = this.path(rel);
    Deno.mkdirSync(abs);
    Deno.chmodSync(abs, 0o700);
    if (this.isRoot) Deno.chownSync(abs, implicit ? 0 : dir.uid, implicit ? 0 : dir.gid);
  }

  updateDir(rel: ByteString, dir: DirNode): void {
    if (rel === "") this.#rootDeclared = true;
    if (this.isRoot) Deno.chownSync(this.path(rel), dir.uid, dir.gid);
  }

  async remove(rel: ByteString, node: ImageNode): Promise<void> {
    const abs = this.path(rel);
    if (node.kind === "dir" || this.#pool?.has(abs)) await this.flush();
    try {
      removeAll(abs, node.kind === "dir");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // a skipped device node
    }
  }

  file(rel: ByteString, node: FileNode, times: EntryTimes, rewrite = false): BodyWriter {
    const abs = this.path(rel);
    if (rewrite || (this.#pool && node.size <= SMALL_FILE)) {
      // A buffer of its own: it is transferred to a worker.
      const data = new Uint8Array(node.size);
      let offset = 0;
      const holes: number[] = []; // pairs: offset, length
      return {
        write: (chunk) => {
          data.set(chunk, offset);
          offset += chunk.length;
        },
        hole: (n) => {
          holes.push(offset, n);
          offset += n; // the buffer is zeros already
        },
        end: async () => {
          if (rewrite) return await this.#rewrite(abs, node, data.subarray(0, offset));
          if (holes.length > 0) {
            return this.#writeSparse(abs, data.subarray(0, offset), holes, node, times);
          }
          this.#pool!.add({
            path: abs,
            data: data.subarray(0, offset),
            mode: node.mode,
            uid: this.isRoot ? node.uid : undefined,
            gid: this.isRoot ? node.gid : undefined,
            atime: times.atime,
            mtime: times.mtime,
          });
        },
      };
    }
    const file = Deno.openSync(abs, { write: true, createNew: true, mode: 0o600 });
    let holeAtEnd = 0; // a hole is skipped by seeking; one at the end sets the length
    return {
      write: (chunk) => {
        let offset = 0;
        while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
        holeAtEnd = 0;
      },
      hole: (n) => {
        // As GNU tar writes a sparse file: the hole is left unallocated.
        holeAtEnd = file.seekSync(n, Deno.SeekMode.Current);
      },
      end: () => {
        try {
          if (holeAtEnd > 0) file.truncateSync(holeAtEnd);
        } finally {
          file.close();
        }
        this.#metadata(abs, node, times, false);
      },
    };
  }

  special(rel: ByteString, node: ImageNode, times: EntryTimes): void {
    const abs = this.path(rel);
    if (node.kind === "symlink") {
      const target = byteStringToText(node.target);
      if (target === undefined) {
        throw treeError("EINVAL", "the link target is not UTF-8, which this system cannot write");
      }
      Deno.symlinkSync(target, abs);
      return this.#metadata(abs, node, times, true);
    }
    if (node.kind === "socket") return void this.#absent.add(node);
    const made = this.isRoot && node.kind !== "dir" && node.kind !== "file" &&
      makeNode(abs, node.kind, "major" in node ? node.major : 0, "minor" in node ? node.minor : 0);
    if (!made) {
      this.#absent.add(node);
      return void this.devices++;
    }
    this.#metadata(abs, node, times, false);
  }

  async hardlink(rel: ByteString, target: ByteString, node: ImageNode): Promise<void> {
    const from = this.path(target);
    if (this.#pool?.has(from)) await this.flush();
    if (node.kind !== "file" && node.kind !== "symlink" && !this.isRoot) {
      this.#absent.add(node);
      return void this.devices++; // its target was not created either
    }
    Deno.linkSync(from, this.path(rel));
  }

  /** Waits for the small files being written; a failure names the file. */
  async flush(): Promise<void> {
    try {
      await this.#pool?.flush();
    } catch (e) {
      const path = (e as { path?: string }).path ?? "";
      const rel = path.startsWith(this.root) ? path.slice(this.root.length + 1) : path;
      throw Object.assign(new Error(`${JSON.stringify(rel)}: ${(e as Error).message}`), {
        cause: e,
      });
    }
  }

  /** Writes the pending files, then extended attributes, then folder modes and times, deepest first. */
  async finish(root: DirNode): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.abort();
    }
    this.#applyXattrs(root);
    const dirs: [string, DirNode, number][] = [];
    const walk = (dir: DirNode, rel: ByteString, depth: number) => {
      for (const [name, node] of dir.children) {
        if (node.kind !== "dir") continue;
        const path = rel ? `${rel}/${name}` : name;
        dirs.push([path, node, depth]);
        walk(node, path, depth + 1);
      }
    };
    walk(root, "", 1);
    dirs.sort((a, b) => b[2] - a[2]);
    if (this.#rootDeclared) dirs.push(["", root, 0]);
    // An undeclared root keeps the folder's mode but takes the image's time
    // (the build's), as in the native writer's image.
    else setTimes(this.path(""), root.mtime, root.mtime, false);
    for (const [rel, dir] of dirs) {
      const mode = this.isRoot ? dir.mode : dir.mode | 0o700;
      if (mode !== dir.mode) this.relaxed++;
      const abs = this.path(rel);
      Deno.chmodSync(abs, mode);
      setTimes(abs, dir.mtime, dir.mtime, false);
    }
  }

  abort(): void {
    this.#pool?.close();
    this.#pool = undefined;
  }

  #metadata(abs: string, node: ImageNode, times: EntryTimes, isSymlink: boolean): void {
    if (this.isRoot) setOwner(abs, node.uid, node.gid, isSymlink);
    if (!isSymlink) Deno.chmodSync(abs, node.mode);
    setTimes(abs, times.atime, times.mtime, isSymlink);
  }

  /** A small sparse file, on this thread: its holes (`[offset, length]` pairs) left unwritten. */
  #writeSparse(
    abs: string,
    data: Uint8Array,
    holes: number[],
    node: FileNode,
    times: EntryTimes,
  ): void {
    const file = Deno.openSync(abs, { write: true, createNew: true, mode: 0o600 });
    try {
      let at = 0;
      for (let i = 0; i <= holes.length; i += 2) {
        const end = i < holes.length ? holes[i] : data.length;
        for (let offset = at; offset < end;) offset += file.writeSync(data.subarray(offset, end));
        if (i === holes.length) break;
        at = holes[i] + holes[i + 1];
        file.seekSync(at, Deno.SeekMode.Start);
      }
      file.truncateSync(data.length);
    } finally {
      file.close();
    }
    this.#metadata(abs, node, times, false);
  }

  /** An existing file (and its hard links) gets new content, keeping its inode and owner. */
  async #rewrite(abs: string, node: FileNode, data: Uint8Array): Promise<void> {
    if (this.#pool?.has(abs)) await this.flush();
    Deno.writeFileSync(abs, data);
    Deno.chmodSync(abs, node.mode);
    setTimes(abs, node.mtime, node.mtime, false);
  }

  /** Sets every node's xattrs once (hard links share the node); failures are counted by kind. */
  #applyXattrs(root: DirNode): void {
    const seen = new Set<ImageNode>();
    const walk = (node: ImageNode, rel: ByteString) => {
      if (node.xattrs && !seen.has(node) && !this.#absent.has(node)) {
        seen.add(node);
        this.#setXattrs(rel, node);
      }
      if (node.kind !== "dir") return;
      for (const [name, child] of node.children) walk(child, rel ? `${rel}/${name}` : name);
    };
    walk(root, "");
  }

  #setXattrs(rel: ByteString, node: ImageNode): void {
    this.#setXattr ??= openSetXattr();
    const abs = this.path(rel);
    // Without root, user.* needs write permission: a read-only file is opened up meanwhile.
    const opened = !this.isRoot && node.kind === "file" && (node.mode & 0o200) === 0;
    if (opened) Deno.chmodSync(abs, node.mode | 0o200);
    try {
      for (const kind of setXattrs(this.#setXattr, abs, node.xattrs ?? [], this.isRoot)) {
        this.xattrs++;
        this.xattrKinds.set(kind, (this.xattrKinds.get(kind) ?? 0) + 1);
      }
    } finally {
      if (opened) Deno.chmodSync(abs, node.mode);
    }
  }
}
