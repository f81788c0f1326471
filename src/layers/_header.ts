/**
 * Normalises a parsed tar header into the fields the extractor uses, taking
 * PAX `uid`, `gid`, `mtime` and `atime` when they are well formed.
 * @module
 */
import { type ByteString, byteStringToBytes } from "../byte_string.ts";
import type { TarHeader, TarType } from "./tar_reader.ts";

/** Entry kinds the extractor handles; `other` is skipped with a warning. */
export type EntryKind = Exclude<TarType, "other">;

/** A validated header. */
export interface EntryHeader {
  kind: EntryKind | "other";
  /** The member name as stored (a byte string: bytes, maybe not UTF-8). */
  name: ByteString;
  /** The link target as stored (a byte string). */
  linkname: ByteString;
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
  /** `SCHILY.xattr.*` records: full attribute name to value; undefined when none. */
  xattrs?: Map<ByteString, Uint8Array>;
}

const XATTR = "SCHILY.xattr.";

function paxInt(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : fallback;
}

function paxTime(value: string | undefined, fallback: number): number {
  return value !== undefined && /^-?\d{1,15}(\.\d+)?$/.test(value) ? Number(value) : fallback;
}

/** The extractor's view of `h`. */
export function readHeader(h: TarHeader): EntryHeader {
  const pax = h.pax;
  const mtime = paxTime(pax.mtime, h.mtime);
  let xattrs: Map<ByteString, Uint8Array> | undefined;
  for (const key in pax) {
    if (!key.startsWith(XATTR)) continue;
    xattrs ??= new Map();
    xattrs.set(key.slice(XATTR.length), byteStringToBytes(pax[key])); // PAX records are bytes
  }
  return {
    kind: h.type,
    name: h.name,
    linkname: h.linkname,
    size: h.size,
    mode: h.mode & 0o7777,
    uid: paxInt(pax.uid, h.uid),
    gid: paxInt(pax.gid, h.gid),
    mtime,
    atime: paxTime(pax.atime, mtime),
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs,
  };
}
