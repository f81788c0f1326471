/**
 * Pins: the blobs a running pull holds, which no `cache prune` may remove.
 * A pin is a file `<cache>/.pins/<host>.<pid>.<n>.json` holding the owner's
 * host and pid and the digests, written atomically and refreshed (mtime)
 * while the pull runs. It goes when the pull ends, when it is interrupted
 * ({@linkcode releasePinsNow}), or, left by a process that died, at the next
 * pull or prune: at once when its owner is a dead process of this host,
 * after ten minutes without refresh otherwise.
 * @module
 */
import * as v from "valibot";
import { acquireLock, type LockOptions } from "./locks.ts";
import { PinSchema } from "./_schemas.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import type { BlobCache } from "./blob_cache.ts";
import { markUsed } from "./cache_usage.ts";
import { HOST, ownerState, parsePartialName, partialOwnerState } from "./temp_names.ts";

const PIN_STALE_MS = 10 * 60_000;
let pinCounter = 0;
/** This process's pins, released by {@linkcode releasePinsNow} on an interrupt. */
const livePins = new Set<() => void>();

/** A pull's hold on blobs; release it when the pull no longer reads them. */
export interface BlobPin extends Disposable {
  readonly path: string;
  release(): void;
}

function pinDir(cache: BlobCache): string {
  return `${cache.root}/.pins`;
}

/**
 * Releases this process's pins at once, synchronously: for a pull that the
 * user interrupts and that exits without unwinding.
 */
export function releasePinsNow(): void {
  for (const release of [...livePins]) release();
}

/**
 * Holds `digests` for a running pull: no prune removes them until the pin is
 * released (or its process dies). Call it before checking which blobs are
 * cached. It drops the pins of dead processes, writes the pin
 * (`.pins/<host>.<pid>.<n>.json`, holding host and pid, written atomically),
 * then takes and releases each blob's lock, so a prune that was removing one
 * of them has finished and any later prune sees the pin; then it marks the
 * blobs used.
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
  pinnedDigests(cache); // drops the pins of dead processes, so none accumulates
  const path = `${pinDir(cache)}/${HOST}.${Deno.pid}.${pinCounter++}.json`;
  writeFileAtomic(path, JSON.stringify({ host: HOST, pid: Deno.pid, digests: list }));
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      Deno.utimeSync(path, now, now);
    } catch { /* released */ }
  }, PIN_STALE_MS / 4);
  Deno.unrefTimer(heartbeat);
  const release = () => {
    livePins.delete(release);
    clearInterval(heartbeat);
    try {
      Deno.removeSync(path);
    } catch { /* already released */ }
  };
  livePins.add(release);
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

/**
 * Digests held by live pins. Removes the pins of dead processes on this host
 * at once, those of other hosts (or when `ps` cannot tell) nobody refreshed
 * for ten minutes, files there that are no pin once ten minutes old, and
 * the temporary files of pins being written by dead processes.
 */
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
    const partial = parsePartialName(entry.name);
    if (partial) {
      if (partialOwnerState(entry.name, partial) === "dead") removeQuietly(path);
      continue;
    }
    let age: number;
    try {
      age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
    } catch {
      continue; // released meanwhile
    }
    let pin: v.InferOutput<typeof PinSchema>;
    try {
      pin = v.parse(PinSchema, JSON.parse(Deno.readTextFileSync(path)));
    } catch {
      // Pins are written atomically: this is no pin (or was released meanwhile).
      if (age > PIN_STALE_MS) removeQuietly(path);
      continue;
    }
    const state = ownerState(pin);
    if (state === "dead" || (state === "unknown" && age > PIN_STALE_MS)) removeQuietly(path);
    else for (const d of pin.digests) held.add(d);
  }
  return held;
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

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* gone */ }
}
