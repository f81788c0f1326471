/**
 * The scripting API: `pull`, `images`, `get`, `inspect`, `rm`, `mv`, `rename`
 * and `add`, reading the
 * same settings, settings file, credentials, mirrors and paths as the
 * `sregistry` command (through the one wiring, {@linkcode Session}). Each call
 * opens what it needs and closes it, unless a `session` is passed to share.
 * Nothing is printed: progress and warnings go to `onEvent`.
 * @module
 */
import type { PullResult } from "../pull/pull.ts";
import type { ImageRecord } from "../store/record.ts";
import { addImage } from "./add.ts";
import { moveImage, removeImage, renameImage } from "./catalogue.ts";
import { findImage, imageFile } from "./find.ts";
import { type PullOptions, runPull } from "./pull.ts";
import { Session, type SessionOptions } from "./session.ts";

/** Where a call reads its settings: a shared session, or a new one from `env`. */
export interface ApiOptions extends SessionOptions {
  /** A session to use (and leave open); else one is made from the other fields and closed. */
  session?: Session;
}

async function withSession<T>(options: ApiOptions, fn: (s: Session) => T | Promise<T>) {
  if (options.session) return await fn(options.session);
  using session = new Session(options);
  return await fn(session);
}

/**
 * Pulls an image into a SIF file recorded in the catalogue (or a sandbox), as
 * `sregistry pull` does.
 *
 * @param reference `busybox`, `docker://ghcr.io/o/i:1`, `oci-archive:FILE`, ...
 * @param options pull options ({@linkcode PullOptions}) and where settings come from
 * @returns `{ path, record, reused, downloaded }`: the SIF path, its catalogue
 *   record (none with `noCache`), whether an existing image was reused, bytes downloaded
 * @throws {UsageError} for bad options or a scheme sregistry does not pull
 * @throws {RegistryError} when the registry refuses or fails
 * @throws {SregistryError} for other failures (disk full, no builder, ...)
 * @example
 * ```ts ignore
 * import { pull } from "./api.ts";
 * const { path } = await pull("busybox:latest");
 * ```
 */
export function pull(
  reference: string,
  options: PullOptions & ApiOptions = {},
): Promise<PullResult> {
  return withSession(options, (s) => runPull(s, reference, options));
}

/**
 * The catalogue's records, newest first, optionally only those whose name,
 * tag or reference contains one of `query`.
 *
 * @throws {SregistryError} when the catalogue is disabled
 */
export function images(
  query: string | string[] = [],
  options: ApiOptions = {},
): Promise<ImageRecord[]> {
  const queries = typeof query === "string" ? [query] : query;
  return withSession(
    options,
    (s) => s.requireCatalogue("list images", { readOnly: true }).search(queries),
  );
}

/**
 * The catalogue record `reference` names (the newest version, or `@digest`'s).
 *
 * @throws {SregistryError} when no record matches or the catalogue is disabled
 */
export function inspect(reference: string, options: ApiOptions = {}): Promise<ImageRecord> {
  return withSession(
    options,
    (s) => findImage(s.requireCatalogue(`inspect ${reference}`, { readOnly: true }), reference),
  );
}

/**
 * The path of the SIF file `reference` names.
 *
 * @throws {SregistryError} when no record matches, or its file is gone
 */
export function get(reference: string, options: ApiOptions = {}): Promise<string> {
  return withSession(options, (s) => {
    return imageFile(s.requireCatalogue(`get ${reference}`, { readOnly: true }), reference);
  });
}

/**
 * Removes the record `reference` names and its file (a file already gone is
 * not an error).
 *
 * @returns the removed record
 * @throws {SregistryError} when no record matches or the catalogue is disabled
 */
export function rm(reference: string, options: ApiOptions = {}): Promise<ImageRecord> {
  return withSession(options, (s) => {
    const catalogue = s.requireCatalogue(`remove ${reference}`);
    return removeImage(catalogue, reference).record;
  });
}

/**
 * Moves the image's file to `path` (a file name, or a folder to move it
 * into) and records it there, as `sregistry mv` does.
 *
 * @returns the new path
 * @throws {UsageError} when the image is already there
 * @throws {SregistryError} when no record matches, it has no file, or the target exists
 */
export function mv(reference: string, path: string, options: ApiOptions = {}): Promise<string> {
  return withSession(
    options,
    (s) => moveImage(s.requireCatalogue(`move ${reference}`), reference, path),
  );
}

/**
 * Gives the image a new reference, its file moving to that reference's place
 * in the storage folder, as `sregistry rename` does.
 *
 * @returns the file's new path
 * @throws {SregistryError} when no record matches or another file is at the new place
 */
export function rename(
  reference: string,
  newReference: string,
  options: ApiOptions = {},
): Promise<string> {
  return withSession(options, (s) =>
    renameImage(
      s.requireCatalogue(`rename ${reference}`),
      reference,
      newReference,
      s.settings.storageDir,
    ));
}

/**
 * Records the local SIF `file` under `name`, moving it (or with `copy`,
 * copying it) into the storage folder, as `sregistry add` does.
 *
 * @returns the new record
 * @throws {SregistryError} when the file is not a SIF (without `force`) or the storage path is taken
 */
export function add(
  file: string,
  name: string,
  options: ApiOptions & { copy?: boolean; force?: boolean } = {},
): Promise<ImageRecord> {
  return withSession(options, (s) =>
    addImage(() => s.requireCatalogue(`add ${file}`), file, {
      name,
      storageDir: s.settings.storageDir,
      copy: options.copy,
      force: options.force,
    }));
}
