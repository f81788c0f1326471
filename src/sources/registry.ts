/**
 * An image in a registry, as an `ImageSource`: resolves the reference (index →
 * platform manifest) with the registry client and fetches the config through
 * the blob cache.
 * @module
 */
import type { DigestVerifier } from "../digest.ts";
import type { RegistryClient } from "../registry/client.ts";
import type { Descriptor } from "../image/manifest.ts";
import type { Platform } from "../image/platform.ts";
import { formatReference, type Reference } from "../reference.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import type { ImageSource, Resolved } from "./source.ts";

/** A registry image source. */
export class RegistrySource implements ImageSource {
  readonly name: string;
  readonly verifies = true;
  readonly resumable = true;
  readonly #client: RegistryClient;
  readonly #ref: Reference;
  readonly #cache?: BlobCache;

  constructor(client: RegistryClient, ref: Reference, cache?: BlobCache) {
    this.#client = client;
    this.#ref = ref;
    this.#cache = cache;
    this.name = `docker://${formatReference(ref)}`;
  }

  async resolve(platform?: Platform): Promise<Resolved> {
    const r = await this.#client.resolve(this.#ref, { platform });
    const config = r.manifest.config;
    let configBytes: Uint8Array;
    if (r.manifest.configBytes) {
      configBytes = r.manifest.configBytes; // schema1: synthesized from history
    } else if (this.#cache) {
      await this.#cache.ensure(config, () => this.#openConfig(config), { verified: true });
      configBytes = this.#cache.read(config.digest);
    } else {
      configBytes = new Uint8Array(
        await new Response(await this.#openConfig(config)).arrayBuffer(),
      );
    }
    return {
      digest: r.digest,
      mediaType: r.mediaType,
      bytes: r.bytes,
      index: r.index,
      manifestDigest: r.manifestDigest,
      manifestMediaType: r.manifest.mediaType,
      manifestBytes: r.manifestBytes,
      manifest: r.manifest,
      configBytes,
      platform: r.platform,
    };
  }

  /** The config blob: small, so its whole body is bounded by the timeout. */
  #openConfig(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    return Promise.resolve(this.#client.openBlob(this.#ref, desc, { small: true }));
  }

  openBlob(
    desc: Descriptor,
    onProgress?: (bytes: number) => void,
    resume?: DigestVerifier,
  ): Promise<ReadableStream<Uint8Array>> {
    return Promise.resolve(this.#client.openBlob(this.#ref, desc, { onProgress, resume }));
  }
}
