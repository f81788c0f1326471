/**
 * The data area of a squashfs (format.adoc "Data and Fragment Blocks"): file
 * contents cut into blocks, compressed on the pool's Workers, written in the
 * order they were given whatever order the Workers finish in (so the bytes do
 * not depend on the number of Workers). Full blocks of zeros become sparse
 * blocks (size 0, nothing stored); tails shorter than a block are packed into
 * fragment blocks; a content seen before (same size and SHA-256) is stored
 * once: the output rewinds over the duplicate's blocks.
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { DATA_UNCOMPRESSED, SUPERBLOCK_SIZE } from "./format.ts";
import { FileRecord } from "./file_record.ts";
import type { CompressionPool, PoolResult } from "./pool.ts";
import type { OutputSink } from "./sink.ts";

type Slot =
  | { kind: "block"; file: FileRecord; first: boolean; result?: PoolResult }
  | { kind: "fragment"; index: number; result?: PoolResult }
  | { kind: "duplicate"; file: FileRecord; original: FileRecord; result: true };

/** Writes file contents and fragment blocks; see the module doc. */
export class DataWriter {
  #pool: CompressionPool;
  #out: OutputSink;
  #blockSize: number;
  #maxInFlight: number;
  #slots: Slot[] = [];
  #head = 0;
  #position = SUPERBLOCK_SIZE;
  #sizes = new Uint32Array(1024);
  #sizeCount = 0;
  #fragments: number[] = []; // pairs: start, size word
  #fragment = new Uint8Array(0);
  #fragmentFill = 0;
  #seen = new Map<string, FileRecord>();
  #error: Error | undefined;
  #waiters: { below: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #open = false;
  /**
   * The current file's partial block, reused from file to file: a buffer per
   * file cost 128 KiB of short-lived external memory each, which V8 collects
   * late (548 MB RSS for 300,000 small files).
   */
  #staging: Uint8Array | undefined;

  constructor(pool: CompressionPool, out: OutputSink, blockSize: number, maxInFlight: number) {
    this.#pool = pool;
    this.#out = out;
    this.#blockSize = blockSize;
    this.#maxInFlight = maxInFlight;
  }

  /** Starts a file; contents are given to the returned sink in order. */
  beginFile(): { write(chunk: Uint8Array): void; end(): FileRecord } {
    this.#check();
    if (this.#open) throw new Error("A file is still being written: end() it first");
    this.#open = true;
    let fill = 0;
    let size = 0;
    let hash: Hash | undefined;
    const file = new FileRecord(0);
    let first = true;
    const submit = (bytes: Uint8Array) => {
      this.#submitBlock(file, first, bytes);
      first = false;
    };
    return {
      write: (chunk) => {
        this.#check();
        if (chunk.length === 0) return;
        (hash ??= createHash("sha256")).update(chunk);
        size += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          const block = this.#staging ??= new Uint8Array(this.#blockSize);
          const take = Math.min(chunk.length - at, this.#blockSize - fill);
          block.set(chunk.subarray(at, at + take), fill);
          fill += take;
          at += take;
          if (fill === this.#blockSize) {
            this.#staging = undefined; // transferred to a Worker
            submit(block);
            fill = 0;
          }
        }
      },
      end: () => {
        this.#check();
        this.#open = false;
        const done = file;
        done.size = size;
        if (size === 0) return done;
        const key = hash!.digest().toString("latin1", 0, 16) + size;
        const original = this.#seen.get(key);
        if (original) {
          done.fragment = original.fragment;
          done.fragmentOffset = original.fragmentOffset;
          if (!first) this.#push({ kind: "duplicate", file: done, original, result: true });
          else copyBlocks(done, original);
          return done;
        }
        this.#seen.set(key, done);
        if (fill > 0) this.#addTail(done, this.#staging!.subarray(0, fill));
        return done;
      },
    };
  }

  /** Resolves once at most the in-flight bound of blocks is queued or compressing. */
  drain(): Promise<void> {
    return this.#waitBelow(this.#maxInFlight);
  }

  /**
   * Flushes the last fragment block and waits for every block to be written.
   * Returns where the data area ends and the fragment table entries
   * (16 bytes each: u64 start, u32 size word, u32 0).
   */
  async finish(): Promise<{ end: number; fragments: Uint8Array }> {
    this.#check();
    if (this.#open) throw new Error("A file is still being written: end() it first");
    this.#flushFragment();
    await this.#waitBelow(1);
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

  #submitBlock(file: FileRecord, first: boolean, bytes: Uint8Array): void {
    const slot: Slot = { kind: "block", file, first };
    this.#push(slot);
    this.#pool.compress(bytes, true).then((result) => {
      slot.result = result;
      this.#pump();
    }, (error) => this.fail(error));
  }

