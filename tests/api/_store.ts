/**
 * A catalogue and storage in a temporary folder, and a small SIF-looking
 * file, for the tests of the catalogue verbs.
 * @module
 */
import { Catalogue } from "../../src/store/catalogue.ts";

export { exists } from "../_tree.ts";

/** A file with a SIF global header's magic at byte 32 (enough for `add`'s check). */
export const SIF = new TextEncoder().encode(
  "#!/usr/bin/env run-singularity\n\0SIF_MAGIC\0 rest\n",
);

/** Runs `fn` with a catalogue at `<dir>/db` in a new temporary `dir`, removed after. */
export async function withStore(
  fn: (c: Catalogue, dir: string) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  using catalogue = Catalogue.open(`${dir}/db`);
  try {
    await fn(catalogue, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
