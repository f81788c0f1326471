/**
 * From what the user typed to an `ImageSource`: a registry reference
 * (`busybox`, `docker://...`, `nvidia://...`), `oci:DIR[:TAG]`,
 * `oci-archive:FILE[:TAG]` or `docker-archive:FILE[:REF]`; and, offline, the
 * blob cache itself.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { formatReference, parseReference, type Reference } from "../reference.ts";
import type { RegistryClient } from "../registry/client.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import { DockerArchiveSource, unpackArchive } from "./archive.ts";
import { LayoutSource } from "./layout.ts";
import { RegistrySource } from "./registry.ts";
import type { ImageSource } from "./source.ts";

/** A source ready to pull, with the reference it is recorded under. */
export interface OpenedSource {
  source: ImageSource;
  ref: Reference;
  /** Only for registry sources: the digest a HEAD reports (warm-pull check). */
  headDigest?: () => Promise<string | undefined>;
}

const LOCAL = /^(oci|oci-archive|docker-archive):(.+)$/;

/** Splits `PATH[:TAG]` where PATH may not contain `:` after its last `/`. */
function splitPathTag(rest: string): { path: string; tag?: string } {
  const slash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", slash + 1);
  return colon < 0 ? { path: rest } : { path: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

/** The reference a local image is recorded under: given, or from its tag, or `localhost/<file>`. */
function localReference(
  given: string | undefined,
  tag: string | undefined,
  path: string,
): Reference {
  if (given) return parseReference(given);
  if (tag) {
    try {
      const ref = parseReference(tag);
      if (tag.includes("/") || tag.includes(":")) return ref;
    } catch { /* a plain tag */ }
  }
  const base = path.replace(/\/+$/, "").split("/").pop()!.toLowerCase()
    .replace(/\.(tar|tgz|tar\.gz)$/, "").replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") ||
    "image";
  return parseReference(
    `localhost/${base}:${tag && /^[\w][\w.-]{0,127}$/.test(tag) ? tag : "latest"}`,
  );
}

/** Opens the source `spec` names. */
export async function openSource(
  spec: string,
  options: {
    client: () => RegistryClient;
    cache?: BlobCache;
    workDir: () => Promise<string>;
    offline?: boolean;
    reference?: string;
  },
): Promise<OpenedSource> {
  const local = LOCAL.exec(spec);
  if (local) {
    const [, kind, rest] = local;
    const { path, tag } = splitPathTag(rest);
    if (kind === "oci") {
      return {
        source: new LayoutSource(path, tag),
        ref: localReference(options.reference, tag, path),
      };
    }
    const dir = await options.workDir();
    await unpackArchive(path, dir);
    if (kind === "oci-archive") {
      return {
        source: new LayoutSource(dir, tag, { name: `oci-archive:${rest}` }),
        ref: localReference(options.reference, tag, path),
      };
    }
    const source = new DockerArchiveSource(dir, path, tag);
    return { source, ref: localReference(options.reference, tag ?? source.repoTag, path) };
  }
  const ref = parseReference(spec);
  if (options.offline) {
    if (!options.cache) {
      throw new SregistryError(`Cannot pull ${spec} offline: --offline needs the blob cache`);
    }
    const name = formatReference(ref);
    return {
      ref,
      headDigest: () => Promise.resolve(options.cache!.lookup(name)?.digest),
      source: new LayoutSource(options.cache.root, name, {
        name: `docker://${name}`,
        missing: (what) =>
          `Cannot pull ${name} offline: ${what} is not in the cache (${
            options.cache!.root
          }): pull it once with network access, or drop --offline`,
      }),
    };
  }
  const client = options.client();
  return {
    ref,
    source: new RegistrySource(client, ref, options.cache),
    headDigest: async () => (await client.headManifest(ref))?.digest,
  };
}
