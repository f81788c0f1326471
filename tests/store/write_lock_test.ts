/**
 * The catalogue's write lock held by another process: the wait is said
 * before it starts, and a timeout names the database and what to do (a
 * `pull --force` used to wait about 11 s in silence, then say "Cannot
 * complete the command: database is locked").
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import { beginWrite } from "../../src/store/write_lock.ts";
import { cliHome } from "../_cli.ts";
import { pushSmallImage, registryBinary, startRegistry } from "../_registry.ts";

Deno.test("beginWrite() says it waits for another holder, and names the database on timeout", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/sregistry.db`;
    const holder = new DatabaseSync(file);
    holder.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x)");
    const writer = new DatabaseSync(file, { timeout: 5000 });
    const waits: string[] = [];
    beginWrite(writer, file, 200, (t) => waits.push(t));
    writer.exec("ROLLBACK");
    assertEquals(waits, [], "a free lock is taken at once, in silence");

    holder.exec("BEGIN IMMEDIATE");
    const e = assertThrows(
      () => beginWrite(writer, file, 200, (t) => waits.push(t)),
      SregistryError,
    );
    assertEquals(waits.length, 1);
    assertStringIncludes(
      waits[0],
      `Waiting: another process holds the write lock of the catalogue ${file}`,
    );
    assertStringIncludes(
      e.message,
      `Cannot write the catalogue ${file}: another process has held its write lock`,
    );
    assertStringIncludes(e.message, "run the command again");
    holder.exec("ROLLBACK");
    // The busy timeout is back to what the connection had: a later wait is not cut short.
    assertEquals((writer.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout, 200);
    holder.close();
    writer.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "sregistry pull while another process holds the catalogue's write lock",
  ignore: registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const ref = await pushSmallImage(reg, "test/locked");
    assertEquals((await home.run(["pull", ref])).code, 0);
    const file = `${home.home}/.singularity/sregistry.db`;
    const holder = new DatabaseSync(file);
    holder.exec("BEGIN IMMEDIATE");
    try {
      const r = await home.run(["pull", "--force", ref]);
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(
        r.stderr,
        `Waiting: another process holds the write lock of the catalogue ${file}`,
      );
      assertStringIncludes(r.stderr, `Cannot write the catalogue ${file}`);
      assert(!r.stderr.includes("Cannot complete the command"), r.stderr);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  },
});
