/**
 * Lock files that work on NFS-like shared file systems, where `flock` cannot be
 * trusted: a lock is a file created with O_EXCL holding its owner's host, pid
 * and start time. The owner refreshes its mtime while it holds the lock; a
 * waiter takes over a lock whose owner is a dead process on this host, or whose
 * mtime has not moved for `staleMs` (an owner on another host that died).
 * A lock file that is empty or holds no owner was not written by a running
 * sregistry (which writes the owner before the lock appears, see `tryCreate`):
 * it is taken over once it is `GARBAGE_GRACE_MS` old. A waiter is told who
 * holds the lock and how long it will wait, when it starts and every
 * `reportMs` after.
 * @module
 */
import { hostname } from "node:os";
import { parseLockOwner } from "./_schemas.ts";
import { partialPath, pidState } from "./temp_names.ts";

/** A held lock; release it with `release()` or `using`. */
export interface Lock extends Disposable {
  readonly path: string;
  release(): void;
}

/** Options for `acquireLock`. */
export interface LockOptions {
  /** Age after which a lock not refreshed by its owner is taken over (default 10 min). */
  staleMs?: number;
  /** Delay between attempts (default 100 ms). */
  pollMs?: number;
  /**
   * Called when the lock is busy, before waiting, then every `reportMs` while
   * waiting: the owner when the lock file names one, and the whole picture.
   */
  onWait?: (owner: LockOwner | undefined, wait: LockWait) => void;
  /** Interval between `onWait` calls while waiting (default 30 s). */
  reportMs?: number;
  signal?: AbortSignal;
}

/** What a lock file holds. */
export interface LockOwner {
  host: string;
  pid: number;
  since: string;
}

/** What a waiter knows about a busy lock. */
export interface LockWait {
  path: string;
  /** The owner written in the lock file; undefined when it is empty or garbage. */
  owner?: LockOwner;
  /** How long this waiter has waited, in ms. */
  waitedMs: number;
  /**
   * In how many ms the lock is taken over unless its owner refreshes it
   * (an owner that runs refreshes it; an owner alive on this host is waited for).
   */
  takeoverInMs: number;
  /** The owner is a process of this host known to run. */
  ownerRunning: boolean;
}

const HOST = hostname();

/** The release functions of the locks this process holds, for {@linkcode releaseLocksNow}. */
const held = new Set<() => void>();

/**
 * Releases every lock this process holds at once, synchronously: for a
 * process that is interrupted (SIGINT, SIGTERM) and exits without unwinding,
 * so no lock file names it afterwards. Left behind, such a lock would hold
 * back a pull on another host sharing the cache for `staleMs` (10 min), as
 * that host cannot tell the owner is dead.
 */
export function releaseLocksNow(): void {
  for (const release of [...held]) release();
}

/** How old an ownerless (empty or garbage) lock file must be before it is taken over. */
export const GARBAGE_GRACE_MS = 2000;

/** True unless process `pid` of this host is known to be gone. */
export function processAlive(pid: number): boolean {
  return pidState(pid) !== "dead";
}

