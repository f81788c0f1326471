/**
 * Assembles a SIF around a squashfs written in place: the objects before the
 * partition (definition file, `oci-config.json`, as the native builder has
 * always written them) have known sizes, so the partition's aligned offset
 * is computed up front and the {@link SquashfsWriter} writes straight at it;
 * once the squashfs size is known the header, descriptors and small objects
 * are written. No temporary squashfs, no copy.
 *
 * The file is written at `output` itself, which must not exist: callers pass
 * a temporary name (a pull gives its partial file, `store/temp_names.ts`
 * `partialPath`, which it renames into place inside the catalogue's lock), so
 * a second temporary name and rename here would add nothing to crash safety.
 * On failure the file is removed.
 * @module
 */

import { dirname } from "node:path";
import { definitionFile, ociConfigJson } from "./metadata.ts";
import { SregistryError } from "../errors.ts";
import { layoutSif, SIF_DATA, SIF_FS, SIF_PART, type SifObject } from "./encoder.ts";
import type { DirNode } from "../layers/image_tree.ts";
import { SquashfsWriter, type SquashfsWriterOptions } from "../squashfs/writer.ts";

/** Options of {@link SifAssembly.create}. */
export interface SifAssemblyOptions {
  /**
   * The file to write, created (never replaced: it must not exist) and
   * removed on failure; a temporary name the caller renames after `commit`.
   */
  output: string;
  /** The reference pulled, for the definition file. */
  from: string;
  /** The full image config JSON. */
  config: unknown;
  /** GOARCH name of the image ("amd64"). */
  arch: string;
  /**
   * Reproducible output (SOURCE_DATE_EPOCH set): nil UUID and Go zero time in
   * the SIF, the squashfs time set to `sourceDateEpoch`.
   */
  deterministic?: boolean;
  /** The time of a deterministic build; default SOURCE_DATE_EPOCH, else 0. */
  sourceDateEpoch?: number;
  /** Options of the squashfs writer (its `mkfsTime` comes from the two above). */
  squashfs: Omit<SquashfsWriterOptions, "mkfsTime">;
}

/** The SIF objects of an image, the partition last with `size` bytes. */
export function sifObjects(
  o: { from: string; config: unknown; arch: string },
  size: number,
): (SifObject & { bytes?: Uint8Array })[] {
  const encoder = new TextEncoder();
  const deffile = encoder.encode(definitionFile(o.from));
  const ociConfig = encoder.encode(ociConfigJson(o.config));
  return [
    { type: SIF_DATA.DEFFILE, size: deffile.length, bytes: deffile },
    {
      type: SIF_DATA.GENERIC_JSON,
      name: "oci-config.json",
      size: ociConfig.length,
      bytes: ociConfig,
    },
    {
      type: SIF_DATA.PARTITION,
      size,
      partition: { fsType: SIF_FS.SQUASHFS, partType: SIF_PART.PRIMSYS, arch: o.arch },
    },
  ];
}

/**
 * One SIF being written: feed `squashfs`, then `commit(root)` or `abort()`.
 *
 * @example
 * ```ts
 * import { SifAssembly } from "./assemble.ts";
 * import type { DirNode } from "../layers/image_tree.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const sif = await SifAssembly.create({
 *   output: `${dir}/.image.sif.partial`, // renamed to image.sif after commit
 *   from: "docker://example/image:1",
 *   config: { architecture: "amd64" },
 *   arch: "amd64",
 *   deterministic: true,
 *   squashfs: { compression: "gzip", processors: 1 },
 * });
 * const root: DirNode = { kind: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0, children: new Map() };
 * const size = await sif.commit(root); // `siftool list` shows Def.FILE, JSON.Generic, FS
 * await Deno.rename(`${dir}/.image.sif.partial`, `${dir}/image.sif`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SifAssembly {
  #options: SifAssemblyOptions;
  #file: Deno.FsFile;
  #partial: string;
  #offset: number;
  #done = false;
  /** The squashfs writer, writing at the partition's offset. */
  readonly squashfs: SquashfsWriter;

  private constructor(
    options: SifAssemblyOptions,
    file: Deno.FsFile,
    partial: string,
    offset: number,
  ) {
    this.#options = options;
    this.#file = file;
    this.#partial = partial;
    this.#offset = offset;
    try {
      this.squashfs = new SquashfsWriter(file, offset, {
        ...options.squashfs,
        mkfsTime: options.deterministic ? deterministicTime(options) : undefined,
      });
    } catch (error) {
      file.close();
      Deno.removeSync(partial);
      throw error;
    }
  }

  /**
   * Creates `options.output` and the squashfs writer at the partition
   * offset. Throws SregistryError when the folder is missing or not
   * writable, or the file exists; what opening the file throws otherwise (no
   * space), and RangeError on bad writer options.
   */
  static async create(options: SifAssemblyOptions): Promise<SifAssembly> {
    const offset = partitionOffset(options);
    const partial = options.output;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(partial, { read: true, write: true, createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new SregistryError(
          `Cannot write the image ${options.output}: a file is already there: ` +
            `give a temporary name that does not exist (it is never replaced)`,
          { cause: error },
        );
      }
      if (
        !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied)
      ) {
        throw error;
      }
      throw new SregistryError(
        `Cannot write the image ${options.output}: cannot create a file in ${
          dirname(options.output)
        } (${error.message}): check that the folder exists and is writable`,
        { cause: error },
      );
    }
    return new SifAssembly(options, file, partial, offset);
  }

  /** The partition's offset in the SIF (where the squashfs starts). */
  get partitionOffset(): number {
    return this.#offset;
  }

  /**
   * Finishes the squashfs for `root`, writes the header, descriptors and
   * small objects, and flushes the file to disk. Returns the SIF's size. On
   * failure the file is removed and the error rethrown.
   */
  async commit(root: DirNode): Promise<number> {
    if (this.#done) throw new Error("This SIF is already committed or aborted");
    this.#done = true;
    try {
      const size = await this.squashfs.finish(root);
      const objects = sifObjects(this.#options, size);
      const layout = layoutSif(objects, { deterministic: this.#options.deterministic });
      if (layout.objects[2].offset !== this.#offset) {
        throw new Error("The SIF partition moved while its squashfs was written");
      }
      writeAllAt(this.#file, layout.head, 0);
      objects.forEach((object, i) => {
        if (object.bytes) writeAllAt(this.#file, object.bytes, layout.objects[i].offset);
      });
      this.#file.truncateSync(layout.fileSize);
      this.#file.syncSync();
      this.#file.close();
      return layout.fileSize;
    } catch (error) {
      await this.#cleanup();
      throw error;
    }
  }

  /** Stops the squashfs writer and removes the file. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.squashfs.abort();
    await this.#cleanup();
  }

  async #cleanup(): Promise<void> {
    await this.squashfs.abort();
    try {
      this.#file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.#partial).catch(() => {});
  }
}

/** The offset the partition of an image gets (it does not depend on the partition's size). */
function partitionOffset(o: { from: string; config: unknown; arch: string }): number {
  return layoutSif(sifObjects(o, 0)).objects[2].offset;
}

function deterministicTime(o: { sourceDateEpoch?: number }): number {
  if (o.sourceDateEpoch !== undefined) return o.sourceDateEpoch;
  const env = Number(Deno.env.get("SOURCE_DATE_EPOCH"));
  return Number.isInteger(env) && env >= 0 ? env : 0;
}

function writeAllAt(file: Deno.FsFile, bytes: Uint8Array, position: number): void {
  file.seekSync(position, Deno.SeekMode.Start);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}
