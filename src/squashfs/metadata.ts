/**
 * Metadata blocks (squashfs 4.0, format.adoc "Packing Metadata"): a stream
 * of records cut into 8 KiB blocks, each compressed on its own and preceded
 * by a u16 holding its stored size (bit 15: stored uncompressed). Records may
 * cross block boundaries. Pure: the compressed blocks stay in memory until
 * the caller writes them.
 * @module
 */

import { METADATA_SIZE, METADATA_UNCOMPRESSED } from "./format.ts";

/**
 * Compresses one block; returns the compressed bytes, or undefined when they
 * would not be smaller than the input (the block is then stored as is).
 */
export type BlockCompressor = (block: Uint8Array) => Uint8Array | undefined;

/** Builds one metadata stream (the inode table, the directory table, a lookup table...). */
export class MetadataWriter {
  #compress: BlockCompressor;
  #block = new Uint8Array(METADATA_SIZE);
  #fill = 0;
  #chunks: Uint8Array[] = [];
  #stored = 0;
  #blockStarts: number[] = [];

  constructor(compress: BlockCompressor) {
    this.#compress = compress;
  }

  /** Uncompressed bytes written so far (a record's position in the stream). */
  get uncompressedLength(): number {
    return this.#blockStarts.length * METADATA_SIZE + this.#fill;
  }

  /** Stored bytes of the blocks flushed so far (where the open block will start). */
  get storedLength(): number {
    return this.#stored;
  }

  /**
   * The reference of the next byte written: the stored start of its block
   * (relative to the stream's start) << 16 | the offset inside the block.
   */
  reference(): number {
    return this.#stored * 0x10000 + this.#fill;
  }

  /** The stored start of the block holding uncompressed position `position`. */
  blockStart(position: number): number {
    const index = Math.floor(position / METADATA_SIZE);
    if (index < this.#blockStarts.length) return this.#blockStarts[index];
    if (index === this.#blockStarts.length) return this.#stored;
    throw new RangeError(`metadata position ${position} is not written yet`);
  }

  /** Appends `bytes` to the stream. */
  write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(bytes.length - at, METADATA_SIZE - this.#fill);
      this.#block.set(bytes.subarray(at, at + take), this.#fill);
      this.#fill += take;
      at += take;
      if (this.#fill === METADATA_SIZE) this.#flush();
    }
  }

  /** Flushes the last, partial block and returns the stored stream. */
  finish(): { chunks: Uint8Array[]; length: number } {
    if (this.#fill > 0) this.#flush();
    return { chunks: this.#chunks, length: this.#stored };
  }

  #flush(): void {
    const plain = this.#block.subarray(0, this.#fill);
    const packed = this.#compress(plain);
    const body = packed && packed.length < plain.length ? packed : plain.slice();
    const header = new Uint8Array(2);
    const word = body.length | (body === packed ? 0 : METADATA_UNCOMPRESSED);
    new DataView(header.buffer).setUint16(0, word, true);
    this.#blockStarts.push(this.#stored);
    this.#chunks.push(header, body);
    this.#stored += 2 + body.length;
    this.#fill = 0;
  }
}

/**
 * A lookup table (format.adoc "Storing Lookup Tables"): `entries` (fixed-size
 * records, concatenated) in metadata blocks placed at absolute position
 * `at`, followed by the uncompressed list of each block's absolute u64
 * location. Returns the bytes to write at `at` and the absolute position of
 * the location list (what the superblock points to).
 */
export function lookupTable(
  entries: Uint8Array,
  at: number,
  compress: BlockCompressor,
): { chunks: Uint8Array[]; length: number; listStart: number } {
  const meta = new MetadataWriter(compress);
  const starts: number[] = [];
  for (let i = 0; i < entries.length; i += METADATA_SIZE) {
    starts.push(at + meta.storedLength);
    meta.write(entries.subarray(i, Math.min(i + METADATA_SIZE, entries.length)));
  }
  const stored = meta.finish();
  const list = new Uint8Array(starts.length * 8);
  const view = new DataView(list.buffer);
  starts.forEach((start, i) => view.setBigUint64(i * 8, BigInt(start), true));
  return {
    chunks: [...stored.chunks, list],
    length: stored.length + list.length,
    listStart: at + stored.length,
  };
}
