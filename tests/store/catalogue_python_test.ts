/**
 * Catalogues the Python client wrote: opening one to read never migrates
 * the file (only writers do), and rows whose `collection_id` names no
 * collection (the original never enforced the foreign key) survive the
 * migration instead of making the catalogue unopenable.
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { Catalogue, DATABASE_FILE } from "../../src/store/catalogue.ts";
import { SCHEMA_VERSION } from "../../src/store/_migrations.ts";
import { writePythonDatabase } from "../_python_db.ts";
import { SregistryError } from "../../src/errors.ts";

function schema(file: string): { version: number; objects: string[] } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    const objects = (db.prepare("SELECT name FROM sqlite_master ORDER BY name").all() as {
      name: string;
    }[]).map((r) => r.name);
    return { version: Number(version), objects };
  } finally {
    db.close();
  }
}

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Catalogue.open({ readOnly }) reads a Python client's database without migrating the file", () =>
  withDir((dir) => {
    const file = `${dir}/${DATABASE_FILE}`;
    writePythonDatabase(file, [1, 1]);
    const before = schema(file);
    const bytes = Deno.readFileSync(file);
    assert(before.objects.includes("sqlite_autoindex_container_1"), "the _container_uc index");
    {
      using cat = Catalogue.open(dir, { readOnly: true });
      assertEquals(cat.all().map((r) => [r.id, r.collection, r.name, r.registry]), [
        [1, "library", "app0", "docker.io"],
        [2, "library", "app1", "docker.io"],
      ]);
      assertEquals(cat.search(["app1"]).map((r) => r.id), [2]);
      assertThrows(() => cat.remove(1), Error, "readonly");
    }
    assertEquals(schema(file), before);
    assertEquals(Deno.readFileSync(file), bytes, "the file changed");
    assertEquals(Deno.readDirSync(dir).toArray().map((e) => e.name), [DATABASE_FILE]);

    // A writer migrates it.
    using writer = Catalogue.open(dir);
    assertEquals(schema(file).version, SCHEMA_VERSION);
    assertEquals(writer.all().length, 2);
  }));

Deno.test("Catalogue.open() keeps rows whose collection_id names no collection, under a collection named from their uri", () =>
  withDir((dir) => {
    const file = `${dir}/${DATABASE_FILE}`;
    // Row 0: collection 1 (library); row 1: orphan 5 whose uri says "library" (taken);
    // row 2: orphan 6 "lost6"; row 3: orphan 9 whose uri says "library" too.
    writePythonDatabase(file, [1, 5, 6, 9]);
    for (const readOnly of [true, false]) {
      using cat = Catalogue.open(dir, { readOnly });
      assertEquals(cat.all().map((r) => [r.id, r.collection, r.name]), [
        [1, "library", "app0"],
        [2, "library-5", "app1"],
        [3, "lost6", "app2"],
        [4, "library-9", "app3"],
      ]);
    }
    using cat = Catalogue.open(dir);
    const added = cat.upsert({
      registry: "docker.io",
      collection: "lost6",
      name: "new",
      tag: "1",
      version: "sha256:" + "a".repeat(64),
      client: "docker",
      image: null,
      url: null,
      metrics: {},
    });
    assertEquals(added.collection, "lost6");
  }));

Deno.test("Catalogue.open() does not blame permissions for a database it cannot migrate", () =>
  withDir((dir) => {
    const file = `${dir}/${DATABASE_FILE}`;
    writePythonDatabase(file);
    const db = new DatabaseSync(file);
    // A table with the migration's own name makes it fail: an SQLite error, not an access one.
    db.exec("CREATE TABLE container_v1 (x INTEGER)");
    db.close();
    const e = assertThrows(() => Catalogue.open(dir), SregistryError);
    assertStringIncludes(e.message, `Cannot open the catalogue ${file}`);
    assert(!e.message.includes("permissions"), e.message);
    assertStringIncludes(e.message, "move it aside");
  }));

Deno.test("Catalogue IDs are never reused: removing the newest image does not give its ID to the next", () =>
  withDir((dir) => {
    writePythonDatabase(`${dir}/${DATABASE_FILE}`, [1, 1]);
    using cat = Catalogue.open(dir);
    const add = (name: string) =>
      cat.upsert({
        registry: "docker.io",
        collection: "library",
        name,
        tag: "1",
        version: null,
        client: "docker",
        image: null,
        url: null,
        metrics: {},
      }).id;
    assertEquals(add("a"), 3);
    cat.remove(3);
    cat.remove(2);
    assertEquals(add("b"), 4);
    // The Python client inserts without an id: it gets the next one too.
    const db = new DatabaseSync(`${dir}/${DATABASE_FILE}`);
    db.exec(`INSERT INTO container (metrics, name, tag, client, collection_id)
      VALUES ('{}', 'py', 'latest', 'hub', 1)`);
    db.close();
    assertEquals(cat.find({ collection: "library", name: "py" })?.id, 5);
  }));
