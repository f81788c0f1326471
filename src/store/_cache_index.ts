/**
 * The blob cache's `index.json`: the reference names a pull tagged (the
 * `org.opencontainers.image.ref.name` annotation), read leniently and
 * rewritten under its own lock, so `--offline` finds images again.
 * @module
 */
import { parseDocument } from "../document.ts";
import { CacheIndexSchema } from "./_schemas.ts";
import { cacheStoreError } from "./_blob_files.ts";
import { type LockOptions, withLock } from "./locks.ts";
import {
  emptyIndex,
  type IndexEntry,
  type LayoutIndex,
  layoutPaths,
  REF_NAME,
  writeLayoutIndex,
} from "./oci_layout.ts";

/**
 * Reads `<root>/index.json` (empty when absent or unreadable).
 * @throws {DocumentError} when it is not an OCI index
 */
export function readCacheIndex(root: string): LayoutIndex {
  const path = layoutPaths(root).index;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return emptyIndex();
  }
  return parseDocument(bytes, CacheIndexSchema, {
    kind: "cache-index",
    origin: path,
    fix: "move it away: the next pull writes a new one (--offline finds images again once pulled)",
  });
}

/**
 * Points the reference name `name` at a manifest or index in the cache at
 * `root` (replacing an older entry), holding the index's lock.
 * @throws {NoSpaceError} on a full disk, naming the cache and APPTAINER_CACHEDIR
 */
export async function tagInCache(
  root: string,
  name: string,
  entry: IndexEntry,
  lockOptions: LockOptions,
): Promise<void> {
  await withLock(`${layoutPaths(root).index}.lock`, () => {
    const index = readCacheIndex(root);
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== name);
    index.manifests.push({ ...entry, annotations: { ...entry.annotations, [REF_NAME]: name } });
    try {
      writeLayoutIndex(root, index);
    } catch (e) {
      throw cacheStoreError(root, `the tag ${name}`, e);
    }
  }, lockOptions);
}
