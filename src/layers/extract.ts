/**
 * Unpacks OCI/Docker layers, in order, into a root filesystem directory with
 * synchronous file operations. Every path is resolved inside the root as if
 * chrooted (`paths.ts`); whiteouts apply to lower layers only; directory
 * modes and times are applied last, in `finish()`.
 * @module
 */
import { join, resolve } from "node:path";
import { checkEntryName, cleanEntryName, resolveRelative, wasReRooted } from "./paths.ts";
import { classify } from "./whiteouts.ts";
import { tarEntries } from "./_source.ts";
import { type EntryHeader, readHeader } from "./_header.ts";
import { LayerFormatError, quoteName, wrapError } from "./_errors.ts";
import {
  lstatOrUndefined,
  makeNode,
  removeAll,
  setOwner,
  setTimes,
  writeNewFile,
} from "./_fsops.ts";
import { LowerLayers } from "./_lower.ts";
import { SMALL_FILE, WritePool } from "./_write_pool.ts";
import { summaryWarnings } from "./_summary.ts";
import { SregistryError } from "../errors.ts";

export { LayerFormatError } from "./_errors.ts";

/** Options of `RootfsWriter`. */
export interface ExtractOptions {
  /** Apply owners and create device nodes; default `Deno.uid() === 0`. */
  isRoot?: boolean;
  /** Uncompressed ceiling per layer in bytes (`SREGISTRY_MAX_LAYER_SIZE`); default 64 GiB. */
  maxLayerBytes?: number;
  /** Receives summary warnings (the library never prints). */
  onWarning?: (message: string) => void;
  /** Threads creating small files; default the CPU count (at most 4); 0 writes on this thread. */
  writers?: number;
}

/** What one layer did. */
export interface LayerStats {
  entries: number;
  /** Uncompressed bytes read. */
  bytes: number;
  skippedDevices: number;
  skippedXattrs: number;
}

interface DirMeta {
  mode: number;
  atime?: number;
  mtime?: number;
}

const DEFAULT_MAX = 64 * 2 ** 30;

/**
 * Writes layers into `root`, lowest first, then `finish()`.
 *
 * @example
 * ```ts ignore
 * const writer = new RootfsWriter(dir, { onWarning: console.warn });
 * for (const layer of layers) await writer.applyLayer(decompress(layer.stream, layer.mediaType), layer.digest);
 * await writer.finish();
 * ```
 */
export class RootfsWriter {
  #root: string;
  #isRoot: boolean;
  #maxBytes: number;
  #warn: (message: string) => void;
  #dirs = new Map<string, DirMeta>();
  #parents = new Map<string, string>();
  #lower: LowerLayers;
  #totals = { devices: 0, xattrs: 0, reRooted: 0, other: 0, badWhiteouts: 0 };
  #finished = false;
  #pool?: WritePool;

