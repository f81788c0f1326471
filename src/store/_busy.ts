/**
 * SQLite answers "database is locked" without waiting for the busy timeout in
 * a few cases (changing the journal mode, WAL recovery); `retryBusy` waits and
 * tries again for up to `timeoutMs`.
 * @module
 */
import { sqliteFailure } from "./_sqlite_errors.ts";

/** Runs `fn`, again after a short, growing, jittered wait while SQLite says it is busy. */
export function retryBusy<T>(fn: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 10;; wait = Math.min(wait * 2, 200)) {
    try {
      return fn();
    } catch (e) {
      if (sqliteFailure(e) !== "busy" || Date.now() > deadline) throw e;
      Atomics.wait(sleeper, 0, 0, wait + Math.random() * wait);
    }
  }
}
