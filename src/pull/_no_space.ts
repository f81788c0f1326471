/**
 * Full disks reported as users can act on them: "Cannot write to DIR: no
 * space left on device: free space or set VAR".
 * @module
 */
import { isNoSpace, NoSpaceError } from "../errors.ts";

export { NoSpaceError };

/**
 * Runs `fn`; a full disk (see `isNoSpace`: ENOSPC/EDQUOT by `code`, or a
 * {@linkcode NoSpaceError} from an external tool) becomes a `NoSpaceError`
 * "Cannot write to DIR: no space left on device: free space or set VAR". One
 * that already names its folder and setting (the blob cache's, an inner
 * call's) passes unchanged. An external tool (mksquashfs) writes its
 * temporary squashfs in the work folder, so its failure names `tmpDir` when
 * given.
 */
export function noSpaceIn<T>(
  dir: string,
  variable: string,
  fn: () => T,
  o: { tmpDir?: string } = {},
): T {
  const fail = (e: unknown): never => {
    if (e instanceof NoSpaceError && e.variable) throw e; // its folder is named already
    if (!isNoSpace(e)) throw e;
    const [where, what] = o.tmpDir && e instanceof NoSpaceError && e.tool
      ? [o.tmpDir, "SREGISTRY_TMPDIR"]
      : [dir, variable];
    throw new NoSpaceError({ path: where, variable: what }, { cause: e });
  };
  try {
    const result = fn();
    return result instanceof Promise ? result.catch(fail) as T : result;
  } catch (e) {
    return fail(e);
  }
}
