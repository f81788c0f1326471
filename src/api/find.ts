/**
 * Finding the catalogue record a reference names, as `get`, `inspect` and
 * `rm` do (the CLI and the scripting API alike): an ID as `images` shows it
 * (the row number, or 12 or more hex digits of the digest), else the newest
 * version of `repo:tag`, or the one named by `@digest`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { parseReference } from "../reference.ts";
import type { Catalogue } from "../store/catalogue.ts";
import { isMissing } from "../store/file_exists.ts";
import { type ImageRecord, recordName } from "../store/record.ts";
import { storageNames } from "../store/storage_paths.ts";

/**
 * The record an ID of `images` names: its row number or a digest prefix (12+
 * hex digits). A digest's first 12 hex digits can all be decimal (about one
 * digest in 280): such a prefix is tried as a row number first, then as a
 * digest.
 */
function findById(catalogue: Catalogue, id: string): ImageRecord | undefined {
  if (/^\d+$/.test(id)) {
    const record = catalogue.get(Number(id));
    if (record) return record;
  }
  const prefix = id.match(/^(?:sha256:)?([0-9a-f]{12,64})$/)?.[1];
  if (!prefix) return undefined;
  const found = catalogue.findByVersionPrefix(`sha256:${prefix}`);
  if (found.length > 1) {
    throw new SregistryError(
      `Cannot find ${id}: ${found.length} images have a digest starting with it: give more digits or the ID from "sregistry images"`,
    );
  }
  return found[0];
}

/**
 * The record `reference` names.
 *
 * @param catalogue the open catalogue
 * @param reference an ID from `images` (`3`, `1a2b3c4d5e6f`), or `busybox`,
 *   `ghcr.io/o/i:1`, `busybox@sha256:<hex>`
 * @returns the record with that ID, else the newest matching record (or the one
 *   with that version digest)
 * @throws {ReferenceSyntaxError} for a malformed reference
 * @throws {SregistryError} when no record matches, or a digest prefix matches several
 */
export function findImage(catalogue: Catalogue, reference: string): ImageRecord {
  const byId = findById(catalogue, reference);
  if (byId) return byId;
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

/**
 * The SIF file (or URL) of the record `reference` names, as `get` prints it.
 *
 * @throws {SregistryError} when no record matches, or its file is gone (a
 *   refused stat is not "gone": the path is returned and the caller's open fails)
 */
export function imageFile(catalogue: Catalogue, reference: string): string {
  const r = findImage(catalogue, reference);
  if (r.image && isMissing(r.image)) {
    throw new SregistryError(
      `Cannot get ${reference}: its file ${r.image} is gone: pull it again with "sregistry pull --force ${
        recordName(r)
      }", or remove the record with "sregistry rm ${r.id}"`,
    );
  }
  return r.image ?? r.url ?? "";
}
