/**
 * The high-level API (`pull`, `images`, `get`, `inspect`, `rm`), the catalogue
 * verbs over an open catalogue (`removeImage`, `moveImage`, `renameImage`,
 * `addImage`) and the one wiring of settings and resources it shares with the CLI (`Session`).
 * @module
 */
export { add, type ApiOptions, get, images, inspect, mv, pull, rename, rm } from "./api.ts";
export { Session, type SessionOptions } from "./session.ts";
export { Client } from "./client.ts";
export { type PullOptions, runPull } from "./pull.ts";
export { findImage } from "./find.ts";
export { addImage, type AddImageOptions } from "./add.ts";
export { moveImage, removeImage, renameImage } from "./catalogue.ts";
export { checkScheme, normalizeSource } from "./schemes.ts";
