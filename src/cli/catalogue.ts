/**
 * The catalogue commands, same names and meanings as the original:
 * `images`, `get`, `inspect`, `rm`, `mv`, `rename`, `add`.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { createHash } from "node:crypto";
import { SregistryError, UsageError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";
import type { CliContext } from "./context.ts";
import { print, printErr } from "./output.ts";
import { humanSize } from "./progress.ts";
import { moveFile } from "../store/move_file.ts";
import { pruneImageBlobs } from "./cache.ts";

/** Finds the record a reference names: the newest, or the one named by `@digest`. */
export function findRecord(catalogue: Catalogue, reference: string): ImageRecord {
  const ref = parseReference(reference);
  const names = storageNames(ref);
  const record = catalogue.find({ ...names, version: ref.digest });
  if (!record) {
    throw new SregistryError(
      `Cannot find ${reference}: no such image in the catalogue: run "sregistry images" to list them, or "sregistry pull ${reference}"`,
    );
  }
  return record;
}

/** `registry/collection/name:tag@digest` of a record. */
export function displayName(r: ImageRecord): string {
  const prefix = r.registry && r.registry !== "docker.io" ? `${r.registry}/` : "";
  return `${prefix}${r.collection}/${r.name}:${r.tag}${r.version ? "@" + r.version : ""}`;
}

function fileSize(r: ImageRecord): number | undefined {
  if (r.size !== undefined && r.size !== null) return r.size;
  try {
    return r.image ? Deno.statSync(r.image).size : undefined;
  } catch {
    return undefined;
  }
}

/** Adds the catalogue commands to `program`. */
export function addCatalogueCommands(program: Command, ctx: () => CliContext): void {
  program.command("images").description("list images in the catalogue")
    .argument("[query...]", "only images whose name, tag or reference contains one of these")
    .option("--json", "print JSON")
    .action((queries, opts) => {
      const records = ctx().requireCatalogue("list images").search(queries);
      if (opts.json) return print(JSON.stringify(records, null, 2));
      let total = 0;
      const rows = records.map((r) => {
        const size = fileSize(r);
        total += size ?? 0;
        return [
          String(r.id),
          r.createdAt.slice(0, 10),
          `[${r.client}]`,
          displayName(r),
          size === undefined ? "(missing)" : humanSize(size),
        ];
      });
      if (rows.length === 0) return printErr("No images in the catalogue.");
      const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
      for (const row of rows) {
        print(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
      }
      print(`${rows.length} image${rows.length === 1 ? "" : "s"}, ${humanSize(total)} in total`);
    });

  program.command("get").description("print the path of an image (for $(sregistry get REF))")
    .argument("<reference>")
    .action((reference) => {
      const r = findRecord(ctx().requireCatalogue(`get ${reference}`), reference);
      print(r.image ?? r.url ?? "");
    });

  program.command("inspect").description("print an image's record as JSON")
    .argument("<reference>")
    .action((reference) => {
      const r = findRecord(ctx().requireCatalogue(`inspect ${reference}`), reference);
      print(JSON.stringify(r, null, 2));
    });

  program.command("rm").description("remove an image: its record and its file")
    .argument("<reference>")
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
      let target = path;
      try {
        if (Deno.statSync(path).isDirectory) target = `${path}/${r.image.split("/").pop()}`;
      } catch { /* a new file name */ }
      if (target === r.image) {
        throw new UsageError(`Cannot move ${reference}: it is already at ${target}`);
      }
      moveFile(r.image, target);
      catalogue.updatePath(r.id, target);
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
      if (r.image) moveFile(r.image, target);
      catalogue.rename(r.id, names, target);
      print(target);
    });

  program.command("add").description("add a local SIF file to the catalogue")
    .argument("<file>").requiredOption("--name <reference>", "the reference to record it under")
    .option("--copy", "copy the file instead of moving it")
    .action((file, opts) => {
      const c = ctx();
      const catalogue = c.requireCatalogue(`add ${file}`);
      const ref = parseReference(opts.name);
      const names = storageNames(ref);
      const bytes = Deno.readFileSync(file);
      const version = ref.digest ?? "sha256:" + createHash("sha256").update(bytes).digest("hex");
      const target = storageFile(c.settings.storageDir, { ...names, digest: version });
      moveFile(file, target, { copy: opts.copy });
      const record = catalogue.upsert({
        ...names,
        version,
        client: "docker",
        image: target,
        url: null,
        size: bytes.length,
        source: `file:${file}`,
        metrics: {},
      });
      print(record.image ?? target);
    });
}
