/**
 * Building the Singularity image: the metadata Apptainer puts into a rootfs,
 * the SIF encoder and writer, mksquashfs, and the builder choice.
 * @module
 */
export {
  type BuilderName,
  buildSif,
  buildSifFromTar,
  type BuildSifFromTarOptions,
  canStream,
  chooseBuilder,
  runtimeBuildArgs,
} from "./builder.ts";
export {
  type DownloadingLayer,
  type FlatLayerInput,
  flattenLayers,
  type FlattenOptions,
  FlattenUnsupported,
  type LayerOpener,
} from "./flatten.ts";
export { makeSquashfsFromTar, tar2sqfsArgs, type Tar2sqfsOptions } from "./tar2sqfs.ts";
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
export { writeMetadata } from "./metadata_writer.ts";
export { availableProcessors, DEFAULT_LEVELS, mksquashfsArgs } from "./squashfs.ts";
