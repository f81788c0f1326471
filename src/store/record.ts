/**
 * The catalogue's record types: one pulled (or added) image, and the query
 * that finds one.
 * @module
 */
import type { SQLInputValue } from "node:sqlite";

/** One image in the catalogue: a row of the `container` table with its collection's name. */
export interface ImageRecord {
  /** Row id (`container.id`). */
  id: number;
  /** Repository path without its last component (`library`, `a/b`), possibly `""`. */
  collection: string;
  /** Last repository path component (`busybox`). */
  name: string;
  /** Tag (`latest` for digest-only references, like the original client). */
  tag: string;
  /**
   * Identity version: the platform manifest digest (`sha256:…`) for pulled
   * images; the SIF file's sha256 in rows written by the Python client.
   */
  version: string | null;
  /** Registry domain, `docker.io` for Docker Hub and for rows of the Python client. */
  registry: string;
  /** Backend name (`docker`; `hub`, `registry`, … in rows of the Python client). */
  client: string;
  /** Absolute path of the SIF file, or `null` when the record has no file. */
  image: string | null;
  /** Where the image came from (repository URL or path). */
  url: string | null;
  /** `<collection>/<name>:<tag>[@<version>]` (no leading `/` when the collection is `""`). */
  uri: string;
  /** Creation time, UTC, `YYYY-MM-DD HH:MM:SS` (SQLite `CURRENT_TIMESTAMP`, as the original). */
  createdAt: string;
  /** Last update, UTC, `YYYY-MM-DD HH:MM:SS.SSS`; absent in untouched Python-client rows. */
  updatedAt?: string;
  /** What the reference resolved to: the index or manifest digest. */
  digest?: string;
  /** The chosen platform manifest's digest. */
  manifestDigest?: string;
  /** The chosen platform, e.g. `linux/amd64`. */
  platform?: string;
  /** Size of the SIF file in bytes. */
  size?: number;
  /** The index or manifest the reference resolved to (parsed JSON). */
  manifest?: unknown;
  /** The chosen platform manifest (parsed JSON). */
  platformManifest?: unknown;
  /** The image config (parsed JSON). */
  config?: unknown;
  /** Where the image was pulled from, e.g. `docker://docker.io/library/busybox:latest`. */
  source?: string;
  /** Free-form metadata (JSON; the original stored `singularity inspect` output here). */
  metrics: unknown;
}

/** What {@linkcode Catalogue.upsert} takes: a record without the columns the catalogue sets. */
export type NewImageRecord = Omit<ImageRecord, "id" | "createdAt" | "uri" | "updatedAt">;

/** A lookup of one image. */
export interface ImageQuery {
  /** Registry domain; `docker.io` when absent. */
  registry?: string;
  /** Collection (`library`), possibly `""`. */
  collection: string;
  /** Image name (`busybox`). */
  name: string;
  /** Tag; `latest` when absent, unless `version` is given (then any tag). */
  tag?: string;
  /** A digest: matches the record's version (platform manifest digest) or resolved digest. */
  version?: string;
}

/** The `uri` column: `<collection>/<name>:<tag>[@<version>]`, as the original client. */
export function imageUri(
  collection: string,
  name: string,
  tag: string,
  version: string | null,
): string {
  const repo = collection === "" ? name : `${collection}/${name}`;
  return version ? `${repo}:${tag}@${version}` : `${repo}:${tag}`;
}

/** A row as `node:sqlite` returns it, or named parameters. */
export type Row = Record<string, SQLInputValue>;

function parseJson(text: SQLInputValue): unknown {
  if (typeof text !== "string") return text ?? undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** A `container` row (joined with its collection name as `collection`) as a record. */
export function recordFromRow(row: Row): ImageRecord {
  const rec: ImageRecord = {
    id: Number(row.id),
    collection: String(row.collection ?? ""),
    name: String(row.name),
    tag: String(row.tag),
    version: row.version === null ? null : String(row.version),
    registry: String(row.registry ?? "docker.io"),
    client: String(row.client),
    image: row.image === null ? null : String(row.image),
    url: row.url === null ? null : String(row.url),
    uri: String(row.uri ?? ""),
    createdAt: String(row.created_at ?? ""),
    metrics: parseJson(row.metrics),
  };
  const optional: [keyof ImageRecord, string, (v: SQLInputValue) => unknown][] = [
    ["updatedAt", "updated_at", String],
    ["digest", "digest", String],
    ["manifestDigest", "manifest_digest", String],
    ["platform", "platform", String],
    ["size", "size", Number],
    ["manifest", "manifest", parseJson],
    ["platformManifest", "platform_manifest", parseJson],
    ["config", "config", parseJson],
    ["source", "source", String],
  ];
  for (const [key, column, convert] of optional) {
    if (row[column] !== null && row[column] !== undefined) {
      (rec as unknown as Record<string, unknown>)[key] = convert(row[column]);
    }
  }
  return rec;
}

/** The `container` column values of a record, as named parameters. */
export function rowValues(rec: NewImageRecord, collectionId: number): Row {
  return {
    collection_id: collectionId,
    registry: rec.registry,
    name: rec.name,
    tag: rec.tag,
    client: rec.client,
    version: rec.version ?? null,
    uri: imageUri(rec.collection, rec.name, rec.tag, rec.version ?? null),
    image: rec.image ?? null,
    url: rec.url ?? null,
    metrics: JSON.stringify(rec.metrics ?? {}),
    digest: rec.digest ?? null,
    manifest_digest: rec.manifestDigest ?? null,
    platform: rec.platform ?? null,
    size: rec.size ?? null,
    manifest: toJson(rec.manifest),
    platform_manifest: toJson(rec.platformManifest),
    config: toJson(rec.config),
    source: rec.source ?? null,
  };
}

/** `registry/collection/name:tag@digest` of a record, as messages name it (`docker.io` left out). */
export function recordName(r: ImageRecord): string {
  const prefix = r.registry && r.registry !== "docker.io" ? `${r.registry}/` : "";
  return `${prefix}${r.collection}/${r.name}:${r.tag}${r.version ? "@" + r.version : ""}`;
}
