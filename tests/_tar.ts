/**
 * A small tar writer for tests: ustar headers plus PAX records for long names,
 * long link targets and any extra keys, so layers are built in code rather than
 * committed as opaque tarballs. Raw header bytes are reachable through
 * `rawHeader` for tests that need broken archives.
 * @module
 */

import { byteStringToBytes } from "../src/byte_string.ts";

/** One member of a test archive. */
export interface TarEntry {
  /** Text, written as UTF-8; with `byteNames`, a byte string written byte for byte. */
  name: string;
  /** `name`, `linkname` and PAX values are byte strings (names that are not UTF-8). */
  byteNames?: boolean;
  type?: "file" | "directory" | "symlink" | "link" | "char" | "block" | "fifo";
  content?: Uint8Array | string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; default 1_600_000_000. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records (for example `SCHILY.xattr.user.x`). */
  pax?: Record<string, string>;
}

const TYPEFLAG: Record<NonNullable<TarEntry["type"]>, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
};

const encoder = new TextEncoder();

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** A 512-byte ustar header; `name` and `linkname` must already fit. */
export function rawHeader(fields: {
  name: string;
  typeflag: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  /** `name`, `linkname` and `prefix` are byte strings. */
  byteNames?: boolean;
}): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, offset: number, width: number, bytes = false) => {
    const b = bytes ? byteStringToBytes(text) : encoder.encode(text);
    h.set(b.subarray(0, width), offset);
  };
  put(fields.name, 0, 100, fields.byteNames);
  put(octal(fields.mode ?? 0o644, 8), 100, 8);
  put(octal(fields.uid ?? 0, 8), 108, 8);
  put(octal(fields.gid ?? 0, 8), 116, 8);
  put(octal(fields.size ?? 0, 12), 124, 12);
  put(octal(fields.mtime ?? 1_600_000_000, 12), 136, 12);
  put("        ", 148, 8);
  put(fields.typeflag, 156, 1);
  put(fields.linkname ?? "", 157, 100, fields.byteNames);
  put("ustar\x0000", 257, 8);
  put(octal(fields.devmajor ?? 0, 8), 329, 8);
  put(octal(fields.devminor ?? 0, 8), 337, 8);
  put(fields.prefix ?? "", 345, 155, fields.byteNames);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, new Uint8Array(512 - rest)];
}

/** PAX records (an object, or pairs for repeated keys); with `bytes`, byte strings. */
export function paxRecords(
  records: Record<string, string> | [string, string][],
  bytes = false,
): Uint8Array {
  const encode = bytes ? byteStringToBytes : (s: string) => encoder.encode(s);
  const parts: Uint8Array[] = [];
  for (const [key, value] of Array.isArray(records) ? records : Object.entries(records)) {
    const body = encode(` ${key}=${value}\n`);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(encoder.encode(String(len)), body);
  }
  return concat(parts);
}

/** Serialises entries into a complete tar archive (with the two zero blocks). */
export function buildTar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const type = e.type ?? "file";
    const content = typeof e.content === "string" ? encoder.encode(e.content) : e.content ??
      new Uint8Array();
    const pax: Record<string, string> = { ...e.pax };
    let name = e.name;
    const length = (s: string) => e.byteNames ? s.length : encoder.encode(s).length;
    if (type === "directory" && !name.endsWith("/")) name += "/";
    if (length(name) > 100) pax.path = name;
    if (e.linkname && length(e.linkname) > 100) pax.linkpath = e.linkname;
    if (Object.keys(pax).length > 0) {
      const body = paxRecords(pax, e.byteNames);
      parts.push(rawHeader({ name: "PaxHeader", typeflag: "x", size: body.length }));
      parts.push(...padded(body));
    }
    parts.push(rawHeader({
      name: pax.path ? name.slice(0, 99) : name,
      typeflag: TYPEFLAG[type],
      size: type === "file" ? content.length : 0,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      linkname: pax.linkpath ? e.linkname!.slice(0, 99) : e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      byteNames: e.byteNames,
    }));
    if (type === "file") parts.push(...padded(content));
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