  /** @param root an existing directory (normally empty) that becomes the root filesystem */
  constructor(root: string, options: ExtractOptions = {}) {
    this.#root = resolve(root);
    if (!Deno.statSync(this.#root).isDirectory) {
      throw new TypeError(`Cannot unpack into "${root}": not a directory`);
    }
    this.#isRoot = options.isRoot ?? Deno.uid() === 0;
    this.#maxBytes = options.maxLayerBytes ?? DEFAULT_MAX;
    this.#warn = options.onWarning ?? (() => {});
    this.#lower = new LowerLayers(this.#root, (rel, info) => this.#remove(rel, info));
    const writers = options.writers ?? Math.min(4, navigator.hardwareConcurrency || 1);
    if (writers > 0) this.#pool = new WritePool(writers);
  }

  /**
   * Applies one uncompressed tar layer on top of what is there.
   * @throws {LayerFormatError} for bad, truncated, hostile or oversized archives
   * @throws {SregistryError} when the destination cannot be written (space, permissions)
   */
  async applyLayer(tar: ReadableStream<Uint8Array>, label: string): Promise<LayerStats> {
    if (this.#finished) throw new TypeError("Cannot apply a layer: finish() was called");
    this.#lower.startLayer();
    const stats: LayerStats = { entries: 0, bytes: 0, skippedDevices: 0, skippedXattrs: 0 };
    const where = { entry: undefined as string | undefined, layer: label, inEntry: false };
    try {
      const entries = tarEntries(tar, {
        maxBytes: this.#maxBytes,
        onBytes: (n) => (stats.bytes += n),
      });
      for await (const entry of entries) {
        stats.entries++;
        where.entry = entry.header.name;
        where.inEntry = true;
        const h = this.#header(entry.header, label);
        stats.skippedXattrs += h.xattrs.length;
        await this.#apply(h, entry.body, stats, label);
        where.inEntry = false;
      }
      await this.#flush(label);
    } catch (e) {
      this.#pool?.close();
      this.#pool = undefined;
      throw wrapError(e, { ...where, maxBytes: this.#maxBytes });
    }
    this.#totals.devices += stats.skippedDevices;
    this.#totals.xattrs += stats.skippedXattrs;
    return stats;
  }

  /** Applies directory modes and times (deepest first) and reports one warning per skipped kind. */
  finish(): Promise<void> {
    this.#finished = true;
    this.#pool?.close();
    const depth = (rel: string) => (rel === "" ? -1 : rel.split("/").length);
    const dirs = [...this.#dirs].sort(([a], [b]) => depth(b) - depth(a));
    let relaxed = 0;
    for (const [rel, meta] of dirs) {
      const abs = join(this.#root, rel);
      if (!lstatOrUndefined(abs)?.isDirectory) continue;
      const mode = this.#isRoot ? meta.mode : meta.mode | 0o700;
      if (mode !== meta.mode) relaxed++;
      Deno.chmodSync(abs, mode);
      if (meta.mtime !== undefined) setTimes(abs, meta.atime ?? meta.mtime, meta.mtime, false);
    }
    this.#summary(relaxed);
    return Promise.resolve();
  }

  #summary(relaxed: number): void {
    for (const line of summaryWarnings(this.#totals, relaxed)) this.#warn(line);
  }

  #header(raw: Parameters<typeof readHeader>[0], label: string): EntryHeader {
    let h: EntryHeader;
    try {
      h = readHeader(raw);
    } catch (e) {
      throw new LayerFormatError(
        `Cannot unpack entry ${quoteName(raw.name)} of layer ${label}: ${
          (e as Error).message
        }: the layer is corrupt or hostile; report the image`,
      );
    }
    return h;
  }

  #refuse(h: EntryHeader, label: string, reason: string): LayerFormatError {
    return new LayerFormatError(
      `Cannot unpack entry ${
        quoteName(h.name)
      } of layer ${label}: ${reason}: the layer is corrupt or hostile; report the image`,
    );
  }

  async #apply(
    h: EntryHeader,
    body: AsyncIterable<Uint8Array>,
    stats: LayerStats,
    label: string,
  ): Promise<void> {
    const checked = checkEntryName(h.name);
    if ("reason" in checked) throw this.#refuse(h, label, checked.reason);
    if (checked.reRooted) this.#totals.reRooted++;
    const name = checked.name;
    const c = name === "" ? { kind: "entry" as const } : classify(name);
    const small = this.#pool !== undefined && c.kind === "entry" && name !== "" &&
      h.kind === "file" && h.size <= SMALL_FILE;
    if (small) return await this.#smallFile(name, h, body, label);
    await this.#flush(label);
    if (c.kind === "opaque") return this.#lower.opaque(c.dir);
    if (c.kind === "whiteout") return this.#lower.whiteout(c.target);
    if (c.kind === "invalid") return void this.#totals.badWhiteouts++;
    if (name === "") {
      if (h.kind !== "directory") throw this.#refuse(h, label, "the root must be a directory");
      return this.#directory("", h);
    }
    switch (h.kind) {
      case "directory":
        return this.#directory(name, h);
      case "file":
        return await this.#file(name, h, body);
      case "symlink":
        return this.#symlink(name, h, label);
      case "link":
        return this.#hardlink(name, h, label);
      case "char":
      case "block":
      case "fifo":
        if (!this.#node(name, h)) stats.skippedDevices++;
        return;
      default:
        this.#totals.other++;
    }
  }

  /** Resolves the parent directory of `name` inside the root, creating missing ones. */
  #parent(parent: string): string {
    const cached = this.#parents.get(parent);
    if (cached !== undefined) return cached;
    const r = resolveRelative(this.#root, parent, { followFinal: true });
    let rel = "";
    for (const comp of r.rel === "" ? [] : r.rel.split("/")) {
      rel = rel ? `${rel}/${comp}` : comp;
      const abs = join(this.#root, rel);
      const info = lstatOrUndefined(abs);
      if (info?.isDirectory) continue;
      if (info) {
        throw Object.assign(new Error(`"${rel}" is not a directory`), { code: "ENOTDIR" });
      }
      Deno.mkdirSync(abs);
      Deno.chmodSync(abs, 0o700);
      if (this.#isRoot) Deno.chownSync(abs, 0, 0);
      this.#dirs.set(rel, { mode: 0o755 });
    }
    this.#parents.set(parent, r.rel);
    return r.rel;
  }

  /** Where `name` goes: resolved relative path, absolute path, what is there now. */
  #place(name: string): { rel: string; abs: string; existing?: Deno.FileInfo } {
    const slash = name.lastIndexOf("/");
    const parent = this.#parent(slash < 0 ? "" : name.slice(0, slash));
    const base = name.slice(slash + 1);
    const rel = parent ? `${parent}/${base}` : base;
    const abs = join(this.#root, rel);
    return { rel, abs, existing: lstatOrUndefined(abs) };
  }

  #remove(rel: string, info: Deno.FileInfo): void {
    removeAll(join(this.#root, rel), info.isDirectory);
    this.#parents.clear();
    if (!info.isDirectory) return;
    for (const key of this.#dirs.keys()) {
      if (key === rel || key.startsWith(`${rel}/`)) this.#dirs.delete(key);
    }
  }

  #metadata(abs: string, h: EntryHeader, isSymlink: boolean): void {
    if (this.#isRoot) setOwner(abs, h.uid, h.gid, isSymlink);
    if (!isSymlink) Deno.chmodSync(abs, h.mode);
    setTimes(abs, h.atime, h.mtime, isSymlink);
  }

  #directory(name: string, h: EntryHeader): void {
    const { rel, abs, existing } = name === ""
      ? { rel: "", abs: this.#root, existing: Deno.lstatSync(this.#root) }
      : this.#place(name);
    if (existing && !existing.isDirectory) this.#remove(rel, existing);
    if (!existing?.isDirectory) {
      Deno.mkdirSync(abs);
      Deno.chmodSync(abs, 0o700);
    }
    if (this.#isRoot) Deno.chownSync(abs, h.uid, h.gid);
    this.#dirs.set(rel, { mode: h.mode, atime: h.atime, mtime: h.mtime });
    this.#lower.written(rel);
  }

  async #file(name: string, h: EntryHeader, body: AsyncIterable<Uint8Array>): Promise<void> {
    const { rel, abs, existing } = this.#place(name);
    if (existing) this.#remove(rel, existing);
    await writeNewFile(abs, body);
    this.#metadata(abs, h, false);
    this.#lower.written(rel);
  }

  /** Waits for files being written by the pool; a failure names the file and the layer. */
  async #flush(label: string): Promise<void> {
    try {
      await this.#pool?.flush();
    } catch (e) {
      const path = (e as { path?: string }).path ?? "";
      const rel = path.startsWith(this.#root) ? path.slice(this.#root.length + 1) : path;
      throw new SregistryError(
        `Cannot write ${quoteName(rel)} of layer ${label}: ${
          (e as Error).message
        }: check free space, quota and permissions of the destination`,
        { cause: e },
      );
    }
  }

  /** A small regular file: placed here, written by the pool. */
  async #smallFile(
    name: string,
    h: EntryHeader,
    body: AsyncIterable<Uint8Array>,
    label: string,
  ): Promise<void> {
    // A buffer of its own: it is transferred to a worker.
    const data = new Uint8Array(h.size);
    let offset = 0;
    for await (const chunk of body) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    let place = this.#place(name);
    if (this.#pool!.has(place.abs) || place.existing?.isDirectory) {
      await this.#flush(label);
      place = this.#place(name);
    }
    if (place.existing) this.#remove(place.rel, place.existing);
    this.#pool!.add({
      path: place.abs,
      data: data.subarray(0, offset),
      mode: h.mode,
      uid: this.#isRoot ? h.uid : undefined,
      gid: this.#isRoot ? h.gid : undefined,
      atime: h.atime,
      mtime: h.mtime,
    });
    this.#lower.written(place.rel);
  }

  #symlink(name: string, h: EntryHeader, label: string): void {
    if (h.linkname === "" || h.linkname.includes("\0")) {
      throw this.#refuse(h, label, "the symbolic link has an empty or NUL-containing target");
    }
    const { rel, abs, existing } = this.#place(name);
    if (existing) this.#remove(rel, existing);
    Deno.symlinkSync(h.linkname, abs);
    this.#metadata(abs, h, true);
    this.#lower.written(rel);
  }

  #hardlink(name: string, h: EntryHeader, label: string): void {
    const target = cleanEntryName(h.linkname);
    if (!target) throw this.#refuse(h, label, "the hard link has no usable target");
    if (wasReRooted(h.linkname)) this.#totals.reRooted++;
    const t = resolveRelative(this.#root, target, { followFinal: false });
    const targetAbs = join(this.#root, t.rel);
    const info = t.complete ? lstatOrUndefined(targetAbs) : undefined;
    if (!info || info.isDirectory) {
      const what = info ? "is a directory" : "does not exist in the image";
      throw this.#refuse(h, label, `the hard link target ${quoteName(h.linkname)} ${what}`);
    }
    const { rel, abs, existing } = this.#place(name);
    if (rel === t.rel) return;
    if (existing) this.#remove(rel, existing);
    Deno.linkSync(targetAbs, abs);
    this.#lower.written(rel);
  }

  /** Creates a device node or FIFO when root; false when skipped. */
  #node(name: string, h: EntryHeader): boolean {
    if (!this.#isRoot) return false;
    const { rel, abs, existing } = this.#place(name);
    if (existing) this.#remove(rel, existing);
    const kind = h.kind as "char" | "block" | "fifo";
    if (!makeNode(abs, kind, h.devmajor, h.devminor)) return false;
    this.#metadata(abs, h, false);
    this.#lower.written(rel);
    return true;
  }
}
