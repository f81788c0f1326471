/**
 * sregistry as a library. The high-level API does what the commands do, with
 * the same settings, credentials, mirrors and paths: `pull(ref, options?)`,
 * `images(query?)`, `get(ref)`, `inspect(ref)`, `rm(ref)`, `mv(ref, path)`,
 * `rename(ref, newRef)`, `add(file, name)`. Below it: parse
 * references, talk to registries, unpack layers into a root filesystem, build
 * SIF images and query the local catalogue (the low-level pipeline `pull` is
 * exported as `pullPipeline`).
 *
 * @example
 * ```ts
 * import { parseReference } from "./mod.ts";
 * const ref = parseReference("busybox");
 * console.log(ref.domain, ref.path, ref.tag); // docker.io library/busybox latest
 * ```
 * @module
 */
export { VERSION } from "./src/version.ts";
export { DigestMismatchError, RegistryError, SregistryError, UsageError } from "./src/errors.ts";
export {
  familiarReference,
  formatReference,
  parseReference,
  type Reference,
  ReferenceSyntaxError,
  registryEndpoint,
} from "./src/reference.ts";
export { DigestVerifier, parseDigest, sha256Digest } from "./src/digest.ts";
export * from "./src/image/manifest.ts";
export * from "./src/image/platform.ts";
export * from "./src/registry/mod.ts";
export * from "./src/sources/mod.ts";
export * from "./src/layers/mod.ts";
export * from "./src/builders/mod.ts";
export { availableProcessors } from "./src/processors.ts";
export {
  definitionFile,
  envScript,
  type ImageConfigLike,
  layoutSif,
  type MetadataFile,
  runscript,
  SIF_DATA,
  SIF_FS,
  SIF_PART,
  sifArchCode,
  type SifLayout,
  type SifObject,
  type SifSource,
  singularityMetadata,
  writeSif,
} from "./src/sif/mod.ts";
export * from "./src/store/mod.ts";
export * from "./src/pull/mod.ts";
export { pull as pullPipeline } from "./src/pull/pull.ts";
export {
  add,
  type ApiOptions,
  checkScheme,
  Client,
  findImage,
  get,
  images,
  inspect,
  mv,
  normalizeSource,
  pull,
  type PullOptions,
  rename,
  rm,
  runPull,
  Session,
  type SessionOptions,
} from "./src/api/mod.ts";
export {
  type Credential as ConfigCredential,
  credentialLookup,
  loadSettings,
  type Settings,
} from "./src/config/mod.ts";
