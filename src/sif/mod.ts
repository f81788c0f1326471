/**
 * SIF: the pure encoder ({@link layoutSif}) and writer, the Apptainer metadata
 * put into a rootfs (environment, runscript, labels), and the assembly around
 * a squashfs written in place ({@link SifAssembly}).
 * @module
 */
export {
  layoutSif,
  SIF_DATA,
  SIF_FS,
  SIF_PART,
  sifArchCode,
  type SifLayout,
  type SifObject,
} from "./encoder.ts";
export { type SifSource, writeSif } from "./writer.ts";
export {
  definitionFile,
  envScript,
  type ImageConfigLike,
  type MetadataFile,
  runscript,
  singularityMetadata,
} from "./metadata.ts";
export { SifAssembly, sifObjects } from "./assemble.ts";
export type { SifAssemblyOptions } from "./assemble.ts";
