/**
 * A minimal tar writer: ustar headers, with a PAX extended header in front
 * when a name or link target does not fit its field or a number overflows
 * (long and non-ASCII names stay exact). Names and link targets are byte
 * strings (`../byte_string.ts`), written byte for byte, UTF-8 or not. Bodies
 * are written by the caller, followed by {@link padding}.
 * @module
 */
import { type ByteString, byteStringToBytes } from "../byte_string.ts";

/** Entry types this writer emits. */
export type PackType = "file" | "dir" | "symlink" | "link" | "char" | "block" | "fifo";

/** One header to encode. */
export interface PackHeader {
  /** The member name, a byte string. */
  name: ByteString;
  type: PackType;
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  size?: number;
  /** The link target, a byte string. */
  linkname?: ByteString;
  devmajor?: number;
  devminor?: number;
}

const FLAGS: Record<PackType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

const encoder = new TextEncoder();
const USTAR = encoder.encode("ustar\x0000");

/** Two zero blocks: the end of the archive. */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(1024);

/** Zero bytes completing a body of `size` bytes to a 512-byte block. */
export function padding(size: number): Uint8Array {
  const rest = size % 512;
  return new Uint8Array(rest === 0 ? 0 : 512 - rest);
}

function writeString(block: Uint8Array, offset: number, length: number, bytes: Uint8Array) {
  block.set(bytes.subarray(0, length), offset);
}

/** Writes `value` as octal into a field of `length` bytes (digits, then NUL); false when it does not fit. */
function writeOctal(block: Uint8Array, offset: number, length: number, value: number): boolean {
  let v = Math.max(0, Math.floor(value));
  if (v >= 8 ** (length - 1)) return false;
  for (let i = offset + length - 2; i >= offset; i--) {
    block[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  return true;
}

/** A PAX record, as a byte string (`value` is one). */
function paxRecord(key: string, value: ByteString): ByteString {
  const body = ` ${key}=${value}\n`;
  const bodyLength = body.length;
  const digits = String(bodyLength).length;
  let length = bodyLength + digits;
  if (String(length).length > digits) length++;
  return `${length}${body}`;
}

function ustar(h: PackHeader, name: Uint8Array, link: Uint8Array, pax: string[]): Uint8Array {
  const block = new Uint8Array(512);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, h.mode & 0o7777);
  if (!writeOctal(block, 108, 8, h.uid)) pax.push(paxRecord("uid", String(h.uid)));
  if (!writeOctal(block, 116, 8, h.gid)) pax.push(paxRecord("gid", String(h.gid)));
  const size = h.size ?? 0;
  if (!writeOctal(block, 124, 12, size)) pax.push(paxRecord("size", String(size)));
  if (!writeOctal(block, 136, 12, h.mtime) || h.mtime < 0) {
    pax.push(paxRecord("mtime", String(Math.floor(h.mtime))));
  }
  block[156] = FLAGS[h.type].charCodeAt(0);
  writeString(block, 157, 100, link);
  block.set(USTAR, 257);
  writeOctal(block, 329, 8, h.devmajor ?? 0);
  writeOctal(block, 337, 8, h.devminor ?? 0);
  fixChecksum(block);
  return block;
}

/** The header of a regular file at `path` with `inode`'s attributes. */
export function fileHeader(
  path: string,
  inode: { mode: number; uid: number; gid: number; size: number; mtime: number },
): PackHeader {
  const { mode, uid, gid, size } = inode;
  return { name: path, type: "file", mode, uid, gid, size, mtime: Math.floor(inode.mtime) };
}

/** The header block(s) of one entry: a PAX `x` header and its records when needed, then ustar. */
export function encodeHeader(h: PackHeader): Uint8Array {
  const name = byteStringToBytes(h.name);
  const link = byteStringToBytes(h.linkname ?? "");
  const pax: string[] = [];
  if (name.length > 100) pax.push(paxRecord("path", h.name));
  if (link.length > 100) pax.push(paxRecord("linkpath", h.linkname!));
  const main = ustar(h, name, link, pax);
  if (pax.length === 0) return main;
  const records = byteStringToBytes(pax.join(""));
  const paxHeader = ustar(
    {
      name: "PaxHeader",
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: records.length,
    },
    encoder.encode("PaxHeader"),
    new Uint8Array(0),
    [],
  );
  paxHeader[156] = "x".charCodeAt(0);
  fixChecksum(paxHeader);
  const pad = padding(records.length);
  const out = new Uint8Array(512 + records.length + pad.length + 512);
  out.set(paxHeader, 0);
  out.set(records, 512);
  out.set(main, 512 + records.length + pad.length);
  return out;
}

function fixChecksum(block: Uint8Array): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i];
  writeOctal(block, 148, 7, sum); // six digits,
  block[154] = 0; // then NUL and the space already there
}

const BATCH = 256 * 1024;
/** Bodies at least this large are passed on as they are, not copied. */
const PASS_THROUGH = 64 * 1024;

/**
 * Collects a tar stream's pieces into large chunks, so a consumer gets a few
 * 256 KiB writes instead of one per header. {@link PackBuffer.take} hands
 * over what is complete.
 */
export class PackBuffer {
  #chunks: Uint8Array[] = [];
  #batch = new Uint8Array(BATCH);
  #used = 0;

  /** Appends `h`'s header block(s). */
  header(h: PackHeader): void {
    this.bytes(encodeHeader(h));
  }

  /** Appends raw bytes (a body slice); copied unless large. */
  bytes(chunk: Uint8Array): void {
    if (chunk.length >= PASS_THROUGH) {
      this.#flush();
      this.#chunks.push(chunk);
      return;
    }
    if (this.#used + chunk.length > BATCH) this.#flush();
    this.#batch.set(chunk, this.#used);
    this.#used += chunk.length;
  }

  /** Appends the zero padding after a body of `size` bytes. */
  pad(size: number): void {
    const rest = size % 512;
    if (rest !== 0) this.bytes(ZEROS.subarray(0, 512 - rest));
  }

  /** The chunks completed so far (and, with `all`, the partial batch too). */
  take(all = false): Uint8Array[] {
    if (all) this.#flush();
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.#chunks.push(this.#batch.subarray(0, this.#used));
    this.#batch = new Uint8Array(BATCH);
    this.#used = 0;
  }
}

const ZEROS = new Uint8Array(512);
