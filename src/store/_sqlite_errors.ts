/**
 * What a node:sqlite error is (busy, read-only, cannot open), for the store's
 * retries and messages. Measured on Deno 2.9.6 (a read-only connection and a
 * read-only file written to, a second connection writing while the first
 * holds `BEGIN IMMEDIATE`, a file in a missing folder opened): errors thrown
 * by a prepared statement (`prepare()`, `run()`, `get()`, `all()`) carry
 * SQLite's extended result code in `errcode` (5 SQLITE_BUSY, 8
 * SQLITE_READONLY, 2067 SQLITE_CONSTRAINT_UNIQUE) and its text in `errstr`;
 * errors thrown by `DatabaseSync.exec()` and by opening a database carry only
 * `code: "ERR_SQLITE_ERROR"` and the message. So the code is read when there
 * is one, and for the others SQLite's words are, in this function only.
 * @module
 */

/** What went wrong in SQLite, as far as the store acts on it. */
export type SqliteFailure = "busy" | "readonly" | "cantopen";

/** SQLite's primary result codes (the low byte of an extended code). */
const PRIMARY: Record<number, SqliteFailure> = { 5: "busy", 8: "readonly", 14: "cantopen" };

/** SQLite's words for the same, for errors without `errcode` (see the module comment). */
const WORDS: [RegExp, SqliteFailure][] = [
  [/database is locked|SQLITE_BUSY/i, "busy"],
  [/readonly database|read-only database/i, "readonly"],
  [/unable to open database file/i, "cantopen"],
];

/**
 * The failure `error` (or the first node:sqlite error among its causes)
 * reports: by its `errcode` when it has one, else by its message. Undefined
 * for any other error, among them other SQLite errors (a constraint, a
 * syntax error) and errors that are not node:sqlite's (`code` is not
 * `ERR_SQLITE_ERROR`).
 */
export function sqliteFailure(error: unknown): SqliteFailure | undefined {
  for (let e = error, i = 0; e instanceof Error && i < 8; e = e.cause, i++) {
    const { code, errcode } = e as { code?: unknown; errcode?: unknown };
    if (code !== "ERR_SQLITE_ERROR") continue;
    if (typeof errcode === "number") return PRIMARY[errcode & 0xff];
    for (const [words, failure] of WORDS) if (words.test(e.message)) return failure;
    return undefined;
  }
  return undefined;
}
