/**
 * Manifest media types and parsing (pure): OCI index/manifest, Docker
 * manifest list/schema2, and Docker schema1 (signed or not) converted to an
 * image manifest. Hostile input (huge, deeply nested, negative sizes, media
 * type contradicting `Content-Type`) is refused.
 * @module
 */
import type * as v from "valibot";
import { sha256Digest } from "../digest.ts";
import { DocumentError, type DocumentIssue, parseJsonText, validate } from "../document.ts";
import {
  type DescriptorSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  Schema1ManifestSchema,
} from "../image/schemas.ts";
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

/** What to do about a bad manifest, the end of the error message. */
const MANIFEST_FIX = "the manifest is malformed: report it to the image's maintainer";

/** A manifest that cannot be used; `issues` and the message say why. */
export class ManifestError extends DocumentError {
  constructor(init: { origin?: string; issues: DocumentIssue[] }, options?: ErrorOptions) {
    super(
      { kind: "manifest", origin: init.origin, issues: init.issues, fix: MANIFEST_FIX },
      options,
    );
  }
}

function bad(reason: string, origin?: string): never {
  throw new ManifestError({ origin, issues: [{ path: "", message: reason }] });
}

/** Runs `f`, turning a DocumentError into a ManifestError with the same issues. */
function asManifestError<T>(f: () => T, origin?: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DocumentError && !(e instanceof ManifestError)) {
      throw new ManifestError({ origin, issues: [...e.issues] }, { cause: e });
    }
    throw e;
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

type DescriptorDoc = v.InferOutput<typeof DescriptorSchema>;

/** The fields of a validated descriptor that sregistry uses (an empty variant dropped). */
function descriptor(d: DescriptorDoc): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls) out.urls = d.urls;
  if (d.platform) {
    const { os, architecture, variant } = d.platform;
    out.platform = variant ? { os, architecture, variant } : { os, architecture };
  }
  if (d.annotations) out.annotations = d.annotations;
  return out;
}

function parseJson(bytes: Uint8Array, origin?: string): Record<string, unknown> {
  const doc = asManifestError(() =>
    parseJsonText(bytes, {
      kind: "manifest",
      origin,
      fix: MANIFEST_FIX,
      maxBytes: MAX_MANIFEST_BYTES,
      maxDepth: MAX_DEPTH,
    }), origin);
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) bad("it is not a JSON object", origin);
  return doc as Record<string, unknown>;
}

/** Decides the manifest's type from `Content-Type` and the body. */
function detectType(
  doc: Record<string, unknown>,
  contentType: string | null,
  origin?: string,
): string {
  const header = mediaTypeOf(contentType);
  const field = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (GENERIC_TYPES.has(header)) {
    const guessed = guessType(doc);
    if (!guessed) bad(`its type cannot be recognised (Content-Type "${header}")`, origin);
    return guessed;
  }
  if (!MANIFEST_TYPES.includes(header)) {
    bad(`unsupported media type "${header}"`, origin);
  }
  if (field !== undefined && field !== header) {
    bad(`its mediaType "${field}" contradicts the Content-Type "${header}"`, origin);
  }
  return header;
}

/** Options of {@linkcode parseManifest}. */
export interface ParseManifestOptions {
  /** Where the bytes came from, for messages: a URL (credentials removed) or a file. */
  origin?: string;
}

/**
 * Parses manifest bytes served with `contentType` (null or generic types
 * fall back to the body), checked against the schema of its type
 * (`src/image/schemas.ts`): OCI index / Docker manifest list, OCI / Docker
 * schema2 manifest, Docker schema1 (converted).
 * @throws {ManifestError} On invalid, unsupported or hostile manifests,
 *   naming the JSON path of the first problems.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | null,
  options: ParseManifestOptions = {},
): ImageIndex | ImageManifest {
  const { origin } = options;
  const doc = parseJson(bytes, origin);
  const type = detectType(doc, contentType, origin);
  const ctx = { kind: "manifest", origin, fix: MANIFEST_FIX } as const;
  if (type === MediaType.schema1 || type === MediaType.schema1Signed) {
    asManifestError(() => validate(Schema1ManifestSchema, doc, ctx), origin);
    return fromSchema1(doc, type, origin);
  }
  if (type === MediaType.ociIndex || type === MediaType.dockerList) {
    const index = asManifestError(() => validate(ImageIndexSchema, doc, ctx), origin);
    const manifests = index.manifests.map(descriptor);
    return { kind: "index", mediaType: type, manifests, ...annotations(index) };
  }
  const m = asManifestError(() => validate(ImageManifestSchema, doc, ctx), origin);
  const config = descriptor(m.config);
  const layers = m.layers.map(descriptor);
  return { kind: "manifest", mediaType: type, config, layers, ...annotations(m) };
}

function annotations(
  doc: { annotations?: Record<string, string> },
): { annotations?: Record<string, string> } {
  return doc.annotations ? { annotations: doc.annotations } : {};
}

function fromSchema1(doc: Record<string, unknown>, type: string, origin?: string): ImageManifest {
  let converted;
  try {
    converted = convertSchema1(doc);
  } catch (e) {
    bad((e as Error).message, origin);
  }
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
    bad(e instanceof SyntaxError ? e.message : "its signature is not valid base64url");
  }
}

/** True for an attestation entry (`unknown/unknown` or BuildKit annotations). */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" ||
    (d.platform?.os === "unknown" && d.platform?.architecture === "unknown");
}
