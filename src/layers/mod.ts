/**
 * Layer unpacking: decompression, whiteouts, path containment and the root
 * filesystem writer.
 * @module
 */
export { decompress, sniffCompression } from "./decompress.ts";
export type { Compression } from "./decompress.ts";
export { type ExtractOptions, LayerFormatError, type LayerStats, RootfsWriter } from "./extract.ts";
export { cleanEntryName, MAX_PATH_BYTES, resolveInRoot, resolveRelative } from "./paths.ts";
export type { Resolved } from "./paths.ts";
export { classify, OPAQUE_MARKER, WHITEOUT_PREFIX } from "./whiteouts.ts";
export type { Classified } from "./whiteouts.ts";
