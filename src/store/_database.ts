/**
 * Opening the catalogue's SQLite file, `<SREGISTRY_DATABASE>/sregistry.db`:
 * created private when missing (folder 0700, file 0600), switched to the WAL
 * journal with a 10 s busy timeout so several processes can share it, foreign
 * keys on, and migrated to the current schema (`_migrations.ts`), retrying
 * while SQLite answers "busy" without waiting. The queries are in
 * `catalogue.ts`.
 *
 * Commands that only read open it read-only ({@linkcode openDatabaseReadOnly}),
 * so a catalogue the user may only read (a site-wide library on a shared file
 * system) works: no file is created, no journal mode switched, no migration.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { SregistryError } from "../errors.ts";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./_migrations.ts";
import { retryBusy } from "./_busy.ts";
import { sqliteFailure } from "./_sqlite_errors.ts";

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
  const file = databaseFile(dir);
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
    // Only a refused access is about permissions; a constraint or a damaged file is not.
    const failure = sqliteFailure(error);
    const access = (error as { code?: unknown })?.code !== "ERR_SQLITE_ERROR" ||
      failure === "readonly" || failure === "cantopen";
    const hint = access
      ? "check SREGISTRY_DATABASE and its permissions"
      : "it is not a catalogue this sregistry can read: move it aside to start a new one, " +
        "or point SREGISTRY_DATABASE to another folder";
    throw new SregistryError(`Cannot open the catalogue ${file}: ${reason}: ${hint}`, {
      cause: error,
    });
  }
}

/** `<dir>/sregistry.db`, or a TypeError when `dir` is empty. */
function databaseFile(dir: string): string {
  if (dir === "" || dir.includes("\0")) {
    throw new TypeError("Cannot open the catalogue: no folder given: set SREGISTRY_DATABASE");
  }
  return `${dir.replace(/\/+$/, "")}/${DATABASE_FILE}`;
}

/**
 * Opens `<dir>/sregistry.db` for reading only: nothing is created or
 * changed, so a catalogue in a folder the user may only read works. A WAL
 * database whose `-shm` file cannot be created (read-only folder, no writer
 * running) is read as a snapshot of the file, in memory. A file of an older
 * schema (the Python client's) is migrated in a copy in memory, never in
 * place: only writers migrate the file. Falls back to {@linkcode openDatabase}
 * when the file is missing (creating it needs writing; an error says so when
 * that is refused).
 *
 * @param dir the `SREGISTRY_DATABASE` folder.
 * @throws {TypeError} when `dir` is empty.
 * @throws {SregistryError} when the file cannot be read or its schema is newer.
 */
export function openDatabaseReadOnly(dir: string): DatabaseSync {
  const file = databaseFile(dir);
  if (!existsSync(file)) return openDatabase(dir);
  let db: DatabaseSync | undefined;
  try {
    db = openReader(file);
    const version = schemaVersion(db);
    if (version === SCHEMA_VERSION) return db;
    if (version > SCHEMA_VERSION) migrate(db, file); // throws: newer than this sregistry
    // An older schema (the Python client's) is migrated in a copy in memory: the file stays as is.
    const copy = memoryCopy(serialize(db));
    db.close();
    migrate(copy, file);
    copy.exec("PRAGMA query_only = ON");
    return copy;
  } catch (error) {
    if (db?.isOpen) db.close();
    if (error instanceof SregistryError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SregistryError(
      `Cannot read the catalogue ${file}: ${reason}: check SREGISTRY_DATABASE and its permissions`,
      { cause: error },
    );
  }
}

/** A read-only connection, or a snapshot when SQLite cannot set up the WAL index. */
function openReader(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  try {
    schemaVersion(db);
    return db;
  } catch (error) {
    db.close();
    const failure = sqliteFailure(error);
    if (failure !== "readonly" && failure !== "cantopen") throw error;
    return openSnapshot(file);
  }
}

/**
 * The file's bytes as a query-only in-memory database. For a WAL database in
 * a folder the user may not write, where SQLite cannot create the `-shm`
 * index; SQLite's `?immutable=1` URI would do, but Deno 2.9.6 resolves a
 * URI as a relative path unless run with --allow-all.
 *
 * @throws {SregistryError} when a non-empty `-wal` file holds changes the snapshot would miss.
 */
function openSnapshot(file: string): DatabaseSync {
  if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) {
    throw new SregistryError(
      `Cannot read the catalogue ${file}: it has changes not yet merged into it (${file}-wal) ` +
        `and its folder is read-only: ask its owner to run "sregistry images" once`,
    );
  }
  const db = memoryCopy(readFileSync(file));
  db.exec("PRAGMA query_only = ON");
  return db;
}

/** The database image `bytes` (a file's, or a connection's `serialize()`) as an in-memory database. */
function memoryCopy(bytes: Uint8Array): DatabaseSync {
  // Header bytes 18-19 (write and read versions): 2 is WAL, which an in-memory database lacks.
  if (bytes.length >= 20 && bytes[18] === 2) bytes.fill(1, 18, 20);
  const db = new DatabaseSync(":memory:");
  (db as unknown as { deserialize(data: Uint8Array): void }).deserialize(bytes);
  return db;
}

/** The database's pages as SQLite's file image (WAL changes included). */
function serialize(db: DatabaseSync): Uint8Array {
  return (db as unknown as { serialize(): Uint8Array }).serialize();
}
