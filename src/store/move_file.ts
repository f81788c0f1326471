/**
 * Moving (or copying) image files, across file systems too, without ever
 * leaving a half-written file under the final name.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { partialPath } from "./temp_names.ts";

/** Moves or copies `from` to `to`, creating `to`'s folder. */
export function moveFile(from: string, to: string, options: { copy?: boolean } = {}): void {
  const dir = to.slice(0, to.lastIndexOf("/")) || "/";
  try {
    Deno.mkdirSync(dir, { recursive: true });
    if (!options.copy) {
      try {
        Deno.renameSync(from, to);
        return;
      } catch (e) {
        if ((e as { code?: unknown })?.code !== "EXDEV") throw e; // another file system: copy
      }
    }
    const partial = partialPath(to);
    try {
      Deno.copyFileSync(from, partial);
      Deno.renameSync(partial, to);
    } catch (e) {
      try {
        Deno.removeSync(partial);
      } catch { /* not created */ }
      throw e;
    }
    if (!options.copy) Deno.removeSync(from);
  } catch (e) {
    if (e instanceof SregistryError) throw e;
    throw new SregistryError(
      `Cannot ${options.copy ? "copy" : "move"} ${from} to ${to}: ${
        (e as Error).message
      }: check that the file exists and the folder is writable`,
      { cause: e },
    );
  }
}
