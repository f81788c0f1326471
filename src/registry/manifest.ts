/**
 * Manifest media types and parsing (pure): OCI index/manifest, Docker
 * manifest list/schema2, and Docker schema1 (signed or not) converted to an
 * image manifest. Hostile input (huge, deeply nested, negative sizes, media
 * type contradicting `Content-Type`) is refused.
 * @module
 */
import { isDigest, sha256Digest } from "../digest.ts";
import { SregistryError } from "../errors.ts";
import { convertSchema1, schema1Payload } from "./_schema1.ts";
import type { Platform } from "./platform.ts";

/** Media types. */
export const MediaType = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  schema1: "application/vnd.docker.distribution.manifest.v1+json",
  schema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

/** Every manifest type we accept, best first, for the `Accept` header. */
export const MANIFEST_TYPES: readonly string[] = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerList,
  MediaType.dockerManifest,
  MediaType.schema1Signed,
  MediaType.schema1,
];

/** The `Accept` header listing every supported manifest type. */
export const MANIFEST_ACCEPT: string = MANIFEST_TYPES.join(", ");

/** Largest manifest we parse. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 32;
const GENERIC_TYPES = new Set(["", "application/json", "text/plain", "application/octet-stream"]);

/** A content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An image manifest (OCI, Docker schema2, or converted schema1). */
export interface ImageManifest {
  kind: "manifest";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  /** For schema1: the synthesized config, whose digest is `config.digest`. */
  configBytes?: Uint8Array;
  annotations?: Record<string, string>;
}

/** An OCI index or Docker manifest list. */
export interface ImageIndex {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A manifest that cannot be used; the message says why. */
export class ManifestError extends SregistryError {}

function bad(reason: string): never {
  throw new ManifestError(
    `Cannot read manifest: ${reason}: the registry served an invalid manifest; report it to the image's maintainer`,
  );
}

/** Refuses nesting deeper than MAX_DEPTH without recursing. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (++depth > MAX_DEPTH) bad(`nested deeper than ${MAX_DEPTH} levels`);
    } else if (c === "}" || c === "]") depth--;
  }
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Guesses the type from the body (containers/image `GuessMIMEType`). */
function guessType(doc: Record<string, unknown>): string | undefined {
  if (typeof doc.mediaType === "string" && MANIFEST_TYPES.includes(doc.mediaType)) {
    return doc.mediaType;
  }
  if (doc.schemaVersion === 1) {
    return "signatures" in doc ? MediaType.schema1Signed : MediaType.schema1;
  }
  if (doc.schemaVersion === 2) {
    if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
    if (doc.config && typeof doc.config === "object") return MediaType.ociManifest;
  }
  return undefined;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!v || typeof v !== "object") bad(`${where} is not an object`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== "string") bad(`${where}.mediaType is missing`);
  if (typeof d.digest !== "string" || !isDigest(d.digest)) {
    bad(`${where}.digest ${JSON.stringify(d.digest)} is not a sha256 digest`);
  }
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    bad(`${where}.size ${JSON.stringify(d.size)} is not a non-negative integer`);
  }
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === "string");
  if (d.platform && typeof d.platform === "object") {
    const p = d.platform as Record<string, unknown>;
    out.platform = {
      os: String(p.os ?? ""),
      architecture: String(p.architecture ?? ""),
      ...(typeof p.variant === "string" && p.variant ? { variant: p.variant } : {}),
    };
  }
  if (d.annotations && typeof d.annotations === "object") {
    out.annotations = d.annotations as Record<string, string>;
  }
  return out;
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    bad(`it is ${bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`);
  }
  const text = new TextDecoder().decode(bytes);
  checkDepth(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    bad(`it is not JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) bad("it is not a JSON object");
  return doc as Record<string, unknown>;
}

/** Decides the manifest's type from `Content-Type` and the body. */
function detectType(doc: Record<string, unknown>, contentType: string | null): string {
  const header = mediaTypeOf(contentType);
  const field = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (GENERIC_TYPES.has(header)) {
    const guessed = guessType(doc);
    if (!guessed) bad(`its type cannot be recognised (Content-Type "${header}")`);
    return guessed;
  }
  if (!MANIFEST_TYPES.includes(header)) {
    bad(`unsupported media type "${header}"`);
  }
  if (field !== undefined && field !== header) {
    bad(`its mediaType "${field}" contradicts the Content-Type "${header}"`);
  }
  return header;
}

/**
 * Parses manifest bytes served with `contentType` (null or generic types
 * fall back to the body).
 * @throws {ManifestError} On invalid, unsupported or hostile manifests.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | null,
): ImageIndex | ImageManifest {
  const doc = parseJson(bytes);
  const type = detectType(doc, contentType);
  if (type === MediaType.schema1 || type === MediaType.schema1Signed) return fromSchema1(doc, type);
  if (type === MediaType.ociIndex || type === MediaType.dockerList) {
    if (!Array.isArray(doc.manifests)) bad("the index has no manifests array");
    const manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
    return { kind: "index", mediaType: type, manifests, ...annotations(doc) };
  }
  if (doc.schemaVersion !== 2) bad(`schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2`);
  const config = descriptor(doc.config, "config");
  if (!Array.isArray(doc.layers)) bad("the manifest has no layers array");
  const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
  return { kind: "manifest", mediaType: type, config, layers, ...annotations(doc) };
}

function annotations(doc: Record<string, unknown>): { annotations?: Record<string, string> } {
  return doc.annotations && typeof doc.annotations === "object"
    ? { annotations: doc.annotations as Record<string, string> }
    : {};
}

function fromSchema1(doc: Record<string, unknown>, type: string): ImageManifest {
  let converted;
  try {
    converted = convertSchema1(doc);
  } catch (e) {
    bad((e as Error).message);
  }
  for (const d of converted.layers) if (!isDigest(d)) bad(`schema1 blobSum ${d} is not sha256`);
  const configBytes = new TextEncoder().encode(JSON.stringify(converted.config));
  return {
    kind: "manifest",
    mediaType: type,
    config: {
      mediaType: MediaType.dockerConfig,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    },
    layers: converted.layers.map((digest) => ({
      mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
      digest,
      // Schema1 does not record sizes: -1 marks "unknown" (see sizeKnown).
      size: -1,
    })),
    configBytes,
  };
}

/** False for schema1 layers, whose size the manifest does not record. */
export function sizeKnown(d: Descriptor): boolean {
  return d.size >= 0;
}

/**
 * The digest of a manifest as served: sha256 of the bytes, except signed
 * schema1 whose digest is over the JWS payload (signatures removed).
 * @throws {ManifestError} On a malformed signed schema1 manifest.
 */
export function manifestDigest(bytes: Uint8Array, mediaType: string): string {
  if (mediaType !== MediaType.schema1Signed && mediaType !== MediaType.schema1) {
    return sha256Digest(bytes);
  }
  const doc = parseJson(bytes);
  try {
    return sha256Digest(schema1Payload(bytes, doc));
  } catch (e) {
    bad((e as Error).message);
  }
}

/** True for an attestation entry (`unknown/unknown` or BuildKit annotations). */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" ||
    (d.platform?.os === "unknown" && d.platform?.architecture === "unknown");
}
