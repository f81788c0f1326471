/**
 * Child process for the lock race test: takes the lock, records entering and
 * leaving its critical section in a shared log, holds it briefly.
 * Usage: _lock_worker.ts LOCK LOG HOLD_MS
 * @module
 */
import { acquireLock } from "../../src/store/locks.ts";

const [path, log, hold] = Deno.args;
const lock = await acquireLock(path, { pollMs: 5 });
Deno.writeTextFileSync(log, `enter ${Deno.pid} ${performance.timeOrigin + performance.now()}\n`, {
  append: true,
});
await new Promise((r) => setTimeout(r, Number(hold)));
Deno.writeTextFileSync(log, `leave ${Deno.pid} ${performance.timeOrigin + performance.now()}\n`, {
  append: true,
});
lock.release();
