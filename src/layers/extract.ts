/**
 * Unpacks OCI/Docker layers, in order, into a root filesystem folder: the
 * layer engine (`engine.ts`, every rule applied on the in-memory tree) with
 * the sandbox backend (`disk_target.ts`) mirroring each change onto the
 * folder. `--sandbox` uses it alone; a pull that also builds a SIF gives the
 * engine both backends.
 * @module
 */
import { resolve } from "node:path";
import { type EngineOptions, LayerEngine } from "./engine.ts";
import { DiskTarget } from "./disk_target.ts";
import { summaryWarnings } from "./summary.ts";
import { notUtf8Error } from "./_errors.ts";
import type { TarHeader } from "../tar/reader.ts";
import { type ByteString, byteStringToText } from "../byte_string.ts";

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
  /** The engine, for callers that add files after the layers (the Singularity metadata). */
  readonly engine: LayerEngine;
  readonly disk: DiskTarget;
  #warn: (message: string) => void;
  #names: TextNames;
  #finished = false;

  /** @param root an existing directory (normally empty) that becomes the root filesystem */
  constructor(root: string, options: ExtractOptions & EngineOptions = {}) {
    const abs = resolve(root);
    if (!Deno.statSync(abs).isDirectory) {
      throw new TypeError(`Cannot unpack into "${root}": not a directory`);
    }
    this.disk = new DiskTarget(abs, options);
    this.#names = new TextNames();
    this.engine = new LayerEngine([this.disk], { ...options, accept: this.#names.accept });
    this.#warn = options.onWarning ?? (() => {});
  }

  /**
   * Applies one uncompressed tar layer on top of what is there.
   * @throws {LayerFormatError} for bad, truncated, hostile or oversized archives
   * @throws {SregistryError} when the destination cannot be written (space, permissions)
   */
  async applyLayer(tar: ReadableStream<Uint8Array>, label: string): Promise<LayerStats> {
    if (this.#finished) throw new TypeError("Cannot apply a layer: finish() was called");
    const devices = this.disk.devices;
    const xattrs = this.disk.xattrs;
    const { entries, bytes } = await this.engine.applyLayer(tar, label);
    await this.disk.flush().catch((e) => {
      this.disk.abort();
      throw e;
    });
    this.#names.check(label);
    return {
      entries,
      bytes,
      skippedDevices: this.disk.devices - devices,
      skippedXattrs: this.disk.xattrs - xattrs,
    };
  }

  /** Applies directory modes and times (deepest first) and reports one warning per skipped kind. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.engine.finish();
    const totals = {
      ...this.engine.totals,
      devices: this.disk.devices,
      xattrs: this.disk.xattrs,
      xattrKinds: this.disk.xattrKinds,
    };
    for (const line of summaryWarnings(totals, this.disk.relaxed)) this.#warn(line);
  }
}

/**
 * Names a folder can hold: Deno names files with text, so a name or link
 * target that is not UTF-8 cannot be created on disk. After the first such
 * entry, a layer's other entries are only looked at (so the message lists
 * them all), and `check` refuses the layer.
 */
export class TextNames {
  #bad: ByteString[] = [];

  /** For the engine's `accept`: false from the first name that is not UTF-8 on. */
  readonly accept = (h: TarHeader): boolean => {
    const text = byteStringToText(h.name) !== undefined &&
      ((h.type !== "symlink" && h.type !== "link") || byteStringToText(h.linkname) !== undefined);
    if (!text) this.#bad.push(h.name);
    return this.#bad.length === 0;
  };

  /** @throws {LayerFormatError} naming the entries of layer `label` that are not UTF-8 */
  check(label: string): void {
    if (this.#bad.length > 0) throw notUtf8Error(this.#bad, label);
  }
}
