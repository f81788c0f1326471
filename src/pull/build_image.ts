/**
 * The SIF build step of a pull, by one of two roads:
 *
 * - streaming (the native builder with `tar2sqfs` installed, layers in the
 *   blob cache): the layers and the Singularity metadata are flattened into one
 *   tar stream piped into `tar2sqfs`; no file of the image is created on disk;
 * - through a folder: the layers are unpacked into a root filesystem, the
 *   metadata written into it, and `mksquashfs` (or apptainer/singularity)
 *   builds the image. Used when streaming is not possible, and as the fallback
 *   for the rare layer sets the flattener cannot reproduce exactly.
 *
 * Both give the same tree (tests/build/flatten_test.ts).
 * @module
 */
import { type BuilderName, buildSif, buildSifFromTar } from "../build/builder.ts";
import { flattenLayers, FlattenRestart, FlattenUnsupported } from "../build/flatten.ts";
import type { MetadataFile } from "../build/metadata.ts";
import { writeMetadata } from "../build/metadata_writer.ts";
import type { Compression } from "../build/squashfs.ts";
import { decompress } from "../layers/decompress.ts";
import type { Descriptor } from "../registry/manifest.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import type { PullListener } from "./events.ts";
import { verifyDiffId } from "./diff_ids.ts";
import { limiter } from "./limit.ts";

/** What `buildImage` needs. */
export interface BuildImageOptions {
  builder: Exclude<BuilderName, "auto">;
  /** Layers are (or are being downloaded) in `cache`: flatten them into tar2sqfs. */
  streaming: boolean;
  /** Resolves when layer `i` is in the cache, so flattening overlaps the downloads. */
  ready?: (i: number) => Promise<void>;
  /** The layer read in a single pass (`largestLayer`); its upper layers must download first. */
  onePass?: number;
  /** Layer `i`'s bytes as they download (see `DownloadRun.copy`): its headers are read meanwhile. */
  copy?: (i: number) => Promise<ReadableStream<Uint8Array> | undefined>;
  cache?: BlobCache;
  layers: Descriptor[];
  /** The config's diff IDs, one per layer (see diff_ids.ts); undefined for schema1. */
  diffIds?: string[];
  /** The folder road's root filesystem (already unpacked unless streaming). */
  rootfs: string;
  /** Unpacks the layers into `rootfs` (the fallback of the streaming road). */
  unpack: () => Promise<unknown>;
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
  /** Where temporary squashfs files go. */
  tmpDir: string;
  onEvent?: PullListener;
}

/** How many cached layers the streaming build reads at once. */
const OPEN_LAYERS = 8;

/** Takes a slot of `run` and resolves with its release function. */
function slot(run: ReturnType<typeof limiter>): Promise<() => void> {
  return new Promise((taken) => {
    void run(() => new Promise<void>((release) => taken(() => release())));
  });
}

/** Builds the SIF at `o.output`. */
export async function buildImage(o: BuildImageOptions): Promise<void> {
  const common = {
    output: o.output,
    from: o.from,
    config: o.config,
    arch: o.arch,
    compression: o.compression,
    isRoot: o.isRoot,
    deterministic: o.deterministic,
    tmpDir: o.tmpDir,
    onOutput: (text: string) => o.onEvent?.({ kind: "output", text }),
  };
  if (o.streaming && o.cache) {
    const cache = o.cache;
    const stream = async (onePass: boolean) => {
      // Each layer's uncompressed bytes against its diff ID; awaited before the SIF counts.
      const checks: Promise<void>[] = [];
      const verify = (tar: ReadableStream<Uint8Array>, i: number) => {
        const v = verifyDiffId(tar, o.diffIds?.[i], i);
        checks.push(v.verified);
        return v;
      };
      // At most OPEN_LAYERS cached layers read at once (a slot is held until the layer's
      // bytes are all hashed): memory follows the work, not the manifest's layer count.
      const slots = limiter(OPEN_LAYERS);
      await buildSifFromTar({
        ...common,
        tar: flattenLayers(
          o.layers.map((l, i) => ({
            open: async () => {
              await o.ready?.(i); // before taking a slot: downloads never wait for one
              const release = await slot(slots);
              try {
                const v = verify(decompress(await cache.open(l), l.mediaType), i);
                v.verified.finally(release).catch(() => {});
                return v.stream;
              } catch (e) {
                release();
                throw e;
              }
            },
            // A restart reads the cache: the download's copy is spent.
            early: onePass
              ? o.copy?.(i).then((s) => s && verify(decompress(s, l.mediaType), i).stream)
              : undefined,
            verified: o.ready?.(i),
          })),
          o.metadata,
          {
            isRoot: o.isRoot,
            maxLayerBytes: o.maxLayerBytes,
            labels: o.layers.map((l) => l.digest),
            onWarning: (text) => o.onEvent?.({ kind: "warning", text }),
            onePass: onePass ? o.onePass : undefined,
          },
        ),
      });
      await Promise.all(checks);
    };
    try {
      await stream(true).catch((e) => {
        if (!(e instanceof FlattenRestart)) throw e;
        o.onEvent?.({ kind: "step", text: `building again in two passes: ${e.message}` });
        return stream(false);
      });
      for (const l of o.layers) {
        o.onEvent?.({ kind: "layer", digest: l.digest, state: "done", total: l.size });
      }
      return;
    } catch (e) {
      if (!(e instanceof FlattenUnsupported)) throw e;
      o.onEvent?.({ kind: "step", text: `unpacking into a folder instead: ${e.message}` });
      await o.unpack();
    }
  }
  writeMetadata(o.rootfs, o.metadata);
  await buildSif({ ...common, builder: o.builder, rootfs: o.rootfs, sudo: o.sudo });
}

/** The index of the largest layer (by compressed size): the one to read in a single pass. */
export function largestLayer(layers: Descriptor[]): number | undefined {
  let best: number | undefined;
  for (const [i, l] of layers.entries()) {
    if (best === undefined || l.size > layers[best].size) best = i;
  }
  return best;
}
