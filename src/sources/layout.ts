/**
 * An image in a local OCI image layout (`oci:DIR[:TAG]`): skopeo's output, a
 * colleague's copy, or our own blob cache (for `--offline`). Every blob read is
 * verified against its digest, as from a registry.
 * @module
 */
import { DigestVerifier, verifyingStream } from "../digest.ts";
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import { configPlatform, parseImageConfig } from "../image/config.ts";
import { LayoutIndexSchema } from "../image/schemas.ts";
import { type Descriptor, type ImageManifest, parseManifest } from "../image/manifest.ts";
import { checkContainerImage } from "../image/artifact.ts";
import { formatPlatform, hostPlatform, type Platform, selectManifest } from "../image/platform.ts";
import { checkOciLayoutFile, layoutBlobPath, layoutPaths, REF_NAME } from "../store/oci_layout.ts";
import type { ImageSource, Resolved } from "./source.ts";

const LAYOUT_FIX = "give a folder written by skopeo or umoci (oci-layout, index.json and blobs/)";

/** Streams `stream` through, erroring at the end when digest or size differ. */
export function verifyStream(
  stream: ReadableStream<Uint8Array>,
  desc: Descriptor,
): ReadableStream<Uint8Array> {
  return verifyingStream(stream, desc.digest, { size: desc.size >= 0 ? desc.size : undefined })
    .stream;
}

/** An OCI layout source. */
export class LayoutSource implements ImageSource {
  readonly name: string;
  readonly verifies = true;
  readonly #dir: string;
  readonly #tag?: string;
  readonly #missing: (what: string) => string;

  /**
   * @param dir the layout folder
   * @param tag the `org.opencontainers.image.ref.name` to use; optional when the layout holds one image
   * @param options.name how to name the source; `options.missing` words the error for an absent tag
   */
  constructor(
    dir: string,
    tag?: string,
    options: { name?: string; missing?: (what: string) => string } = {},
  ) {
    this.#dir = dir;
    this.#tag = tag;
    this.name = options.name ?? `oci:${dir}${tag ? ":" + tag : ""}`;
    this.#missing = options.missing ??
      ((what) => `Cannot find ${what} in the OCI layout ${dir}: check the folder and tag`);
  }

  #read(digest: string): Uint8Array {
    try {
      return Deno.readFileSync(layoutBlobPath(this.#dir, digest));
    } catch {
      throw new SregistryError(this.#missing(`blob ${digest}`));
    }
  }

  #readVerified(desc: Descriptor): Uint8Array {
    const bytes = this.#read(desc.digest);
    const v = new DigestVerifier(desc.digest, desc.size >= 0 ? desc.size : undefined);
    v.update(bytes);
    v.verify();
    return bytes;
  }

  #entry(): Descriptor {
    const path = layoutPaths(this.#dir).index;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      throw new SregistryError(
        `Cannot read the OCI layout ${this.#dir}: ${(e as Error).message}: ${LAYOUT_FIX}`,
        { cause: e },
      );
    }
    checkOciLayoutFile(this.#dir, LAYOUT_FIX);
    const index = parseDocument(bytes, LayoutIndexSchema, {
      kind: "layout-index",
      origin: path,
      fix: LAYOUT_FIX,
    });
    const manifests = index.manifests;
    const found = this.#tag === undefined
      ? (manifests.length === 1 ? manifests[0] : undefined)
      : manifests.find((m) => m.annotations?.[REF_NAME] === this.#tag);
    if (!found) {
      const names = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
      const what = this.#tag === undefined ? "a single image" : `"${this.#tag}"`;
      throw new SregistryError(
        this.#missing(what) + (names.length ? ` (it has: ${names.join(", ")})` : ""),
      );
    }
    return found;
  }

  resolve(platform?: Platform): Promise<Resolved> {
    const entry = this.#entry();
    const bytes = this.#readVerified(entry);
    const parsed = parseManifest(bytes, entry.mediaType, {
      origin: `${this.name} (${entry.digest})`,
    });
    let manifestDesc = entry;
    let manifestBytes = bytes;
    let manifest: ImageManifest;
    if (parsed.kind === "index") {
      manifestDesc = selectManifest(parsed, platform ?? hostPlatform());
      manifestBytes = this.#readVerified(manifestDesc);
      const inner = parseManifest(manifestBytes, manifestDesc.mediaType, {
        origin: `${this.name} (${manifestDesc.digest})`,
      });
      if (inner.kind !== "manifest") {
        throw new SregistryError(`Cannot use nested indexes in ${this.name}`);
      }
      manifest = inner;
    } else {
      manifest = parsed;
    }
    checkContainerImage(manifest, this.name);
    const configBytes = manifest.configBytes ?? this.#readVerified(manifest.config);
    const config = parseImageConfig(configBytes, `${this.name} (${manifest.config.digest})`);
    const chosen: Platform | undefined = manifestDesc.platform ?? configPlatform(config);
    if (
      platform && chosen && parsed.kind !== "index" &&
      formatPlatform(chosen) !== formatPlatform(platform)
    ) {
      // a single-platform image: the platform is what it is; say so rather than guess
      if (chosen.architecture !== platform.architecture) {
        throw new SregistryError(
          `Cannot pull ${this.name} for ${formatPlatform(platform)}: the image is ${
            formatPlatform(chosen)
          } only`,
        );
      }
    }
    return Promise.resolve({
      digest: entry.digest,
      mediaType: parsed.mediaType,
      bytes,
      index: parsed.kind === "index" ? parsed : undefined,
      manifestDigest: manifestDesc.digest,
      manifestMediaType: manifest.mediaType,
      manifestBytes,
      manifest,
      configBytes,
      platform: chosen,
    });
  }

  async openBlob(desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(layoutBlobPath(this.#dir, desc.digest));
    } catch {
      throw new SregistryError(this.#missing(`blob ${desc.digest}`));
    }
    return verifyStream(file.readable, desc);
  }
}
