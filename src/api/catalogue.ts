/**
 * The catalogue verbs `rm`, `mv`, `rename` and `add` over an open catalogue:
 * each changes the record and the image file together (the record changes
 * only once the file is where it says), and refuses to overwrite a file it
 * does not own. The CLI (`cli/catalogue.ts`) and the scripting API call them;
 * nothing is printed.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, resolve } from "node:path";
import { SregistryError, UsageError } from "../errors.ts";
import { checkOverwrite, recordsNaming } from "../pull/overwrite.ts";
import { parseReference } from "../reference.ts";
import { isSifFile } from "../sif/sif_file.ts";
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
async function relocate<T>(
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

/** Options of {@linkcode addImage}. */
export interface AddImageOptions {
  /** The reference to record the file under (`--name`). */
  name: string;
  /** The storage folder the file moves into. */
  storageDir: string;
  /** Copy the file rather than move it. */
  copy?: boolean;
  /** Add a file without the SIF magic, and replace an unrecorded file at the storage path. */
  force?: boolean;
}

/**
 * Records a local SIF file under `options.name`, moving (or copying) it to
 * its place in the storage folder, as {@linkcode moveImage} moves files. A
 * symbolic link is resolved and the file it points to is copied (the link
 * and its file stay). Its version is the reference's digest, else the file's
 * sha256. `catalogue` may be a function that opens it, called once the file
 * has passed its checks.
 *
 * @returns the new record
 * @throws {ReferenceSyntaxError} for a malformed name
 * @throws {UsageError} when the file is already another record's file (and
 *   not `copy`), or the storage path holds another image's or an unrecorded file
 * @throws {SregistryError} when the file is not a regular file, not a SIF
 *   image (without `force`), or unreadable
 */
export async function addImage(
  catalogue: Catalogue | (() => Catalogue),
  file: string,
  options: AddImageOptions,
): Promise<ImageRecord> {
  const source = realFile(file);
  checkSif(file, source, options.force ?? false);
  if (typeof catalogue === "function") catalogue = catalogue();
  const cat = catalogue;
  // A symbolic link stays a valid link: what it points to is copied.
  const copy = options.copy || source !== resolve(file);
  const owner = recordsNaming(cat, source)[0];
  if (owner && !copy) {
    throw new UsageError(
      `Cannot add ${file}: it is the file of image ${owner.id} (${recordName(owner)}): ` +
        `give it another reference with "sregistry rename ${owner.id} ${options.name}", ` +
        `move it with "sregistry mv ${owner.id} PATH", or add --copy to record a copy`,
    );
  }
  const ref = parseReference(options.name);
  const names = storageNames(ref);
  const version = ref.digest ?? await fileDigest(source, `add ${file}`);
  const size = Deno.statSync(source).size;
  const target = storageFile(options.storageDir, { ...names, digest: version });
  if (owner && target === owner.image) {
    throw new UsageError(`Cannot add ${file}: it is already recorded as image ${owner.id}`);
  }
  const rule = { option: "--name", force: options.force, catalogue: cat, reference: names };
  checkOverwrite(target, rule);
  const check = () => void checkOverwrite(target, rule);
  return await relocate(cat, source, target, { copy, check }, () =>
    cat.upsert({
      ...names,
      version,
      client: "docker",
      image: target,
      url: null,
      size,
      source: `file:${source}`,
      metrics: {},
    }));
}

/** The absolute path of the file `file` names, symbolic links resolved. */
function realFile(file: string): string {
  try {
    return Deno.realPathSync(file);
  } catch (e) {
    throw new SregistryError(`Cannot add ${file}: ${(e as Error).message}: check the file's path`, {
      cause: e,
    });
  }
}

/** Refuses a file whose header is not a SIF's, unless `force`. */
function checkSif(file: string, source: string, force: boolean): void {
  let sif: boolean;
  try {
    // A fifo or a device would be read forever (even with --force: it is hashed and copied).
    if (!Deno.statSync(source).isFile) {
      throw new SregistryError(
        `Cannot add ${file}: it is not a regular file (a folder, fifo or device): give the path of a SIF image`,
      );
    }
    sif = isSifFile(source);
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

/** The sha256 digest of a file, read in chunks (asynchronously: an interrupt is heard). */
async function fileDigest(path: string, action: string): Promise<string> {
  const hash = createHash("sha256");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    throw new SregistryError(`Cannot ${action}: ${(e as Error).message}: check the file's path`, {
      cause: e,
    });
  }
  using f = file;
  const buf = new Uint8Array(1 << 20);
  for (let n = await f.read(buf); n !== null; n = await f.read(buf)) {
    hash.update(buf.subarray(0, n));
  }
  return "sha256:" + hash.digest("hex");
}