/** Joins byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The sparse forms GNU tar writes: old GNU (`S`), and PAX 0.0, 0.1 and 1.0. */
export type SparseForm = "gnu" | "0.0" | "0.1" | "1.0";

/** A sparse file: its name (byte string), real size, data regions and their bytes. */
export interface SparseSpec {
  name: string;
  realSize: number;
  /** `[offset0, length0, offset1, length1, ...]`. */
  map: number[];
  /** The regions' bytes, concatenated (as long as the lengths add up to, unless testing). */
  data: Uint8Array;
}

function pad(parts: Uint8Array[], data: Uint8Array): void {
  parts.push(data);
  if (data.length % 512) parts.push(new Uint8Array(512 - data.length % 512));
}

function xHeader(parts: Uint8Array[], records: [string, string][]): void {
  const body = paxRecords(records, true);
  parts.push(rawHeader({ name: "PaxHeader", typeflag: "x", size: body.length }));
  pad(parts, body);
}

function octalInto(h: Uint8Array, offset: number, value: number): void {
  h.set(encoder.encode(octal(value, 12)), offset);
}

/** Recomputes a header's checksum after its bytes were changed. */
export function resum(h: Uint8Array): Uint8Array {
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return h;
}

/** The GNU tar encoding of a sparse file in `form` (no end-of-archive marker). */
export function sparseTar(form: SparseForm, spec: SparseSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  const pairs = (n: number) => Array.from({ length: n }, (_, i) => i);
  const count = spec.map.length / 2;
  const base = spec.name.slice(spec.name.lastIndexOf("/") + 1);
  const fake = `GNUSparseFile.0/${base}`.slice(0, 99);
  const header = (name: string, typeflag: string, size: number) =>
    rawHeader({ name, typeflag, size, byteNames: true });
  if (form === "gnu") {
    const h = header(spec.name, "S", spec.data.length);
    h.set(encoder.encode("ustar  \0"), 257);
    octalInto(h, 483, spec.realSize);
    const blocks = [h];
    for (let i = 0, slot = 0, block = h, at = 386, slots = 4; i < count; i++, slot++) {
      if (slot === slots) {
        block[at + slots * 24] = 1; // is extended
        block = new Uint8Array(512);
        blocks.push(block);
        [slot, at, slots] = [0, 0, 21];
      }
      octalInto(block, at + slot * 24, spec.map[2 * i]);
      octalInto(block, at + slot * 24 + 12, spec.map[2 * i + 1]);
    }
    parts.push(resum(h), ...blocks.slice(1));
    pad(parts, spec.data);
  } else if (form === "0.0") {
    const records: [string, string][] = [
      ["GNU.sparse.size", String(spec.realSize)],
      ["GNU.sparse.numblocks", String(count)],
    ];
    for (const i of pairs(count)) {
      records.push(["GNU.sparse.offset", String(spec.map[2 * i])]);
      records.push(["GNU.sparse.numbytes", String(spec.map[2 * i + 1])]);
    }
    xHeader(parts, records);
    parts.push(header(spec.name.slice(0, 99), "0", spec.data.length));
    pad(parts, spec.data);
  } else if (form === "0.1") {
    xHeader(parts, [
      ["GNU.sparse.size", String(spec.realSize)],
      ["GNU.sparse.numblocks", String(count)],
      ["GNU.sparse.name", spec.name],
      ["GNU.sparse.map", spec.map.join(",")],
    ]);
    parts.push(header(fake, "0", spec.data.length));
    pad(parts, spec.data);
  } else {
    xHeader(parts, [
      ["GNU.sparse.major", "1"],
      ["GNU.sparse.minor", "0"],
      ["GNU.sparse.name", spec.name],
      ["GNU.sparse.realsize", String(spec.realSize)],
    ]);
    const text = encoder.encode(`${count}\n${spec.map.map((n) => `${n}\n`).join("")}`);
    const mapBytes = Math.ceil(text.length / 512) * 512;
    parts.push(header(fake, "0", mapBytes + spec.data.length));
    pad(parts, text);
    pad(parts, spec.data);
  }
  return concat(parts);
}
