/**
 * The catalogue commands, same names and meanings as the original:
 * `images`, `get`, `inspect`, `rm`, `mv`, `rename`, `add`.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import type { CliContext } from "./context.ts";
import { print, printErr } from "./output.ts";
import { pruneImageBlobs } from "./cache.ts";
import { imagesTable } from "./images_table.ts";
import { recordName as displayName } from "../store/record.ts";
import { inspectSummary } from "./inspect_summary.ts";
import { findImage, imageFile } from "../api/find.ts";
import { addImage } from "../api/add.ts";
import { moveImage, removeImage, renameImage } from "../api/catalogue.ts";
import { copyInterrupts } from "./interrupt.ts";

/**
 * Finds the record `reference` names: an ID as `images` shows it, else a
 * reference (see {@linkcode findImage}, which the scripting API shares).
 *
 * @throws {SregistryError} when nothing matches, or a digest prefix matches several images.
 */
export function findRecord(catalogue: Catalogue, reference: string): ImageRecord {
  return findImage(catalogue, reference);
}

/** The size of the record's file as it is now; undefined when the file is gone. */
function fileSize(r: ImageRecord): number | undefined {
  if (!r.image) return r.size ?? undefined;
  try {
    return Deno.statSync(r.image).size;
  } catch {
    return undefined;
  }
}

/** Adds the catalogue commands to `program`. */
export function addCatalogueCommands(program: Command, ctx: () => CliContext): void {
  program.command("images").description("list images in the catalogue")
    .argument("[query...]", "only images whose name, tag or reference contains one of these")
    .option("--json", "print JSON")
    .option(
      "--wide",
      "show the client, whole references and whole digests (rows may exceed 100 columns)",
    )
    .action((queries, opts) => {
      const records = ctx().requireCatalogue("list images", { readOnly: true }).search(queries);
      if (opts.json) return print(JSON.stringify(records, null, 2));
      if (records.length === 0) {
        const quoted = queries.map((q) => `'${q}'`).join(" or ");
        return printErr(
          queries.length > 0 ? `No image matches ${quoted}.` : "No images in the catalogue.",
        );
      }
      const rows = records.map((record) => ({ record, size: fileSize(record) }));
      for (const line of imagesTable(rows, { wide: opts.wide })) print(line);
    });

  program.command("get").description("print the path of an image (for $(sregistry get REF))")
    .argument("<reference>", 'a reference, or an ID or digest as "images" shows it')
    .action((reference) => {
      print(imageFile(ctx().requireCatalogue(`get ${reference}`, { readOnly: true }), reference));
    });

  program.command("inspect").description("print an image's record as JSON")
    .argument("<reference>", 'a reference, or an ID or digest as "images" shows it')
    .option("--summary", "a short human view: platform, size, entrypoint, cmd, env, labels")
    .action((reference, opts) => {
      const catalogue = ctx().requireCatalogue(`inspect ${reference}`, { readOnly: true });
      const r = findRecord(catalogue, reference);
      if (opts.summary) return inspectSummary(r, fileSize(r)).forEach((line) => print(line));
      print(JSON.stringify({ ...r, path: r.image }, null, 2));
    });

  program.command("rm").description("remove an image: its record and its file")
    .argument("<reference>", 'a reference, or an ID or digest as "images" shows it')
    .option("--prune", "also remove the blobs in the cache that only this image used")
    .action(async (reference, opts) => {
      const catalogue = ctx().requireCatalogue(`remove ${reference}`);
      const { record: r, fileGone } = removeImage(catalogue, reference);
      if (fileGone) printErr(`Warning: ${r.image} was already gone; the record is removed`);
      if (opts.prune) await pruneImageBlobs(ctx(), catalogue, r);
      print(r.image ?? displayName(r));
    });

  program.command("mv").description("move an image's file and update its record")
    .argument("<reference>").argument("<path>", "new file, or folder to move it into")
    .action(async (reference, path) => {
      const catalogue = ctx().requireCatalogue(`move ${reference}`);
      using _interrupts = copyInterrupts(`the move of ${reference}`);
      print(await moveImage(catalogue, reference, path));
    });

  program.command("rename").description("give an image a new reference (its file moves in storage)")
    .argument("<reference>").argument("<new-reference>")
    .action(async (reference, newReference) => {
      const c = ctx();
      const catalogue = c.requireCatalogue(`rename ${reference}`);
      using _interrupts = copyInterrupts(`the rename of ${reference}`);
      print(await renameImage(catalogue, reference, newReference, c.settings.storageDir));
    });

  program.command("add").description("add a local SIF file to the catalogue")
    .argument("<file>").requiredOption("--name <reference>", "the reference to record it under")
    .option("--copy", "copy the file instead of moving it")
    .option(
      "-f, --force",
      "add the file even if it does not look like a SIF image, replacing an unrecorded file in storage",
    )
    .action(async (file, opts) => {
      const c = ctx();
      // The file is checked before the catalogue opens: a wrong path is the first thing to say.
      const catalogue = () => c.requireCatalogue(`add ${file}`);
      using _interrupts = copyInterrupts(`the add of ${file}`);
      const record = await addImage(catalogue, file, {
        name: opts.name,
        storageDir: c.settings.storageDir,
        copy: opts.copy,
        force: opts.force,
      });
      print(record.image ?? "");
    });
}
