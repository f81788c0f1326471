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
import { downloadAndApply } from "./download.ts";
import type { PullPlan } from "./plan.ts";
import type { PulledImage } from "./resolve.ts";

/** One SIF to build; every option comes from the plan (`buildImage(plan, job)`). */
export interface BuildJob {
  builder: ChosenBuilder;
  image: PulledImage;
  /** The folder road's root filesystem, or native's `--keep-sandbox` folder (existing, empty). */
  rootfs?: string;
  metadata: MetadataFile[];
  /** The SIF to write (the partial file beside the final path). */
  output: string;
  /** The work folder: where mksquashfs writes its temporary squashfs. */
  tmpDir: string;
  /** Wraps the folder road's unpacking (its no-space message names the folder). */
  unpacking?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Builds the SIF at `o.output` as `plan` says; returns how many blobs were downloaded. */
export async function buildImage(plan: PullPlan, o: BuildJob): Promise<number> {
  const now = plan.deterministicTime ?? Math.floor(Date.now() / 1000);
  const downloads = { ...plan, resolved: o.image.resolved };
  if (o.builder === "native") return await buildNative(plan, o, now);
  if (o.rootfs === undefined) throw new TypeError("The folder road needs a rootfs folder");
  const rootfs = o.rootfs;
  const unpacking = o.unpacking ?? ((fn) => fn());
  const downloaded = await unpacking(async () => {
    const writer = new RootfsWriter(rootfs, {
      isRoot: plan.isRoot,
      maxLayerBytes: plan.maxLayerBytes,
      now,
      onWarning: (text) => plan.onEvent?.({ kind: "warning", text }),
    });
    try {
      const n = await downloadAndApply(downloads, (tar, l) => writer.applyLayer(tar, l.digest));
      await applyExtraFiles(writer.engine, o.metadata);
      await writer.finish();
      return n;
    } catch (e) {
      await writer.finish().catch(() => {});
      throw e;
    }
  });
  plan.onEvent?.({ kind: "step", text: "building the SIF image" });
  await buildSif({
    builder: o.builder,
    rootfs,
    output: o.output,
    from: plan.reference,
    config: o.image.config,
    arch: o.image.arch,
    compression: plan.compression,
    level: plan.level,
    isRoot: plan.isRoot,
    deterministic: plan.deterministicTime !== undefined,
    sourceDateEpoch: plan.deterministicTime,
    sudo: plan.sudo,
    tmpDir: o.tmpDir,
    onOutput: (text: string) => plan.onEvent?.({ kind: "output", text }),
  });
  return downloaded;
}

async function buildNative(plan: PullPlan, o: BuildJob, now: number): Promise<number> {
  // chooseBuilder gives native only gzip or zstd.
  const compression = plan.compression === "zstd" ? "zstd" : "gzip";
  plan.onEvent?.({ kind: "step", text: "building the SIF image" });
  const sif = await SifAssembly.create({
    output: o.output,
    from: plan.reference,
    config: o.image.config,
    arch: o.image.arch,
    deterministic: plan.deterministicTime !== undefined,
    sourceDateEpoch: plan.deterministicTime,
    squashfs: {
      compression,
      // The writer's own default (gzip 2), not mksquashfs's (plan.level, gzip 1).
      level: DEFAULT_WRITER_LEVELS[compression],
      processors: availableProcessors(),
    },
  });
  const content = new ContentTarget(sif.squashfs);
  const disk = o.rootfs === undefined
    ? undefined
    : new DiskTarget(o.rootfs, { isRoot: plan.isRoot });
  // The --keep-sandbox folder cannot hold names that are not UTF-8: refused as with --sandbox.
  const names = disk ? new TextNames() : undefined;
  const engine = new LayerEngine(disk ? [content, disk] : [content], {
    maxLayerBytes: plan.maxLayerBytes,
    now,
    accept: names?.accept,
  });
  try {
    const downloaded = await downloadAndApply(
      { ...plan, resolved: o.image.resolved },
      async (tar, layer) => {
        await engine.applyLayer(tar, layer.digest);
        names?.check(layer.digest);
      },
    );
    await applyExtraFiles(engine, o.metadata);
    await engine.finish();
    const totals = {
      ...engine.totals,
      devices: disk?.devices ?? 0,
      xattrs: disk?.xattrs ?? 0,
      xattrKinds: disk?.xattrKinds,
    };
    for (const text of summaryWarnings(totals, disk?.relaxed ?? 0)) {
      plan.onEvent?.({ kind: "warning", text });
    }
    await sif.commit(engine.root);
    plan.onEvent?.({
      kind: "debug",
      text: `image content stored: ${humanSize(content.storedBytes)}, of which ${
        humanSize(content.wastedBytes)
      } (${content.wastedBytes} bytes) belongs to files that upper layers removed or replaced; ${
        sif.squashfs.droppedBytes > 0
          ? `compaction dropped ${humanSize(sif.squashfs.droppedBytes)} of it (compressed)`
          : "not compacted (under 1 MiB or 1% of the data)"
      }`,
    });
    return downloaded;
  } catch (e) {
    disk?.abort();
    await sif.abort();
    throw e;
  }
}
