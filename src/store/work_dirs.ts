/**
 * Temporary files of a pull and the leftovers of pulls that died:
 * - work folders under SREGISTRY_TMPDIR, named with the owner's pid and host,
 *   removed when disposed even when the image made parts of them read-only,
 *   and swept when their owner is a dead process on this host;
 * - partial SIF files beside their final path (`.<file>.<host>.<pid>.partial`),
 *   swept the same way;
 * - image files in storage that no record names (a crash between renaming the
 *   SIF into place and committing its record), removed by the next pull of
 *   that image while it holds the catalogue's write lock.
 * @module
 */
import { hostname } from "node:os";
import { processAlive } from "./locks.ts";

const PREFIX = "sregistry-work-";
const HOST = hostname();
const DAY_MS = 86_400_000;

/** Work folders and partial image files of this process (see `removeTemporaryNow`). */
const live = new Set<string>();

/**
 * Removes this process's work folders and partial image files at once,
 * synchronously: for a pull that the user interrupts and that exits without
 * unwinding. What remains (a folder being written meanwhile) is swept by the
 * next pull.
 */
export function removeTemporaryNow(): void {
  for (const path of live) {
    makeWritable(path);
    try {
      Deno.removeSync(path, { recursive: true });
    } catch { /* gone */ }
    // The SIF assembly's own file beside a partial image: `.<partial's name>.<uuid>.partial`.
    const { dir, base } = split(path);
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.name.startsWith(`.${base}.`) && e.name.endsWith(".partial")) {
          removeFile(`${dir}/${e.name}`);
        }
      }
    } catch { /* no folder */ }
  }
  live.clear();
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
    path = Deno.makeTempDirSync({ dir: parent, prefix: `${PREFIX}${Deno.pid}@${HOST}-` });
  } catch (e) {
    // Deno's message for makeTempDir names no path; the caller's error report needs it.
    throw new Error(`Cannot create a work folder in '${parent}': ${(e as Error).message}`, {
      cause: e,
    });
  }
  live.add(path);
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
    const m = new RegExp(`^${PREFIX}(\\d+)(@.*)?-[^-]+$`).exec(entry.name);
    if (!m || !entry.isDirectory) continue;
    const here = m[2] === undefined || entry.name.startsWith(`${PREFIX}${m[1]}@${HOST}-`);
    if (!here || processAlive(Number(m[1]))) continue;
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
 * with host and pid (and removed by `removeTemporaryNow` if still there).
 */
export function partialPath(target: string): string {
  const { dir, base } = split(target);
  const path = `${dir}/.${base}.${HOST}.${Deno.pid}.partial`;
  live.add(path);
  return path;
}

/**
 * Removes partial files of `target` (any host's, older than a day) and of
 * dead processes on this host (those of managed storage names too, any tag).
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
  // Also `.<partial>.<uuid>.partial`: the SIF assembly's own file beside this process's partial.
  const own = new RegExp(
    `^\\.\\.?(.+)\\.${
      HOST.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    }\\.(\\d+)\\.partial(?:\\.[0-9a-f-]{36}\\.partial)?$`,
  );
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".partial")) continue;
    const path = `${dir}/${entry.name}`;
    const m = own.exec(entry.name);
    const dead = m !== null &&
      (m[1] === base || `.${m[1]}` === base || /@[a-z0-9]+:[A-Za-z0-9=_-]+\.sif$/.test(m[1])) &&
      !processAlive(Number(m[2]));
    const old = entry.name.startsWith(`.${base}.`) && ageMs(path) > DAY_MS;
    if (dead || old) removed += removeFile(path);
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
