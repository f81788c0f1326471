/**
 * sregistry as a library: parse references, talk to registries, unpack layers,
 * build SIF images and query the local catalogue.
 *
 * @example
 * ```ts
 * import { VERSION } from "./mod.ts";
 * console.log(VERSION);
 * ```
 * @module
 */
export { VERSION } from "./src/version.ts";
export { DigestMismatchError, RegistryError, SregistryError, UsageError } from "./src/errors.ts";
