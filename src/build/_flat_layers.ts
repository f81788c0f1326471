/**
 * Pass 1 of the flattener: each layer's headers are read on their own
 * ({@link scanLayer}, bodies skipped; any order, even while the layer
 * downloads), then applied, lowest layer first, to a {@link FlatTree} with
 * exactly the rules of `src/layers/extract.ts` (`RootfsWriter`) and
 * `_lower.ts` (whiteouts against lower layers only).
 * @module
 */
import { checkEntryName, cleanEntryName, wasReRooted } from "../layers/paths.ts";
import { classify } from "../layers/whiteouts.ts";
import { feedTar } from "../layers/_source.ts";
import { TarReader } from "../layers/tar_reader.ts";
import { type EntryHeader, readHeader } from "../layers/_header.ts";
import { quoteName, refuseEntry, wrapError } from "../layers/_errors.ts";
import { SregistryError } from "../errors.ts";
import { type DirNode, type FlatNode, FlatTree, type Inode, newDir } from "./_flat_tree.ts";

/** Thrown when an image cannot be flattened exactly: unpack it into a folder instead. */
export class FlattenUnsupported extends SregistryError {}

/** Simulates `RootfsWriter` on an in-memory tree. */
export class FlatLayers {
  readonly tree: FlatTree;
  readonly totals = { devices: 0, xattrs: 0, reRooted: 0, other: 0, badWhiteouts: 0 };
  #isRoot: boolean;
  /**
   * The layer being applied, as a generation: a node stamped with it was
   * written by this layer, a folder whose `above` is it holds something this
   * layer wrote (`LowerLayers`' sets, kept on the nodes instead of as paths).
   */
  #gen = 0;

  constructor(isRoot: boolean) {
    this.#isRoot = isRoot;
    this.tree = new FlatTree(newDir(0o755, 0, 0));
  }

  /** Applies one layer's headers (from {@link scanLayer}); entry `index` counts every tar entry. */
  apply(headers: EntryHeader[], layer: number, label: string): void {
    this.startLayer();
    for (const [index, h] of headers.entries()) {
      try {
        this.entry(h, label, { layer, index });
      } catch (e) {
        throw wrapError(e, { entry: h.name, layer: label, inEntry: true, maxBytes: 0 });
      }
    }
  }

