/**
 * Moving (or copying) image files, across file systems too, in three steps
 * so that the catalogue record can change together with the file and never
 * name a file that is not there:
 *
 * 1. {@linkcode stageFile}: the file gets a partial name beside its target,
 *    as a hard link when both are on one file system (instant, no copy), else
 *    as a copy written asynchronously (a signal listener can run meanwhile;
 *    the partial is registered with `work_dirs.ts`, so an interrupt removes
 *    it, and the next command writing in that folder sweeps a dead process's).
 * 2. {@linkcode StagedFile.place}: the partial is renamed to the target (the
 *    caller does it inside the catalogue transaction that records the target).
 * 3. {@linkcode StagedFile.finish}: the source name is removed (a move), after
 *    the commit.
 *
 * A process killed between the steps leaves the record naming a file that
 * exists: before step 2 the record names the source; after it, the target.
 * What may stay is a second name of the same file (swept as an orphan or a
 * partial by the next command writing there).
 * @module
 */
import { SregistryError } from "../errors.ts";
import { parsePartialName, partialOwnerState } from "./temp_names.ts";
import { sweepPartials, trackedPartial } from "./work_dirs.ts";

/** A file staged by {@linkcode stageFile}, not yet at its target. */
export interface StagedFile {
  /** The partial file beside the target. */
  readonly partial: string;
  /** Renames the partial to the target (synchronous: call it inside the record's transaction). */
  place(): void;
  /**
   * Removes the source name after a move (not after a copy); a source already gone is fine.
   * @throws {SregistryError} when it cannot (the target is in place and recorded by then)
   */
  finish(): void;
  /** Removes the partial (the step that followed failed). */
  discard(): void;
}

/** link(2)'s `code`s that mean "copy instead": another file system, or no hard links there. */
const COPY_CODES = new Set(["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP"]);

/**
 * Stages `from` for `to` (see the module doc): sweeps dead processes'
 * partial files beside `to`, then links or copies `from` to a fresh partial
 * name there. `to`'s folder is created with `mkdir` unless `noMkdir`.
 *
 * @throws {SregistryError} when `from` cannot be read, the folder cannot be
 *   created or written, or the copy fails (the partial is removed)
 */
export async function stageFile(
  from: string,
  to: string,
  options: { copy?: boolean; noMkdir?: boolean } = {},
): Promise<StagedFile> {
  const verb = options.copy ? "copy" : "move";
  const dir = to.slice(0, to.lastIndexOf("/")) || "/";
  const fail = (e: unknown): never => {
    if (e instanceof SregistryError) throw e;
    throw new SregistryError(
      `Cannot ${verb} ${from} to ${to}: ${
        (e as Error).message
      }: check that the file exists and the folder is writable`,
      { cause: e },
    );
  };
  let partial = "";
  try {
    if (!options.noMkdir) Deno.mkdirSync(dir, { recursive: true });
    sweepPartials(to);
    sweepDeadPartials(dir);
    partial = trackedPartial(to);
    if (!linked(from, partial, options.copy ?? false)) await Deno.copyFile(from, partial);
  } catch (e) {
    if (partial) removeQuietly(partial);
    fail(e);
  }
  return {
    partial,
    place: () => {
      try {
        Deno.renameSync(partial, to);
      } catch (e) {
        removeQuietly(partial);
        fail(e);
      }
    },
    finish: () => {
      if (options.copy) return;
      try {
        Deno.removeSync(from);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return;
        throw new SregistryError(
          `The image is now at ${to}, but ${from} could not be removed: ${
            (e as Error).message
          }: remove it yourself`,
          { cause: e },
        );
      }
    },
    discard: () => removeQuietly(partial),
  };
}

/** Hard-links `from` to `partial` for a move on one file system; false when a copy is needed. */
function linked(from: string, partial: string, copy: boolean): boolean {
  if (copy) return false;
  try {
    Deno.linkSync(from, partial);
    return true;
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    if (typeof code === "string" && COPY_CODES.has(code)) return false;
    if (e instanceof Deno.errors.NotSupported) return false;
    throw e;
  }
}

/**
 * Removes the partial files in `dir` whose owner is a dead process of this
 * host, whatever file they were to become (`sweepPartials` keeps those of
 * other names): a `mv` to a folder sweeps what an earlier killed `mv` of
 * another image left there.
 */
function sweepDeadPartials(dir: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isFile) continue;
    const owner = parsePartialName(entry.name);
    if (owner && partialOwnerState(entry.name, owner) === "dead") {
      removeQuietly(`${dir}/${entry.name}`);
    }
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* not created, or gone */ }
}
