/**
 * Temporary files of a pull and the leftovers of pulls that died (names from
 * `temp_names.ts`, which reads them back):
 * - work folders under SREGISTRY_TMPDIR, named with the owner's pid and host,
 *   removed when disposed even when the image made parts of them read-only,
 *   and swept when their owner is a dead process on this host;
 * - partial SIF files beside their final path, swept the same way;
 * - the `--sandbox` / `--keep-sandbox` folder a pull fills, removed (emptied
 *   when the user had made it) when the pull is interrupted;
 * - image files in storage that no record names (a crash between renaming the
 *   SIF into place and committing its record), removed by the next pull of
 *   that image while it holds the catalogue's write lock.
 * @module
 */
import {
  ownerState,
  parsePartialName,
  parseWorkDirName,
  partialOwnerState,
  partialPath,
  workDirPrefix,
} from "./temp_names.ts";

const DAY_MS = 86_400_000;

/**
 * What this process removes when interrupted (see `removeTemporaryNow`):
 * each path, and whether only its content goes (a folder the user had made).
 */
const live = new Map<string, { contentOnly: boolean }>();

/**
 * Removes this process's work folders, partial image files and sandbox
 * folders at once, synchronously: for a pull that the user interrupts and
 * that exits without unwinding. What remains (a folder being written
 * meanwhile) is swept by the next pull.
 */
export function removeTemporaryNow(): void {
  for (const [path, { contentOnly }] of live) {
    makeWritable(path);
    if (contentOnly) emptyFolder(path);
    else {
      try {
        Deno.removeSync(path, { recursive: true });
      } catch { /* gone */ }
    }
  }
  live.clear();
}

/**
 * Creates the sandbox folder `dir` a pull fills (with its parents) unless it
 * exists, and registers it until disposed: an interrupt removes it, or only
 * its content when it existed before. `remove()` does the same at once (for
 * a failed pull).
 * @throws what creating the folder throws (`Deno.errors.PermissionDenied`...)
 */
export function openSandbox(dir: string): Disposable & { remove(): void } {
  let existed = false;
  try {
    Deno.mkdirSync(dir);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) existed = true;
    else if (e instanceof Deno.errors.NotFound) Deno.mkdirSync(dir, { recursive: true });
    else throw e;
  }
  live.set(dir, { contentOnly: existed });
  const untrack = () => void live.delete(dir);
  return {
    remove: () => {
      untrack();
      makeWritable(dir);
      if (existed) emptyFolder(dir);
      else {
        try {
          Deno.removeSync(dir, { recursive: true });
        } catch { /* the error being thrown says more */ }
      }
    },
    [Symbol.dispose]: untrack,
  };
}

function emptyFolder(dir: string): void {
  try {
    for (const entry of Deno.readDirSync(dir)) {
      try {
        Deno.removeSync(`${dir}/${entry.name}`, { recursive: true });
      } catch { /* best effort */ }
    }
  } catch { /* gone */ }
}

/** A temporary folder removed on dispose. */
export interface TempDir extends AsyncDisposable {
  path: string;
}

/** Removes a tree, first giving its owner write access to every folder in it. */
export async function removeTree(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
    return;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
  }
  makeWritable(path);
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

function makeWritable(dir: string): void {
  try {
    const info = Deno.lstatSync(dir);
    if (!info.isDirectory) return;
    Deno.chmodSync(dir, (info.mode ?? 0o700) | 0o700);
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isDirectory) makeWritable(`${dir}/${entry.name}`);
    }
  } catch { /* best effort */ }
}

/** Creates a work folder in `parent`, sweeping those left by dead processes. */
export async function temporaryDir(parent: string): Promise<TempDir> {
  let path: string;
  try {
    Deno.mkdirSync(parent, { recursive: true });
    await sweepWorkDirs(parent);
    path = Deno.makeTempDirSync({ dir: parent, prefix: workDirPrefix() });
  } catch (e) {
    // Deno's message for makeTempDir names no path; the caller's error report needs it.
    throw new Error(`Cannot create a work folder in '${parent}': ${(e as Error).message}`, {
      cause: e,
    });
  }
  live.set(path, { contentOnly: false });
  return {
    path,
    [Symbol.asyncDispose]: () => {
      live.delete(path);
      return removeTree(path);
    },
  };
}

/**
 * Removes work folders of processes that are gone: those of this host whose
 * pid is dead (folders without a host are taken as this host's). Folders of
 * other hosts (a shared SREGISTRY_TMPDIR) are left to their owners.
 */
export async function sweepWorkDirs(parent: string): Promise<number> {
  let removed = 0;
  for (const entry of Deno.readDirSync(parent)) {
    const owner = parseWorkDirName(entry.name);
    if (!owner || !entry.isDirectory || ownerState(owner) !== "dead") continue;
    await removeTree(`${parent}/${entry.name}`);
    removed++;
  }
  return removed;
}

function split(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: path };
  return { dir: path.slice(0, slash) || "/", base: path.slice(slash + 1) };
}

/**
 * The partial file this process builds `target` in: hidden, beside it, named
 * by `temp_names.ts` `partialPath` (and removed by `removeTemporaryNow` if
 * still there).
 */
export function trackedPartial(target: string): string {
  const path = partialPath(target);
  live.set(path, { contentOnly: false });
  return path;
}

/**
 * Removes partial files of `target` (any host's, older than a day) and of
 * dead processes on this host (those of managed storage names too, any tag;
 * names of earlier versions too). A file named with this process's pid that
 * it did not create is a dead process's whose pid was reused: removed too.
 * @returns how many files were removed.
 */
export function sweepPartials(target: string): number {
  const { dir, base } = split(target);
  let removed = 0;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".partial")) continue;
    const path = `${dir}/${entry.name}`;
    const partial = parsePartialName(entry.name);
    // Another host's name of an earlier version does not parse: known by its start.
    const mine = partial?.target === base || entry.name.startsWith(`.${base}.`);
    const related = mine || /@[a-z0-9]+:[A-Za-z0-9=_-]+\.sif$/.test(partial?.target ?? "");
    const dead = partial !== undefined && related &&
      partialOwnerState(entry.name, partial) === "dead";
    if (dead || (mine && ageMs(path) > DAY_MS)) removed += removeFile(path);
  }
  return removed;
}

/**
 * Removes the image files of storage folder `dir` named `<tag>@<digest>.sif`
 * that no record names (`named` answers for a path). Call it inside the
 * catalogue's write transaction, after the new record is in: another pull
 * renames its file into place inside that same lock, so a file found here
 * without a record was left by a process that died before committing.
 * @returns the removed paths.
 */
export function sweepOrphanImages(
  dir: string,
  tag: string,
  named: (path: string) => boolean,
): string[] {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.startsWith(`${tag}@`)) continue;
    if (!/^[^@]+@[a-z0-9]+:[A-Za-z0-9=_-]+\.sif$/.test(entry.name)) continue;
    const path = `${dir}/${entry.name}`;
    if (!named(path) && removeFile(path)) removed.push(path);
  }
  return removed;
}

function ageMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return 0;
  }
}

function removeFile(path: string): number {
  try {
    Deno.removeSync(path);
    return 1;
  } catch {
    return 0; // gone
  }
}
