/**
 * The catalogue verbs `rm`, `mv`, `rename` and `add` over an open catalogue:
 * each changes the record and the image file together (the record changes
 * only once the file is where it says), and refuses to overwrite a file it
 * does not own. The CLI (`cli/catalogue.ts`) and the scripting API call them;
 * nothing is printed.
 * @module
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { SregistryError } from "../errors.ts";
import { checkOverwrite } from "../pull/overwrite.ts";
import { parseReference } from "../reference.ts";
import { isSifFile } from "../sif/sif_file.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { moveFile } from "../store/move_file.ts";
import type { ImageRecord } from "../store/record.ts";
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
 * file is copied, then the original removed.
 *
 * @returns the new absolute path
 * @throws {SregistryError} when the image is already there, nothing matches, the image has no file, or
 *   something is at the target already
 */
export function moveImage(catalogue: Catalogue, reference: string, path: string): string {
  const r = findImage(catalogue, reference);
  if (!r.image) throw new SregistryError(`Cannot move ${reference}: it has no file`);
  let target = resolve(path);
  try {
    if (Deno.statSync(target).isDirectory) target = `${target}/${r.image.split("/").pop()}`;
  } catch { /* a new file name */ }
  if (target === r.image) {
    throw new SregistryError(
      `Cannot move ${reference}: it is already at ${target}: give another path, or leave it there`,
    );
  }
  checkFree(`move ${reference}`, target);
  // The record changes only if the file moved.
  catalogue.transaction(() => {
    catalogue.updatePath(r.id, target);
    moveFile(r.image!, target);
  });
  return target;
}

/**
 * Gives the image a new reference; its file moves to that reference's place
 * in the storage folder `storageDir`.
 *
 * @returns the file's new path
 * @throws {ReferenceSyntaxError} for a malformed `newReference`
 * @throws {SregistryError} when nothing matches or another file is at the new place
 */
export function renameImage(
  catalogue: Catalogue,
  reference: string,
  newReference: string,
  storageDir: string,
): string {
  const r = findImage(catalogue, reference);
  // `@version` here is the record's version, not a digest to pull: the tag is kept.
  const names = storageNames({ ...parseReference(newReference), digest: undefined });
  const target = storageFile(storageDir, { ...names, digest: r.version ?? undefined });
  if (r.image !== target) checkFree(`rename ${reference}`, target);
  // The record changes only if the file moved (and a taken name moves nothing).
  catalogue.transaction(() => {
    catalogue.rename(r.id, names, target);
    if (r.image && r.image !== target) moveFile(r.image, target);
  });
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
 * its place in the storage folder. Its version is the reference's digest, else
 * the file's sha256. `catalogue` may be a function that opens it, called once
 * the file has passed its checks.
 *
 * @returns the new record
 * @throws {ReferenceSyntaxError} for a malformed name
 * @throws {SregistryError} when the file is not a regular file, not a SIF
 *   image (without `force`), unreadable, or the storage path is taken
 */
export function addImage(
  catalogue: Catalogue | (() => Catalogue),
  file: string,
  options: AddImageOptions,
): ImageRecord {
  checkSif(file, options.force ?? false);
  if (typeof catalogue === "function") catalogue = catalogue();
  const ref = parseReference(options.name);
  const names = storageNames({ ...ref, digest: undefined }); // `@version` keeps the tag
  const version = ref.digest ?? fileDigest(file, `add ${file}`);
  const size = Deno.statSync(file).size;
  const target = storageFile(options.storageDir, { ...names, digest: version });
  checkOverwrite(target, { option: "--name", force: options.force, catalogue });
  moveFile(file, target, { copy: options.copy });
  return catalogue.upsert({
    ...names,
    version,
    client: "docker",
    image: target,
    url: null,
    size,
    source: `file:${resolve(file)}`,
    metrics: {},
  });
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
