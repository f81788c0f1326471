/**
 * The rule for paths a user names (`pull --name FILE`, the `--no-cache`
 * default `./<image>_<tag>.sif`): sregistry never replaces a file it did not
 * write, unless `--force` is given. "Did write" means a catalogue record names
 * the file (compared by device and inode, so spelling does not matter): SIF
 * headers do not tell sregistry's images from Apptainer's, so the catalogue is
 * the only proof. Folders and other non-files are never replaced.
 * @module
 */
import { SregistryError, UsageError } from "../errors.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { type ImageRecord, recordName } from "../store/record.ts";
import { isRecorded } from "./_records.ts";

/** The option that named the path (for messages), `--force`, and the catalogue that proves ours. */
export interface OverwriteRule {
  option: string;
  force?: boolean;
  catalogue?: Catalogue;
  /** The image being written: a file recorded for another image is not replaced without `force`. */
  reference?: { registry: string; collection: string; name: string; tag: string };
}

/** How {@linkcode checkOverwrite} judged a target. */
export type TargetState = "new" | "ours" | "forced";

/** Which file a path named: its device and inode (`lstat`). */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * A target as judged before the pull: its state and the file there then
 * ("none" when there was none; undefined when any file there may be replaced,
 * as at a storage path, whose name holds the image's digest).
 */
export interface JudgedTarget {
  readonly state: TargetState;
  readonly seen?: FileIdentity | "none";
}

/** The file at `path` (by `lstat`), or undefined when there is none. */
export function identityOf(path: string): FileIdentity | undefined {
  try {
    const info = Deno.lstatSync(path);
    return { dev: info.dev, ino: info.ino ?? 0 };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * True when the file at `path` is another than the one judged (`seen`): one
 * appeared where there was none, or it was replaced. A file removed
 * meanwhile is no change: writing there loses nothing.
 */
export function changedSince(path: string, judged: JudgedTarget): boolean {
  const { seen } = judged;
  if (seen === undefined) return false;
  const now = identityOf(path);
  if (now === undefined) return false;
  return seen === "none" || seen.dev !== now.dev || seen.ino !== now.ino;
}

/**
 * The error for a target another process wrote while this pull ran (two
 * pulls given one `--name`): the first one's file is kept, this pull fails.
 */
export function writtenMeanwhile(path: string, o: OverwriteRule): SregistryError {
  return new SregistryError(
    `Cannot write the image to ${path}: another pull (or another program) wrote that file ` +
      `while this one ran, and its file is kept: give ${o.option} another name, ` +
      `or run this pull again to replace it`,
  );
}

/**
 * Checks that the image may be written to `path`, given with `option` (for
 * the message, e.g. "--name").
 * @returns "new" when nothing is there, "ours" when a record names the file,
 * "forced" when `force` allows replacing another file.
 * @throws {UsageError} When the path is a folder or another kind of file, or
 * a file no record names (or a record of another image than `o.reference`)
 * and `force` is not given.
 */
export function checkOverwrite(
  path: string,
  o: OverwriteRule,
): TargetState {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "new";
    throw e;
  }
  if (info.isDirectory) {
    throw new UsageError(
      `Cannot write the image to ${path}: it is a folder: give ${o.option} a file name`,
    );
  }
  if (!info.isFile) {
    throw new UsageError(
      `Cannot write the image to ${path}: it exists and is not a regular file: give ${o.option} another name`,
    );
  }
  if (o.catalogue && isRecorded(o.catalogue, path)) {
    const other = o.reference && recordsNaming(o.catalogue, path).find((r) => !sameImage(r, o));
    if (!other) return "ours";
    if (o.force) return "forced";
    throw new UsageError(
      `Cannot write the image to ${path}: it is the file of image ${other.id} (${
        recordName(other)
      }): give ${o.option} another name, move that image first with "sregistry mv ${other.id} PATH", ` +
        `or add --force to replace it (its record is removed)`,
    );
  }
  if (o.force) return "forced";
  throw new UsageError(
    `Cannot write the image to ${path}: the file exists and sregistry did not write it (no catalogue record names it): ` +
      `remove it, give ${o.option} another name, or add --force to replace it`,
  );
}

/** Whether record `r` is of the image (registry, collection, name, tag) the rule writes. */
function sameImage(r: ImageRecord, o: OverwriteRule): boolean {
  const w = o.reference!;
  return r.registry === w.registry && r.collection === w.collection && r.name === w.name &&
    r.tag === w.tag;
}

/**
 * Puts the finished `partial` file at `target`, unless another process wrote
 * the target since it was judged (then the partial is left for the caller
 * to remove). A target judged "new" is created with a hard link, which fails
 * when a file appeared there meanwhile; otherwise the partial is renamed
 * over the file judged, once checked to be the same file (device, inode).
 * @throws {SregistryError} ({@linkcode writtenMeanwhile}) When the target
 * was written by another process since it was judged.
 */
export function placeImage(
  partial: string,
  target: string,
  judged: JudgedTarget,
  o: OverwriteRule,
): void {
  if (judged.state === "new") {
    try {
      Deno.linkSync(partial, target);
      Deno.removeSync(partial);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw writtenMeanwhile(target, o);
      if (!(e instanceof Deno.errors.NotSupported || isNoLink(e))) throw e;
    }
  }
  if (changedSince(target, judged)) throw writtenMeanwhile(target, o);
  Deno.renameSync(partial, target);
}

/** link(2)'s `code`s on a file system without hard links (or out of links for this file). */
const NO_LINK_CODES = new Set(["EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP"]);

/** True for file systems without hard links (EPERM, EMLINK, ENOTSUP from link(2)), by `code`. */
function isNoLink(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && NO_LINK_CODES.has(code);
}

/**
 * The records whose file is the file at `path` (by device and inode), so that
 * replacing it can drop them rather than leave records naming another image.
 */
export function recordsNaming(catalogue: Catalogue | undefined, path: string): ImageRecord[] {
  if (!catalogue) return [];
  let file: Deno.FileInfo;
  try {
    file = Deno.statSync(path);
  } catch {
    return [];
  }
  return catalogue.all().filter((r) => {
    if (r.image === null) return false;
    try {
      const other = Deno.statSync(r.image);
      return other.dev === file.dev && other.ino === file.ino;
    } catch {
      return false;
    }
  });
}
