/**
 * Downloads continued across pulls: a pull the user interrupts keeps each
 * blob's partial file as `<hex>.interrupted.partial` (see
 * `keepPartialDownloads`); the next pull of that blob, holding its lock,
 * takes the file over, hashes what it holds and asks the source only for the
 * bytes after it (HTTP `Range`). Kept files nobody continues for a week are
 * swept.
 * @module
 */
import { DigestVerifier } from "../digest.ts";
import { partialPath } from "./atomic_file.ts";

/** The name ending of a kept partial download, after the blob's final path. */
export const KEPT_SUFFIX = ".interrupted.partial";

const WEEK_MS = 7 * 86_400_000;

/** A kept partial download taken over: its new path and a verifier fed with its bytes. */
export interface Kept {
  path: string;
  verifier: DigestVerifier;
}

/**
 * Takes over the kept partial download of the blob at `final`, if any: renames
 * it to a partial name of this process and hashes it. Call it holding the
 * blob's lock. A kept file as large as the blob or larger is removed (it
 * cannot be continued).
 * @returns undefined when there is nothing to continue.
 */
export async function adoptKept(
  final: string,
  digest: string,
  size: number | undefined,
): Promise<Kept | undefined> {
  const kept = `${final}${KEPT_SUFFIX}`;
  const path = partialPath(final);
  try {
    Deno.renameSync(kept, path);
  } catch {
    return undefined; // none kept
  }
  const bytes = Deno.statSync(path).size;
  if (bytes === 0 || (size !== undefined && bytes >= size)) {
    Deno.removeSync(path);
    return undefined;
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path); // its readable closes it
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    Deno.removeSync(path); // unreadable (another user's, chmod 000): fetched from its start
    return undefined;
  }
  const verifier = await DigestVerifier.resume(digest, file.readable, {
    expectedSize: size,
    what: `blob ${digest}`,
  });
  return { path, verifier };
}

/** Removes `path` when it is a kept partial download older than a week. */
export function sweepKept(path: string, name: string): boolean {
  if (!/^[a-f0-9]{64}\.interrupted\.partial$/.test(name)) return false;
  try {
    if (Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0) < WEEK_MS) return false;
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Resumable downloads under way in this process: partial path to final path. */
const active = new Map<string, string>();

/** Registers (or, with `final` undefined, forgets) a resumable download's partial file. */
export function trackPartial(tmp: string, final?: string): void {
  if (final === undefined) active.delete(tmp);
  else active.set(tmp, final);
}

/**
 * Keeps the partial files of resumable downloads under way in this process
 * (in any blob cache) for the next pull to continue: each is renamed to
 * `<hex>.interrupted.partial`. Called, synchronously, when the user
 * interrupts a pull (Ctrl-C), just before exiting.
 * @returns the blobs kept, with the bytes each holds (empty files are left).
 */
export function keepPartialDownloads(): { digest: string; bytes: number }[] {
  const kept: { digest: string; bytes: number }[] = [];
  for (const [tmp, final] of active) {
    try {
      const bytes = Deno.statSync(tmp).size;
      if (bytes === 0) continue;
      Deno.renameSync(tmp, `${final}${KEPT_SUFFIX}`);
      kept.push({ digest: `sha256:${final.slice(final.lastIndexOf("/") + 1)}`, bytes });
    } catch { /* finished or removed meanwhile */ }
  }
  active.clear();
  return kept;
}
