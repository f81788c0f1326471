/**
 * Unpacks OCI/Docker layers, in order, into a root filesystem directory with
 * synchronous file operations: `RootfsWriter` reads each layer's entries,
 * checks their names, applies whiteouts and routes every entry. The work is
 * split across package-private files:
 *
 * - `_tree.ts`: where an entry goes inside the root, as if chrooted
 *   (`paths.ts`); removal of what it replaces; directory modes and times,
 *   applied last, in `finish()`.
 * - `_entry_writer.ts`: creating each kind of entry (directory, file, links,
 *   device nodes) with its owner, mode and times.
 * - `_write_pool.ts`: small regular files, written by worker threads; this
 *   file decides which entries go there and when to wait for them.
 * - `_lower.ts`: whiteouts and opaque markers, applied to lower layers only.
 * - `_source.ts`, `_header.ts`, `_errors.ts`, `_summary.ts`: the tar entry
 *   stream, header normalisation, error messages and the closing warnings.
 * @module
 */
import { resolve } from "node:path";
import { checkEntryName } from "./paths.ts";
import { classify } from "./whiteouts.ts";
import { tarEntries } from "./_source.ts";
import { type EntryHeader, readHeader } from "./_header.ts";
import { notUtf8Error, quoteName, wrapError } from "./_errors.ts";
import { type ByteString, byteStringToText, textToByteString } from "../byte_string.ts";
import { LowerLayers } from "./_lower.ts";
import { SMALL_FILE, WritePool } from "./_write_pool.ts";
import { summaryWarnings } from "./_summary.ts";
import { RootTree } from "./_tree.ts";
import { EntryWriter, refuse } from "./_entry_writer.ts";
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
  #maxBytes: number;
  #warn: (message: string) => void;
  #tree: RootTree;
  #lower: LowerLayers;
  #entries: EntryWriter;
  #totals = { devices: 0, xattrs: 0, reRooted: 0, other: 0, badWhiteouts: 0 };
  #finished = false;
  #pool?: WritePool;

  /** @param root an existing directory (normally empty) that becomes the root filesystem */
  constructor(root: string, options: ExtractOptions = {}) {
    const abs = resolve(root);
    if (!Deno.statSync(abs).isDirectory) {
      throw new TypeError(`Cannot unpack into "${root}": not a directory`);
    }
    this.#tree = new RootTree(abs, options.isRoot ?? Deno.uid() === 0);
    this.#maxBytes = options.maxLayerBytes ?? DEFAULT_MAX;
    this.#warn = options.onWarning ?? (() => {});
    this.#lower = new LowerLayers(abs, (rel, info) => this.#tree.remove(rel, info));
    this.#entries = new EntryWriter(this.#tree, this.#lower, this.#totals);
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
    // Names Deno cannot create: after the first, the layer's other entries are only listed.
    const notUtf8: ByteString[] = [];
    try {
      const entries = tarEntries(tar, {
        maxBytes: this.#maxBytes,
        onBytes: (n) => (stats.bytes += n),
      });
      for await (const entry of entries) {
        stats.entries++;
        where.entry = entry.header.name;
        const h = readHeader(entry.header);
        if (!namesAreText(h)) notUtf8.push(h.name);
        if (notUtf8.length > 0) continue;
        where.inEntry = true;
        stats.skippedXattrs += h.xattrs.length;
        await this.#apply(h, entry.body, stats, label);
        where.inEntry = false;
      }
      await this.#flush(label);
      if (notUtf8.length > 0) throw notUtf8Error(notUtf8, label);
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
    this.#summary(this.#tree.applyDirectories());
    return Promise.resolve();
  }

  #summary(relaxed: number): void {
    for (const line of summaryWarnings(this.#totals, relaxed)) this.#warn(line);
  }

  /** Applies `h`, whose name and link target are UTF-8 (see {@link namesAreText}). */
  async #apply(
    h: EntryHeader,
    body: AsyncIterable<Uint8Array>,
    stats: LayerStats,
    label: string,
  ): Promise<void> {
    const checked = checkEntryName(h.name);
    if ("reason" in checked) throw refuse(h, label, checked.reason);
    if (checked.reRooted) this.#totals.reRooted++;
    const name = byteStringToText(checked.name)!; // a path on disk is text
    const c = name === "" ? { kind: "entry" as const } : classify(name);
    const small = this.#pool !== undefined && c.kind === "entry" && name !== "" &&
      h.kind === "file" && h.size <= SMALL_FILE;
    if (small) return await this.#smallFile(name, h, body, label);
    await this.#flush(label);
    if (c.kind === "opaque") return this.#lower.opaque(c.dir);
    if (c.kind === "whiteout") return this.#lower.whiteout(c.target);
    if (c.kind === "invalid") return void this.#totals.badWhiteouts++;
    if (name === "") {
      if (h.kind !== "directory") throw refuse(h, label, "the root must be a directory");
      return this.#entries.directory("", h);
    }
    switch (h.kind) {
      case "directory":
        return this.#entries.directory(name, h);
      case "file":
        return await this.#entries.file(name, h, body);
      case "symlink":
        return this.#entries.symlink(name, h, label);
      case "link":
        return this.#entries.hardlink(name, h, label);
      case "char":
      case "block":
      case "fifo":
        if (!this.#entries.node(name, h)) stats.skippedDevices++;
        return;
      default:
        this.#totals.other++;
    }
  }

  /** Waits for files being written by the pool; a failure names the file and the layer. */
  async #flush(label: string): Promise<void> {
    try {
      await this.#pool?.flush();
    } catch (e) {
      const path = (e as { path?: string }).path ?? "";
      const root = this.#tree.root;
      const rel = path.startsWith(root) ? path.slice(root.length + 1) : path;
      throw new SregistryError(
        `Cannot write ${quoteName(textToByteString(rel))} of layer ${label}: ${
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
    let place = this.#tree.place(name);
    if (this.#pool!.has(place.abs) || place.existing?.isDirectory) {
      await this.#flush(label);
      place = this.#tree.place(name);
    }
    if (place.existing) this.#tree.remove(place.rel, place.existing);
    this.#pool!.add({
      path: place.abs,
      data: data.subarray(0, offset),
      mode: h.mode,
      uid: this.#tree.isRoot ? h.uid : undefined,
      gid: this.#tree.isRoot ? h.gid : undefined,
      atime: h.atime,
      mtime: h.mtime,
    });
    this.#lower.written(place.rel);
  }
}

/**
 * True when `h`'s name and, for links, its target are UTF-8: Deno names
 * files with text, so other bytes cannot be created on disk.
 */
function namesAreText(h: EntryHeader): boolean {
  if (byteStringToText(h.name) === undefined) return false;
  return (h.kind !== "symlink" && h.kind !== "link") || byteStringToText(h.linkname) !== undefined;
}
