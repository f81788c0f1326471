/**
 * Whether the blob cache can be written: a cache on a read-only mount, or
 * whose `oci/` folder belongs to another user, is still read (offline pulls
 * from it work) but nothing is added to it.
 * @module
 */
import { dirname, join } from "node:path";
import { unwritableReason } from "./unwritable.ts";

/** A folder of the cache that refuses writes, and why. */
export interface CacheRefusal {
  /** The folder, e.g. `/scratch/cache/oci` (the cache's root or its nearest existing parent). */
  path: string;
  /** `read-only file system`, `permission denied`, ... */
  reason: string;
}

/** Tries to create and remove a file in `dir`; the refusal, or undefined when it worked. */
function probe(dir: string): CacheRefusal | undefined {
  const path = join(dir, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    Deno.openSync(path, { createNew: true, write: true }).close();
    Deno.removeSync(path);
    return undefined;
  } catch (e) {
    const reason = unwritableReason(e);
    return reason ? { path: dir, reason } : undefined; // other errors: the writes will say
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Why the blob cache at `root` (`<APPTAINER_CACHEDIR>/oci`) cannot be written,
 * or undefined when it can: the cache's folder and its `blobs/sha256` are
 * probed with a file made and removed at once; when the cache does not exist
 * yet, its nearest existing parent is.
 *
 * @param root the cache's root folder
 * @returns the folder that refuses writes and why, or undefined
 */
export function cacheWriteRefusal(root: string): CacheRefusal | undefined {
  if (isDir(root)) {
    const blobs = join(root, "blobs", "sha256");
    return probe(root) ?? (isDir(blobs) ? probe(blobs) : undefined);
  }
  for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir)) {
    if (isDir(dir)) return probe(dir);
  }
  return undefined;
}
