/**
 * Compression of one squashfs block (data, fragment or metadata) with
 * `node:zlib`'s synchronous calls: gzip means a zlib stream (RFC 1950, what
 * squashfs's "gzip" compressor holds), zstd a zstd frame.
 *
 * {@link compressBlock} runs both on the main thread and inside the
 * compression Workers, whose source is built from its text
 * (`Function.prototype.toString`): it must stay self-contained, referring to
 * nothing outside its body but its parameters.
 * @module
 */

import * as zlib from "node:zlib";
import type { BlockCompressor } from "./metadata.ts";

/** The `node:zlib` functions a block compressor needs (the module itself in practice). */
export interface ZlibApi {
  deflateSync(data: Uint8Array, options: { level: number }): Uint8Array;
  zstdCompressSync(
    data: Uint8Array,
    options: { params: Record<number, number>; pledgedSrcSize?: number },
  ): Uint8Array;
  constants: { ZSTD_c_compressionLevel: number; ZSTD_c_windowLog: number };
}

/** What became of a block. */
export interface BlockResult {
  /** Every byte is zero (only checked when asked): store a sparse block. */
  zero: boolean;
  /** The compressed bytes; undefined when the block is stored uncompressed. */
  packed?: Uint8Array;
}

/**
 * Compresses `bytes` with squashfs compressor `codec` (1 gzip, 6 zstd) at
 * `level`. Returns `{ zero: true }` for an all-zero block when `detectZero`;
 * no `packed` when the result would not be smaller than the input, or when
 * the bytes' order-0 entropy (computed from a byte histogram, about 20x
 * cheaper than a compression attempt) is above 7.97 bits per byte, which is
 * random or already compressed data that neither codec shrinks.
 */
export function compressBlock(
  api: ZlibApi,
  bytes: Uint8Array,
  codec: number,
  level: number,
  detectZero: boolean,
): BlockResult {
  const counts = new Uint32Array(256);
  for (let i = 0; i < bytes.length; i++) counts[bytes[i]]++;
  if (detectZero && counts[0] === bytes.length) return { zero: true };
  if (bytes.length >= 4096) {
    let entropy = 0;
    for (let i = 0; i < 256; i++) {
      if (counts[i] === 0) continue;
      const p = counts[i] / bytes.length;
      entropy -= p * Math.log2(p);
    }
    if (entropy > 7.97) return { zero: false };
  }
  // The kernel's zstd reader allows a window of one block at most: without
  // a window log the level's default (2 MiB at level 3) makes it refuse the
  // image ("Failed to read block").
  const windowLog = Math.max(10, Math.ceil(Math.log2(Math.max(bytes.length, 1))));
  const packed = codec === 6
    ? api.zstdCompressSync(bytes, {
      params: {
        [api.constants.ZSTD_c_compressionLevel]: level,
        [api.constants.ZSTD_c_windowLog]: windowLog,
      },
      pledgedSrcSize: bytes.length,
    })
    : api.deflateSync(bytes, { level });
  return packed.length < bytes.length ? { zero: false, packed } : { zero: false };
}

/** A main-thread {@link BlockCompressor} for metadata blocks. */
export function metadataCompressor(codec: number, level: number): BlockCompressor {
  return (block) => compressBlock(zlib as unknown as ZlibApi, block, codec, level, false).packed;
}
