/**
 * The catalogue verbs in process: each changes the record and the file
 * together, and leaves both as they were when it refuses.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { addImage } from "../../src/api/add.ts";
import { moveImage, removeImage, renameImage } from "../../src/api/catalogue.ts";
import { SregistryError, UsageError } from "../../src/errors.ts";
import { exists, SIF, withStore } from "./_store.ts";
import { add, Client, images, rm } from "../../mod.ts";
import { cliHome } from "../_cli.ts";

Deno.test("addImage() moves a SIF into storage and records it; refuses a non-SIF file", () =>
  withStore(async (catalogue, dir) => {
    const file = `${dir}/app.sif`;
    Deno.writeFileSync(file, SIF);
    const record = await addImage(catalogue, file, {
      name: "example/app:1",
      storageDir: `${dir}/s`,
    });
    assert(record.image?.startsWith(`${dir}/s/`), record.image ?? "");
    assertEquals(Deno.readFileSync(record.image!), SIF);
    assertEquals(exists(file), false);
    assertEquals(catalogue.all().length, 1);
    assert(record.version?.startsWith("sha256:"));

    const text = `${dir}/notes.txt`;
    Deno.writeTextFileSync(text, "not an image");
    let opened = false;
    await assertRejects(
      () =>
        addImage(
          () => {
            opened = true;
            return catalogue;
          },
          text,
          { name: "example/notes:1", storageDir: `${dir}/s` },
        ),
      SregistryError,
      "it is not a SIF image",
    );
    assertEquals([opened, exists(text), catalogue.all().length], [false, true, 1]);
  }));

Deno.test("moveImage() moves the file and the record; refuses a taken path", () =>
  withStore(async (catalogue, dir) => {
    const file = `${dir}/app.sif`;
    Deno.writeFileSync(file, SIF);
    const added = await addImage(catalogue, file, {
      name: "example/app:1",
      storageDir: `${dir}/s`,
    });
    Deno.mkdirSync(`${dir}/elsewhere`);
    const target = await moveImage(catalogue, "example/app:1", `${dir}/elsewhere`);
    assertEquals(target, `${dir}/elsewhere/${added.image!.split("/").pop()}`);
    assertEquals([exists(added.image!), exists(target)], [false, true]);
    assertEquals(catalogue.all()[0].image, target);

    Deno.writeTextFileSync(`${dir}/taken.sif`, "mine");
    await assertRejects(
      () => moveImage(catalogue, "example/app:1", `${dir}/taken.sif`),
      SregistryError,
      "already exists",
    );
    assertEquals(Deno.readTextFileSync(`${dir}/taken.sif`), "mine");
    assertEquals(catalogue.all()[0].image, target);
    await assertRejects(
      () => moveImage(catalogue, "example/app:1", target),
      UsageError,
      "already at",
    );
  }));

Deno.test("renameImage() gives a new reference and moves the file in storage", () =>
  withStore(async (catalogue, dir) => {
    const file = `${dir}/app.sif`;
    Deno.writeFileSync(file, SIF);
    const added = await addImage(catalogue, file, {
      name: "example/app:1",
      storageDir: `${dir}/s`,
    });
    const target = await renameImage(catalogue, "example/app:1", "example/other:2", `${dir}/s`);
    assert(target !== added.image);
    assertEquals([exists(added.image!), exists(target)], [false, true]);
    const [record] = catalogue.all();
    assertEquals([record.image, record.tag], [target, "2"]);
    await assertRejects(
      () => renameImage(catalogue, "example/app:1", "x/y:1", `${dir}/s`),
      SregistryError,
    );
  }));

Deno.test("removeImage() removes the record and the file; a file already gone is told, not an error", () =>
  withStore(async (catalogue, dir) => {
    for (const name of ["example/a:1", "example/b:1"]) {
      const file = `${dir}/${name.replace(/\W/g, "_")}.sif`;
      Deno.writeFileSync(file, SIF);
      await addImage(catalogue, file, { name, storageDir: `${dir}/s`, copy: true });
    }
    const a = removeImage(catalogue, "example/a:1");
    assertEquals([a.fileGone, exists(a.record.image!)], [false, false]);
    const b = catalogue.all()[0];
    Deno.removeSync(b.image!);
    assertEquals(removeImage(catalogue, "example/b:1").fileGone, true);
    assertEquals(catalogue.all(), []);
    assertThrows(() => removeImage(catalogue, "example/b:1"), SregistryError);
  }));

Deno.test("add(), mv(), rename(), rm() and the Client use the CLI's settings and catalogue", async () => {
  await using home = await cliHome();
  const storage = `${home.home}/storage`;
  const env = { ...home.env, SREGISTRY_STORAGE: storage };
  const file = `${home.home}/app.sif`;
  Deno.writeFileSync(file, SIF);
  const record = await add(file, "example/app:1", { env });
  assert(record.image?.startsWith(`${storage}/`), record.image ?? "");
  // The command sees what the library recorded.
  const got = await home.run(["get", "example/app:1"], { env });
  assertEquals([got.code, got.stdout.trim()], [0, record.image]);
  {
    using client = new Client({ env });
    Deno.mkdirSync(`${home.home}/moved`);
    const moved = await client.mv("example/app:1", `${home.home}/moved`);
    assertEquals(moved.startsWith(`${home.home}/moved/`), true);
    const renamed = await client.rename("example/app:1", "example/new:2");
    assertEquals([exists(moved), exists(renamed)], [false, true]);
    assertEquals((await client.inspect("example/new:2")).image, renamed);
  }
  const removed = await rm("example/new:2", { env });
  assertEquals(exists(removed.image!), false);
  assertEquals(await images([], { env }), []);
});
