/**
 * One entry's header from its block and the meta entries before it: the
 * {@link TarHeader} type the reader gives its visitor, the one header shape
 * from the reader to the layer engine's backends. Names are byte strings.
 * @module
 */
import { type ByteString, byteStringToBytes, displayName } from "../byte_string.ts";
import { field, isStar, isUstar, number, TarFormatError } from "./_fields.ts";

/** Entry types as the extractor names them; PAX and GNU meta entries never reach the visitor. */
export type TarType =
  | "file"
  | "link"
  | "symlink"
  | "char"
  | "block"
  | "directory"
  | "fifo"
  | "other";

/** One entry's header, PAX records, GNU long names and GNU sparse maps applied. */
export interface TarHeader {
  /** The member name as stored: a byte string (bytes, not necessarily UTF-8). */
  name: ByteString;
  /** The link target as stored: a byte string. */
  linkname: ByteString;
  type: TarType;
  /** The typeflag character, for messages about `other` entries. */
  typeflag: string;
  /** Bytes of body that follow (0 for header-only types); a sparse file's real size. */
  size: number;
  /** Permission bits with setuid, setgid and sticky (the mode field & 0o7777). */
  mode: number;
  /** The PAX `uid` when well formed, else the header field. */
  uid: number;
  /** The PAX `gid` when well formed, else the header field. */
  gid: number;
  /** Seconds since the epoch: the PAX `mtime` (may be fractional) when well formed, else the header field. */
  mtime: number;
  /** Seconds since the epoch: the PAX `atime` when well formed, else `mtime`. */
  atime: number;
  devmajor: number;
  devminor: number;
  /**
   * The entry's PAX records, key to value, both byte strings (so
   * `SCHILY.xattr.*` values are the attribute's bytes, `byteStringToBytes`
   * gives them back); empty when it has none.
   */
  pax: Record<ByteString, ByteString>;
  /** The `SCHILY.xattr.*` records: full attribute name to value bytes; undefined when none. */
  xattrs?: Map<ByteString, Uint8Array>;
}

/** Receives the archive's entries in order (the reader's visitor). */
export interface TarVisitor {
  /** An entry starts; its `size` bytes of body follow through `body`, then `end`. */
  header(h: TarHeader): void;
  /**
   * A slice of the current entry's body: a view of the written chunk (or, for
   * a sparse file's hole, of a shared zero buffer), not a copy; never modify it.
   */
  body(chunk: Uint8Array): void;
  /** The current entry's body is complete. */
  end(): void;
  /**
   * `n` zero bytes of the current entry's body: a hole of a sparse file
   * (never 0). Without this method the reader gives holes to `body` as
   * slices of a shared zero buffer.
   */
  hole?(n: number): void;
}

/** Types that never have a body, whatever their size field says. */
export const HEADER_ONLY = new Set<TarType>([
  "link",
  "symlink",
  "char",
  "block",
  "directory",
  "fifo",
]);
const TYPES: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
};

/** What the next entry inherits from PAX and GNU meta entries before it. */
export interface Pending {
  pax?: Record<string, string>;
  longName?: ByteString;
  longLink?: ByteString;
}

/**
 * The header of the entry in `block`, with what the meta entries before it
 * (`pending`) give: GNU long names, then PAX `path`, `linkpath` and `size`.
 * Throws {@link TarFormatError} on a bad number.
 */
export function entryHeader(
  block: Uint8Array,
  typeflag: string,
  size: number,
  pending: Pending,
): TarHeader {
  const pax = pending.pax ?? {};
  let name = pending.longName ?? field(block, 0, 100);
  if (pending.longName === undefined && isUstar(block)) {
    const prefix = field(block, 345, isStar(block) ? 131 : 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  let type = TYPES[typeflag] ?? "other";
  if (typeflag === "\0" && name.endsWith("/")) type = "directory";
  if (pax.path !== undefined) name = pax.path;
  const linkname = pax.linkpath ?? pending.longLink ?? field(block, 157, 100);
  const bad: Bad = (what, value, rule) =>
    new TarFormatError(
      `invalid header: entry ${quote(name)} has ${what}${quote(value)}, which is not ${rule}`,
    );
  if (pax.size) {
    if (!/^\d{1,16}$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) {
      throw bad("the PAX record size=", pax.size, "a decimal number of bytes");
    }
    size = Number(pax.size);
  }
  const mtime = paxTime(pax.mtime, number(block, 136, 12, "mtime", true), "mtime", bad);
  paxTime(pax.ctime, 0, "ctime", bad); // checked, not kept (as Go's archive/tar)
  const id = (key: "uid" | "gid", offset: number) => {
    const header = number(block, offset, 8, key);
    const value = pax[key] ? paxInt(pax[key], key, bad) : header;
    if (value > MAX_ID) throw bad(`the ${key} field `, String(value), `an id from 0 to ${MAX_ID}`);
    return value;
  };
  return {
    name,
    linkname,
    type,
    typeflag,
    size: HEADER_ONLY.has(type) ? 0 : size,
    mode: number(block, 100, 8, "mode") & 0o7777,
    uid: id("uid", 108),
    gid: id("gid", 116),
    mtime,
    atime: paxTime(pax.atime, mtime, "atime", bad),
    devmajor: type === "char" || type === "block" ? number(block, 329, 8, "devmajor") : 0,
    devminor: type === "char" || type === "block" ? number(block, 337, 8, "devminor") : 0,
    pax,
    xattrs: paxXattrs(pax),
  };
}

const XATTR = "SCHILY.xattr.";

/**
 * Largest owner id kept: Linux's `uid_t` and squashfs's id table are 32-bit
 * unsigned, and `(uid_t)-1` (4294967295) means "no change" to `chown(2)`.
 */
export const MAX_ID = 0xfffffffe;

type Bad = (what: string, value: string, rule: string) => TarFormatError;

/** `s` quoted for a message, shortened past 100 characters. */
function quote(s: string): string {
  return JSON.stringify(displayName(s.length > 100 ? `${s.slice(0, 60)}...${s.slice(-30)}` : s));
}

/** A PAX `uid` or `gid` record: decimal digits only, at most {@link MAX_ID}. */
function paxInt(value: string, key: string, bad: Bad): number {
  const rule = `a decimal id from 0 to ${MAX_ID}`;
  if (!/^\d+$/.test(value) || Number(value) > MAX_ID) {
    throw bad(`the PAX record ${key}=`, value, rule);
  }
  return Number(value);
}

/**
 * A PAX time record (`[-+]seconds[.fraction]`, seconds within a signed 64-bit
 * integer, as Go's archive/tar `parsePAXTime`); an absent or empty record is
 * `fallback` (POSIX: an empty value removes the record).
 */
function paxTime(value: string | undefined, fallback: number, key: string, bad: Bad): number {
  if (!value) return fallback;
  const m = /^([-+]?)(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m || BigInt(m[2]) > 0x7fffffffffffffffn) {
    throw bad(`the PAX record ${key}=`, value, "a decimal number of seconds");
  }
  return Number(value.endsWith(".") ? value.slice(0, -1) : value);
}

/** The `SCHILY.xattr.*` records of `pax` (their values are bytes), or undefined when none. */
function paxXattrs(pax: Record<ByteString, ByteString>): Map<ByteString, Uint8Array> | undefined {
  let xattrs: Map<ByteString, Uint8Array> | undefined;
  for (const key in pax) {
    if (!key.startsWith(XATTR)) continue;
    xattrs ??= new Map();
    xattrs.set(key.slice(XATTR.length), byteStringToBytes(pax[key]));
  }
  return xattrs;
}
