/**
 * Writes the files of `singularityMetadata()` into a root filesystem without
 * ever leaving it: symbolic links planted by the image (`/etc -> /host/etc`,
 * `/.singularity.d -> ../../x`) are resolved as if the rootfs were `/`, and
 * a link standing where a file goes is replaced by the file.
 * @module
 */

import { join } from "node:path";
import { SregistryError } from "../errors.ts";
import { resolveInRoot as resolveWithinRoot } from "../layers/paths.ts";
import { lstatOrUndefined } from "../layers/_fsops.ts";
import type { MetadataFile } from "./metadata.ts";

/**
 * Resolves `path` (absolute within `root`) to a host path under `root`,
 * following symbolic links in its components as a chroot would (the
 * extractor's resolver, `src/layers/paths.ts`). The last component is
 * followed only when `followLast` is set.
 * @throws {SregistryError} on a symbolic link loop
 */
export function resolveInRoot(root: string, path: string, followLast: boolean): string {
  try {
    return resolveWithinRoot(root, path, { followFinal: followLast });
  } catch (error) {
    if (!(error instanceof Deno.errors.FilesystemLoop)) throw error;
    throw new SregistryError(
      `Cannot write image metadata: too many symbolic links resolving ${path}: the image's filesystem is broken`,
      { cause: error },
    );
  }
}

export function writeMetadata(rootfs: string, files: MetadataFile[]): void {
  for (const entry of files) {
    if (entry.type === "dir") writeDir(rootfs, entry);
    else if (entry.type === "symlink") writeLink(rootfs, entry);
    else writeFile(rootfs, entry);
  }
}

function writeDir(root: string, entry: MetadataFile): void {
  let path: string;
  try {
    path = resolveInRoot(root, entry.path, true);
  } catch (error) {
    if (!(error instanceof SregistryError)) throw error;
    path = resolveInRoot(root, entry.path, false); // a looping link: replace it by the folder
  }
  const info = lstatOrUndefined(path);
  if (info && !info.isDirectory) Deno.removeSync(path);
  if (!info?.isDirectory) Deno.mkdirSync(path, { recursive: true, mode: entry.mode ?? 0o755 });
}

function parentOf(root: string, path: string): { dir: string; name: string } {
  const parts = splitPath(path);
  const name = parts.pop();
  if (!name || name === "..") throw new TypeError(`Not a file path: ${path}`);
  const dir = resolveInRoot(root, parts.join("/"), true);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return { dir, name };
}

function writeLink(root: string, entry: MetadataFile): void {
  const { dir, name } = parentOf(root, entry.path);
  const path = join(dir, name);
  if (lstatOrUndefined(path)) return; // Apptainer keeps what the image has there
  Deno.symlinkSync(entry.target ?? "", path);
}

function writeFile(root: string, entry: MetadataFile): void {
  const { dir, name } = parentOf(root, entry.path);
  const path = join(dir, name);
  const info = lstatOrUndefined(path);
  if (info?.isDirectory) {
    throw new SregistryError(
      `Cannot write image metadata: ${entry.path} is a folder in the image: the image cannot be converted`,
    );
  }
  if (info && !info.isFile) Deno.removeSync(path);
  const mode = entry.mode ?? 0o644;
  Deno.writeFileSync(path, new TextEncoder().encode(entry.content ?? ""), { mode });
  Deno.chmodSync(path, mode);
}

function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}
