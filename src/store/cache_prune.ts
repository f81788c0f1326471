/**
 * Pruning the blob cache: pure planning of what to remove (blobs no record
 * uses; with a size limit, the blobs of the least recently used images too),
 * then removal that is safe while other processes pull: each blob is removed
 * holding its lock (the lock a pull takes to download it), and blobs that are
 * locked or in use by a running pull are skipped.
 * @module
 */
import type { BlobCache } from "./blob_cache.ts";
import { layoutPaths, writeLayoutIndex } from "./oci_layout.ts";
import { type BlobUsage, type CacheUsage, listBlobs, taggedBlobs } from "./cache_usage.ts";
import { holdLock, pinnedDigests } from "./blob_pins.ts";
import { withLock } from "./locks.ts";
import { ownerState, parseWorkDirName, type TempOwner } from "./temp_names.ts";
import type { ImageRecord } from "./record.ts";

/** What `prune` may remove. */
export interface PruneOptions {
  /** Only blobs unused for at least this long (milliseconds). */
  olderThanMs?: number;
  /** Also remove the blobs of least recently used images until the cache is at most this big. */
  maxSize?: number;
  /** The current time (milliseconds), for `olderThanMs`. */
  now?: number;
}

/** A plan: blobs to remove, in order, and what the cache becomes. */
export interface PrunePlan {
  remove: BlobUsage[];
  /** Records that would lose blobs (no longer rebuildable offline). */
  lost: ImageRecord[];
  /** Cache size after the removals. */
  sizeAfter: number;
}

const UNITS: Record<string, number> = Object.fromEntries([
  ...["", "b"].map((u) => [u, 1]),
  ...["k", "m", "g", "t"].flatMap((u, i) => [[u, 1000 ** (i + 1)], [`${u}b`, 1000 ** (i + 1)]]),
  ...["kib", "mib", "gib", "tib"].map((u, i) => [u, 1024 ** (i + 1)]),
]);

/**
 * Parses a size: `500MB`, `10G`, `1.5GiB`, `1000` (bytes). `k/M/G/T` are
 * powers of 1000, as sizes are printed; `KiB/MiB/GiB/TiB` powers of 1024.
 *
 * @throws {SyntaxError} when `text` is not a size.
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new SyntaxError(`Cannot read the size "${text}": write it like 500MB, 10G or 1.5GiB`);
  }
  return Math.floor(Number(m[1]) * unit);
}

const DURATIONS: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/**
 * Parses a duration: `30d`, `12h`, `90m`, `45s`, `2w`, or a combination (`1d12h`).
 *
 * @returns milliseconds.
 * @throws {SyntaxError} when `text` is not a duration.
 */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim()) {
    throw new SyntaxError(`Cannot read the duration "${text}": write it like 30d, 12h, 90m or 2w`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * DURATIONS[p[2]], 0);
}

/** When a record was last used: its newest blob use, or its last update. */
function recordLastUse(
  record: ImageRecord,
  blobs: Map<string, BlobUsage>,
  digests: string[],
): number {
  const stamp = Date.parse(`${(record.updatedAt ?? record.createdAt).replace(" ", "T")}Z`);
  const uses = digests.map((d) => blobs.get(d)?.lastUsed ?? 0);
  return Math.max(Number.isNaN(stamp) ? 0 : stamp, ...uses);
}

/**
 * Plans a prune: every blob no record uses (unused for `olderThanMs`, when
 * given); then, while the cache is above `maxSize`, the blobs of the least
 * recently used image (unused for `olderThanMs`) that no kept image needs. Pure.
 *
 * @param usage the cache's blobs and records ({@linkcode cacheUsage}).
 * @param options limits.
 * @returns what to remove, which records lose blobs, and the size after.
 */
export function planPrune(usage: CacheUsage, options: PruneOptions = {}): PrunePlan {
  const now = options.now ?? Date.now();
  const oldEnough = (b: { lastUsed: number }) =>
    options.olderThanMs === undefined || now - b.lastUsed >= options.olderThanMs;
  const removing = new Set(usage.blobs.filter((b) => b.users.length === 0 && oldEnough(b)));
  let size = usage.total - sum(removing);
  const byDigest = new Map(usage.blobs.map((b) => [b.digest, b]));
  if (options.maxSize !== undefined && size > options.maxSize) {
    const images = usage.records
      .map((r) => ({ ...r, lastUse: recordLastUse(r.record, byDigest, r.digests) }))
      .sort((a, b) => a.lastUse - b.lastUse || a.record.id - b.record.id);
    const evicted = new Set<number>();
    for (const image of images) {
      if (size <= options.maxSize || !oldEnough({ lastUsed: image.lastUse })) break;
      evicted.add(image.record.id);
      for (const d of image.digests) {
        const blob = byDigest.get(d);
        if (!blob || removing.has(blob) || !oldEnough(blob)) continue;
        if (blob.users.some((id) => !evicted.has(id))) continue;
        removing.add(blob);
        size -= blob.size;
      }
    }
  }
  const remove = [...removing];
  return { remove, lost: lostRecords(usage, remove.map((b) => b.digest)), sizeAfter: size };
}

/**
 * Plans `rm --prune`: the blobs only this record uses. Pure.
 *
 * @param usage the cache's blobs and records, the record still among them.
 * @param recordId the record being removed.
 */
export function planExclusive(usage: CacheUsage, recordId: number): BlobUsage[] {
  return usage.blobs.filter((b) => b.users.length > 0 && b.users.every((id) => id === recordId));
}

/**
 * The records that need one of `removed`: they can no longer be rebuilt
 * offline. Pure.
 */
