/**
 * Whether a local file is a SIF image, by its header: the SIF global header
 * holds the magic `SIF_MAGIC` (NUL-padded to 10 bytes) at byte 32, after the
 * 32-byte launch script (apptainer/sif `pkg/sif`, header `Magic`).
 * @module
 */

/** Where the magic starts in the global header, in bytes. */
const MAGIC_OFFSET = 32;
const MAGIC = new TextEncoder().encode("SIF_MAGIC\0");

/**
 * Reads the first 42 bytes of `path` and checks the SIF magic.
 *
 * @returns true for a SIF file; false for a shorter file or another magic.
 * @throws {Deno.errors.NotFound} and the other errors of `Deno.openSync`.
 */
export function isSifFile(path: string): boolean {
  using file = Deno.openSync(path);
  const head = new Uint8Array(MAGIC_OFFSET + MAGIC.length);
  let filled = 0;
  while (filled < head.length) {
    const n = file.readSync(head.subarray(filled));
    if (n === null) return false;
    filled += n;
  }
  return MAGIC.every((b, i) => head[MAGIC_OFFSET + i] === b);
}
