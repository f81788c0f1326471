/**
 * A small tar writer for tests: ustar headers plus PAX records for long names,
 * long link targets and any extra keys, so layers are built in code rather than
 * committed as opaque tarballs. Raw header bytes are reachable through
 * `rawHeader` for tests that need broken archives.
 * @module
 */

/** One member of a test archive. */
export interface TarEntry {
  name: string;
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
}): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, offset: number, width: number) => {
    const bytes = encoder.encode(text);
    h.set(bytes.subarray(0, width), offset);
  };
  put(fields.name, 0, 100);
  put(octal(fields.mode ?? 0o644, 8), 100, 8);
  put(octal(fields.uid ?? 0, 8), 108, 8);
  put(octal(fields.gid ?? 0, 8), 116, 8);
  put(octal(fields.size ?? 0, 12), 124, 12);
  put(octal(fields.mtime ?? 1_600_000_000, 12), 136, 12);
  put("        ", 148, 8);
  put(fields.typeflag, 156, 1);
  put(fields.linkname ?? "", 157, 100);
  put("ustar\x0000", 257, 8);
  put(octal(fields.devmajor ?? 0, 8), 329, 8);
  put(octal(fields.devminor ?? 0, 8), 337, 8);
  put(fields.prefix ?? "", 345, 155);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, new Uint8Array(512 - rest)];
}

function paxRecords(records: Record<string, string>): Uint8Array {
  let out = "";
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    const bodyLength = encoder.encode(body).length;
    let len = bodyLength + 1;
    while (String(len).length + bodyLength !== len) len = String(len).length + bodyLength;
    out += `${len}${body}`;
  }
  return encoder.encode(out);
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
    if (type === "directory" && !name.endsWith("/")) name += "/";
    if (encoder.encode(name).length > 100) pax.path = name;
    if (e.linkname && encoder.encode(e.linkname).length > 100) pax.linkpath = e.linkname;
    if (Object.keys(pax).length > 0) {
      const body = paxRecords(pax);
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