  /** A new, empty simulation with the same options. */
  emptyCopy(): FlatLayers {
    return new FlatLayers(this.#isRoot);
  }

  /** Forgets what the last layer wrote (kept only for its whiteouts): every layer is applied. */
  endLayers(): void {
    this.#gen++;
  }

  /** Starts a layer, for {@link FlatLayers.entry} calls one entry at a time. */
  startLayer(): void {
    this.#gen++;
  }

  /**
   * Applies one entry of the current layer; for a regular file, returns where
   * it was placed (the resolved path) and its inode.
   */
  entry(
    h: EntryHeader,
    label: string,
    origin: { layer: number; index: number },
  ): { rel: string; inode: Inode } | undefined {
    this.totals.xattrs += h.xattrs.length;
    const name = this.#checkName(h, label);
    if (h.kind === "file" && name !== "" && classify(name).kind === "entry") {
      const inode = { ...this.#owner(h), mode: h.mode, mtime: h.mtime, size: h.size, origin };
      return { rel: this.#put(name, { type: "file", inode }), inode };
    }
    this.#entry(h, name, label);
    return undefined;
  }

  #checkName(h: EntryHeader, label: string): string {
    const checked = checkEntryName(h.name);
    if ("reason" in checked) throw refuseEntry(h.name, label, checked.reason);
    if (checked.reRooted) this.totals.reRooted++;
    return checked.name;
  }

  #entry(h: EntryHeader, name: string, label: string): void {
    const c = name === "" ? { kind: "entry" as const } : classify(name);
    if (c.kind === "opaque") return this.#opaque(c.dir);
    if (c.kind === "whiteout") return this.#whiteout(c.target);
    if (c.kind === "invalid") return void this.totals.badWhiteouts++;
    if (name === "" && h.kind !== "directory") {
      throw refuseEntry(h.name, label, "the root must be a directory");
    }
    switch (h.kind) {
      case "directory":
        return this.#directory(name, h);
      case "symlink":
        if (h.linkname === "" || h.linkname.includes("\0")) {
          throw refuseEntry(
            h.name,
            label,
            "the symbolic link has an empty or NUL-containing target",
          );
        }
        return void this.#put(name, {
          type: "symlink",
          target: h.linkname,
          ...this.#owner(h),
          mtime: h.mtime,
        });
      case "link":
        return this.#hardlink(name, h, label);
      case "char":
      case "block":
      case "fifo":
        if (!this.#isRoot) return void this.totals.devices++;
        return void this.#put(name, {
          type: h.kind,
          mode: h.mode,
          ...this.#owner(h),
          mtime: h.mtime,
          major: h.devmajor,
          minor: h.devminor,
        });
      default:
        this.totals.other++;
    }
  }

  #owner(h: EntryHeader): { uid: number; gid: number } {
    return this.#isRoot ? { uid: h.uid, gid: h.gid } : { uid: 0, gid: 0 };
  }

  /** `RootfsWriter.#place`: the resolved path of `name`, parents created. */
  #place(name: string): { rel: string; parent: DirNode; base: string; existing?: FlatNode } {
    const slash = name.lastIndexOf("/");
    const r = this.tree.resolve(slash < 0 ? "" : name.slice(0, slash), true);
    const parent = r.dir ?? this.tree.mkdirs(r.rel, () => newDir(0o755, 0, 0));
    const base = name.slice(slash + 1);
    const rel = r.rel ? `${r.rel}/${base}` : base;
    return { rel, parent, base, existing: parent.children.get(base) };
  }

  #put(name: string, node: FlatNode): string {
    const { rel, parent, base } = this.#place(name);
    parent.children.delete(base); // what was there goes, with everything below it
    parent.children.set(base, node);
    this.#markWritten(rel, node, parent);
    return rel;
  }

  #directory(name: string, h: EntryHeader): void {
    const place = name === ""
      ? { rel: "", existing: this.tree.root, parent: this.tree.root }
      : this.#place(name);
    let dir: DirNode;
    if (place.existing?.type === "dir") {
      dir = place.existing;
    } else {
      if (place.existing) this.tree.remove(place.rel);
      dir = newDir(0o755, 0, 0);
      this.tree.set(place.rel, dir);
    }
    if (this.#isRoot) Object.assign(dir, { uid: h.uid, gid: h.gid });
    Object.assign(dir, { mode: h.mode, mtime: h.mtime, explicit: true });
    this.#markWritten(place.rel, dir, place.parent);
  }

  #hardlink(name: string, h: EntryHeader, label: string): void {
    const target = cleanEntryName(h.linkname);
    if (!target) throw refuseEntry(h.name, label, "the hard link has no usable target");
    if (wasReRooted(h.linkname)) this.totals.reRooted++;
    const t = this.tree.resolve(target, false);
    const node = t.complete ? this.tree.lookup(t.rel) : undefined;
    if (!node || node.type === "dir") {
      const what = node ? "is a directory" : "does not exist in the image";
      throw refuseEntry(h.name, label, `the hard link target ${quoteName(h.linkname)} ${what}`);
    }
    const { rel, existing, parent } = this.#place(name);
    if (rel === t.rel) return;
    if (existing?.type === "dir" && t.rel.startsWith(`${rel}/`)) {
      throw new FlattenUnsupported(
        `Cannot flatten the layers: hard link ${
          quoteName(h.name)
        } replaces the folder holding its target: unpack into a folder instead`,
      );
    }
    if (existing) this.tree.remove(rel);
    // Files share the inode; a linked symlink or device is an identical copy.
    const link: FlatNode = node.type === "file" ? { type: "file", inode: node.inode } : { ...node };
    this.tree.set(rel, link);
    this.#markWritten(rel, link, parent);
  }

  /** `LowerLayers.written`: `node` (at `rel`, in `parent`) and the folders above it. */
  #markWritten(rel: string, node: FlatNode, parent: DirNode): void {
    node.stamp = this.#gen;
    if (parent.above === this.#gen && parent !== node) return; // its folders are marked already
    let dir = this.tree.root;
    dir.above = this.#gen;
    for (let at = 0, slash = rel.indexOf("/"); slash > 0; slash = rel.indexOf("/", at)) {
      const next = dir.children.get(rel.slice(at, slash));
      if (next?.type !== "dir") return;
      dir = next;
      dir.above = this.#gen;
      at = slash + 1;
    }
  }

  #whiteout(target: string): void {
    const slash = target.lastIndexOf("/");
    const parent = this.tree.resolve(slash < 0 ? "" : target.slice(0, slash), true);
    if (!parent.complete) return;
    const base = target.slice(slash + 1);
    this.#hide(parent.rel ? `${parent.rel}/${base}` : base);
  }

  #opaque(dir: string): void {
    const r = this.tree.resolve(dir, true);
    if (!r.complete) return;
    if (this.tree.lookup(r.rel)?.type === "dir") this.#hideChildren(r.rel);
  }

  #hide(rel: string): void {
    const node = this.tree.lookup(rel);
    if (!node) return;
    if (node.stamp === this.#gen || (node.type === "dir" && node.above === this.#gen)) {
      if (node.type === "dir") this.#hideChildren(rel);
      return;
    }
    this.tree.remove(rel);
  }

  #hideChildren(rel: string): void {
    const node = this.tree.lookup(rel) as DirNode;
    for (const name of [...node.children.keys()]) this.#hide(rel ? `${rel}/${name}` : name);
  }
}

/**
 * Reads the entry headers of one uncompressed layer, skipping bodies.
 * @throws {LayerFormatError} for bad, truncated or oversized archives
 */
export async function scanLayer(
  tar: ReadableStream<Uint8Array>,
  label: string,
  maxBytes: number,
): Promise<EntryHeader[]> {
  const headers: EntryHeader[] = [];
  const where = { entry: undefined as string | undefined, layer: label, inEntry: false };
  const parser = new TarReader({
    header: (raw) => {
      where.entry = raw.name;
      headers.push(readHeader(raw));
    },
    body: () => {},
    end: () => {},
  }, { maxHoleBytes: maxBytes });
  try {
    for await (const _ of feedTar(tar, parser, { maxBytes })) { /* headers collected */ }
  } catch (e) {
    throw wrapError(e, { ...where, maxBytes });
  }
  return headers;
}