/** The owner a lock file names, or undefined when it is empty, not JSON, or not an owner. */
function readOwner(path: string): LockOwner | undefined {
  try {
    return parseLockOwner(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * A waiter's view of the lock at `path` (see {@linkcode LockWait}), or
 * undefined when the lock file is gone: released since the waiter last
 * looked, it is free, not stale, and there is nothing to tell.
 */
function describe(path: string, staleMs: number, waitedMs: number): LockWait | undefined {
  let text: string;
  let age: number;
  try {
    age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    text = "";
    age = 0;
  }
  const owner = parseLockOwner(text);
  const ownerRunning = owner !== undefined && owner.host === HOST && processAlive(owner.pid);
  const limit = owner ? staleMs : GARBAGE_GRACE_MS;
  return { path, owner, waitedMs, takeoverInMs: Math.max(0, limit - age), ownerRunning };
}

/**
 * One line for a waiting user: who holds the lock, since when, and how long
 * the wait may last.
 */
export function describeWait(w: LockWait): string {
  const waited = w.waitedMs >= 1000 ? ` (waited ${Math.round(w.waitedMs / 1000)} s so far)` : "";
  if (!w.owner) {
    return `the lock ${w.path} is empty or unreadable, so no running sregistry wrote it: ` +
      `taking it over${waited}`;
  }
  const who = `pid ${w.owner.pid} on host ${w.owner.host} since ${w.owner.since}`;
  const until = w.ownerRunning
    ? "waiting until that process finishes with it"
    : `waiting for it, at most ${
      Math.ceil(w.takeoverInMs / 1000)
    } s more unless its owner refreshes it (then it is taken over)`;
  return `the lock ${w.path} is held by ${who}: ${until}${waited}`;
}

/** True when the lock at `path` belongs to nobody alive. */
export function lockIsStale(path: string, staleMs: number): boolean {
  let mtime: number;
  try {
    mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return false; // gone: not stale, just free
  }
  const owner = readOwner(path);
  if (owner && owner.host === HOST && owner.pid !== Deno.pid && !processAlive(owner.pid)) {
    return true;
  }
  // No running sregistry leaves a lock without its owner (see tryCreate).
  return Date.now() - mtime > (owner ? staleMs : Math.min(staleMs, GARBAGE_GRACE_MS));
}

/**
 * Creates the lock file with its owner already written: the owner goes to a
 * private temp file first, which is then hard-linked to `path` (link fails
 * when `path` exists, atomically, NFS included). A process killed midway
 * leaves at worst the temp file (`partialPath`'s name, swept),
 * never an ownerless lock that only ageing could clear.
 */
function tryCreate(path: string): boolean {
  const tmp = partialPath(path);
  const owner: LockOwner = { host: HOST, pid: Deno.pid, since: new Date().toISOString() };
  Deno.writeTextFileSync(tmp, JSON.stringify(owner), { mode: 0o644 });
  try {
    Deno.linkSync(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch { /* gone */ }
  }
}

/** How long a takeover guard may live before it is presumed abandoned. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes the lock at `path` if it is stale (see {@linkcode lockIsStale}).
 * Removals are serialised by a short-lived guard file (`<path>.takeover`), and
 * staleness is checked again inside it, so two waiters can never both judge
 * one stale lock and the second remove the fresh lock the first just took.
 * @returns true when this call removed the lock.
 */
export function removeStaleLock(path: string, staleMs: number): boolean {
  if (!lockIsStale(path, staleMs)) return false;
  const guard = `${path}.takeover`;
  if (!tryCreate(guard)) {
    // Another waiter is taking over; clear its guard only if it died inside.
    if (lockIsStale(guard, GUARD_STALE_MS)) {
      try {
        Deno.removeSync(guard);
      } catch { /* gone */ }
    }
    return false;
  }
  try {
    if (!lockIsStale(path, staleMs)) return false;
    Deno.removeSync(path);
    return true;
  } catch {
    return false; // already gone
  } finally {
    try {
      Deno.removeSync(guard);
    } catch { /* gone */ }
  }
}

/** Waits for and takes the lock at `path`. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const staleMs = options.staleMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 100;
  const reportMs = options.reportMs ?? 30_000;
  const started = Date.now();
  let nextReport = started;
  while (!tryCreate(path)) {
    options.signal?.throwIfAborted();
    if (lockIsStale(path, staleMs)) {
      if (!removeStaleLock(path, staleMs)) await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    if (Date.now() >= nextReport) {
      const wait = describe(path, staleMs, Date.now() - started);
      if (wait === undefined) continue; // released meanwhile: try to take it at once
      nextReport = Date.now() + reportMs;
      options.onWait?.(wait.owner, wait);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      Deno.utimeSync(path, now, now);
    } catch { /* lock removed under us: nothing to refresh */ }
  }, Math.max(1000, staleMs / 3));
  Deno.unrefTimer(heartbeat);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(release);
    clearInterval(heartbeat);
    try {
      Deno.removeSync(path);
    } catch { /* already gone */ }
  };
  held.add(release);
  return { path, release, [Symbol.dispose]: release };
}

/** Runs `fn` holding the lock at `path`. */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  using _lock = await acquireLock(path, options);
  return await fn();
}
