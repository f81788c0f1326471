/**
 * Edge cases of the catalogue verbs a breaker found: `add` of a file that is
 * already a record's file or a symbolic link, `rename` of a record whose file
 * is gone, `mv` to a folder that does not exist. Each refusal leaves the
 * records and files as they were.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { addImage } from "../../src/api/add.ts";
import { moveImage, renameImage } from "../../src/api/catalogue.ts";
import { SregistryError, UsageError } from "../../src/errors.ts";
import { exists, SIF, withStore } from "./_store.ts";
import { HOST } from "../../src/store/temp_names.ts";
import { deadPid } from "../_procs.ts";

Deno.test("addImage() of a file that is already a record's file refuses (naming rename and mv); --copy records a copy", () =>
  withStore(async (catalogue, dir) => {
    const storageDir = `${dir}/s`;
    Deno.writeFileSync(`${dir}/app.sif`, SIF);
    const first = await addImage(catalogue, `${dir}/app.sif`, {
      name: "example/app:1",
      storageDir,
    });
    for (const name of ["foo/bar:3", "example/app:1"]) {
      const e = await assertRejects(
        () => addImage(catalogue, first.image!, { name, storageDir }),
        UsageError,
        `it is the file of image ${first.id} (example/app:1@`,
      );
      assert(e.message.includes("sregistry rename") && e.message.includes("sregistry mv"));
    }
    assertEquals(catalogue.all().map((r) => r.image), [first.image]);
    assert(exists(first.image!));

    const copy = await addImage(catalogue, first.image!, {
      name: "foo/bar:3",
      storageDir,
      copy: true,
    });
    assertEquals(catalogue.all().map((r) => r.image), [first.image, copy.image]);
    assertEquals([Deno.readFileSync(first.image!), Deno.readFileSync(copy.image!)], [SIF, SIF]);
  }));

for (const kind of ["relative", "absolute"]) {
  Deno.test(`addImage() of a symbolic link (${kind}) stores a copy of its file as a regular file; the link and its file stay`, () =>
    withStore(async (catalogue, dir) => {
      Deno.mkdirSync(`${dir}/images`);
      Deno.writeFileSync(`${dir}/images/app.sif`, SIF);
      const link = `${dir}/link.sif`;
      Deno.symlinkSync(kind === "relative" ? "images/app.sif" : `${dir}/images/app.sif`, link);
      const record = await addImage(catalogue, link, {
        name: "example/app:1",
        storageDir: `${dir}/s`,
      });
      assert(Deno.lstatSync(record.image!).isFile, "a symbolic link was stored");
      assertEquals(Deno.readFileSync(record.image!), SIF);
      assert(Deno.lstatSync(link).isSymlink, "the user's link was moved away");
      assertEquals(Deno.readFileSync(link), SIF, "the user's link no longer leads to the file");
      assertEquals(record.source, `file:${dir}/images/app.sif`);
    }));
}

Deno.test("addImage() of a dangling symbolic link says the file is missing", () =>
  withStore(async (catalogue, dir) => {
    Deno.symlinkSync("nowhere.sif", `${dir}/link.sif`);
    await assertRejects(
      () => addImage(catalogue, `${dir}/link.sif`, { name: "a/b:1", storageDir: `${dir}/s` }),
      SregistryError,
      `Cannot add ${dir}/link.sif`,
    );
    assertEquals(catalogue.all(), []);
  }));

Deno.test("renameImage() and moveImage() of a record whose file is gone refuse and change nothing", () =>
  withStore(async (catalogue, dir) => {
    Deno.writeFileSync(`${dir}/app.sif`, SIF);
    const r = await addImage(catalogue, `${dir}/app.sif`, {
      name: "example/app:1",
      storageDir: `${dir}/s`,
    });
    Deno.removeSync(r.image!);
    for (
      const run of [
        () => renameImage(catalogue, "1", "x/y:2", `${dir}/s`),
        () => moveImage(catalogue, "1", dir),
      ]
    ) {
      await assertRejects(run, SregistryError, `its file ${r.image} is gone`);
    }
    assertEquals(catalogue.all().map((x) => [x.name, x.image]), [["app", r.image]]);
    assertEquals(exists(`${dir}/s/x`), false);
  }));

Deno.test("moveImage() to a folder that does not exist refuses, naming it, and creates nothing", () =>
  withStore(async (catalogue, dir) => {
    Deno.writeFileSync(`${dir}/app.sif`, SIF);
    const r = await addImage(catalogue, `${dir}/app.sif`, {
      name: "example/app:1",
      storageDir: `${dir}/s`,
    });
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      for (
        const [path, folder] of [[`${dir}/typo/x.sif`, `${dir}/typo`], ["~/x.sif", `${dir}/~`]]
      ) {
        await assertRejects(
          () => moveImage(catalogue, "1", path),
          UsageError,
          `the folder ${folder} does not exist`,
        );
        assertEquals(exists(folder), false);
      }
    } finally {
      Deno.chdir(cwd);
    }
    assertEquals(catalogue.all().map((x) => x.image), [r.image]);
    assert(exists(r.image!));
  }));

Deno.test("moveImage() into a folder sweeps partial files of dead processes there, whatever their name, and keeps live ones", () =>
  withStore(async (catalogue, dir) => {
    Deno.writeFileSync(`${dir}/app.sif`, SIF);
    await addImage(catalogue, `${dir}/app.sif`, { name: "example/app:1", storageDir: `${dir}/s` });
    const dead = await deadPid();
    const x = `${dir}/x`;
    Deno.mkdirSync(x);
    const left = `.mine.sif.${dead}@${HOST}.0.partial`;
    const live = `.other.sif.1@${HOST}.0.partial`; // pid 1 runs
    for (const name of [left, live]) Deno.writeTextFileSync(`${x}/${name}`, "partial");
    const moved = await moveImage(catalogue, "1", `${x}/`);
    assertEquals(
      Deno.readDirSync(x).toArray().map((e) => e.name).sort(),
      [live, moved.slice(x.length + 1)].sort(),
    );
  }));
