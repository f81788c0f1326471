/**
 * Atomic, private file writes: a temporary file in the same directory with
 * mode 0600, flushed, then renamed over the target. Readers see the old or
 * the new content, never a half-written file.
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Follows a symbolic link at `path` so that rewriting keeps the link. */
function resolveTarget(path: string): string {
  try {
    if (Deno.lstatSync(path).isSymlink) return Deno.realPathSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return path;
}

/**
 * Writes `text` to `path` atomically with mode 0600, creating the parent
 * directory (mode 0700) when missing. The temporary file is removed when
 * anything fails.
 */
export function writeFileAtomic(path: string, text: string): void {
  const target = resolveTarget(path);
  const dir = dirname(target);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(target)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    const file = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.chmodSync(temp, 0o600); // the umask may have narrowed it; never widen beyond 0600
    Deno.renameSync(temp, target);
  } catch (e) {
    try {
      Deno.removeSync(temp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
}
