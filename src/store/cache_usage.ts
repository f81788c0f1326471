/**
 * What the blob cache holds and who uses it: the blobs each catalogue record
 * needs to be rebuilt offline (resolved index or manifest, platform manifest,
 * config, layers), each blob's size and last use, and the blobs running pulls
 * hold ("pins", `blob_pins.ts`), which a prune must never remove.
 *
 * Last use is the blob file's mtime: the cache writes a blob once and never
 * rewrites it, so a pull marks the blobs it uses by touching them
 * ({@linkcode markUsed}, {@linkcode useBlobs}).
 * @module
 */
import type { BlobCache } from "./blob_cache.ts";
import { layoutPaths } from "./oci_layout.ts";
import type { ImageRecord } from "./record.ts";

/** One blob of the cache. */
export interface CachedBlob {
  digest: string;
  size: number;
  /** Last use (mtime), milliseconds since the epoch. */
  lastUsed: number;
}

/** A blob with the records that use it. */
export interface BlobUsage extends CachedBlob {
  /** Ids of the catalogue records that need this blob, in record order. */
  users: number[];
}

/** The cache's blobs and records, joined. */
export interface CacheUsage {
  blobs: BlobUsage[];
  /** The records considered, with the digests each needs (present or not). */
  records: { record: ImageRecord; digests: string[] }[];
  /** Sum of blob sizes. */
  total: number;
}

const BLOB_NAME = /^[a-f0-9]{64}$/;

function digestsOf(list: unknown, key: string): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((d) => (d as Record<string, unknown>)?.[key]).filter(isDigest);
}

function isDigest(value: unknown): value is string {
  return typeof value === "string" && /^sha256:[a-f0-9]{64}$/.test(value);
}

/**
 * The digests a record needs to be rebuilt from the cache: the resolved index
 * or manifest (`digest`), the platform manifest, its config and its layers
 * (schema 1 `fsLayers` too). Records without manifests (Python client rows) need none.
 *
 * @param record a catalogue record.
 * @returns unique digests, in that order.
 */
export function recordBlobs(record: ImageRecord): string[] {
  const found: string[] = [];
  if (isDigest(record.digest)) found.push(record.digest);
  if (isDigest(record.manifestDigest)) found.push(record.manifestDigest);
  const m = record.platformManifest as Record<string, unknown> | undefined;
  if (m && typeof m === "object") {
    const config = (m.config as Record<string, unknown> | undefined)?.digest;
    if (isDigest(config)) found.push(config);
    found.push(...digestsOf(m.layers, "digest"), ...digestsOf(m.fsLayers, "blobSum"));
  }
  return [...new Set(found)];
}

/** Every verified blob in the cache (partial files and locks aside). */
export function listBlobs(cache: BlobCache): CachedBlob[] {
  const dir = layoutPaths(cache.root).blobs;
  const blobs: CachedBlob[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const entry of entries) {
    if (!entry.isFile || !BLOB_NAME.test(entry.name)) continue;
    try {
      const info = Deno.statSync(`${dir}/${entry.name}`);
      blobs.push({
        digest: `sha256:${entry.name}`,
        size: info.size,
        lastUsed: info.mtime?.getTime() ?? 0,
      });
    } catch { /* removed meanwhile */ }
  }
  return blobs.sort((a, b) => a.digest < b.digest ? -1 : 1);
}

/**
 * Joins the cache's blobs with the records using them.
 *
 * @param cache the blob cache.
 * @param records the catalogue records (`catalogue.all()`).
 */
export function cacheUsage(cache: BlobCache, records: ImageRecord[]): CacheUsage {
  return joinUsage(listBlobs(cache), records);
}

/** Pure part of {@linkcode cacheUsage}. */
export function joinUsage(blobs: CachedBlob[], records: ImageRecord[]): CacheUsage {
  const byDigest = new Map<string, BlobUsage>(blobs.map((b) => [b.digest, { ...b, users: [] }]));
  const joined = records.map((record) => {
    const digests = recordBlobs(record);
    for (const d of digests) byDigest.get(d)?.users.push(record.id);
    return { record, digests };
  });
  const all = [...byDigest.values()];
  return { blobs: all, records: joined, total: all.reduce((n, b) => n + b.size, 0) };
}

/**
 * Marks blobs as just used (for least-recently-used pruning) by touching
 * their files. Missing blobs are ignored.
 *
 * @param cache the blob cache.
 * @param digests the blobs used.
 * @param now the time to record (default now).
 */
export function markUsed(
  cache: BlobCache,
  digests: Iterable<string>,
  now: Date = new Date(),
): void {
  for (const digest of digests) {
    try {
      Deno.utimeSync(cache.blobPath(digest), now, now);
    } catch { /* not cached (yet) */ }
  }
}

/**
 * Every blob reachable from the layout's `index.json` tags (what `--offline`
 * and other OCI tools can still resolve).
 *
 * @param cache the blob cache.
 */
export function taggedBlobs(cache: BlobCache): Set<string> {
  const found = new Set<string>();
  const visit = (digest: string, depth: number) => {
    if (found.has(digest) || depth > 3) return;
    found.add(digest);
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(new TextDecoder().decode(cache.read(digest)));
    } catch {
      return; // absent, or a layer
    }
    if (!doc || typeof doc !== "object") return;
    for (const d of digestsOf(doc.manifests, "digest")) visit(d, depth + 1);
    const config = (doc.config as Record<string, unknown> | undefined)?.digest;
    if (isDigest(config)) found.add(config);
    for (const d of [...digestsOf(doc.layers, "digest"), ...digestsOf(doc.fsLayers, "blobSum")]) {
      found.add(d);
    }
  };
  for (const entry of cache.index().manifests) if (isDigest(entry.digest)) visit(entry.digest, 0);
  return found;
}
