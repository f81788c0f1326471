/**
 * Schemas (valibot) of the JSON files the store writes and other sregistry
 * processes read back: lock files (`{host, pid, since}`), pin files of the
 * blob cache (`{host, pid, digests}`), and the blob cache's `index.json` (an
 * OCI image index, image-spec `image-layout.md`). A file another process
 * half wrote, or that someone edited, must not crash the reader.
 * @module
 */
import * as v from "valibot";
import { jsonObject } from "../document.ts";
import { ImageIndexSchema } from "../image/schemas.ts";

/** A lock file's owner. */
export const LockOwnerSchema = jsonObject({
  host: v.string(),
  pid: v.pipe(
    v.number(),
    v.safeInteger("is not a process id"),
    v.minValue(1, "is not a process id"),
  ),
  since: v.string(),
});

/** A pin file: the blobs a live pull uses. */
export const PinSchema = jsonObject({
  host: v.string(),
  pid: v.pipe(
    v.number(),
    v.safeInteger("is not a process id"),
    v.minValue(1, "is not a process id"),
  ),
  digests: v.array(v.string()),
});

/** The blob cache's `index.json`. */
export const CacheIndexSchema = ImageIndexSchema;

/**
 * A lock file's owner, or undefined when the text is not a valid owner
 * (empty, half written, garbage): the caller then knows nothing of the owner.
 */
export function parseLockOwner(text: string): v.InferOutput<typeof LockOwnerSchema> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.length > 64 * 1024 ? "" : text);
  } catch {
    return undefined;
  }
  const r = v.safeParse(LockOwnerSchema, value);
  return r.success ? r.output : undefined;
}
