/**
 * What the blob cache holds and who uses it: the blobs each catalogue record
 * needs to be rebuilt offline (resolved index or manifest, platform manifest,
 * config, layers), each blob's size and last use, and the blobs running pulls
 * hold ("pins"), which a prune must never remove.
 *
 * Last use is the blob file's mtime: the cache writes a blob once and never
 * rewrites it, so a pull marks the blobs it uses by touching them
 * ({@linkcode markUsed}, {@linkcode useBlobs}).
 * @module
 */
import * as v from "valibot";
import { acquireLock, type LockOptions, pidState } from "./locks.ts";
import { PinSchema } from "./_schemas.ts";
import { hostname } from "node:os";
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

const HOST = hostname();
const BLOB_NAME = /^[a-f0-9]{64}$/;
const PIN_STALE_MS = 10 * 60_000;
let pinCounter = 0;

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

/** A pull's hold on blobs; release it when the pull no longer reads them. */
export interface BlobPin extends Disposable {
  readonly path: string;
  release(): void;
}

function pinDir(cache: BlobCache): string {
  return `${cache.root}/.pins`;
}

/**
 * Holds `digests` for a running pull: no prune removes them until the pin is
 * released (or its process dies). Call it before checking which blobs are
 * cached. It writes the pin, then takes and releases each blob's lock, so a
 * prune that was removing one of them has finished and any later prune sees
 * the pin; then it marks the blobs used.
 *
 * @param cache the blob cache.
 * @param digests the blobs the pull will read (index, manifest, config, layers).
 * @param options.onWait told who holds a blob's lock while waiting for it.
 * @returns the pin; `using pin = await useBlobs(...)`.
 */
export async function useBlobs(
  cache: BlobCache,
  digests: Iterable<string>,
  options: { onWait?: LockOptions["onWait"] } = {},
): Promise<BlobPin> {
  const list = [...new Set(digests)];
  cache.init();
  Deno.mkdirSync(pinDir(cache), { recursive: true });
  const path = `${pinDir(cache)}/${HOST}.${Deno.pid}.${pinCounter++}.json`;
  Deno.writeTextFileSync(path, JSON.stringify({ host: HOST, pid: Deno.pid, digests: list }));
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      Deno.utimeSync(path, now, now);
    } catch { /* released */ }
  }, PIN_STALE_MS / 4);
  Deno.unrefTimer(heartbeat);
  const release = () => {
    clearInterval(heartbeat);
    try {
      Deno.removeSync(path);
    } catch { /* already released */ }
  };
  try {
    const hold = async (d: string) => (await holdLock(`${cache.blobPath(d)}.lock`, options))?.();
    await Promise.all(list.map(hold));
  } catch (e) {
    release();
    throw e;
  }
  markUsed(cache, list);
  return { path, release, [Symbol.dispose]: release };
}

/** Digests held by live pins; removes pins of dead processes on this host. */
export function pinnedDigests(cache: BlobCache): Set<string> {
  const held = new Set<string>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(pinDir(cache))];
  } catch {
    return held;
  }
  for (const entry of entries) {
    const path = `${pinDir(cache)}/${entry.name}`;
    try {
      const pin = v.parse(PinSchema, JSON.parse(Deno.readTextFileSync(path)));
      const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
      const alive = pin.host === HOST ? pidAlive(pin.pid) : undefined;
      const dead = alive === false || (alive === undefined && age > PIN_STALE_MS);
      if (dead) Deno.removeSync(path);
      else for (const d of pin.digests) held.add(d);
    } catch { /* released meanwhile, half-written (its owner is still barriering), or not a pin */ }
  }
  return held;
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

/**
 * Whether process `pid` of this host lives, or undefined when this process
 * may not tell (Deno refuses `/proc` without `--allow-all`).
 */
export function pidAlive(pid: number): boolean | undefined {
  const state = pidState(pid);
  return state === "unknown" ? undefined : state === "alive";
}

/**
 * Takes a blob lock file (the one `BlobCache.ensure` holds while
 * downloading) with `acquireLock` of locks.ts: the same owner record, the
 * same takeover rules (a dead owner on this host, an owner that stopped
 * refreshing it for `staleMs`, an empty or garbage lock file), and the same
 * account to `onWait` of who holds it.
 *
 * @param path the lock file.
 * @param options.waitMs give up after this long (default: wait).
 * @param options.onWait told who holds the lock, when waiting starts and periodically.
 * @returns the release function, or undefined when it gave up.
 */
export async function holdLock(
  path: string,
  options: { waitMs?: number; staleMs?: number; onWait?: LockOptions["onWait"] } = {},
): Promise<(() => void) | undefined> {
  const signal = options.waitMs === undefined ? undefined : AbortSignal.timeout(options.waitMs);
  try {
    const lock = await acquireLock(path, {
      staleMs: options.staleMs ?? PIN_STALE_MS,
      pollMs: 20,
      signal,
      onWait: options.onWait,
    });
    return () => lock.release();
  } catch (e) {
    if (signal?.aborted) return undefined;
    throw e;
  }
}
