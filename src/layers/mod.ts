/**
 * Layers: decompression, the tar reader, whiteouts, path containment, and the
 * one layer engine with its backends (the image tree, the sandbox folder).
 * @module
 */
export { decompress, sniffCompression } from "./decompress.ts";
export type { Compression } from "./decompress.ts";
export { type ExtractOptions, LayerFormatError, type LayerStats, RootfsWriter } from "./extract.ts";
export { cleanEntryName, MAX_PATH_BYTES, resolveInRoot, resolveRelative } from "./paths.ts";
export type { Resolved } from "./paths.ts";
export { LayerEngine } from "./engine.ts";
export type { AppliedLayer, EngineOptions } from "./engine.ts";
export { DiskTarget, type DiskTargetOptions } from "./disk_target.ts";
export { applyExtraFiles, type ExtraFile } from "./extra_files.ts";
export {
  type BodyWriter,
  type ContentSink,
  ContentTarget,
  type FileSink,
  type LayerTarget,
} from "./target.ts";
export { summaryWarnings } from "./_summary.ts";
export { classify, OPAQUE_MARKER, WHITEOUT_PREFIX } from "./whiteouts.ts";
export type { Classified } from "./whiteouts.ts";
