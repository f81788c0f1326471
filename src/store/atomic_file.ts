/**
 * Atomic file writes, for every file sregistry rewrites in place (the blob
 * cache's `index.json`, the settings file, the docker config): the bytes go
 * to a temporary file in the same folder, named by {@linkcode partialPath},
 * which is then renamed over the target. Readers see the old or the new
 * content, never a half-written file; on failure the temporary file is
 * removed and the target is left as it was.
 * @module
 */
import { dirname } from "node:path";
import { partialPath } from "./temp_names.ts";

/** Re-exported for callers of earlier versions; the names are temp_names.ts's. */
export { partialPath };

/** How {@linkcode writeFileAtomic} writes. */
export interface AtomicWriteOptions {
  /** Permission bits of the file, applied exactly whatever the umask. Default 0o644. */
  mode?: number;
  /** Flush the data to disk before the rename (for files that must survive a crash). Default false. */
  fsync?: boolean;
  /** When given, a missing parent folder is created with this mode; otherwise it must exist. */
  dirMode?: number;
}

/**
 * Writes `data` to `path` atomically with `options.mode` (default 0o644).
 * A symbolic link at `path` is followed, so rewriting keeps the link and
 * replaces the file it points to.
 *
 * @throws {Deno.errors.NotFound} (or another `Deno.errors` class) when the
 *   folder is missing or not writable; the target is then unchanged.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const mode = options.mode ?? 0o644;
  const target = resolveLink(path);
  if (options.dirMode !== undefined) {
    Deno.mkdirSync(dirname(target), { recursive: true, mode: options.dirMode });
  }
  const temp = partialPath(target);
  try {
    const file = createTemp(temp, mode);
    try {
      writeAll(file, typeof data === "string" ? new TextEncoder().encode(data) : data);
      if (options.fsync) file.syncSync();
    } finally {
      file.close();
    }
    Deno.chmodSync(temp, mode); // the umask may have narrowed it
    Deno.renameSync(temp, target);
  } catch (e) {
    try {
      Deno.removeSync(temp);
    } catch { /* renamed or never created */ }
    throw e;
  }
}

/** Follows a symbolic link at `path` (a dangling one is replaced). */
function resolveLink(path: string): string {
  try {
    if (Deno.lstatSync(path).isSymlink) return Deno.realPathSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return path;
}

/**
 * Creates the temporary file, never opening something already there: a
 * leftover of a dead process that had our pid is removed first.
 */
function createTemp(temp: string, mode: number): Deno.FsFile {
  const open = () => Deno.openSync(temp, { write: true, createNew: true, mode });
  try {
    return open();
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    Deno.removeSync(temp);
    return open();
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}
