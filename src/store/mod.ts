/**
 * Local state: the blob cache (an OCI image layout), the SQLite catalogue and
 * the managed storage layout.
 * @module
 */
export { BlobCache } from "./blob_cache.ts";
export { Catalogue, DATABASE_FILE } from "./catalogue.ts";
export type { ImageQuery, ImageRecord, NewImageRecord } from "./record.ts";
export { defaultNoCacheName, DOCKER_HUB, storageFile, storageNames } from "./storage_paths.ts";
export { acquireLock, type Lock, withLock } from "./locks.ts";
