/**
 * The data area of a squashfs (format.adoc "Data and Fragment Blocks"): file
 * contents cut into blocks, compressed on the pool's Workers, written in the
 * order they were given whatever order the Workers finish in.
 *
 * Everything that decides where bytes go (block positions, which fragment
 * block a tail joins, whether a content is a duplicate) happens in one
 * ordered queue of slots, applied strictly in order as results arrive, so the
 * image does not depend on the number of Workers or their timing:
 *
 * - a full block of zeros becomes a sparse block (size 0, nothing stored);
 * - a tail shorter than a block joins the open fragment block;
 * - a content seen before (same size and SHA-256 over the Workers' block
 *   digests and the tail) is stored once: the output rewinds over the
 *   duplicate's blocks and its tail is dropped.
 * @module
 */

import { createHash } from "node:crypto";
import { DATA_UNCOMPRESSED, SUPERBLOCK_SIZE } from "./format.ts";
import type { FileData } from "../layers/image_tree.ts";
import { ContentIndex } from "./content_index.ts";
import { FIELD, FileTable } from "./file_table.ts";
import { Sha256 } from "./sha256.ts";
import type { CompressionPool, PoolResult } from "./pool.ts";
import type { OutputSink } from "./sink.ts";
import { TailRing } from "./tail_ring.ts";

/** Up to this many bytes, a content key is hashed in TypeScript rather than by node:crypto. */
const SMALL_KEY_INPUT = 512;

type Slot =
  | { kind: "block"; file: FileData; first: boolean; result?: PoolResult }
  | { kind: "fragment"; index: number; result?: PoolResult }
  | { kind: "end"; file: FileData; tail?: Uint8Array; cost: number; result: true }
  | { kind: "flush"; result: true };

/** What the Workers give for an all-zero data block: no bytes, a digest of 32 zeros. */
const ZERO_BLOCK: PoolResult = { zero: true, digest: new Uint8Array(32) };
/** Zeros written for the parts of a hole that do not fill a whole block. */
const ZERO_CHUNK = new Uint8Array(64 * 1024);
/** What an applied slot of the queue is replaced with. */
const APPLIED: Slot = { kind: "flush", result: true };

/** Writes file contents and fragment blocks; see the module doc. */
export class DataWriter {
  /** The records of the contents stored (the {@link FileData} each sink's `end()` gives). */
  readonly files: FileTable = new FileTable();
  #pool: CompressionPool;
  #out: OutputSink;
  #blockSize: number;
  #maxInFlight: number;
  #slots: Slot[] = [];
  #head = 0;
  /** Slots from `#head` to here are fragment blocks compressing or applied already. */
  #early = 0;
  /** Where the slot being applied is in the queue. */
  #applying = 0;
  #position = SUPERBLOCK_SIZE;
  #sizes = new Uint32Array(1024);
  #sizeCount = 0;
  /** Digests of the blocks of the file being applied. */
  #digests: Uint8Array[] = [];
  #fragments: number[] = []; // pairs: start, size word
  #fragment = new Uint8Array(0);
  #fragmentFill = 0;
  #seen: ContentIndex = new ContentIndex(this.files);
  #sha = new Sha256();
  #key = new Uint8Array(32);
  #error: Error | undefined;
  #waiters: { ready: () => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Block and fragment slots not applied yet (each holds up to a block). */
  #heavy = 0;
  /** Bytes of tails in end slots not applied yet. */
  #tailBytes = 0;
  #tails: TailRing;
  #open = false;
  /**
   * The current file's partial block, reused from file to file: a buffer per
   * file cost 128 KiB of short-lived external memory each, which V8 collects
   * late (548 MB RSS for 300,000 small files).
   */
  #staging: Uint8Array | undefined;
  /**
   * Block buffers the Workers handed back, reused for blocks and fragment
   * blocks: a new 128 KiB buffer per block, freed by a Worker, waited in the
   * malloc heap for that Worker's next full collection (300,000 small files:
   * about 40 MB of RSS).
   */
  #spare: ArrayBuffer[] = [];

