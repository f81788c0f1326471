/**
 * Settings that must name folders, checked before a pull downloads
 * anything: a `SREGISTRY_STORAGE` that is a file (or lies under one) used to
 * fail only after the download and the build ("Not a directory").
 * @module
 */
import { dirname } from "node:path";
import { SregistryError } from "../errors.ts";

/** A path that must be a folder (or not exist yet) and the setting or option that gave it. */
export interface FolderSetting {
  /** Absolute path. */
  path: string;
  /** `SREGISTRY_STORAGE`, `APPTAINER_CACHEDIR`, `--dir`, ... */
  variable: string;
}

/** The nearest existing path at or above `path`, with its kind; undefined when none can be read. */
function nearestExisting(path: string): { path: string; isDirectory: boolean } | undefined {
  for (let p = path;; p = dirname(p)) {
    try {
      return { path: p, isDirectory: Deno.statSync(p).isDirectory };
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.NotADirectory)) {
        return undefined; // no permission to look: the write will say so
      }
    }
    if (dirname(p) === p) return undefined;
  }
}

/**
 * Checks that each path is a folder or could become one (its nearest
 * existing ancestor is a folder).
 *
 * @param action completes "Cannot <action>", e.g. "pull busybox"
 * @param folders the paths and the settings that chose them
 * @throws {SregistryError} naming the setting, when a path is a file or lies under one
 */
export function checkFolderSettings(action: string, folders: FolderSetting[]): void {
  for (const { path, variable } of folders) {
    const found = nearestExisting(path);
    if (!found || found.isDirectory) continue;
    const where = found.path === path ? "is a file" : `lies under the file ${found.path}`;
    throw new SregistryError(
      `Cannot ${action}: ${variable}=${path} ${where}, not a folder: set ${variable} to a folder`,
    );
  }
}
