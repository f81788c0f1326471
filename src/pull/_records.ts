/**
 * The pull's view of the catalogue: finding an image to reuse, and telling
 * whether a file in storage belongs to a record.
 * @module
 */
import { parsePlatform, type Platform, sameArchitecture } from "../image/platform.ts";
import type { Reference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { exists } from "../store/file_exists.ts";
import type { ImageRecord } from "../store/record.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";

export function platformString(p: Platform | undefined): string | undefined {
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join("/") : undefined;
}

/** A recorded `os/arch[/variant]` is what `want` asks for (`linux/arm64` is `linux/arm64/v8`). */
function samePlatform(recorded: string | null | undefined, want: Platform): boolean {
  if (!recorded) return false;
  try {
    return sameArchitecture(parsePlatform(recorded), want);
  } catch {
    return false;
  }
}

/**
 * Finds a recorded image for the same reference, digest and platform (same
 * os and architecture, variants compared when both name one) whose file is
 * present; with `managed`, only one whose file is its managed file in
 * storage (see {@linkcode isManagedFile}).
 */
export function findReusable(
  catalogue: Catalogue,
  ref: Reference,
  platform: Platform | undefined,
  digest: string,
  options: { managed?: boolean } = {},
): ImageRecord | undefined {
  const names = storageNames(ref);
  return catalogue.all().find((r) =>
    r.registry === names.registry && r.collection === names.collection &&
    r.name === names.name && r.tag === names.tag && r.digest === digest &&
    (platform === undefined || samePlatform(r.platform, platform)) && r.image !== null &&
    exists(r.image) && (!options.managed || isManagedFile(r))
  );
}

/** True when a record names the file at `path` (compared by inode, so spelling does not matter). */
export function isRecorded(catalogue: Catalogue, path: string): boolean {
  const file = Deno.statSync(path);
  const base = path.slice(path.lastIndexOf("/") + 1);
  return catalogue.all().some((r) => {
    if (!r.image?.endsWith(`/${base}`) && r.image !== base) return false;
    try {
      const other = Deno.statSync(r.image);
      return other.dev === file.dev && other.ino === file.ino;
    } catch {
      return false;
    }
  });
}

/**
 * True when the record's file is its image's managed file: it lies where a
 * plain `pull` puts it, `<storage>/[<registry>/]<collection>/<name>/<tag>@<version>.sif`
 * (under any storage root, so a moved `SREGISTRY_STORAGE` keeps its files
 * managed), not a file the user named.
 */
export function isManagedFile(r: ImageRecord): boolean {
  if (r.image === null || r.version === null) return false;
  try {
    const layout = storageFile("/", { ...r, digest: r.version });
    return r.image.endsWith(layout);
  } catch {
    return false; // names outside the layout (a Python-client row, say): not ours to judge
  }
}
