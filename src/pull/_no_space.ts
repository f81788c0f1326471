/**
 * Full disks reported as users can act on them: "Cannot write to DIR: no
 * space left on device: free space or set VAR".
 * @module
 */
import { SregistryError } from "../errors.ts";
import { isNoSpace } from "../store/blob_cache.ts";

/** A full disk, already reported naming the folder and the variable that moves it. */
export class NoSpaceError extends SregistryError {}

/**
 * Runs `fn`; a full disk becomes "Cannot write to DIR: no space left on
 * device: free space or set VAR". A failed mksquashfs writes its temporary
 * squashfs in the work folder, so it names `tmpDir` when given.
 */
export function noSpaceIn<T>(
  dir: string,
  variable: string,
  fn: () => T,
  o: { tmpDir?: string } = {},
): T {
  const fail = (e: unknown): never => {
    if (e instanceof NoSpaceError) throw e; // an inner folder named already
    if (!isNoSpace(e) || (e instanceof SregistryError && /blob cache/.test(e.message))) throw e;
    const [where, what] = o.tmpDir && /mksquashfs/.test((e as Error).message)
      ? [o.tmpDir, "SREGISTRY_TMPDIR"]
      : [dir, variable];
    throw new NoSpaceError(
      `Cannot write to ${where}: no space left on device (or quota exceeded): ` +
        `free space there or ${what.startsWith("--") ? "give" : "set"} ${what} ${
          what.startsWith("--") ? "a folder" : "to a folder"
        } with more room`,
      { cause: e },
    );
  };
  try {
    const result = fn();
    return result instanceof Promise ? result.catch(fail) as T : result;
  } catch (e) {
    return fail(e);
  }
}
