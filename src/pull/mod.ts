/**
 * The pull pipeline: image sources (registry, OCI layout, archives, the
 * offline cache), unpacking into a rootfs, and `pull` itself.
 * @module
 */
export { pull, type PullContext, type PullRequest, type PullResult } from "./pull.ts";
export type { LayerState, PullEvent, PullListener } from "./events.ts";
export type { ImageSource, Resolved as ResolvedSource } from "./source.ts";
export { RegistrySource } from "./registry_source.ts";
export { LayoutSource } from "./layout_source.ts";
export { DockerArchiveSource, unpackArchive } from "./archive_source.ts";
export { type OpenedSource, openSource } from "./sources.ts";
export { unpackImage, type UnpackOptions } from "./unpack.ts";
