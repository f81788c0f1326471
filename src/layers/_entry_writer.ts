/**
 * Creates one tar entry of each kind (directory, regular file, symbolic link,
 * hard link, device node or FIFO) at its place in the root: whatever the
 * entry replaces is removed first, then owner (when root), mode and times are
 * set, and the path is recorded as written by the current layer. Small regular
 * files do not come here: the writer hands them to the worker pool.
 * @module
 */
import { join } from "node:path";
import { byteStringToText } from "../byte_string.ts";
import { cleanEntryName, resolveRelative, wasReRooted } from "./paths.ts";
import type { EntryHeader } from "./_header.ts";
import { type LayerFormatError, quoteName, refuseEntry } from "./_errors.ts";
import { lstatOrUndefined, makeNode, setOwner, setTimes, writeNewFile } from "./_fsops.ts";
import type { LowerLayers } from "./_lower.ts";
import type { SkipTotals } from "./_summary.ts";
import type { RootTree } from "./_tree.ts";

/** The error for an entry the layer should not contain. */
export function refuse(h: EntryHeader, label: string, reason: string): LayerFormatError {
  return refuseEntry(h.name, label, reason);
}

/** Creates entries in `tree`, reporting what it wrote to `lower` and re-rooted links to `totals`. */
export class EntryWriter {
  #tree: RootTree;
  #lower: LowerLayers;
  #totals: SkipTotals;

  constructor(tree: RootTree, lower: LowerLayers, totals: SkipTotals) {
    this.#tree = tree;
    this.#lower = lower;
    this.#totals = totals;
  }

  /** A directory (`name` "" is the root); its mode and times wait for `finish()`. */
  directory(name: string, h: EntryHeader): void {
    const { rel, abs, existing } = name === ""
      ? { rel: "", abs: this.#tree.root, existing: Deno.lstatSync(this.#tree.root) }
      : this.#tree.place(name);
    if (existing && !existing.isDirectory) this.#tree.remove(rel, existing);
    if (!existing?.isDirectory) {
      Deno.mkdirSync(abs);
      Deno.chmodSync(abs, 0o700);
    }
    if (this.#tree.isRoot) Deno.chownSync(abs, h.uid, h.gid);
    this.#tree.setDirectory(rel, { mode: h.mode, atime: h.atime, mtime: h.mtime });
    this.#lower.written(rel);
  }

  /** A regular file written on this thread. */
  async file(name: string, h: EntryHeader, body: AsyncIterable<Uint8Array>): Promise<void> {
    const { rel, abs, existing } = this.#tree.place(name);
    if (existing) this.#tree.remove(rel, existing);
    await writeNewFile(abs, body);
    this.#metadata(abs, h, false);
    this.#lower.written(rel);
  }

  /** A symbolic link (its target UTF-8); the target is stored as is, never followed here. */
  symlink(name: string, h: EntryHeader, label: string): void {
    if (h.linkname === "" || h.linkname.includes("\0")) {
      throw refuse(h, label, "the symbolic link has an empty or NUL-containing target");
    }
    const { rel, abs, existing } = this.#tree.place(name);
    if (existing) this.#tree.remove(rel, existing);
    Deno.symlinkSync(byteStringToText(h.linkname)!, abs);
    this.#metadata(abs, h, true);
    this.#lower.written(rel);
  }

  /** A hard link (its target UTF-8) to a non-directory already in the root. */
  hardlink(name: string, h: EntryHeader, label: string): void {
    const target = cleanEntryName(byteStringToText(h.linkname)!);
    if (!target) throw refuse(h, label, "the hard link has no usable target");
    if (wasReRooted(h.linkname)) this.#totals.reRooted++;
    const root = this.#tree.root;
    const t = resolveRelative(root, target, { followFinal: false });
    const targetAbs = join(root, t.rel);
    const info = t.complete ? lstatOrUndefined(targetAbs) : undefined;
    if (!info || info.isDirectory) {
      const what = info ? "is a directory" : "does not exist in the image";
      throw refuse(h, label, `the hard link target ${quoteName(h.linkname)} ${what}`);
    }
    const { rel, abs, existing } = this.#tree.place(name);
    if (rel === t.rel) return;
    if (existing) this.#tree.remove(rel, existing);
    Deno.linkSync(targetAbs, abs);
    this.#lower.written(rel);
  }

  /** Creates a device node or FIFO when root; false when skipped. */
  node(name: string, h: EntryHeader): boolean {
    if (!this.#tree.isRoot) return false;
    const { rel, abs, existing } = this.#tree.place(name);
    if (existing) this.#tree.remove(rel, existing);
    const kind = h.kind as "char" | "block" | "fifo";
    if (!makeNode(abs, kind, h.devmajor, h.devminor)) return false;
    this.#metadata(abs, h, false);
    this.#lower.written(rel);
    return true;
  }

  #metadata(abs: string, h: EntryHeader, isSymlink: boolean): void {
    if (this.#tree.isRoot) setOwner(abs, h.uid, h.gid, isSymlink);
    if (!isSymlink) Deno.chmodSync(abs, h.mode);
    setTimes(abs, h.atime, h.mtime, isSymlink);
  }
}
