/**
 * Opening the catalogue's SQLite file, `<SREGISTRY_DATABASE>/sregistry.db`:
 * created private when missing (folder 0700, file 0600), switched to the WAL
 * journal with a 10 s busy timeout so several processes can share it, foreign
 * keys on, and migrated to the current schema (`_migrations.ts`), retrying
 * while SQLite answers "busy" without waiting. The queries are in
 * `catalogue.ts`.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { SregistryError } from "../errors.ts";
import { migrate } from "./_migrations.ts";
import { retryBusy } from "./_busy.ts";

/** The database file name inside the `SREGISTRY_DATABASE` folder. */
export const DATABASE_FILE = "sregistry.db";

/** How long a writer waits for another process's lock, in milliseconds. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating and migrating when needed) `<dir>/sregistry.db`.
 *
 * @param dir the `SREGISTRY_DATABASE` folder.
 * @throws {TypeError} when `dir` is empty.
 * @throws {SregistryError} when the folder or file cannot be opened or the schema is newer.
 */
export function openDatabase(dir: string): DatabaseSync {
  if (dir === "" || dir.includes("\0")) {
    throw new TypeError("Cannot open the catalogue: no folder given: set SREGISTRY_DATABASE");
  }
  const file = `${dir.replace(/\/+$/, "")}/${DATABASE_FILE}`;
  let db: DatabaseSync | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    closeSync(openSync(file, "a", 0o600));
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    const opened = db;
    retryBusy(() => {
      // WAL is persistent: switch only once. The switch (and WAL recovery)
      // can answer SQLITE_BUSY without waiting for the busy timeout.
      const mode = opened.prepare("PRAGMA journal_mode").get() as { journal_mode?: string };
      if (mode?.journal_mode !== "wal") opened.exec("PRAGMA journal_mode = WAL");
      opened.exec("PRAGMA foreign_keys = ON");
      migrate(opened, file);
    }, BUSY_TIMEOUT_MS);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof SregistryError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SregistryError(
      `Cannot open the catalogue ${file}: ${reason}: check SREGISTRY_DATABASE and its permissions`,
      { cause: error },
    );
  }
}
