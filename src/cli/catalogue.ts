/**
 * The catalogue commands, same names and meanings as the original:
 * `images`, `get`, `inspect`, `rm`, `mv`, `rename`, `add`.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { createHash } from "node:crypto";
import { checkOverwrite } from "../pull/overwrite.ts";
import { SregistryError, UsageError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";
import type { CliContext } from "./context.ts";
import { print, printErr } from "./output.ts";
import { moveFile } from "../store/move_file.ts";
import { resolve } from "node:path";
import { pruneImageBlobs } from "./cache.ts";
import { imagesTable } from "./images_table.ts";
import { displayName } from "./record_name.ts";
import { inspectSummary } from "./inspect_summary.ts";
import { isSifFile } from "./sif_file.ts";
import { findImage } from "../api/find.ts";

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

/** Whether nothing is at `path` (other errors, such as a refused stat, are not "gone"). */
function isMissing(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/** Refuses to overwrite a file that another image (or anything else) may own. */
function checkFree(action: string, path: string): void {
  try {
    Deno.lstatSync(path);
  } catch {
    return;
  }
  throw new SregistryError(
    `Cannot ${action}: ${path} already exists: remove it or choose another name`,
  );
}

/** Refuses a file whose header is not a SIF's, unless `force`. */
function checkSif(file: string, force: boolean): void {
  let sif: boolean;
  try {
    // A fifo or a device would be read forever (even with --force: it is hashed and copied).
    if (!Deno.statSync(file).isFile) {
      throw new SregistryError(
        `Cannot add ${file}: it is not a regular file (a folder, fifo or device): give the path of a SIF image`,
      );
    }
    sif = isSifFile(file);
  } catch (e) {
    if (e instanceof SregistryError) throw e;
    throw new SregistryError(`Cannot add ${file}: ${(e as Error).message}: check the file's path`, {
      cause: e,
    });
  }
  if (!sif && !force) {
    throw new SregistryError(
      `Cannot add ${file}: it is not a SIF image (no SIF_MAGIC in its header): ` +
        `build one with "sregistry pull", or pass --force to add it anyway`,
    );
  }
}

/** The sha256 digest of a file, read in chunks. */
function fileDigest(path: string, action: string): string {
  const hash = createHash("sha256");
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (e) {
    throw new SregistryError(`Cannot ${action}: ${(e as Error).message}: check the file's path`, {
      cause: e,
    });
  }
  using f = file;
  const buf = new Uint8Array(1 << 20);
  for (let n = f.readSync(buf); n !== null; n = f.readSync(buf)) hash.update(buf.subarray(0, n));
  return "sha256:" + hash.digest("hex");
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
      const r = findRecord(
        ctx().requireCatalogue(`get ${reference}`, { readOnly: true }),
        reference,
      );
      if (r.image && isMissing(r.image)) {
        throw new SregistryError(
          `Cannot get ${reference}: its file ${r.image} is gone: pull it again with "sregistry pull --force ${
            displayName(r)
          }", or remove the record with "sregistry rm ${r.id}"`,
        );
      }
      print(r.image ?? r.url ?? "");
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
      const r = findRecord(catalogue, reference);
      catalogue.remove(r.id);
      if (opts.prune) await pruneImageBlobs(ctx(), catalogue, r);
      if (r.image) {
        try {
          Deno.removeSync(r.image);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
          printErr(`Warning: ${r.image} was already gone; the record is removed`);
        }
      }
      print(r.image ?? displayName(r));
    });

  program.command("mv").description("move an image's file and update its record")
    .argument("<reference>").argument("<path>", "new file, or folder to move it into")
    .action((reference, path) => {
      const catalogue = ctx().requireCatalogue(`move ${reference}`);
      const r = findRecord(catalogue, reference);
      if (!r.image) throw new SregistryError(`Cannot move ${reference}: it has no file`);
      let target = resolve(path);
      try {
        if (Deno.statSync(target).isDirectory) target = `${target}/${r.image.split("/").pop()}`;
      } catch { /* a new file name */ }
      if (target === r.image) {
        throw new UsageError(`Cannot move ${reference}: it is already at ${target}`);
      }
      checkFree(`move ${reference}`, target);
      // The record changes only if the file moved.
      catalogue.transaction(() => {
        catalogue.updatePath(r.id, target);
        moveFile(r.image!, target);
      });
      print(target);
    });

  program.command("rename").description("give an image a new reference (its file moves in storage)")
    .argument("<reference>").argument("<new-reference>")
    .action((reference, newReference) => {
      const c = ctx();
      const catalogue = c.requireCatalogue(`rename ${reference}`);
      const r = findRecord(catalogue, reference);
      const names = storageNames(parseReference(newReference));
      const target = storageFile(c.settings.storageDir, {
        ...names,
        digest: r.version ?? undefined,
      });
      if (r.image !== target) checkFree(`rename ${reference}`, target);
      // The record changes only if the file moved (and a taken name moves nothing).
      catalogue.transaction(() => {
        catalogue.rename(r.id, names, target);
        if (r.image && r.image !== target) moveFile(r.image, target);
      });
      print(target);
    });

  program.command("add").description("add a local SIF file to the catalogue")
    .argument("<file>").requiredOption("--name <reference>", "the reference to record it under")
    .option("--copy", "copy the file instead of moving it")
    .option(
      "-f, --force",
      "add the file even if it does not look like a SIF image, replacing an unrecorded file in storage",
    )
    .action((file, opts) => {
      const c = ctx();
      checkSif(file, opts.force ?? false);
      const catalogue = c.requireCatalogue(`add ${file}`);
      const ref = parseReference(opts.name);
      const names = storageNames(ref);
      const version = ref.digest ?? fileDigest(file, `add ${file}`);
      const size = Deno.statSync(file).size;
      const target = storageFile(c.settings.storageDir, { ...names, digest: version });
      checkOverwrite(target, { option: "--name", force: opts.force, catalogue });
      moveFile(file, target, { copy: opts.copy });
      const record = catalogue.upsert({
        ...names,
        version,
        client: "docker",
        image: target,
        url: null,
        size,
        source: `file:${resolve(file)}`,
        metrics: {},
      });
      print(record.image ?? target);
    });
}
