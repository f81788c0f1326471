/**
 * File-level pieces of the blob cache: digest to file name, the sweep of
 * leftovers (partial files of dead processes, kept partial downloads older
 * than a week, stale locks), writing a stream to a partial file, and the
 * errors for a damaged cached copy and a full disk.
 * @module
 */
import { DigestMismatchError, isNoSpace, NoSpaceError, SregistryError } from "../errors.ts";
import { removeStaleLock } from "./locks.ts";
import { parsePartialName, partialOwnerState } from "./temp_names.ts";
import { sweepKept } from "./_blob_resume.ts";
import { layoutPaths } from "./oci_layout.ts";

/** The hex part of a sha256 digest, for file names. */
export function hexOf(digest: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match) {
    throw new SyntaxError(`Cannot use digest "${digest}": only sha256 digests are supported`);
  }
  return match[1];
}

/** The error for a cached copy whose content is not the blob's (it has been removed). */
export function damagedError(digest: string, actual: string, path: string): DigestMismatchError {
  return new DigestMismatchError({
    expected: digest,
    actual,
    what: `the cached blob ${path}`,
    fault: "cache",
  });
}

/**
 * A full disk while storing `what` in the cache at `root` becomes a
 * {@linkcode NoSpaceError} naming the cache and APPTAINER_CACHEDIR; any other
 * error is returned as it is.
 */
export function cacheStoreError(root: string, what: string, e: unknown): unknown {
  if (!isNoSpace(e)) return e;
  return new NoSpaceError({
    action: `store ${what} in the blob cache ${root}`,
    path: root,
    variable: "APPTAINER_CACHEDIR",
  }, { cause: e });
}

/**
 * Removes the cached blob file at `path` that this user cannot read
 * (`denied`: its mode, or another user's file), so that it is fetched again.
 * @throws {SregistryError} When it cannot be removed either (the folder is
 * not writable): the message says it cannot READ that blob and what to do.
 * Its cause is left out, so it is not taken for a folder refusing a write.
 */
export function removeUnreadable(path: string, denied: Error): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new SregistryError(
      `Cannot read the cached blob ${path}: ${reasonOf(denied)}, and it cannot be removed ` +
        `to fetch it again: ${reasonOf(e)}: have its owner make it readable ` +
        `(chmod a+r ${path}) or remove it ("sregistry cache clean"), ` +
        `or set APPTAINER_CACHEDIR to a cache of your own`,
    );
  }
}

/** "permission denied" from `EACCES: permission denied (os error 13)`-like messages. */
function reasonOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const m = /^(?:[A-Z]+: )?([^(,]+?)(?: \(os error \d+\))?(?:[,:]|$)/.exec(text);
  return (m?.[1] ?? text).trim().toLowerCase();
}

/**
 * Removes, in the cache at `root`, partial files of dead processes on this
 * host (or older than a day), kept partial downloads older than a week, and
 * stale locks (see `removeStaleLock`).
 * @returns how many files were removed.
 */
export function sweepCacheFolder(root: string, staleMs: number): number {
  let removed = 0;
  for (const dir of [layoutPaths(root).blobs, root]) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (/^([a-f0-9]{64}|index\.json)\.lock(\.takeover)?$/.test(entry.name)) {
        if (removeStaleLock(path, staleMs)) removed++;
      } else if (sweepPartial(path, entry.name) || sweepKept(path, entry.name)) removed++;
    }
  }
  return removed;
}

/** Removes `path` when it is the partial file of a dead process on this host, or older than a day. */
function sweepPartial(path: string, name: string): boolean {
  const partial = parsePartialName(name);
  const ours = /^(?:[a-f0-9]{64}|index\.json|oci-layout)(?:\.lock(?:\.takeover)?)?$/;
  if (!partial || !ours.test(partial.target)) return false;
  const deadHere = partialOwnerState(name, partial) === "dead";
  let old = false;
  try {
    old = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0) > 86_400_000;
  } catch { /* gone */ }
  if (!deadHere && !old) return false;
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false; // gone
  }
}

export function knownSize(blob: { size?: number }): number | undefined {
  return blob.size !== undefined && blob.size >= 0 ? blob.size : undefined;
}

function writeAllSync(file: Deno.FsFile, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
}

/** Writes `input` to the open `file`, closing it in any case. */
export async function writeStreamTo(
  file: Deno.FsFile,
  input: ReadableStream<Uint8Array>,
): Promise<void> {
  try {
    for await (const chunk of input) writeAllSync(file, chunk);
  } finally {
    try {
      file.close();
    } catch { /* closed */ }
  }
}
