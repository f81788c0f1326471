/**
 * SIF assembly around a squashfs written in place ({@link SifAssembly}).
 * @module
 */

export { SifAssembly, sifObjects } from "./assemble.ts";
export type { SifAssemblyOptions } from "./assemble.ts";
