/**
 * The catalogue verbs `rm`, `mv` and `rename` over an open catalogue (`add`
 * is `add.ts`):
 * each changes the record and the image file together (the record changes
 * only once the file is where it says), and refuses to overwrite a file it
 * does not own. The CLI (`cli/catalogue.ts`) and the scripting API call them;
 * nothing is printed.
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { SregistryError, UsageError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { isMissing } from "../store/file_exists.ts";
import { stageFile } from "../store/move_file.ts";
import { type ImageRecord, recordName } from "../store/record.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";
import { findImage } from "./find.ts";

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

/**
 * The record's file, which must exist: a record without one (or whose file
 * is gone) has nothing to move.
 * @throws {SregistryError} when the record has no file or its file is gone
 */
function existingFile(r: ImageRecord, action: string, reference: string): string {
  if (!r.image) throw new SregistryError(`Cannot ${action} ${reference}: it has no file`);
  if (isMissing(r.image)) {
    throw new SregistryError(
      `Cannot ${action} ${reference}: its file ${r.image} is gone: pull it again with ` +
        `"sregistry pull --force ${
          recordName(r)
        }", or remove the record with "sregistry rm ${r.id}"`,
    );
  }
  return r.image;
}

/**
 * Puts `source` at `target` and runs `record` in the same catalogue
 * transaction as the rename into place (`store/move_file.ts`): the record
 * names the source until the file is at the target; the source name goes
 * after the commit.
 */
export async function relocate<T>(
  catalogue: Catalogue,
  source: string,
  target: string,
  options: { copy?: boolean; noMkdir?: boolean; check: () => void },
  record: () => T,
): Promise<T> {
  const staged = await stageFile(source, target, options);
  let result: T;
  try {
    result = catalogue.transaction(() => {
      options.check(); // a file that appeared at the target while this one was copied
      const r = record();
      staged.place();
      return r;
    });
  } catch (e) {
    staged.discard();
    throw e;
  }
  staged.finish();
  return result;
}

/**
 * Removes the record `reference` names (an ID, digest prefix or reference,
 * see {@linkcode findImage}), then its file.
 *
 * @returns the removed record, and `fileGone` when its file was already gone
 * @throws {SregistryError} when nothing matches; what removing the file throws
 *   other than NotFound (the record is removed by then)
 */
export function removeImage(
  catalogue: Catalogue,
  reference: string,
): { record: ImageRecord; fileGone: boolean } {
  const record = findImage(catalogue, reference);
  catalogue.remove(record.id);
  let fileGone = false;
  if (record.image) {
    try {
      Deno.removeSync(record.image);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      fileGone = true;
    }
  }
  return { record, fileGone };
}

/**
 * Moves the image's file to `path` (a new file name, or a folder to move it
 * into, keeping its name) and records the new path; across file systems the
 * file is copied to a partial file beside the target, renamed into place in
 * the transaction that records it, and the original removed after.
 *
 * @returns the new absolute path
 * @throws {UsageError} when the image is already there, or `path`'s folder does not exist
 * @throws {SregistryError} when nothing matches, the image has no file (or it
 *   is gone), or something is at the target already
 */
export async function moveImage(
  catalogue: Catalogue,
  reference: string,
  path: string,
): Promise<string> {
  const r = findImage(catalogue, reference);
  const source = existingFile(r, "move", reference);
  let target = resolve(path);
  try {
    if (Deno.statSync(target).isDirectory) target = `${target}/${basename(source)}`;
  } catch { /* a new file name */ }
  if (target === source) {
    throw new UsageError(`Cannot move ${reference}: it is already at ${target}`);
  }
  const action = `move ${reference}`;
  checkFree(action, target);
  const folder = dirname(target);
  if (!isFolder(folder)) {
    throw new UsageError(
      `Cannot move ${reference} to ${path}: the folder ${folder} does not exist: create it first, or give an existing folder`,
    );
  }
  const check = () => checkFree(action, target);
  return await relocate(catalogue, source, target, { check, noMkdir: true }, () => {
    catalogue.updatePath(r.id, target);
    return target;
  });
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Gives the image a new reference; its file moves to that reference's place
 * in the storage folder `storageDir` (as {@linkcode moveImage} moves it).
 *
 * @returns the file's new path
 * @throws {ReferenceSyntaxError} for a malformed `newReference`
 * @throws {SregistryError} when nothing matches, the image has no file (or it
 *   is gone), or another file is at the new place
 */
export async function renameImage(
  catalogue: Catalogue,
  reference: string,
  newReference: string,
  storageDir: string,
): Promise<string> {
  const r = findImage(catalogue, reference);
  const names = storageNames(parseReference(newReference));
  const source = existingFile(r, "rename", reference);
  const target = storageFile(storageDir, { ...names, digest: r.version ?? undefined });
  const rename = () => catalogue.rename(r.id, names, target);
  if (source === target) {
    rename();
    return target;
  }
  const action = `rename ${reference}`;
  checkFree(action, target);
  await relocate(catalogue, source, target, { check: () => checkFree(action, target) }, rename);
  return target;
}
