/**
 * Temporary work folders under SREGISTRY_TMPDIR, named with the owner's pid so
 * a later run can sweep those of dead processes, and removed when disposed even
 * when the image made parts of them read-only.
 * @module
 */
import { processAlive } from "../store/locks.ts";

const PREFIX = "sregistry-work-";

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
  Deno.mkdirSync(parent, { recursive: true });
  await sweepWorkDirs(parent);
  const path = Deno.makeTempDirSync({ dir: parent, prefix: `${PREFIX}${Deno.pid}-` });
  return { path, [Symbol.asyncDispose]: () => removeTree(path) };
}

/** Removes work folders of processes that are gone. */
export async function sweepWorkDirs(parent: string): Promise<number> {
  let removed = 0;
  for (const entry of Deno.readDirSync(parent)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry.name);
    if (!m || !entry.isDirectory || processAlive(Number(m[1]))) continue;
    await removeTree(`${parent}/${entry.name}`);
    removed++;
  }
  return removed;
}
