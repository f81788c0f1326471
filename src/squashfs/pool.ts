/**
 * A pool of compression Workers running {@link compressBlock} with the
 * synchronous `node:zlib` calls. Measured in Deno 2.9.6 on 128 KiB blocks of
 * binaries: `deflateSync` level 6 about 54 MB/s on one core against 44 MB/s
 * for the callback API, which also runs on the main thread's event loop;
 * Workers with the sync calls use every processor and leave the main thread
 * to parse the layers.
 *
 * Each Worker is created from a Blob URL holding its source, built from the
 * text of `compressBlock`, so it also runs from the single-file bundle
 * (`deno task bundle`), where no separate worker module exists.
 * @module
 */

import { compressBlock } from "./compress.ts";
import type { BlockResult } from "./compress.ts";

const WORKER_SOURCE = `import * as zlib from "node:zlib";
import { createHash } from "node:crypto";
const compressBlock = (${compressBlock.toString()});
self.onmessage = (event) => {
  const { id, bytes, codec, level, isBlock } = event.data;
  try {
    const result = compressBlock(zlib, bytes, codec, level, isBlock);
    const digest = !isBlock ? undefined : result.zero
      ? new Uint8Array(32)
      : new Uint8Array(createHash("sha256").update(bytes).digest());
    // The input always goes back: the writer reuses it (freed here, it waited in the malloc
    // heap for this Worker's next full collection).
    const reply = { id, zero: result.zero, packed: result.packed, digest, bytes };
    const transfer = [bytes.buffer];
    if (result.packed) transfer.push(result.packed.buffer);
    self.postMessage(reply, transfer);
  } catch (error) {
    self.postMessage({ id, error: String(error && error.stack || error) });
  }
};
`;

/**
 * A block's result; `bytes` is the input handed back (what is stored when
 * there is no `packed`; the caller may reuse its buffer once done with it);
 * `digest` the SHA-256 of a data block (32 zero bytes for an all-zero one),
 * none for a fragment block.
 */
export interface PoolResult extends BlockResult {
  bytes?: Uint8Array;
  digest?: Uint8Array;
}

interface Pending {
  resolve: (result: PoolResult) => void;
  reject: (error: Error) => void;
}

/** Compresses blocks on `size` Workers; one job at a time per Worker. */
export class CompressionPool {
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #queue: { id: number; message: unknown; transfer: Transferable[] }[] = [];
  #pending = new Map<number, Pending>();
  #busy = new Map<Worker, number>();
  #nextId = 0;
  #url: string;
  #closed = false;

  /** Starts `size` Workers compressing with squashfs compressor `codec` at `level`. */
  constructor(size: number, readonly codec: number, readonly level: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`processors must be a positive integer, got ${size}`);
    }
    this.#url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    for (let i = 0; i < size; i++) {
      const worker = new Worker(this.#url, { type: "module" });
      worker.onmessage = (event) => this.#done(worker, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(new Error(`A compression worker failed: ${event.message}`));
      };
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  /**
   * Compresses `bytes` (its buffer is transferred to the Worker: the caller
   * must not use it again; it comes back as `result.bytes`, stored as it is
   * when there is no `result.packed`). A data block (`isBlock`) is also checked for zeros (a
   * sparse block) and hashed; a fragment block is neither.
   */
  compress(bytes: Uint8Array, isBlock: boolean): Promise<PoolResult> {
    if (this.#closed) return Promise.reject(new Error("The compression pool is closed"));
    const id = this.#nextId++;
    const message = { id, bytes, codec: this.codec, level: this.level, isBlock };
    const promise = new Promise<PoolResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#queue.push({ id, message, transfer: [bytes.buffer as ArrayBuffer] });
    this.#dispatch();
    return promise;
  }

  /** Stops every Worker; jobs not done reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
    URL.revokeObjectURL(this.#url);
    const error = new Error("The compression pool was closed");
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#queue = [];
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      this.#busy.set(worker, job.id);
      worker.postMessage(job.message, job.transfer);
    }
  }

  #done(worker: Worker, data: PoolResult & { id: number; error?: string }): void {
    this.#busy.delete(worker);
    this.#idle.push(worker);
    const pending = this.#pending.get(data.id);
    this.#pending.delete(data.id);
    if (pending) {
      if (data.error) pending.reject(new Error(`Cannot compress a block: ${data.error}`));
      else {
        pending.resolve({
          zero: data.zero,
          packed: data.packed,
          bytes: data.bytes,
          digest: data.digest,
        });
      }
    }
    this.#dispatch();
  }

  #fail(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.close();
  }
}
