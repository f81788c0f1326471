/**
 * Where an image comes from: a registry, or (offline) a local layout or
 * archive. The pull pipeline only sees this interface.
 * @module
 */
import type { DigestVerifier } from "../digest.ts";
import type { Descriptor, ImageIndex, ImageManifest } from "../image/manifest.ts";
import type { Platform } from "../image/platform.ts";

/** An image resolved to one platform manifest. */
export interface Resolved {
  /** What the reference resolved to (an index or a manifest). */
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  index?: ImageIndex;
  /** The chosen platform manifest. */
  manifestDigest: string;
  manifestMediaType: string;
  manifestBytes: Uint8Array;
  manifest: ImageManifest;
  /** The image config (raw bytes, verified). */
  configBytes: Uint8Array;
  platform?: Platform;
}

/** A source of one image. */
export interface ImageSource {
  /** For messages and the catalogue, e.g. `docker://127.0.0.1:5000/a/b:1`. */
  readonly name: string;
  /** Resolves the image for `platform` (default: the host's). */
  resolve(platform?: Platform): Promise<Resolved>;
  /**
   * Streams a blob; when `verifies` is true the stream errors on a wrong
   * digest or size. With `resume` (only when `resumable`), streams the bytes
   * after those the verifier has hashed, and verifies the whole blob.
   */
  openBlob(
    desc: Descriptor,
    onProgress?: (bytes: number) => void,
    resume?: DigestVerifier,
  ): Promise<ReadableStream<Uint8Array>>;
  readonly verifies: boolean;
  /** True when `openBlob` can continue a kept partial download (`resume`). */
  readonly resumable?: boolean;
}
