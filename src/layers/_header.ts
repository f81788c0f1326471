/**
 * Normalises a tar-stream header into the fields the extractor uses, taking
 * PAX `uid`, `gid`, `mtime` and `atime` when they are well formed, and
 * refusing sizes that are not non-negative integers.
 * @module
 */
// @ts-types="npm:@types/tar-stream@3.1.5"
import type tar from "tar-stream";

/** Entry kinds the extractor handles; `other` is skipped with a warning. */
export type EntryKind = "file" | "directory" | "symlink" | "link" | "char" | "block" | "fifo";

/** A validated header. */
export interface EntryHeader {
  kind: EntryKind | "other";
  /** tar-stream's type name, for messages. */
  typeName: string;
  name: string;
  linkname: string;
  size: number;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (may be fractional). */
  mtime: number;
  atime: number;
  devmajor: number;
  devminor: number;
  /** Names of `SCHILY.xattr.*` records. */
  xattrs: string[];
}

const KINDS: Record<string, EntryKind> = {
  file: "file",
  "contiguous-file": "file",
  directory: "directory",
  symlink: "symlink",
  link: "link",
  "character-device": "char",
  "block-device": "block",
  fifo: "fifo",
};

function paxInt(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : fallback;
}

function paxTime(value: string | undefined, fallback: number): number {
  return value !== undefined && /^-?\d{1,15}(\.\d+)?$/.test(value) ? Number(value) : fallback;
}

/** Validates and normalises `h`; throws `Error` with the reason when it cannot be used. */
export function readHeader(h: tar.Headers): EntryHeader {
  const pax = ((h as { pax?: Record<string, string> }).pax ?? {}) as Record<string, string>;
  const size = h.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new Error(`size ${JSON.stringify(pax.size ?? String(size))} is not a valid size`);
  }
  const headerMtime = h.mtime ? h.mtime.getTime() / 1000 : 0;
  const mtime = paxTime(pax.mtime, Number.isFinite(headerMtime) ? headerMtime : 0);
  const typeName = h.type ?? "unknown";
  return {
    kind: KINDS[typeName] ?? "other",
    typeName,
    name: h.name,
    linkname: h.linkname ?? "",
    size,
    mode: (h.mode ?? 0) & 0o7777,
    uid: paxInt(pax.uid, h.uid ?? 0),
    gid: paxInt(pax.gid, h.gid ?? 0),
    mtime,
    atime: paxTime(pax.atime, mtime),
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
    xattrs: Object.keys(pax).filter((k) => k.startsWith("SCHILY.xattr.")),
  };
}
