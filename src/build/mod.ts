/**
 * Building the Singularity image: the metadata Apptainer puts into a rootfs,
 * the SIF encoder and writer, mksquashfs, and the builder choice.
 * @module
 */
export {
  type BuilderName,
  buildSif,
  chooseBuilder,
  type ChosenBuilder,
  nativeCompresses,
  runtimeBuildArgs,
} from "./builder.ts";
export {
  layoutSif,
  SIF_DATA,
  SIF_FS,
  SIF_PART,
  sifArchCode,
  type SifLayout,
  type SifObject,
} from "./sif.ts";
export { type SifSource, writeSif } from "./sif_writer.ts";
export {
  definitionFile,
  envScript,
  type ImageConfigLike,
  type MetadataFile,
  runscript,
  singularityMetadata,
} from "./metadata.ts";
export { availableProcessors, DEFAULT_LEVELS, mksquashfsArgs } from "./squashfs.ts";
