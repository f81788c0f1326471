/**
 * Normalises a parsed tar header into the fields the extractor uses, taking
 * PAX `uid`, `gid`, `mtime` and `atime` when they are well formed.
 * @module
 */
import type { ByteString } from "../byte_string.ts";
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
  /** Keys of the `SCHILY.xattr.*` records (byte strings). */
  xattrs: ByteString[];
}

const NO_XATTRS: string[] = [];

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
  let xattrs = NO_XATTRS;
  for (const key in pax) {
    if (key.startsWith("SCHILY.xattr.")) {
      xattrs = Object.keys(pax).filter((k) => k.startsWith("SCHILY.xattr."));
      break;
    }
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
