/**
 * Resolving a reference to one image manifest: the manifest itself, or the
 * entry of an index for a platform (default: this machine's), fetched and
 * checked to be a manifest (nested indexes are refused).
 * @module
 */
import { SregistryError } from "../errors.ts";
import { formatReference, type Reference } from "../reference.ts";
import { hostPlatform, type Platform, selectManifest } from "../image/platform.ts";
import { checkContainerImage } from "../image/artifact.ts";
import type { FetchedManifest, ResolvedImage } from "./types.ts";

/** Fetches a manifest by tag or digest (default: the reference's own). */
export type GetManifest = (ref: Reference, reference?: string) => Promise<FetchedManifest>;

/**
 * See the module doc. `platform` in the result is the index entry's; a
 * single manifest has none here: it is built for what its config says, not
 * for what was asked (the pull compares the two).
 * @throws {SregistryError} when no index entry matches (listing the
 *   platforms the image has), the entry is another index, or the manifest is
 *   not a container image's (an OCI artifact: `image/artifact.ts`); whatever
 *   `getManifest` throws
 */
export async function resolveImage(
  getManifest: GetManifest,
  ref: Reference,
  opts: { platform?: Platform } = {},
): Promise<ResolvedImage> {
  const top = await getManifest(ref);
  const base = { ref, digest: top.digest, mediaType: top.mediaType, bytes: top.bytes };
  if (top.parsed.kind === "manifest") {
    checkContainerImage(top.parsed, formatReference(ref));
    return { ...base, manifestDigest: top.digest, manifestBytes: top.bytes, manifest: top.parsed };
  }
  const platform = opts.platform ?? hostPlatform();
  const entry = selectManifest(top.parsed, platform);
  const child = await getManifest(ref, entry.digest);
  if (child.parsed.kind !== "manifest") {
    throw new SregistryError(
      `Cannot pull ${
        formatReference(ref)
      }: its index points to another index (${entry.digest}): nested indexes are not supported`,
    );
  }
  checkContainerImage(child.parsed, formatReference(ref));
  return {
    ...base,
    index: top.parsed,
    manifestDigest: child.digest,
    manifestBytes: child.bytes,
    manifest: child.parsed,
    platform: entry.platform ?? platform,
  };
}
