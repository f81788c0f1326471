/**
 * Downloads an image's layers into the blob cache (several at once) and
 * extracts them in order into a root filesystem as each one arrives.
 * @module
 */
import type { BlobCache } from "../store/blob_cache.ts";
import { decompress } from "../layers/decompress.ts";
import { RootfsWriter } from "../layers/extract.ts";
import type { Descriptor } from "../registry/manifest.ts";
import type { PullListener } from "./events.ts";
import { limiter } from "./limit.ts";
import type { ImageSource, Resolved } from "./source.ts";

/** Options for `unpackImage`. */
export interface UnpackOptions {
  source: ImageSource;
  resolved: Resolved;
  /** The blob cache; without it (`--no-blob-cache`) layers stream straight into the rootfs. */
  cache?: BlobCache;
  /** An existing empty folder to fill. */
  rootfs: string;
  jobs: number;
  isRoot?: boolean;
  maxLayerBytes?: number;
  onEvent?: PullListener;
}

/** Fills `rootfs` with the image's layers; returns the number of blobs downloaded. */
export async function unpackImage(options: UnpackOptions): Promise<number> {
  const { source, resolved, cache, onEvent } = options;
  const layers = resolved.manifest.layers;
  const run = limiter(Math.max(1, options.jobs));
  let downloaded = 0;
  const progress = (layer: Descriptor) => (bytes: number) =>
    onEvent?.({
      kind: "layer",
      digest: layer.digest,
      state: "downloading",
      bytes,
      total: layer.size,
    });
  // The first failure stops every other download and the extraction, and is
  // reported once they have cleaned up (no partial blob, no lock left behind).
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort(error);
  };
  const stoppable = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(), { signal: stop.signal });
  const fetches = cache
    ? layers.map((layer) =>
      run(async () => {
        stop.signal.throwIfAborted();
        if (cache.has(layer)) {
          onEvent?.({ kind: "layer", digest: layer.digest, state: "cached", total: layer.size });
          return;
        }
        const open = async () => stoppable(await source.openBlob(layer, progress(layer)));
        const fetched = await cache.ensure(layer, open, {
          verified: source.verifies,
          onWait: () => onEvent?.({ kind: "layer", digest: layer.digest, state: "waiting" }),
        });
        if (fetched) downloaded++;
      }).catch((e) => {
        fail(e);
        throw e;
      })
    )
    : [];
  const writer = new RootfsWriter(options.rootfs, {
    isRoot: options.isRoot,
    maxLayerBytes: options.maxLayerBytes,
    onWarning: (text) => onEvent?.({ kind: "warning", text }),
  });
  try {
    for (const [i, layer] of layers.entries()) {
      let stream: ReadableStream<Uint8Array>;
      if (cache) {
        await fetches[i];
        stream = (await Deno.open(cache.blobPath(layer.digest))).readable;
      } else {
        stream = await source.openBlob(layer, progress(layer));
        downloaded++;
      }
      onEvent?.({ kind: "layer", digest: layer.digest, state: "extracting", total: layer.size });
      await writer.applyLayer(decompress(stoppable(stream), layer.mediaType), layer.digest);
      onEvent?.({ kind: "layer", digest: layer.digest, state: "done", total: layer.size });
    }
  } catch (e) {
    fail(e);
    await Promise.allSettled(fetches);
    await writer.finish().catch(() => {});
    throw failure!.error;
  }
  await writer.finish();
  return downloaded;
}
