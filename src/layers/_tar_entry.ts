/**
 * One entry's header from its block and the meta entries before it: the
 * {@link TarHeader} type the reader gives its visitor. Names are byte strings.
 * @module
 */
import { type ByteString, displayName } from "../byte_string.ts";
import { field, isStar, isUstar, number, TarFormatError } from "./_tar_fields.ts";

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
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, from the header field. */
  mtime: number;
  devmajor: number;
  devminor: number;
  /**
   * The entry's PAX records, key to value, both byte strings (so
   * `SCHILY.xattr.*` values are the attribute's bytes, `byteStringToBytes`
   * gives them back); empty when it has none.
   */
  pax: Record<ByteString, ByteString>;
}

/** Receives the archive/** Types that never have a body, whatever their size field says. */
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
  if (pax.size !== undefined) {
    if (!/^\d{1,16}$/.test(pax.size) || !Number.isSafeInteger(Number(pax.size))) {
      throw new TarFormatError(
        `invalid header: the PAX size ${JSON.stringify(displayName(pax.size))} is not a number`,
      );
    }
    size = Number(pax.size);
  }
  return {
    name,
    linkname,
    type,
    typeflag,
    size: HEADER_ONLY.has(type) ? 0 : size,
    mode: number(block, 100, 8, "mode"),
    uid: number(block, 108, 8, "uid"),
    gid: number(block, 116, 8, "gid"),
    mtime: number(block, 136, 12, "mtime"),
    devmajor: type === "char" || type === "block" ? number(block, 329, 8, "devmajor") : 0,
    devminor: type === "char" || type === "block" ? number(block, 337, 8, "devminor") : 0,
    pax,
  };
}
