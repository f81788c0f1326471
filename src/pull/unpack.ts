/**
 * Downloads an image's layers into the blob cache (several at once) and
 * extracts them in order into a root filesystem as each one arrives, or only
 * downloads them (for the streaming SIF build). The first failure stops every
 * other download and the extraction, and is reported once they have cleaned
 * up: no partial blob, no lock left behind.
 * @module
 */
import type { BlobCache } from "../store/blob_cache.ts";
import { decompress } from "../layers/decompress.ts";
import { RootfsWriter } from "../layers/extract.ts";
import type { Descriptor } from "../registry/manifest.ts";
import type { PullListener } from "./events.ts";
import { limiter } from "./limit.ts";
import { tapStream } from "./_tap.ts";
import type { ImageSource, Resolved } from "./source.ts";
import { layerDiffIds, verifyDiffId } from "./diff_ids.ts";
import type { DigestVerifier } from "../digest.ts";
import { describeWait } from "../store/locks.ts";

/** Options for `downloadLayers`. */
export interface DownloadOptions {
  source: ImageSource;
  resolved: Resolved;
  /** The blob cache; without it (`--no-blob-cache`) layers stream straight into the rootfs. */
  cache?: BlobCache;
  jobs: number;
  onEvent?: PullListener;
  /** Offer a copy of each downloading layer's bytes (`DownloadRun.copy`), read as they arrive. */
  copies?: boolean;
  /**
   * The layer the flattener reads once while it downloads, which it starts
   * only once it knows the names in the layers above: those download first.
   */
  onePass?: number;
}

/** Options for `unpackImage`. */
export interface UnpackOptions extends DownloadOptions {
  /** An existing empty folder to fill. */
  rootfs: string;
  isRoot?: boolean;
  maxLayerBytes?: number;
}

/** Downloads running into the cache, with a shared stop on the first failure. */
class Downloads {
  readonly fetches: Promise<void>[];
  readonly stop = new AbortController();
  downloaded = 0;
  #failure?: { error: unknown };

  /** Per layer: the copy of its bytes, or undefined when this run did not download it. */
  readonly copies: Promise<ReadableStream<Uint8Array> | undefined>[];

  constructor(readonly options: DownloadOptions) {
    const { resolved, cache } = options;
    const run = limiter(Math.max(1, options.jobs));
    const layers = resolved.manifest.layers;
    const offer = layers.map(() => Promise.withResolvers<ReadableStream<Uint8Array> | undefined>());
    this.copies = offer.map((o) => o.promise);
    const fetches: Promise<void>[] = [];
    if (!cache) { for (const o of offer) o.resolve(undefined); }
    // One download per digest: a layer listed again waits for the first.
    const first = new Map<string, number>();
    for (const i of cache ? startOrder(layers.length, options.onePass) : []) {
      const same = first.get(layers[i].digest);
      if (same !== undefined) {
        fetches[i] = fetches[same];
        offer[i].resolve(undefined);
        continue;
      }
      first.set(layers[i].digest, i);
      fetches[i] = run(() => this.#fetch(cache!, i, offer[i].resolve))
        .catch((e) => {
          this.fail(e);
          throw e;
        })
        .finally(() => offer[i].resolve(undefined));
    }
    this.fetches = fetches;
    // Failures are reported by whoever waits (in layer order, or `abandon`);
    // a rejection nobody waits for must not crash the process.
    for (const fetch of this.fetches) fetch.catch(() => {});
  }

  /** Downloads layer `i` into the cache, offering a copy of its bytes to `offer`. */
  async #fetch(
    cache: BlobCache,
    i: number,
    offer: (copy: ReadableStream<Uint8Array> | undefined) => void,
  ): Promise<void> {
    const { source, resolved, onEvent, copies } = this.options;
    const layer = resolved.manifest.layers[i];
    this.stop.signal.throwIfAborted();
    const digest = layer.digest;
    let offered = false; // a copy is offered once: a second attempt's copy would find no reader
    const fetched = await cache.ensure(layer, async (resume) => {
      const stream = await this.open(layer, resume);
      // A continued download streams only the missing part: the flattener reads the cache.
      const first = !offered;
      offered = true;
      if (!copies || resume || !first) {
        offer(undefined);
        return stream;
      }
      const tapped = tapStream(stream);
      offer(tapped.copy);
      return tapped.stream;
    }, {
      verified: source.verifies,
      resumable: source.resumable,
      onWait: (_, wait) => {
        onEvent?.({ kind: "layer", digest, state: "waiting" });
        onEvent?.({ kind: "step", text: `layer ${digest}: ${describeWait(wait)}` });
      },
      onDamaged: (reason) =>
        onEvent?.({
          kind: "warning",
          text: `the cached layer ${digest} was damaged (${reason}): removed, downloading it again`,
        }),
      onResume: (bytes) =>
        onEvent?.({
          kind: "step",
          text: `continuing layer ${digest} after the ${bytes} bytes an interrupted pull kept`,
        }),
    });
    if (fetched) this.downloaded++;
    else onEvent?.({ kind: "layer", digest, state: "cached", total: layer.size });
  }