  #addTail(file: FileRecord, tail: Uint8Array): void {
    if (this.#fragmentFill + tail.length > this.#fragment.length) {
      this.#flushFragment();
      this.#fragment = new Uint8Array(this.#blockSize);
      this.#fragments.push(0, 0);
    }
    file.fragment = this.#fragments.length / 2 - 1;
    file.fragmentOffset = this.#fragmentFill;
    this.#fragment.set(tail, this.#fragmentFill);
    this.#fragmentFill += tail.length;
  }

  #flushFragment(): void {
    if (this.#fragmentFill === 0) return;
    const slot: Slot = { kind: "fragment", index: this.#fragments.length / 2 - 1 };
    this.#push(slot);
    this.#pool.compress(this.#fragment.subarray(0, this.#fragmentFill), false).then((result) => {
      slot.result = result;
      this.#pump();
    }, (error) => this.fail(error));
    this.#fragment = new Uint8Array(0);
    this.#fragmentFill = 0;
  }

  #push(slot: Slot): void {
    this.#slots.push(slot);
    if (slot.kind === "duplicate") this.#pump();
  }

  /** Applies finished slots in order. */
  #pump(): void {
    try {
      while (this.#head < this.#slots.length && this.#slots[this.#head].result) {
        this.#apply(this.#slots[this.#head]);
        this.#head++;
      }
      if (this.#head > 1024 && this.#head * 2 > this.#slots.length) {
        this.#slots = this.#slots.slice(this.#head);
        this.#head = 0;
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const inFlight = this.#slots.length - this.#head;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (inFlight >= waiter.below) return true;
      waiter.resolve();
      return false;
    });
  }

  #apply(slot: Slot): void {
    if (slot.kind === "duplicate") {
      this.#position = slot.file.start;
      this.#sizeCount = slot.file.blocks;
      copyBlocks(slot.file, slot.original);
      return;
    }
    const result = slot.result!;
    if (slot.kind === "block" && slot.first) {
      slot.file.start = this.#position;
      slot.file.blocks = this.#sizeCount;
    }
    let word = 0;
    if (!result.zero) {
      const bytes = result.packed ?? result.bytes!;
      this.#out.writeAt(bytes, this.#position);
      this.#position += bytes.length;
      word = bytes.length | (result.packed ? 0 : DATA_UNCOMPRESSED);
    }
    if (slot.kind === "fragment") {
      this.#fragments[2 * slot.index] = this.#position - (word & 0xffffff);
      this.#fragments[2 * slot.index + 1] = word;
      return;
    }
    if (result.zero) slot.file.sparse += this.#blockSize;
    this.#pushSize(word);
  }

  #pushSize(word: number): void {
    if (this.#sizeCount === this.#sizes.length) {
      const grown = new Uint32Array(this.#sizes.length * 2);
      grown.set(this.#sizes);
      this.#sizes = grown;
    }
    this.#sizes[this.#sizeCount++] = word;
  }

  #waitBelow(below: number): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#slots.length - this.#head < below) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ below, resolve, reject }));
  }
}

function copyBlocks(file: FileRecord, original: FileRecord): void {
  file.start = original.start;
  file.blocks = original.blocks;
  file.sparse = original.sparse;
}
