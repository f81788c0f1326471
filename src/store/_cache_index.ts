/**
 * The blob cache's `index.json`: the reference names a pull tagged (the
 * `org.opencontainers.image.ref.name` annotation), read leniently and
 * rewritten under its own lock, so `--offline` finds images again. It is a
 * cache of tags: a damaged one (empty, garbage, `null`) is set aside as
 * `index.json.damaged-<time>` and rebuilt empty, never a reason to stop a pull.
 * @module
 */
import { DocumentError, parseDocument } from "../document.ts";
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
 * `root` (replacing an older entry), holding the index's lock. A damaged
 * index is set aside first (see {@linkcode repairCacheIndex}).
 * @throws {NoSpaceError} on a full disk, naming the cache and APPTAINER_CACHEDIR
 */
export async function tagInCache(
  root: string,
  name: string,
  entry: IndexEntry,
  lockOptions: LockOptions,
): Promise<void> {
  await withLock(`${layoutPaths(root).index}.lock`, () => {
    setAside(root); // damaged since the pull began: the tag is all it held that matters now
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

/** A damaged index set aside: where it went and what was wrong. */
export interface DamagedIndex {
  /** The new name of the damaged file, `<root>/index.json.damaged-<time>`. */
  aside: string;
  /** What was wrong, e.g. `$: is not JSON`. */
  reason: string;
}

/** Why `<root>/index.json` cannot be read as an OCI index; undefined when it can (or is absent). */
function damageOf(root: string): string | undefined {
  try {
    readCacheIndex(root);
    return undefined;
  } catch (e) {
    if (!(e instanceof DocumentError)) throw e;
    return e.issues.map((i) => `${i.path || "$"} ${i.message}`.trim()).join("; ") ||
      "not an OCI index";
  }
}

/** Under the index lock: renames a damaged index aside and writes an empty one. */
function setAside(root: string): DamagedIndex | undefined {
  const reason = damageOf(root);
  if (reason === undefined) return undefined;
  const path = layoutPaths(root).index;
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    Deno.renameSync(path, aside);
    writeLayoutIndex(root, emptyIndex());
  } catch (e) {
    throw cacheStoreError(root, "a new index.json in place of the damaged one", e);
  }
  return { aside, reason };
}

/**
 * Sets a damaged `<root>/index.json` aside (renamed `index.json.damaged-<time>`)
 * and writes an empty one in its place, under the index's lock. A sound or
 * absent index is only read (no lock, so a read-only cache is fine).
 *
 * @returns what was set aside, or undefined when the index was sound
 * @throws {NoSpaceError} or {SregistryError} when the cache cannot be written
 */
export async function repairCacheIndex(
  root: string,
  lockOptions: LockOptions,
): Promise<DamagedIndex | undefined> {
  if (damageOf(root) === undefined) return undefined;
  return await withLock(`${layoutPaths(root).index}.lock`, () => setAside(root), lockOptions);
}
