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
 * The parsed items of the archive, one entry at a time: the parser pauses at
 * the end of each entry and the rest of the chunk waits for the next refill.
 * Queueing every entry of a chunk at once (about 64 small files per 64 KiB)
 * kept their headers and body views alive across young-generation
 * collections, which V8 answers by growing the old generation.
 */
class Items {
  #items: Item[] = [];
  #head = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #parser: TarReader;
  #count: (n: number) => void;
  /** The unparsed rest of the current chunk. */
  #chunk: Uint8Array | undefined;
  #ended = false;
  /** A fault is thrown once the items parsed before it are consumed (the last good entry). */
  #fault: { error: unknown } | undefined;

  constructor(
    stream: ReadableStream<Uint8Array>,
    opts: { maxBytes: number; onBytes?: (n: number) => void; holes?: boolean },
  ) {
    const items = this.#items;
    const visitor: TarVisitor = {
      header: (h) => void items.push(h),
      body: (chunk) => void items.push(chunk),
      end: () => {
        items.push(null);
        this.#parser.pause();
      },
    };
    if (opts.holes) visitor.hole = (n) => void items.push(n);
    // sparse holes count like inflated bytes
    this.#parser = new TarReader(visitor, { maxHoleBytes: opts.maxBytes });
    this.#reader = stream.getReader();
    this.#count = byteCeiling(opts.maxBytes, opts.onBytes);
  }

  /** The next item, `undefined` after the last; throws the source's fault. */
  next(): Item | undefined | Promise<Item | undefined> {
    if (this.#head < this.#items.length) return this.#items[this.#head++];
    return this.#refill();
  }

  async #refill(): Promise<Item | undefined> {
    while (this.#head === this.#items.length) {
      if (this.#fault) throw this.#fault.error;
      if (this.#ended) return undefined;
      this.#items.length = 0;
      this.#head = 0;
      try {
        await this.#parse();
      } catch (error) {
        if (typeof error === "object" && error !== null) SOURCE_ERRORS.add(error);
        this.#fault = { error };
        this.#chunk = undefined;
      }
    }
    return this.#items[this.#head++];
  }

  /** Parses up to the end of the next entry, reading chunks as needed. */
  async #parse(): Promise<void> {
    const parser = this.#parser;
    while (this.#items.length === 0) {
      if (parser.done) return void (this.#ended = true);
      let chunk = this.#chunk;
      if (chunk === undefined) {
        const { done, value } = await this.#reader.read();
        if (done) {
          this.#ended = true;
          return parser.close();
        }
        this.#count(value.length);
        chunk = value;
      }
      const used = parser.write(chunk);
      this.#chunk = used < chunk.length && !parser.done ? chunk.subarray(used) : undefined;
    }
  }

  /** Stops reading: cancels the stream. */
  async cancel(): Promise<void> {
    this.#chunk = undefined;
    await this.#reader.cancel().catch(() => {});
  }
}

/** An entry and its body, iterated once (one object: no generator per entry). */
class Entry<C extends BodyChunk> implements SourceEntry<C>, AsyncIterableIterator<C> {
  readonly header: TarHeader;
  #items: Items;
  #finished = false;

  constructor(header: TarHeader, items: Items) {
    this.header = header;
    this.#items = items;
  }

  get body(): AsyncIterable<C> {
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<C> {
    return this;
  }

  async next(): Promise<IteratorResult<C>> {
    if (this.#finished) return { done: true, value: undefined };
    let item = this.#items.next();
    if (item instanceof Promise) item = await item;
    if (item === null || item === undefined) {
      this.#finished = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: item as C };
  }

  async drain(): Promise<void> {
    while (!this.#finished) await this.next();
  }
}

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
  const items = new Items(stream, opts);
  try {
    while (true) {
      let item = items.next();
      if (item instanceof Promise) item = await item;
      if (item === undefined) return;
      // an undrained body
      if (item === null || item instanceof Uint8Array || typeof item === "number") continue;
      const entry = new Entry<Chunk>(item, items);
      yield entry;
      await entry.drain();
    }
  } finally {
    await items.cancel();
  }
}
