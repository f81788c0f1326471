/**
 * How the commands name a catalogue record in their messages, pure.
 * @module
 */
import type { ImageRecord } from "../store/record.ts";

/** `registry/collection/name:tag@digest` of a record. */
export function displayName(r: ImageRecord): string {
  const prefix = r.registry && r.registry !== "docker.io" ? `${r.registry}/` : "";
  return `${prefix}${r.collection}/${r.name}:${r.tag}${r.version ? "@" + r.version : ""}`;
}
