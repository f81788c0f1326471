/**
 * Test images built in code: tar layers (gzip, zstd or plain), an image config,
 * Docker schema2 or OCI manifests, and indexes with platforms and attestation
 * entries. Everything is content-addressed exactly as a registry expects.
 * @module
 */
import { createHash } from "node:crypto";
import { zstdCompressSync } from "node:zlib";
import { buildTar, type TarEntry } from "./_tar.ts";

/** A blob with its descriptor fields. */
export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

/** One layer to build. */
export interface LayerSpec {
  entries: TarEntry[];
  compression?: "gzip" | "zstd" | "none";
}

/** What `buildImage` returns: every blob needed to push and pull the image. */
export interface BuiltImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  /** Uncompressed tar digests, in layer order. */
  diffIds: string[];
  /** Uncompressed tars, in layer order. */
  tars: Uint8Array[];
}

/** A platform as written in indexes. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const encoder = new TextEncoder();

/** `sha256:<hex>` of bytes. */
export function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** Makes a blob from bytes or a JSON value (serialised as given, no re-ordering). */
export function blob(mediaType: string, content: Uint8Array | unknown): Blob {
  const bytes = content instanceof Uint8Array ? content : encoder.encode(JSON.stringify(content));
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

/** Gzip-compresses bytes with the web CompressionStream. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const LAYER_TYPES = {
  oci: {
    gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
    zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
    none: "application/vnd.oci.image.layer.v1.tar",
  },
  docker: {
    gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
    none: "application/vnd.docker.image.rootfs.diff.tar",
  },
} as const;

/** Media types of manifests and configs by format. */
export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

/** Builds an image: layers, config and manifest. */
export async function buildImage(spec: {
  layers: LayerSpec[];
  config?: Record<string, unknown>;
  format?: "oci" | "docker";
  platform?: Platform;
  created?: string;
}): Promise<BuiltImage> {
  const format = spec.format ?? "oci";
  const platform = spec.platform ?? { os: "linux", architecture: "amd64" };
  const tars: Uint8Array[] = [];
  const layers: Blob[] = [];
  for (const layer of spec.layers) {
    const tar = buildTar(layer.entries);
    const compression = layer.compression ?? "gzip";
    const bytes = compression === "gzip"
      ? await gzip(tar)
      : compression === "zstd"
      ? new Uint8Array(zstdCompressSync(tar))
      : tar;
    tars.push(tar);
    layers.push(blob(LAYER_TYPES[format][compression], bytes));
  }
  const diffIds = tars.map(sha256);
  const config = blob(format === "oci" ? MEDIA.ociConfig : MEDIA.dockerConfig, {
    created: spec.created ?? "2024-01-01T00:00:00Z",
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: spec.config ??
      { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: layers.map(() => ({ created_by: "test layer" })),
  });
  const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(format === "oci" ? MEDIA.ociManifest : MEDIA.dockerManifest, {
    schemaVersion: 2,
    mediaType: format === "oci" ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: descriptor(config),
    layers: layers.map(descriptor),
  });
  return { manifest, config, layers, diffIds, tars };
}

/**
 * An OCI image built by hand from blobs: the manifest lists `layers` and the
 * config lists `diffIds` (they need not agree, for tests of images that lie),
 * with `config` as the config's `config` field (the runtime settings).
 */
export function imageOfBlobs(
  layers: Blob[],
  diffIds: string[],
  tars: Uint8Array[] = [],
  config: Record<string, unknown> = {},
): BuiltImage {
  const configBlob = blob(MEDIA.ociConfig, {
    architecture: "amd64",
    os: "linux",
    config,
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(MEDIA.ociManifest, {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: descriptor(configBlob),
    layers: layers.map(descriptor),
  });
  return { manifest, config: configBlob, layers, diffIds, tars };
}

/** An OCI image of layer tars given as bytes (GNU tar's own output, say), each gzipped. */
export async function imageOfTars(
  tars: Uint8Array[],
  config: Record<string, unknown> = {},
): Promise<BuiltImage> {
  const layers = await Promise.all(
    tars.map(async (t) => blob(LAYER_TYPES.oci.gzip, await gzip(t))),
  );
  return imageOfBlobs(layers, tars.map(sha256), tars, config);
}

/**
 * Builds an index (OCI) or manifest list (Docker) over images; with
 * `attestations`, adds a BuildKit-style `unknown/unknown` attestation entry per
 * image (its manifest is returned in `extra` to be pushed too).
 */
export function buildIndex(
  images: { image: BuiltImage; platform: Platform }[],
  options: { format?: "oci" | "docker"; attestations?: boolean } = {},
): { index: Blob; extra: Blob[] } {
  const format = options.format ?? "oci";
  const entries: unknown[] = [];
  const extra: Blob[] = [];
  for (const { image, platform } of images) {
    entries.push({
      mediaType: image.manifest.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.size,
      platform,
    });
    if (options.attestations) {
      const statement = blob("application/vnd.in-toto+json", { predicateType: "test" });
      const empty = blob(MEDIA.ociConfig, {});
      const att = blob(MEDIA.ociManifest, {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: empty.mediaType, digest: empty.digest, size: empty.size },
        layers: [{
          mediaType: statement.mediaType,
          digest: statement.digest,
          size: statement.size,
        }],
      });
      extra.push(statement, empty, att);
      entries.push({
        mediaType: att.mediaType,
        digest: att.digest,
        size: att.size,
        annotations: {
          "vnd.docker.reference.digest": image.manifest.digest,
          "vnd.docker.reference.type": "attestation-manifest",
        },
        platform: { architecture: "unknown", os: "unknown" },
      });
    }
  }
  const type = format === "oci" ? MEDIA.ociIndex : MEDIA.dockerList;
  return { index: blob(type, { schemaVersion: 2, mediaType: type, manifests: entries }), extra };
}
