/**
 * The catalogue verb `add`: records a local SIF file, moving or copying it
 * into the storage folder as `mv` moves files (`catalogue.ts` `relocate`).
 * @module
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { SregistryError, UsageError } from "../errors.ts";
import { checkOverwrite, recordsNaming } from "../pull/overwrite.ts";
import { parseReference } from "../reference.ts";
import { isSifFile } from "../sif/sif_file.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { type ImageRecord, recordName } from "../store/record.ts";
import { storageFile, storageNames } from "../store/storage_paths.ts";
import { relocate } from "./catalogue.ts";

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
