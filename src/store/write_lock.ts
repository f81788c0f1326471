/**
 * Taking the catalogue's write lock (`BEGIN IMMEDIATE`) so that a wait for
 * another process is said before it starts, and a wait that times out says
 * which database and what to do. (SQLite's busy handler blocks the thread,
 * so nothing can be printed while it waits; before, `pull --force` sat
 * silent for about 11 s and then said "database is locked".)
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { SregistryError } from "../errors.ts";
import { sqliteFailure } from "./_sqlite_errors.ts";

/**
 * Begins a write transaction on `db`: at once when the lock is free; else
 * `onWait` is told (one line for the user), then SQLite's busy timeout waits.
 *
 * @param db the open catalogue connection
 * @param file the database file, for the messages
 * @param timeoutMs the connection's busy timeout, restored after the first try
 * @param onWait told once, before waiting, that another process holds the lock
 * @throws {SregistryError} when the lock is still held after `timeoutMs`,
 *   naming the database and what to do; other SQLite errors as they are
 */
export function beginWrite(
  db: DatabaseSync,
  file: string,
  timeoutMs: number,
  onWait?: (text: string) => void,
): void {
  db.exec("PRAGMA busy_timeout = 0");
  try {
    db.exec("BEGIN IMMEDIATE");
    return;
  } catch (e) {
    if (sqliteFailure(e) !== "busy") throw e;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
  }
  const seconds = Math.round(timeoutMs / 1000);
  onWait?.(
    `Waiting: another process holds the write lock of the catalogue ${file} (a pull, rm or mv recording); waiting up to ${seconds} s`,
  );
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (e) {
    if (sqliteFailure(e) !== "busy") throw e;
    throw new SregistryError(
      `Cannot write the catalogue ${file}: another process has held its write lock for more than ${seconds} s: let it finish and run the command again (\`fuser ${file}\` shows which process holds it)`,
      { cause: e },
    );
  }
}
