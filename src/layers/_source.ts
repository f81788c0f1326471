/**
 * Feeds an uncompressed tar web stream into tar-stream and yields its entries
 * one at a time, with a ceiling on the bytes read (decompression bombs).
 * Every entry body must be consumed or drained before asking for the next.
 * @module
 */
// @ts-types="npm:@types/tar-stream@3.1.5"
import tar from "tar-stream";

/** A tar entry: its header and its body (iterate it fully, or call `drain`). */
export interface SourceEntry {
  header: tar.Headers;
  body: AsyncIterable<Uint8Array>;
  drain(): Promise<void>;
}

/** An entry body that could not be read to its end (truncated archive); `cause` says why. */
export class SourceError extends Error {
  constructor(options?: ErrorOptions) {
    super("the archive ends inside an entry", options);
    this.name = "SourceError";
  }
}

/** Thrown through the iteration when the stream exceeds `maxBytes`. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes uncompressed`);
    this.name = "TooLargeError";
  }
}

/** Waits for `drain` or `close`, removing both listeners afterwards. */
function drained(extract: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      extract.off("drain", done);
      extract.off("close", done);
      resolve();
    };
    extract.on("drain", done);
    extract.on("close", done);
  });
}

async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  extract: tar.Extract,
  maxBytes: number,
  onBytes: (n: number) => void,
): Promise<void> {
  let total = 0;
  while (!extract.destroyed) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) throw new TooLargeError(maxBytes);
    onBytes(value.length);
    if (!extract.write(value)) await drained(extract);
  }
  if (!extract.destroyed) extract.end();
}

async function* guard(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  while (true) {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await it.next();
    } catch (e) {
      if (e instanceof TooLargeError) throw e;
      throw new SourceError({ cause: e });
    }
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Yields the entries of `stream`. Parser and read errors (truncation, bad
 * headers, `TooLargeError`) are thrown from the iteration; leaving the loop
 * early cancels the stream.
 */
export async function* tarEntries(
  stream: ReadableStream<Uint8Array>,
  opts: { maxBytes: number; onBytes?: (n: number) => void },
): AsyncGenerator<SourceEntry> {
  const reader = stream.getReader();
  const extract = tar.extract();
  const pumping = pump(reader, extract, opts.maxBytes, opts.onBytes ?? (() => {}))
    .catch((e) => {
      extract.destroy(e);
    });
  try {
    for await (const entry of extract) {
      const drain = async () => {
        for await (const _ of entry) { /* discard */ }
      };
      yield { header: entry.header, body: guard(entry), drain };
      await drain();
    }
  } finally {
    if (!extract.destroyed) extract.destroy();
    await reader.cancel().catch(() => {});
    await pumping;
  }
}
