/**
 * The `images` table, pure: rows that fit 100 columns (a 12-character
 * digest, long references shortened in the middle), or with `--wide` the
 * client, the whole reference and the whole digest.
 * @module
 */
import type { ImageRecord } from "../store/record.ts";
import { humanSize } from "../size.ts";

/** The width `images` keeps to without `--wide`, in characters. */
export const TABLE_COLUMNS = 100;

/** A record and the size of its file now (undefined when the file is gone). */
export interface ImageRow {
  record: ImageRecord;
  size: number | undefined;
}

/** `registry/collection/name:tag` (no registry for Docker Hub), without the version. */
export function referenceName(r: ImageRecord): string {
  const prefix = r.registry && r.registry !== "docker.io" ? `${r.registry}/` : "";
  const repo = r.collection ? `${r.collection}/${r.name}` : r.name;
  return `${prefix}${repo}:${r.tag}`;
}

/** The version's first 12 hex digits (`sha256:` dropped), as `images` shows and `get` accepts. */
export function shortVersion(version: string | null): string {
  return version ? version.replace(/^sha256:/, "").slice(0, 12) : "-";
}

/** `text` shortened in the middle to `width` characters: `ghcr.io/org/…/name:tag`. */
export function shortenMiddle(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return "…".slice(0, width);
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return chars.slice(0, head).join("") + "…" + chars.slice(chars.length - tail).join("");
}

/**
 * The table's lines: a header, one row per image, and `N images, SIZE in
 * total`. Without `wide`, every line is at most {@linkcode TABLE_COLUMNS}
 * characters: the reference column gives way.
 */
export function imagesTable(rows: ImageRow[], options: { wide?: boolean } = {}): string[] {
  const wide = options.wide ?? false;
  const header = wide
    ? ["ID", "CREATED", "CLIENT", "REFERENCE", "DIGEST", "SIZE"]
    : ["ID", "CREATED", "REFERENCE", "DIGEST", "SIZE"];
  const cells = rows.map(({ record: r, size }) => {
    const sizeText = size === undefined ? "(missing)" : humanSize(size);
    const created = r.createdAt.slice(0, 10);
    return wide
      ? [String(r.id), created, `[${r.client}]`, referenceName(r), r.version ?? "-", sizeText]
      : [String(r.id), created, referenceName(r), shortVersion(r.version), sizeText];
  });
  const table = [header, ...cells];
  const widths = header.map((_, i) => Math.max(...table.map((row) => [...row[i]].length)));
  if (!wide) {
    const ref = header.indexOf("REFERENCE");
    const others = widths.reduce((n, w, i) => (i === ref ? n : n + w), 0);
    const room = TABLE_COLUMNS - others - 2 * (header.length - 1);
    widths[ref] = Math.max(header[ref].length, Math.min(widths[ref], room));
    for (const row of cells) row[ref] = shortenMiddle(row[ref], widths[ref]);
  }
  const lines = table.map((row) =>
    row.map((cell, i) => cell + " ".repeat(widths[i] - [...cell].length)).join("  ").trimEnd()
  );
  const total = rows.reduce((n, r) => n + (r.size ?? 0), 0);
  const count = rows.length;
  lines.push(`${count} image${count === 1 ? "" : "s"}, ${humanSize(total)} in total`);
  return lines;
}
