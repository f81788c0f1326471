/**
 * Reading an image config (OCI image-spec `config.md`, Docker image JSON):
 * bounded parse, schema check, and the platform it declares.
 * @module
 */
import { parseDocument } from "../document.ts";
import { type ImageConfig, ImageConfigSchema } from "./schemas.ts";

/** What to do about a bad config, the end of the error message. */
export const BAD_IMAGE_FIX =
  "the image is malformed: report it to the image's maintainer, or use another tag";

/**
 * Parses and validates image config bytes. Unknown fields are kept (they
 * go to the catalogue as served).
 *
 * @param bytes the config blob, UTF-8 JSON, at most 4 MiB
 * @param origin where it came from, for messages (e.g. `docker://host/repo:tag (sha256:...)`)
 * @returns the config: `architecture`, `os`, `rootfs.diff_ids` present; `config` typed where read
 * @throws {DocumentError} (kind `config`) when not JSON, too large or deep, or off the schema
 * @example
 * ```ts
 * import { parseImageConfig } from "./config.ts";
 * const bytes = new TextEncoder().encode(
 *   '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
 * );
 * if (parseImageConfig(bytes).architecture !== "amd64") throw new Error();
 * ```
 */
export function parseImageConfig(bytes: Uint8Array, origin?: string): ImageConfig {
  return parseDocument(bytes, ImageConfigSchema, { kind: "config", origin, fix: BAD_IMAGE_FIX });
}

/** The platform a config declares: `{os, architecture, variant?}`. */
export function configPlatform(
  config: ImageConfig,
): { os: string; architecture: string; variant?: string } {
  return config.variant
    ? { os: config.os, architecture: config.architecture, variant: config.variant }
    : { os: config.os, architecture: config.architecture };
}