export function lostRecords(usage: CacheUsage, removed: Iterable<string>): ImageRecord[] {
  const gone = new Set(removed);
  return usage.records.filter((r) => r.digests.some((d) => gone.has(d))).map((r) => r.record);
}

function sum(blobs: Iterable<BlobUsage>): number {
  let n = 0;
  for (const b of blobs) n += b.size;
  return n;
}

/** The outcome of {@linkcode removeBlobs}. */
export interface RemoveResult {
  removed: BlobUsage[];
  /** Blobs kept because a pull holds them (locked, or in use). */
  skipped: BlobUsage[];
}

/** Options of {@linkcode removeBlobs}. */
export interface RemoveOptions {
  /** Blobs in use now, called under each blob's lock: e.g. `blobsInUse(cache, { tmpDir })`. */
  inUse: () => Set<string>;
  /** How long to wait for a blob's lock before skipping the blob (default 500 ms). */
  lockWaitMs?: number;
}

/**
 * Removes blobs, each while holding its lock, skipping those locked longer
 * than `lockWaitMs` or in use; then drops the `index.json` tags whose blob is
 * gone.
 *
 * @param cache the blob cache.
 * @param blobs what to remove (a plan's `remove`).
 * @param options what is in use.
 */
export async function removeBlobs(
  cache: BlobCache,
  blobs: BlobUsage[],
  options: RemoveOptions,
): Promise<RemoveResult> {
  const result: RemoveResult = { removed: [], skipped: [] };
  for (const [i, blob] of blobs.entries()) {
    // Every 64 blobs, between two locks: let a signal (Ctrl-C) be handled, no lock held.
    if (i % 64 === 63) await new Promise((r) => setTimeout(r, 0));
    const path = cache.blobPath(blob.digest);
    const release = await holdLock(`${path}.lock`, { waitMs: options.lockWaitMs ?? 500 });
    if (!release) {
      result.skipped.push(blob);
      continue;
    }
    try {
      if (options.inUse().has(blob.digest)) {
        result.skipped.push(blob);
        continue;
      }
      try {
        Deno.removeSync(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      result.removed.push(blob);
    } finally {
      release();
    }
  }
  await dropDanglingTags(cache);
  return result;
}

/** Removes the `index.json` entries whose manifest or index blob is gone. */
export async function dropDanglingTags(cache: BlobCache): Promise<number> {
  let dropped = 0;
  const { index: indexPath } = layoutPaths(cache.root);
  try {
    Deno.statSync(indexPath);
  } catch {
    return 0;
  }
  await withLock(`${indexPath}.lock`, () => {
    const index = cache.index();
    const kept = index.manifests.filter((m) => cache.has(m));
    dropped = index.manifests.length - kept.length;
    if (dropped > 0) {
      writeLayoutIndex(cache.root, { ...index, manifests: kept });
    }
  });
  return dropped;
}

/** A work folder's pull runs when its owner lives or, when that cannot be told, for a day. */
function running(owner: TempOwner, dir: string): boolean {
  const state = ownerState(owner);
  if (state !== "unknown") return state === "alive";
  try {
    const info = Deno.statSync(dir);
    return Date.now() - ((info.birthtime ?? info.mtime)?.getTime() ?? 0) < 86_400_000;
  } catch {
    return false;
  }
}

/**
 * When the oldest running pull began (from the work folders that pulls keep
 * in the temporary folder, named by `temp_names.ts`), or undefined when none
 * runs.
 *
 * @param tmpDir the pulls' temporary folder (SREGISTRY_TMPDIR).
 */
export function runningPullsSince(tmpDir: string): number | undefined {
  let since: number | undefined;
  try {
    for (const entry of Deno.readDirSync(tmpDir)) {
      const owner = parseWorkDirName(entry.name);
      if (!owner || !entry.isDirectory) continue;
      if (owner.pid === Deno.pid || !running(owner, `${tmpDir}/${entry.name}`)) continue;
      try {
        const info = Deno.statSync(`${tmpDir}/${entry.name}`);
        const t = (info.birthtime ?? info.mtime)?.getTime() ?? 0;
        since = since === undefined ? t : Math.min(since, t);
      } catch { /* finished meanwhile */ }
    }
  } catch { /* no folder: no pull */ }
  return since;
}

/**
 * What no prune may remove now, as a function to call under each blob's lock:
 * the blobs pinned by running pulls (read afresh each call) and, while a pull
 * runs that may not pin (older versions), every blob a tag reaches and every
 * blob written since that pull began (refreshed at most every `refreshMs`).
 *
 * @param cache the blob cache.
 * @param options.tmpDir where pulls keep their work folders; without it only pins count.
 * @param options.recorded the blobs the catalogue's records use now (read on each call).
 */
export function blobsInUse(
  cache: BlobCache,
  options: { tmpDir?: string; refreshMs?: number; recorded?: () => Iterable<string> } = {},
): () => Set<string> {
  let fallback = new Set<string>();
  let checked = -Infinity;
  return () => {
    if (options.tmpDir !== undefined && Date.now() - checked >= (options.refreshMs ?? 250)) {
      fallback = new Set();
      const since = runningPullsSince(options.tmpDir);
      if (since !== undefined) {
        fallback = taggedBlobs(cache);
        for (const b of listBlobs(cache)) if (b.lastUsed >= since - 2000) fallback.add(b.digest);
      }
      checked = Date.now();
    }
    const held = pinnedDigests(cache);
    for (const d of fallback) held.add(d);
    // A pull that committed its record after the plan was made, then dropped its pin.
    for (const d of options.recorded?.() ?? []) held.add(d);
    return held;
  };
}
