/**
 * Reads an uncompressed tar web stream with {@link TarReader} and yields its
 * entries one at a time, each body an async iterable, with a ceiling on the
 * bytes read (decompression bombs). Every entry body must be consumed or
 * drained before asking for the next.
 * @module
 */
import { type TarHeader, TarReader, type TarVisitor } from "./reader.ts";

/**
 * A piece of an entry's body: bytes, or a number `n` for `n` zero bytes (a
 * hole of a GNU sparse file, which a writer can leave unwritten).
 */
export type BodyChunk = Uint8Array | number;

/**
 * A tar entry: its header and its body (iterate it fully, or call `drain`);
 * the body has holes as numbers ({@link BodyChunk}) when asked for.
 */
export interface SourceEntry<C extends BodyChunk = Uint8Array> {
  header: TarHeader;
  body: AsyncIterable<C>;
  drain(): Promise<void>;
}

/** Thrown through the iteration when the stream exceeds `maxBytes`. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes uncompressed`);
    this.name = "TooLargeError";
  }
}

/** Counts the bytes of a stream, throwing {@link TooLargeError} past `maxBytes`. */
export function byteCeiling(maxBytes: number, onBytes?: (n: number) => void): (n: number) => void {
  let total = 0;
  return (n) => {
    total += n;
    if (total > maxBytes) throw new TooLargeError(maxBytes);
    onBytes?.(n);
  };
}

/**
 * Feeds `stream` to `parser` chunk by chunk, yielding after each chunk, until
 * the end marker or the end of the stream; throws {@link TooLargeError} past
 * `maxBytes`. Leaving the loop early cancels the stream.
 */
export async function* feedTar(
  stream: ReadableStream<Uint8Array>,
  parser: TarReader,
  opts: { maxBytes: number; onBytes?: (n: number) => void },
): AsyncGenerator<void> {
  const reader = stream.getReader();
  const count = byteCeiling(opts.maxBytes, opts.onBytes);
  try {
    while (!parser.done) {
      const { done, value } = await reader.read();
      if (done) return parser.close();
      count(value.length);
      parser.write(value);
      yield;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const SOURCE_ERRORS = new WeakSet<object>();

/**
 * True for an error {@link tarEntries} threw because of its input (the
 * archive, or the stream it reads: decompression, a bomb), as opposed to an
 * error of the caller's handling of an entry.
 */
export function isSourceError(e: unknown): boolean {
  return typeof e === "object" && e !== null && SOURCE_ERRORS.has(e);
}

/** A parsed item: an entry's header, a piece of its body, or `null` at the end of its body. */
type Item = TarHeader | BodyChunk | null;

/**
 * Yields the entries of `stream`. Parser and read errors (truncation, bad
 * headers, `TooLargeError`) are thrown from the iteration once every entry
 * before the fault was yielded; leaving the loop early cancels the stream.
 * With `holes`, the holes of sparse files come as numbers (their length),
 * else as zero bytes.
 */
export async function* tarEntries<H extends boolean = false>(
  stream: ReadableStream<Uint8Array>,
  opts: { maxBytes: number; onBytes?: (n: number) => void; holes?: H },
): AsyncGenerator<SourceEntry<H extends true ? BodyChunk : Uint8Array>> {
  type Chunk = H extends true ? BodyChunk : Uint8Array;
  let queue: Item[] = [];
  let head = 0;
  const visitor: TarVisitor = {
    header: (h) => queue.push(h),
    body: (chunk) => queue.push(chunk),
    end: () => queue.push(null),
  };
  if (opts.holes) visitor.hole = (n) => queue.push(n);
  // sparse holes count like inflated bytes
  const parser = new TarReader(visitor, { maxHoleBytes: opts.maxBytes });
  const chunks = feedTar(stream, parser, opts);
  let ended = false;
  // A chunk's fault is thrown once the entries parsed before it are consumed,
  // so the caller knows the last good entry.
  let fault: { error: unknown } | undefined;
  const next = async (): Promise<Item | undefined> => {
    while (head === queue.length) {
      if (fault) throw fault.error;
      if (ended) return undefined;
      queue = [];
      head = 0;
      try {
        ended = (await chunks.next()).done === true;
      } catch (error) {
        if (typeof error === "object" && error !== null) SOURCE_ERRORS.add(error);
        fault = { error };
      }
    }
    return queue[head++];
  };
  try {
    for (let item = await next(); item !== undefined; item = await next()) {
      // an undrained body
      if (item === null || item instanceof Uint8Array || typeof item === "number") continue;
      let finished = false;
      const drain = async () => {
        while (!finished) finished = (await next()) === null;
      };
      const body = {
        async *[Symbol.asyncIterator]() {
          while (!finished) {
            const chunk = await next();
            if (chunk === null) finished = true;
            else yield chunk as Chunk;
          }
        },
      };
      yield { header: item, body, drain };
      await drain();
    }
  } finally {
    await chunks.return(undefined);
  }
}
