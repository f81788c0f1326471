/**
 * The image model: schemas of the OCI and Docker documents, and reading an
 * image config. No I/O.
 * @module
 */
export * from "./schemas.ts";
export * from "./config.ts";
