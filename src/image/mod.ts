/**
 * The image model, no I/O: manifests and indexes (OCI, Docker schema2 and
 * schema1), platforms, image configs, and the schemas of the OCI and Docker
 * documents.
 * @module
 */
export * from "./manifest.ts";
export * from "./platform.ts";
export * from "./schemas.ts";
export * from "./config.ts";
