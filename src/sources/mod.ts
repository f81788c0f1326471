/**
 * Image sources behind the one {@link ImageSource} interface: a registry, an
 * OCI image layout, an oci-archive and a docker-archive, and `openSource` to
 * choose one from a source string.
 * @module
 */
export type { ImageSource, Resolved as ResolvedSource } from "./source.ts";
export { RegistrySource } from "./registry.ts";
export { LayoutSource } from "./layout.ts";
export { DockerArchiveSource, unpackArchive } from "./archive.ts";
export { type OpenedSource, openSource } from "./open.ts";
