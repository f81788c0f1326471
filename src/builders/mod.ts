/**
 * The builders that turn a root filesystem folder into a SIF: the choice
 * between the native writer, mksquashfs and apptainer/singularity, and running
 * mksquashfs.
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
export { DEFAULT_LEVELS, mksquashfsArgs } from "./mksquashfs.ts";
