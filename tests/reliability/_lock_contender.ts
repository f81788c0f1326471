/**
 * Child process for the lock contention test: takes and releases the lock
 * `ROUNDS` times, holding it about a millisecond, and prints to stderr every
 * line a waiting user would be told.
 * Usage: _lock_contender.ts LOCK ROUNDS
 * @module
 */
import { acquireLock, describeWait } from "../../src/store/locks.ts";

const [path, rounds] = Deno.args;
const encoder = new TextEncoder();
for (let i = 0; i < Number(rounds); i++) {
  const lock = await acquireLock(path, {
    pollMs: 1,
    reportMs: 0, // told at every look, so every look can meet a lock being released
    onWait: (_, wait) => Deno.stderr.writeSync(encoder.encode(`${describeWait(wait)}\n`)),
  });
  await new Promise((r) => setTimeout(r, 1));
  lock.release();
}
