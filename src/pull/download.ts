/**
 * Downloads an image's layers into the blob cache (several at once) and
 * hands them, in order, to the layer engine: each layer is read once, from
 * its download as it arrives when the engine gets to it in time, else from
 * the cache once it is there. The first failure stops every other download
 * and the engine, and is reported once they have cleaned up: no partial
 * blob, no lock left behind.
 * @module
 */
import type { BlobCache } from "../store/blob_cache.ts";
import { decompress } from "../layers/decompress.ts";
import { RootfsWriter } from "../layers/extract.ts";
import type { Descriptor } from "../image/manifest.ts";
import type { PullPlan } from "./plan.ts";
import { tapStream } from "./_tap.ts";
import type { Resolved } from "../sources/source.ts";
import { layerDiffIds, verifyDiffId } from "./diff_ids.ts";
import type { DigestVerifier } from "../digest.ts";
import { describeWait } from "../store/locks.ts";

/**
 * What the downloads read from the pull's plan (a `PullPlan` is one), and the
 * image resolved: the source, the blob cache (without it, `--no-blob-cache`,
 * layers stream from the source in order), `jobs` downloads at once, the listener.
 */
export type DownloadOptions = Pick<PullPlan, "source" | "cache" | "jobs" | "onEvent"> & {
  readonly resolved: Resolved;
};

/** Options for `unpackImage`: the downloads', the plan's `isRoot` and `maxLayerBytes`, the folder. */
export type UnpackOptions =
  & DownloadOptions
  & Partial<Pick<PullPlan, "isRoot" | "maxLayerBytes">>
  & {
    /** An existing empty folder to fill. */
    readonly rootfs: string;
  };

/** Downloads running into the cache, with a shared stop on the first failure. */
class Downloads {
  readonly fetches: Promise<void>[];
  readonly stop = new AbortController();
  downloaded = 0;
  #failure?: { error: unknown };
  /** Per layer: the copy of its bytes, or undefined when this run did not download it. */
  readonly #copies: Promise<ReadableStream<Uint8Array> | undefined>[];
  /** Per layer: whether its copy was given up (the engine then reads the cache). */
  readonly #dropped: (() => boolean)[] = [];
  /** Per layer: the engine has asked for its copy, so the download waits for the reader. */
  readonly #claimed: boolean[] = [];

  constructor(readonly options: DownloadOptions) {
    const { resolved, cache } = options;
    const run = limiter(Math.max(1, options.jobs));
    const layers = resolved.manifest.layers;
    const offer = layers.map(() => Promise.withResolvers<ReadableStream<Uint8Array> | undefined>());
    this.#copies = offer.map((o) => o.promise);
    const fetches: Promise<void>[] = [];
    if (!cache) { for (const o of offer) o.resolve(undefined); }
    // One download per digest: a layer listed again waits for the first.
    const first = new Map<string, number>();
    for (const i of cache ? layers.keys() : []) {
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
    const { source, resolved, onEvent } = this.options;
    const layer = resolved.manifest.layers[i];
    const digest = layer.digest;
    this.stop.signal.throwIfAborted();
    let offered = false; // a copy is offered once: a second attempt's copy would find no reader
    // A cached blob is hashed before use, and fetched again when damaged (BlobCache.ensure).
    const fetched = await cache.ensure(layer, async (resume) => {
      const stream = await this.open(layer, resume);
      const first = !offered;
      offered = true;
      // A continued download streams only the missing part: the engine reads the cache.
      if (resume || !first) {
        offer(undefined);
        return stream;
      }
      const tapped = tapStream(stream, 8, () => this.#claimed[i] === true);
      this.#dropped[i] = tapped.dropped;
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

  /**
   * Layer `i`'s bytes while this run downloads it, for a reader that keeps up
   * (the download then waits for it); undefined when the layer is not being
   * downloaded here or its copy was given up before this call.
   */
  async copy(i: number): Promise<ReadableStream<Uint8Array> | undefined> {
    this.#claimed[i] = true;
    const copy = await this.#copies[i];
    return copy && !this.#dropped[i]?.() ? copy : undefined;
  }

  /**
   * Layer `i` as a compressed stream, once: its download's copy, else the
   * verified cache file, else (no cache) straight from the source. `done`
   * is called after the layer is applied, and waits for its verification.
   */
  async layer(i: number): Promise<{ stream: ReadableStream<Uint8Array>; live: boolean }> {
    const { cache, resolved } = this.options;
    const layer = resolved.manifest.layers[i];
    if (!cache) {
      const stream = await this.open(layer);
      this.downloaded++;
      return { stream, live: true };
    }
    const copy = await this.copy(i);
    if (copy) return { stream: copy, live: true };
    await this.fetches[i];
    // cache.open hashes a file this process has not verified (never Deno.open on blobPath).
    return { stream: this.stoppable(await cache.open(layer)), live: false };
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

/** Applies one uncompressed layer (the engine with its backends). */
export type ApplyLayer = (tar: ReadableStream<Uint8Array>, layer: Descriptor) => Promise<unknown>;

/**
 * Downloads every layer (into the cache when there is one, `jobs` at a time)
 * and applies them in order with `apply`, each read once; returns how many
 * blobs were downloaded. On failure, every download is stopped and cleaned
 * up before the first failure is thrown (a failed download rather than what
 * its partial bytes looked like).
 */
export async function downloadAndApply(
  options: DownloadOptions,
  apply: ApplyLayer,
): Promise<number> {
  const { resolved, onEvent } = options;
  const diffIds = layerDiffIds(resolved);
  const downloads = new Downloads(options);
  try {
    for (const [i, layer] of resolved.manifest.layers.entries()) {
      const { stream, live } = await downloads.layer(i);
      if (!live) {
        onEvent?.({ kind: "layer", digest: layer.digest, state: "extracting", total: layer.size });
      }
      try {
        // The uncompressed bytes against the config's diff ID: `verified` settles once all
        // are hashed (drained past the end-of-archive marker), before the layer counts.
        const tar = verifyDiffId(decompress(stream, layer.mediaType), diffIds?.[i], i);
        await apply(tar.stream, layer);
        await tar.verified;
        await downloads.fetches[i];
      } catch (e) {
        await downloads.fetches[i]; // a failed download explains a bad layer better
        throw e;
      }
      onEvent?.({ kind: "layer", digest: layer.digest, state: "done", total: layer.size });
    }
    await Promise.all(downloads.fetches);
  } catch (e) {
    await downloads.abandon(e);
  }
  return downloads.downloaded;
}

/** Fills `rootfs` with the image's layers; returns the number of blobs downloaded. */
export async function unpackImage(options: UnpackOptions): Promise<number> {
  const writer = new RootfsWriter(options.rootfs, {
    isRoot: options.isRoot,
    maxLayerBytes: options.maxLayerBytes,
    onWarning: (text) => options.onEvent?.({ kind: "warning", text }),
  });
  try {
    const downloaded = await downloadAndApply(
      options,
      (tar, layer) => writer.applyLayer(tar, layer.digest),
    );
    await writer.finish();
    return downloaded;
  } catch (e) {
    await writer.finish().catch(() => {});
    throw e;
  }
}

/** Runs async tasks with at most `limit` at once. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
