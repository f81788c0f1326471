/**
 * The SIF build step of a pull, by one of two roads, both fed by the layer
 * engine (`src/layers/engine.ts`), each layer read once as it arrives:
 *
 * - native (the default; no external program): the engine's image tree and
 *   file bodies go to the squashfs writer, which writes straight into the SIF
 *   at its partition offset (`src/sif/`). Nothing is created on disk but the
 *   SIF, so the image is the same as root and as an ordinary user. With
 *   `--keep-sandbox` the engine also mirrors the tree into that folder.
 * - through a folder (`--builder mksquashfs|apptainer|singularity`): the
 *   engine writes the root filesystem into a folder, and the program builds
 *   the image from it.
 *
 * The Singularity metadata is added through the engine too, so both roads
 * and every backend get the same files.
 * @module
 */
import { buildSif, type ChosenBuilder } from "../builders/builder.ts";
import type { MetadataFile } from "../sif/metadata.ts";
import type { Compression } from "../builders/mksquashfs.ts";
import { DEFAULT_WRITER_LEVELS } from "../squashfs/mod.ts";
import { availableProcessors } from "../processors.ts";
import { LayerEngine } from "../layers/engine.ts";
import { DiskTarget } from "../layers/disk_target.ts";
import { RootfsWriter, TextNames } from "../layers/extract.ts";
import { applyExtraFiles } from "../layers/extra_files.ts";
import { ContentTarget } from "../layers/target.ts";
import { summaryWarnings } from "../layers/mod.ts";
import { SifAssembly } from "../sif/mod.ts";
import { humanSize } from "../size.ts";
import type { PullListener } from "./events.ts";
import { downloadAndApply, type DownloadOptions } from "./download.ts";

/** What `buildImage` needs. */
export interface BuildImageOptions {
  builder: ChosenBuilder;
  /** Where the layers come from (downloads into the cache, or the cache, or the source). */
  downloads: DownloadOptions;
  /** The folder road's root filesystem, or native's `--keep-sandbox` folder (existing, empty). */
  rootfs?: string;
  metadata: MetadataFile[];
  output: string;
  from: string;
  config: unknown;
  arch: string;
  compression?: Compression;
  isRoot: boolean;
  deterministic?: boolean;
  sudo?: boolean;
  maxLayerBytes?: number;
  /** Where mksquashfs writes its temporary squashfs. */
  tmpDir: string;
  onEvent?: PullListener;
  /** Wraps the folder road's unpacking (its no-space message names the folder). */
  unpacking?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Builds the SIF at `o.output`; returns how many blobs were downloaded. */
export async function buildImage(o: BuildImageOptions): Promise<number> {
  const now = o.deterministic ? deterministicTime() : Math.floor(Date.now() / 1000);
  if (o.builder === "native") return await buildNative(o, now);
  if (o.rootfs === undefined) throw new TypeError("The folder road needs a rootfs folder");
  const rootfs = o.rootfs;
  const unpacking = o.unpacking ?? ((fn) => fn());
  const downloaded = await unpacking(async () => {
    const writer = new RootfsWriter(rootfs, {
      isRoot: o.isRoot,
      maxLayerBytes: o.maxLayerBytes,
      now,
      onWarning: (text) => o.onEvent?.({ kind: "warning", text }),
    });
    try {
      const n = await downloadAndApply(o.downloads, (tar, l) => writer.applyLayer(tar, l.digest));
      await applyExtraFiles(writer.engine, o.metadata);
      await writer.finish();
      return n;
    } catch (e) {
      await writer.finish().catch(() => {});
      throw e;
    }
  });
  o.onEvent?.({ kind: "step", text: "building the SIF image" });
  await buildSif({
    builder: o.builder,
    rootfs,
    output: o.output,
    from: o.from,
    config: o.config,
    arch: o.arch,
    compression: o.compression,
    isRoot: o.isRoot,
    deterministic: o.deterministic,
    sudo: o.sudo,
    tmpDir: o.tmpDir,
    onOutput: (text: string) => o.onEvent?.({ kind: "output", text }),
  });
  return downloaded;
}

async function buildNative(o: BuildImageOptions, now: number): Promise<number> {
  const compression = o.compression === "zstd" ? "zstd" : "gzip";
  o.onEvent?.({ kind: "step", text: "building the SIF image" });
  const sif = await SifAssembly.create({
    output: o.output,
    from: o.from,
    config: o.config,
    arch: o.arch,
    deterministic: o.deterministic,
    squashfs: {
      compression,
      level: DEFAULT_WRITER_LEVELS[compression],
      processors: availableProcessors(),
    },
  });
  const content = new ContentTarget(sif.squashfs);
  const disk = o.rootfs === undefined ? undefined : new DiskTarget(o.rootfs, { isRoot: o.isRoot });
  // The --keep-sandbox folder cannot hold names that are not UTF-8: refused as with --sandbox.
  const names = disk ? new TextNames() : undefined;
  const engine = new LayerEngine(disk ? [content, disk] : [content], {
    maxLayerBytes: o.maxLayerBytes,
    now,
    accept: names?.accept,
  });
  try {
    const downloaded = await downloadAndApply(o.downloads, async (tar, layer) => {
      await engine.applyLayer(tar, layer.digest);
      names?.check(layer.digest);
    });
    await applyExtraFiles(engine, o.metadata);
    await engine.finish();
    const totals = { ...engine.totals, devices: disk?.devices ?? 0, xattrs: disk?.xattrs ?? 0 };
    for (const text of summaryWarnings(totals, disk?.relaxed ?? 0)) {
      o.onEvent?.({ kind: "warning", text });
    }
    await sif.commit(engine.root);
    o.onEvent?.({
      kind: "debug",
      text: `image content stored: ${humanSize(content.storedBytes)}, of which ${
        humanSize(content.wastedBytes)
      } (${content.wastedBytes} bytes) belongs to files that upper layers removed or replaced`,
    });
    return downloaded;
  } catch (e) {
    disk?.abort();
    await sif.abort();
    throw e;
  }
}

function deterministicTime(): number {
  const env = Number(Deno.env.get("SOURCE_DATE_EPOCH"));
  return Number.isInteger(env) && env >= 0 ? env : 0;
}
