/**
 * Writes a SIF file from byte arrays and files, using the pure layout of
 * `sif.ts`. File sources (the squashfs, possibly gigabytes) are streamed in
 * large chunks, never loaded whole.
 * @module
 */

import { layoutSif, type SifObject, type SifOptions } from "./encoder.ts";

/** A SIF object with where its bytes come from. */
export type SifSource = SifObject & { source: Uint8Array | { file: string } };

const CHUNK = 4 * 1024 * 1024;

/**
 * Writes a SIF holding `objects` (in order) to `path`, replacing any file
 * there. The `size` of a file source is checked against the file.
 */
export async function writeSif(
  path: string,
  objects: SifSource[],
  options?: SifOptions,
): Promise<void> {
  for (const object of objects) await checkSize(object);
  const layout = layoutSif(objects, options);
  const out = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(out, layout.head);
    for (const [index, object] of objects.entries()) {
      const { padding } = layout.objects[index];
      if (padding > 0) await writeAll(out, new Uint8Array(padding));
      if (object.source instanceof Uint8Array) await writeAll(out, object.source);
      else await copyFile(out, object.source.file, object.size);
    }
  } finally {
    out.close();
  }
}

async function checkSize(object: SifSource): Promise<void> {
  const actual = object.source instanceof Uint8Array
    ? object.source.length
    : (await Deno.stat(object.source.file)).size;
  if (actual !== object.size) {
    throw new RangeError(
      `A SIF object's size is ${object.size} but its source has ${actual} bytes`,
    );
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

async function copyFile(out: Deno.FsFile, path: string, size: number): Promise<void> {
  const input = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    let copied = 0;
    while (copied < size) {
      const n = await input.read(buffer);
      if (n === null) throw new RangeError(`${path} ended after ${copied} of ${size} bytes`);
      const take = Math.min(n, size - copied);
      await writeAll(out, buffer.subarray(0, take));
      copied += take;
    }
  } finally {
    input.close();
  }
}
