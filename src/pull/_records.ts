/**
 * The pull's view of the catalogue: finding an image to reuse, and telling
 * whether a file in storage belongs to a record.
 * @module
 */
import type { Platform } from "../registry/platform.ts";
import type { Reference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import { storageNames } from "../store/storage_paths.ts";

export function platformString(p: Platform | undefined): string | undefined {
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join("/") : undefined;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds a recorded image for the same reference, digest and platform whose file is present. */
export function findReusable(
  catalogue: Catalogue,
  ref: Reference,
  platform: Platform | undefined,
  digest: string,
): ImageRecord | undefined {
  const names = storageNames(ref);
  const want = platformString(platform);
  return catalogue.all().find((r) =>
    r.registry === names.registry && r.collection === names.collection &&
    r.name === names.name && r.tag === names.tag && r.digest === digest &&
    (want === undefined || r.platform === want) && r.image !== null && exists(r.image)
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
