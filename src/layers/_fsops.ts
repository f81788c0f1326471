/**
 * Synchronous file-system operations of the extractor (Deno's async ops cost
 * about 8x more per file): writing a body, removing trees, owners, times and
 * device nodes. No path checks here: callers pass paths already resolved
 * inside the root.
 * @module
 */
import { lchownSync, lutimesSync } from "node:fs";
import { join } from "node:path";

/** `lstat` that returns `undefined` for a missing path. */
export function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

function makeOwnerAccessible(path: string): void {
  const info = Deno.lstatSync(path);
  if (!info.isDirectory) return;
  Deno.chmodSync(path, 0o700);
  for (const e of Deno.readDirSync(path)) {
    if (e.isDirectory) makeOwnerAccessible(join(path, e.name));
  }
}

/** Removes a file, link or whole directory tree, fixing owner access if needed. */
export function removeAll(path: string, isDirectory: boolean): void {
  if (!isDirectory) return Deno.removeSync(path);
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    makeOwnerAccessible(path);
    Deno.removeSync(path, { recursive: true });
  }
}

/** Creates `path` (which must not exist) and writes the chunks of `body` to it. */
export async function writeNewFile(
  path: string,
  body: AsyncIterable<Uint8Array>,
): Promise<number> {
  const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
  let total = 0;
  try {
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
      total += chunk.length;
    }
  } finally {
    file.close();
  }
  return total;
}

/** Sets owner and group of a path, not following a final symlink. */
export function setOwner(path: string, uid: number, gid: number, isSymlink: boolean): void {
  if (isSymlink) lchownSync(path, uid, gid);
  else Deno.chownSync(path, uid, gid);
}

/** Sets access and modification times (seconds), not following a final symlink. */
export function setTimes(path: string, atime: number, mtime: number, isSymlink: boolean): void {
  if (isSymlink) lutimesSync(path, atime, mtime);
  else Deno.utimeSync(path, atime, mtime);
}

/**
 * Creates a device node or FIFO with the `mknod` program (Deno has no mknod;
 * such entries are rare). Returns false when it could not (not permitted).
 */
export function makeNode(
  path: string,
  kind: "char" | "block" | "fifo",
  major: number,
  minor: number,
): boolean {
  const args = kind === "fifo"
    ? [path, "p"]
    : [path, kind === "char" ? "c" : "b", String(major), String(minor)];
  try {
    const out = new Deno.Command("mknod", { args, stdout: "null", stderr: "null" }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}