  /** Opens a layer from the source, stoppable, reporting progress. */
  async open(layer: Descriptor, resume?: DigestVerifier): Promise<ReadableStream<Uint8Array>> {
    const progress = (bytes: number) =>
      this.options.onEvent?.({
        kind: "layer",
        digest: layer.digest,
        state: "downloading",
        bytes,
        total: layer.size,
      });
    return this.stoppable(await this.options.source.openBlob(layer, progress, resume));
  }

  stoppable(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(), {
      signal: this.stop.signal,
    });
  }

  fail(error: unknown): void {
    this.#failure ??= { error };
    this.stop.abort(error);
  }

  /** Stops everything, waits for the downloads to clean up, and throws the first failure. */
  async abandon(error: unknown): Promise<never> {
    this.fail(error);
    await Promise.allSettled(this.fetches);
    throw this.#failure!.error;
  }
}

/** Layer indices in download order: those above `onePass`, then it, then those below. */
function startOrder(count: number, onePass?: number): number[] {
  const all = [...Array(count).keys()];
  if (onePass === undefined) return all;
  return [...all.slice(onePass + 1), onePass, ...all.slice(0, onePass)];
}

/** Layer downloads under way (see `startDownloads`). */
export interface DownloadRun {
  /** Resolves when layer `i` is in the cache; rejects with the first failure. */
  ready(i: number): Promise<void>;
  /**
   * With `copies`: layer `i`'s bytes as they download, for a reader that
   * keeps up (the download waits for it); undefined when this run does not
   * download the layer (cached, or fetched by another process).
   */
  copy(i: number): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Waits for every download; returns how many were fetched, or throws the first failure. */
  finish(): Promise<number>;
  /** Stops every download, waits for their clean-up, and throws the first failure (or `error`). */
  abandon(error: unknown): Promise<never>;
}

/** Starts downloading every layer into the cache, `jobs` at a time. */
export function startDownloads(options: DownloadOptions): DownloadRun {
  const downloads = new Downloads(options);
  return {
    ready: (i) => downloads.fetches[i],
    copy: (i) => downloads.copies[i],
    finish: async () => {
      try {
        await Promise.all(downloads.fetches);
      } catch (e) {
        await downloads.abandon(e);
      }
      return downloads.downloaded;
    },
    abandon: (error) => downloads.abandon(error),
  };
}

/** Downloads every layer into the cache; returns how many were fetched. */
export function downloadLayers(options: DownloadOptions): Promise<number> {
  return startDownloads(options).finish();
}

/** Fills `rootfs` with the image's layers; returns the number of blobs downloaded. */
export async function unpackImage(options: UnpackOptions): Promise<number> {
  const { resolved, cache, onEvent } = options;
  const downloads = new Downloads(options);
  const writer = new RootfsWriter(options.rootfs, {
    isRoot: options.isRoot,
    maxLayerBytes: options.maxLayerBytes,
    onWarning: (text) => onEvent?.({ kind: "warning", text }),
  });
  const diffIds = layerDiffIds(resolved);
  try {
    for (const [i, layer] of resolved.manifest.layers.entries()) {
      let stream: ReadableStream<Uint8Array>;
      if (cache) {
        await downloads.fetches[i];
        stream = downloads.stoppable(await cache.open(layer));
      } else {
        stream = await downloads.open(layer);
        downloads.downloaded++;
      }
      onEvent?.({ kind: "layer", digest: layer.digest, state: "extracting", total: layer.size });
      const tar = verifyDiffId(decompress(stream, layer.mediaType), diffIds?.[i], i);
      await writer.applyLayer(tar.stream, layer.digest);
      await tar.verified;
      onEvent?.({ kind: "layer", digest: layer.digest, state: "done", total: layer.size });
    }
  } catch (e) {
    await writer.finish().catch(() => {});
    await downloads.abandon(e);
  }
  await writer.finish();
  return downloads.downloaded;
}
