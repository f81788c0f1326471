/** sqliteFailure() on the errors node:sqlite really throws (Deno 2.9.6). */
import { DatabaseSync } from "node:sqlite";
import { assertEquals } from "../_assert.ts";
import { sqliteFailure } from "../../src/store/_sqlite_errors.ts";

/** The error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): Error & { errcode?: number } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

Deno.test("sqliteFailure() tells busy, read-only and cannot-open apart, by errcode or by words", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/c.db`;
    const first = new DatabaseSync(file);
    first.exec("CREATE TABLE t(x UNIQUE)");
    first.exec("BEGIN IMMEDIATE");
    const second = new DatabaseSync(file, { timeout: 0 });
    // A statement's error carries errcode; exec()'s carries only words.
    const busyStatement = thrown(() => second.prepare("INSERT INTO t VALUES (1)").run());
    assertEquals(busyStatement.errcode, 5);
    assertEquals(sqliteFailure(busyStatement), "busy");
    const busyExec = thrown(() => second.exec("INSERT INTO t VALUES (1)"));
    assertEquals(busyExec.errcode, undefined);
    assertEquals(sqliteFailure(busyExec), "busy");
    first.exec("ROLLBACK");
    second.close();

    const reader = new DatabaseSync(file, { readOnly: true });
    const readonlyStatement = thrown(() => reader.prepare("INSERT INTO t VALUES (1)").run());
    assertEquals(readonlyStatement.errcode, 8);
    assertEquals(sqliteFailure(readonlyStatement), "readonly");
    assertEquals(sqliteFailure(thrown(() => reader.exec("INSERT INTO t VALUES (1)"))), "readonly");
    reader.close();

    assertEquals(sqliteFailure(thrown(() => new DatabaseSync(`${dir}/none/x.db`))), "cantopen");
    // Wrapped: found along the cause chain.
    assertEquals(sqliteFailure(new Error("Cannot open", { cause: busyExec })), "busy");
    // Other SQLite errors, and words outside node:sqlite, are none of these.
    first.exec("INSERT INTO t VALUES (1)");
    assertEquals(sqliteFailure(thrown(() => first.exec("INSERT INTO t VALUES (1)"))), undefined);
    assertEquals(sqliteFailure(thrown(() => first.prepare("SELEC 1"))), undefined);
    assertEquals(sqliteFailure(new Error("database is locked")), undefined);
    first.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
