/**
 * Where the squashfs bytes go: positions are relative to the start of the
 * squashfs, which sits at byte `offset` of the file (a SIF partition offset,
 * or 0 for a bare image).
 * @module
 */

/** Writes bytes at positions relative to the squashfs start. */
export interface OutputSink {
  /** Writes all of `bytes` at `position` (synchronously; the bytes may be reused after). */
  writeAt(bytes: Uint8Array, position: number): void;
}

/** An {@link OutputSink} over an open file, the squashfs starting at `offset`. */
export function fileSink(file: Deno.FsFile, offset: number): OutputSink {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`The squashfs offset must be a non-negative integer, got ${offset}`);
  }
  let at = -1;
  return {
    writeAt(bytes, position) {
      const target = offset + position;
      if (target !== at) file.seekSync(target, Deno.SeekMode.Start);
      let done = 0;
      while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
      at = target + bytes.length;
    },
  };
}
