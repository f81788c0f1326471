/**
 * Schemas (valibot) of the OCI and Docker image documents: descriptors and
 * platforms, image manifests (OCI image-spec `manifest.md`, Docker Image
 * Manifest V2 Schema 2), indexes and manifest lists (`image-index.md`,
 * manifest list V2), Docker schema1 (signed or not) and its
 * `v1Compatibility` history entries, the image config (`config.md`), the OCI
 * image layout's `index.json` and `oci-layout` (`image-layout.md`), and the
 * `manifest.json` of a `docker save` archive.
 *
 * Objects are loose: fields the specs do not name are accepted and ignored,
 * as image-spec requires of implementations ("MUST ignore unknown fields").
 * Only the fields sregistry reads are typed, and those strictly, so that a
 * document that passes cannot make later code throw.
 * @module
 */
import * as v from "valibot";
import { jsonObject, jsonRecord } from "../document.ts";

/** `sha256:<64 lower-case hex>`, the only algorithm sregistry verifies. */
export const Sha256Digest = v.pipe(
  v.string(),
  v.regex(/^sha256:[a-f0-9]{64}$/, "is not a sha256 digest (sha256:<64 hex digits>)"),
);

/** Any digest of the OCI grammar `algorithm:encoded` (config `diff_ids`). */
export const AnyDigest = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, "is not a digest (algorithm:hex)"),
);

/** A byte count: a non-negative integer below 2^53. */
export const Size = v.pipe(
  v.number(),
  v.safeInteger("is not a non-negative integer below 2^53"),
  v.minValue(0, "is not a non-negative integer"),
);

/**
 * A platform word (`os`, `architecture`, `variant`): any string without
 * control characters. Messages and the progress header show these, so a
 * config's `"architecture": "amd64\u001b]0;..."` would write escape
 * sequences to the user's terminal.
 */
export const PlatformWord = v.pipe(
  v.string(),
  // deno-lint-ignore no-control-regex
  v.regex(/^[^\x00-\x1f\x7f-\x9f]*$/, "holds control characters"),
);

/**
 * A date and time (RFC 3339, as image-spec `created`): a string `Date`
 * reads. The build writes it into the SIF's labels; Go's tools refuse a
 * config whose `created` is not a time too.
 */
export const Created = v.pipe(
  v.string(),
  v.check((s) => !Number.isNaN(new Date(s).getTime()), "is not a date and time (RFC 3339)"),
);

/** Annotations: string keys, string values (image-spec `annotations.md`). */
export const Annotations = jsonRecord(v.string());

/** A platform of an index entry; `os` and `architecture` are required when present. */
export const PlatformSchema = jsonObject({
  architecture: PlatformWord,
  os: PlatformWord,
  variant: v.optional(PlatformWord),
  "os.version": v.optional(v.string()),
  "os.features": v.optional(v.array(v.string())),
});

/** A content descriptor (image-spec `descriptor.md`). */
export const DescriptorSchema = jsonObject({
  mediaType: v.string(),
  digest: Sha256Digest,
  size: Size,
  urls: v.optional(v.array(v.string())),
  annotations: v.optional(Annotations),
  platform: v.optional(PlatformSchema),
});

/** An image manifest: OCI `manifest.v1+json` or Docker `manifest.v2+json`. */
export const ImageManifestSchema = jsonObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  annotations: v.optional(Annotations),
});

/** An OCI index or a Docker manifest list. */
export const ImageIndexSchema = jsonObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  manifests: v.array(DescriptorSchema),
  annotations: v.optional(Annotations),
});

/** Docker schema1 (`manifest.v1+json`, `+prettyjws`): the fields the conversion reads. */
export const Schema1ManifestSchema = jsonObject({
  schemaVersion: v.literal(1),
  architecture: v.optional(PlatformWord),
  fsLayers: v.pipe(
    v.array(jsonObject({ blobSum: Sha256Digest })),
    v.minLength(1, "is empty (expected at least one layer)"),
  ),
  history: v.array(jsonObject({ v1Compatibility: v.string() })),
  signatures: v.optional(v.array(jsonObject({ protected: v.string() }))),
});

/** A list of strings that Docker may write as `null`. */
const StringList = v.nullish(v.array(v.string()));

/** The `config` section of an image config (Docker names; `null` where Docker writes it). */
export const ContainerConfigSchema = jsonObject({
  User: v.optional(v.string()),
  ExposedPorts: v.nullish(jsonRecord(v.unknown())),
  Env: StringList,
  Entrypoint: StringList,
  Cmd: StringList,
  Volumes: v.nullish(jsonRecord(v.unknown())),
  WorkingDir: v.optional(v.string()),
  Labels: v.nullish(Annotations),
  StopSignal: v.optional(v.string()),
});

/** One `v1Compatibility` entry of a schema1 history (itself JSON in a string). */
export const V1CompatibilitySchema = jsonObject({
  throwaway: v.optional(v.boolean()),
  created: v.optional(Created),
  author: v.optional(v.string()),
  os: v.optional(PlatformWord),
  architecture: v.optional(PlatformWord),
  config: v.nullish(ContainerConfigSchema),
  container_config: v.nullish(jsonObject({ Cmd: StringList })),
});

/** An image config (OCI `config.v1+json`, Docker `container.image.v1+json`). */
export const ImageConfigSchema = jsonObject({
  architecture: PlatformWord,
  os: PlatformWord,
  variant: v.optional(PlatformWord),
  "os.version": v.optional(v.string()),
  created: v.optional(Created),
  author: v.optional(v.string()),
  config: v.nullish(ContainerConfigSchema),
  rootfs: jsonObject({ type: v.literal("layers"), diff_ids: v.array(AnyDigest) }),
  history: v.nullish(
    v.array(jsonObject({
      created: v.optional(v.string()),
      created_by: v.optional(v.string()),
      author: v.optional(v.string()),
      comment: v.optional(v.string()),
      empty_layer: v.optional(v.boolean()),
    })),
  ),
});

/** A parsed, validated image config; unknown fields kept. */
export type ImageConfig = v.InferOutput<typeof ImageConfigSchema>;

/** The `index.json` of an OCI image layout (an image index). */
export const LayoutIndexSchema = ImageIndexSchema;

/** The `oci-layout` file of an OCI image layout. */
export const OciLayoutSchema = jsonObject({ imageLayoutVersion: v.string() });

/** A path inside an archive: a non-empty string. */
const ArchivePath = v.pipe(v.string(), v.minLength(1, "is empty (expected a path)"));

/** One image of a `docker save` archive's `manifest.json`. */
export const DockerArchiveEntrySchema = jsonObject({
  Config: ArchivePath,
  RepoTags: v.nullish(v.array(v.string())),
  Layers: v.array(ArchivePath),
});

/** A `docker save` archive's `manifest.json`: one entry per image. */
export const DockerArchiveManifestSchema = v.pipe(
  v.array(DockerArchiveEntrySchema),
  v.minLength(1, "is empty (expected at least one image)"),
);

/** One image of a docker archive's `manifest.json`. */
export type DockerArchiveEntry = v.InferOutput<typeof DockerArchiveEntrySchema>;
