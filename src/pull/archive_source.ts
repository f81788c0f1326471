/**
 * Images in archive files: `oci-archive:FILE` (a tar of an OCI layout) and
 * `docker-archive:FILE` (what `docker save` writes: `manifest.json`, a config
 * and layer tars, gzip or not). Both are unpacked into a work folder first.
 * A docker archive has no registry manifest, so one is synthesized from its
 * blobs, and each uncompressed layer is checked against the config's
 * `rootfs.diff_ids`.
 * @module
 */
import { createHash } from "node:crypto";
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import { configPlatform, parseImageConfig } from "../image/config.ts";
import { type DockerArchiveEntry, DockerArchiveManifestSchema } from "../image/schemas.ts";
import { tarEntries } from "../layers/_source.ts";
import { cleanEntryName } from "../layers/paths.ts";
import { byteStringToText } from "../byte_string.ts";
import { sniffCompression } from "../layers/decompress.ts";
import { type Descriptor, MediaType, parseManifest } from "../registry/manifest.ts";
import type { Platform } from "../registry/platform.ts";
import { verifyStream } from "./layout_source.ts";
import type { ImageSource, Resolved } from "./source.ts";

/** Unpacks the regular files of a tar file into `dir` (names re-rooted inside it). */
export async function unpackArchive(file: string, dir: string): Promise<void> {
  let input: Deno.FsFile;
  try {
    input = await Deno.open(file);
  } catch (e) {
    throw new SregistryError(`Cannot open ${file}: ${(e as Error).message}: check the path`, {
      cause: e,
    });
  }
  try {
    for await (const entry of tarEntries(input.readable, { maxBytes: Number.MAX_SAFE_INTEGER })) {
      const text = byteStringToText(entry.header.name); // OCI layout names are ASCII
      const name = text === undefined ? undefined : cleanEntryName(text);
      if (!name || entry.header.type !== "file") {
        await entry.drain();
        continue;
      }
      const path = `${dir}/${name}`;
      Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      const out = Deno.openSync(path, { write: true, create: true, truncate: true });
      try {
        for await (const chunk of entry.body) {
          let offset = 0;
          while (offset < chunk.length) offset += out.writeSync(chunk.subarray(offset));
        }
      } finally {
        out.close();
      }
    }
  } catch (e) {
    if (e instanceof SregistryError) throw e;
    throw new SregistryError(
      `Cannot read the archive ${file}: ${
        (e as Error).message
      }: the file is damaged or not a tar archive`,
      { cause: e },
    );
  }
}

async function fileDigest(
  path: string,
): Promise<{ digest: string; size: number; head: Uint8Array }> {
  const hash = createHash("sha256");
  let size = 0;
  let head = new Uint8Array();
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    if (size === 0) head = chunk.slice(0, 8);
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: "sha256:" + hash.digest("hex"), size, head };
}

const LAYER_TYPES = {
  gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: "application/vnd.docker.image.rootfs.diff.tar",
} as const;

const ARCHIVE_FIX = 'give a file written by "docker save" or "skopeo copy ... docker-archive:"';

/** A `docker save` archive already unpacked into `dir`. */
export class DockerArchiveSource implements ImageSource {
  readonly name: string;
  readonly verifies = true;
  readonly #dir: string;
  readonly #entry: DockerArchiveEntry;
  readonly #files = new Map<string, string>();

  constructor(dir: string, file: string, ref?: string) {
    this.#dir = dir;
    this.name = `docker-archive:${file}${ref ? ":" + ref : ""}`;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(`${dir}/manifest.json`);
    } catch (e) {
      throw new SregistryError(`Cannot read ${file}: it has no manifest.json: ${ARCHIVE_FIX}`, {
        cause: e,
      });
    }
    const entries = parseDocument(bytes, DockerArchiveManifestSchema, {
      kind: "docker-archive-manifest",
      origin: file,
      fix: ARCHIVE_FIX,
    });
    const found = ref === undefined
      ? entries[0]
      : entries.find((e) => e.RepoTags?.some((t) => t === ref || t.endsWith(`/${ref}`)));
    if (!found) {
      const tags = entries.flatMap((e) => e.RepoTags ?? []);
      throw new SregistryError(
        `Cannot find ${ref ?? "an image"} in ${file}${
          tags.length ? `: it has ${tags.join(", ")}` : ""
        }`,
      );
    }
    this.#entry = found;
  }

  /** The first tag the archive gives the image, if any. */
  get repoTag(): string | undefined {
    return this.#entry.RepoTags?.[0];
  }

  /** The unpacked file for a member `name` of manifest.json, which must exist. */
  #member(name: string): string {
    const clean = cleanEntryName(name);
    const path = `${this.#dir}/${clean}`;
    let isFile = false;
    try {
      isFile = clean !== undefined && clean !== "" && Deno.statSync(path).isFile;
    } catch { /* missing */ }
    if (!isFile) {
      throw new SregistryError(
        `Cannot use ${this.name}: its manifest.json names ${
          JSON.stringify(name.slice(0, 200))
        }, which is not a file in the archive: the archive is incomplete; ${ARCHIVE_FIX}`,
      );
    }
    return path;
  }

  async resolve(_platform?: Platform): Promise<Resolved> {
    const configPath = this.#member(this.#entry.Config);
    const configBytes = Deno.readFileSync(configPath);
    const config = parseImageConfig(configBytes, `${this.name} (${this.#entry.Config})`);
    const configDigest = "sha256:" + createHash("sha256").update(configBytes).digest("hex");
    const diffIds = config.rootfs.diff_ids;
    const layers: Descriptor[] = [];
    for (const [i, layer] of this.#entry.Layers.entries()) {
      const path = this.#member(layer);
      const { digest, size, head } = await fileDigest(path);
      const compression = sniffCompression(head);
      if (compression === "none" && diffIds[i] !== undefined && diffIds[i] !== digest) {
        throw new SregistryError(
          `Cannot use layer ${layer} of ${this.name}: its digest ${digest} differs from the config's diff_id ${
            diffIds[i]
          }: the archive is damaged`,
        );
      }
      this.#files.set(digest, path);
      layers.push({
        mediaType: LAYER_TYPES[compression],
        digest,
        size,
      });
    }
    this.#files.set(configDigest, configPath);
    const manifestJson = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const bytes = new TextEncoder().encode(JSON.stringify(manifestJson));
    const digest = "sha256:" + createHash("sha256").update(bytes).digest("hex");
    const manifest = parseManifest(bytes, MediaType.dockerManifest);
    if (manifest.kind !== "manifest") throw new Error("unreachable");
    return {
      digest,
      mediaType: MediaType.dockerManifest,
      bytes,
      manifestDigest: digest,
      manifestMediaType: MediaType.dockerManifest,
      manifestBytes: bytes,
      manifest,
      configBytes,
      platform: configPlatform(config),
    };
  }

  async openBlob(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const path = this.#files.get(desc.digest);
    if (!path) throw new SregistryError(`Cannot find blob ${desc.digest} in ${this.name}`);
    return verifyStream((await Deno.open(path)).readable, desc);
  }
}
