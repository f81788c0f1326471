/**
 * Finding the catalogue record a reference names, as `get`, `inspect` and
 * `rm` do: the newest version of `repo:tag`, or the one named by `@digest`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import type { ImageRecord } from "../store/record.ts";
import { storageNames } from "../store/storage_paths.ts";

/**
 * The record `reference` names.
 *
 * @param catalogue the open catalogue
 * @param reference `busybox`, `ghcr.io/o/i:1`, `busybox@sha256:<hex>`
 * @returns the newest matching record (or the one with that version digest)
 * @throws {ReferenceSyntaxError} for a malformed reference
 * @throws {SregistryError} when no record matches
 */
export function findImage(catalogue: Catalogue, reference: string): ImageRecord {
  const ref = parseReference(reference);
  const names = storageNames(ref);
  // `repo@digest` names a version under any tag; `repo` alone is `repo:latest`.
  const record = catalogue.find({ ...names, tag: ref.tag, version: ref.digest });
  if (!record) {
    throw new SregistryError(
      `Cannot find ${reference}: no such image in the catalogue: run "sregistry images" to list them, or "sregistry pull ${reference}"`,
    );
  }
  return record;
}