  constructor(pool: CompressionPool, out: OutputSink, blockSize: number, maxInFlight: number) {
    this.#pool = pool;
    this.#out = out;
    this.#blockSize = blockSize;
    this.#maxInFlight = maxInFlight;
    this.#tails = new TailRing(8 * blockSize);
  }

  /**
   * Starts a file; contents are given to the returned sink in order, `zeros(n)`
   * adding `n` zero bytes without materialising whole blocks of them (each
   * becomes a sparse block at once, as an all-zero block written would).
   */
  beginFile(): { write(chunk: Uint8Array): void; zeros(n: number): void; end(): FileData } {
    this.#check();
    if (this.#open) throw new Error("A file is still being written: end() it first");
    this.#open = true;
    const files = this.files;
    const file = files.add();
    let size = 0;
    let fill = 0;
    let first = true;
    const sink = {
      write: (chunk: Uint8Array) => {
        this.#check();
        size += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          const block = this.#staging ??= this.#buffer();
          const take = Math.min(chunk.length - at, this.#blockSize - fill);
          block.set(chunk.subarray(at, at + take), fill);
          fill += take;
          at += take;
          if (fill === this.#blockSize) {
            this.#staging = undefined; // transferred to a Worker
            this.#submit({ kind: "block", file, first }, block, true);
            first = false;
            fill = 0;
          }
        }
      },
      zeros: (n: number) => {
        // The block being filled gets real zeros; whole blocks after it are sparse.
        const head = Math.min(n, (this.#blockSize - fill) % this.#blockSize);
        for (let at = 0; at < head; at += ZERO_CHUNK.length) {
          sink.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, head - at)));
        }
        const blocks = Math.floor((n - head) / this.#blockSize);
        if (blocks > 0) {
          this.#check();
          size += blocks * this.#blockSize;
          for (let i = 0; i < blocks; i++, first = false) {
            this.#heavy++;
            this.#push({ kind: "block", file, first, result: ZERO_BLOCK });
          }
        }
        for (let rest = n - head - blocks * this.#blockSize; rest > 0; rest -= ZERO_CHUNK.length) {
          sink.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, rest)));
        }
      },
      end: () => {
        this.#check();
        this.#open = false;
        files.set(file, FIELD.size, size);
        if (size === 0) return file;
        let tail: Uint8Array | undefined;
        let cost = 0;
        if (fill > 0) {
          const staged = this.#staging!.subarray(0, fill);
          const taken = this.#tails.take(staged);
          tail = taken?.view ?? staged.slice();
          cost = taken?.cost ?? 0;
        }
        this.#tailBytes += fill;
        this.#push({ kind: "end", file, tail, cost, result: true });
        return file;
      },
    };
    return sink;
  }

  /**
   * Resolves once fewer than the in-flight bound of blocks are queued or
   * compressing, and fewer than 4 blocks' worth of small files' tails wait
   * for them (tails do not count as blocks: a small file would otherwise stall
   * the caller while a fragment block compresses).
   */
  drain(): Promise<void> {
    return this.#wait(() =>
      this.#heavy < this.#maxInFlight && this.#tailBytes < 4 * this.#blockSize
    );
  }

  /**
   * Flushes the last fragment block and waits for every slot to be applied.
   * Returns where the data area ends and the fragment table entries
   * (16 bytes each: u64 start, u32 size word, u32 0).
   */
  async finish(): Promise<{ end: number; fragments: Uint8Array }> {
    this.#check();
    if (this.#open) throw new Error("A file is still being written: end() it first");
    this.#push({ kind: "flush", result: true });
    await this.#wait(() => this.#head === this.#slots.length);
    const count = this.#fragments.length / 2;
    const table = new Uint8Array(count * 16);
    const view = new DataView(table.buffer);
    for (let i = 0; i < count; i++) {
      view.setBigUint64(i * 16, BigInt(this.#fragments[2 * i]), true);
      view.setUint32(i * 16 + 8, this.#fragments[2 * i + 1], true);
    }
    this.#seen.clear();
    return { end: this.#position, fragments: table };
  }

  /** The `count` block size words of a file from its `blocks` index. */
  blockSizes(first: number, count: number): Uint32Array {
    return this.#sizes.subarray(first, first + count);
  }

  /** Fails every waiter with `error` (used by abort). */
  fail(error: Error): void {
    this.#error ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error);
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  /** Queues `slot` at `at` (default: the end) and starts compressing `bytes` for it. */
  #submit(
    slot: Extract<Slot, { kind: "block" | "fragment" }>,
    bytes: Uint8Array,
    isBlock: boolean,
    at = this.#slots.length,
  ): void {
    this.#slots.splice(at, 0, slot);
    this.#heavy++;
    this.#pool.compress(bytes, isBlock).then((result) => {
      slot.result = result;
      this.#pump();
    }, (error) => this.fail(error));
  }

  #push(slot: Slot): void {
    this.#slots.push(slot);
    const last = this.#slots.length - 1;
    if (this.#head === last || (slot.kind === "end" && this.#early === last)) this.#pump();
  }

  /**
   * Applies finished slots in order; then the end slots that only fragment
   * blocks still compressing come before (see {@link DataWriter.#applyEarly}).
   */
  #pump(): void {
    try {
      const slots = this.#slots;
      while (this.#head < slots.length && slots[this.#head].result) {
        const slot = slots[this.#head];
        if (slot !== APPLIED) {
          this.#applying = this.#head;
          this.#apply(slot);
        }
        // Applied slots are let go at once: held in the queue, a small file's
        // slot and tail view outlived two young-generation collections and
        // became old-generation garbage, which V8 answers by growing the heap.
        slots[this.#head++] = APPLIED;
      }
      this.#applyEarly();
      if (this.#head === slots.length) {
        slots.length = 0;
        this.#head = this.#early = 0;
      } else if (this.#head > 1024 && this.#head * 2 > slots.length) {
        this.#slots = slots.slice(this.#head);
        this.#early -= this.#head;
        this.#head = 0;
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.ready()) return true;
      waiter.resolve();
      return false;
    });
  }

  /**
   * Applies the end slots that only fragment blocks still compressing (or
   * slots applied already) come before. Such an end slot belongs to a file
   * with no blocks (a file's block slots come right before its end slot), so
   * applying it reads and writes no output position: it only hashes the
   * tail, finds duplicates and fills the open fragment block, in the same
   * order as in turn, so the image is the same. Waiting for each fragment
   * block's Worker held about 2,000 small files' slots and tails (their
   * objects promoted to the old generation) and stalled the layer engine.
   */
  #applyEarly(): void {
    const slots = this.#slots;
    if (this.#early < this.#head) this.#early = this.#head;
    for (; this.#early < slots.length; this.#early++) {
      const slot = slots[this.#early];
      if (slot === APPLIED || slot.kind === "fragment") continue;
      if (slot.kind !== "end") return;
      this.#applying = this.#early;
      this.#apply(slot);
      slots[this.#early] = APPLIED;
    }
  }

  #apply(slot: Slot): void {
    if (slot.kind === "end") {
      this.#tailBytes -= slot.tail?.length ?? 0;
      this.#endFile(slot.file, slot.tail);
      return this.#tails.release(slot.cost);
    }
    if (slot.kind === "flush") return this.#flushFragment();
    this.#heavy--;
    const result = slot.result!;
    if (slot.kind === "block" && slot.first) {
      this.files.set(slot.file, FIELD.start, this.#position);
      this.files.set(slot.file, FIELD.blocks, this.#sizeCount);
      this.#digests = [];
    }
    let word = 0;
    if (!result.zero) {
      const bytes = result.packed ?? result.bytes!;
      this.#out.writeAt(bytes, this.#position);
      this.#position += bytes.length;
      word = bytes.length | (result.packed ? 0 : DATA_UNCOMPRESSED);
    }
    if (result.bytes) this.#recycle(result.bytes.buffer);
    if (slot.kind === "fragment") {
      this.#fragments[2 * slot.index] = this.#position - (word & 0xffffff);
      this.#fragments[2 * slot.index + 1] = word;
      return;
    }
    if (result.zero) {
      this.files.setSparse(slot.file, this.files.sparse(slot.file) + this.#blockSize);
    }
    this.#digests.push(result.digest!);
    this.#pushSize(word);
  }

  /** A file's blocks are all applied: store it once, or point it at the same content. */
  #endFile(file: FileData, tail: Uint8Array | undefined): void {
    const files = this.files;
    const blocks = files.get(file, FIELD.blocks);
    const digests = blocks >= 0 ? this.#digests : [];
    // The same SHA-256 either way: node:crypto's costs a native object and a
    // Buffer per call (about 6 us), ours is slower per byte (60 MB/s).
    const hash = digests.length * 32 + (tail?.length ?? 0) <= SMALL_KEY_INPUT
      ? this.#sha.reset()
      : createHash("sha256");
    for (const digest of digests) hash.update(digest);
    if (tail) hash.update(tail);
    files.setKey(file, hash instanceof Sha256 ? hash.digestInto(this.#key) : hash.digest());
    this.#digests = [];
    const original = this.#seen.find(file);
    if (original >= 0) {
      if (blocks >= 0) {
        this.#position = files.get(file, FIELD.start); // rewind over the duplicate's blocks
        this.#sizeCount = blocks;
      }
      files.copyPlace(file, original);
      return;
    }
    this.#seen.add(file);
    if (tail) this.#addTail(file, tail);
  }

  #addTail(file: FileData, tail: Uint8Array): void {
    if (this.#fragmentFill + tail.length > this.#fragment.length) {
      this.#flushFragment();
      this.#fragment = this.#buffer();
      this.#fragments.push(0, 0);
    }
    this.files.set(file, FIELD.fragment, this.#fragments.length / 2 - 1);
    this.files.set(file, FIELD.fragmentOffset, this.#fragmentFill);
    this.#fragment.set(tail, this.#fragmentFill);
    this.#fragmentFill += tail.length;
  }

  /** Queues the open fragment block right after the slot being applied. */
  #flushFragment(): void {
    if (this.#fragmentFill === 0) return;
    const slot = { kind: "fragment" as const, index: this.#fragments.length / 2 - 1 };
    this.#submit(slot, this.#fragment.subarray(0, this.#fragmentFill), false, this.#applying + 1);
    this.#fragment = new Uint8Array(0);
    this.#fragmentFill = 0;
  }

  /** A block-sized buffer: a spare one, else a new one (contents undefined). */
  #buffer(): Uint8Array<ArrayBuffer> {
    const spare = this.#spare.pop();
    return spare ? new Uint8Array(spare) : new Uint8Array(this.#blockSize);
  }

  /** Keeps a block-sized buffer the writer no longer reads for {@link DataWriter.#buffer}. */
  #recycle(buffer: ArrayBufferLike): void {
    if (buffer.byteLength === this.#blockSize && this.#spare.length < this.#maxInFlight + 2) {
      this.#spare.push(buffer as ArrayBuffer);
    }
  }

  #pushSize(word: number): void {
    if (this.#sizeCount === this.#sizes.length) {
      const grown = new Uint32Array(this.#sizes.length * 2);
      grown.set(this.#sizes);
      this.#sizes = grown;
    }
    this.#sizes[this.#sizeCount++] = word;
  }

  #wait(ready: () => boolean): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ ready, resolve, reject }));
  }
}
