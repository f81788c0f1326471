import * as zlib from "node:zlib";
import { assert, assertEquals } from "../_assert.ts";
import { compressBlock, type ZlibApi } from "../../src/squashfs/compress.ts";
import { bytes } from "../_image_trees.ts";

/** node:zlib, counting the compression calls. */
function counting(): ZlibApi & { calls: number } {
  const api = {
    calls: 0,
    deflateSync(data: Uint8Array, options: { level: number }) {
      api.calls++;
      return zlib.deflateSync(data, options);
    },
    zstdCompressSync(data: Uint8Array, options: { params: Record<number, number> }) {
      api.calls++;
      return zlib.zstdCompressSync(data, options);
    },
    constants: zlib.constants,
  };
  return api as ZlibApi & { calls: number };
}

const BLOCK = 131072;

Deno.test("compressBlock() stores random and already compressed blocks without trying to compress them", () => {
  const gz = zlib.gzipSync(bytes(4 * BLOCK, "text", 3), { level: 9 });
  const random = bytes(BLOCK, "random", 1);
  const cases = [
    { name: "random", block: random },
    { name: "gzip output", block: new Uint8Array(gz.buffer, gz.byteOffset, BLOCK / 8) },
  ];
  for (const { name, block } of cases) {
    for (const codec of [1, 6]) {
      const api = counting();
      const result = compressBlock(api, block, codec, 6, true);
      assertEquals(result, { zero: false }, name);
      assertEquals(api.calls, 0, `${name}: a compression was attempted`);
    }
  }
});

Deno.test("compressBlock() compresses text, marks zeros sparse only for data blocks", () => {
  const text = bytes(BLOCK, "text", 2);
  for (const codec of [1, 6]) {
    const api = counting();
    const result = compressBlock(api, text, codec, 6, true);
    assert(result.packed && result.packed.length < BLOCK / 2, "text did not compress");
    assertEquals(api.calls, 1);
    const back = codec === 1
      ? zlib.inflateSync(result.packed)
      : zlib.zstdDecompressSync(result.packed);
    assertEquals(new Uint8Array(back), text);
  }
  const zeros = new Uint8Array(BLOCK);
  assertEquals(compressBlock(counting(), zeros, 1, 6, true), { zero: true });
  assert(compressBlock(counting(), zeros, 1, 6, false).packed, "a fragment of zeros is compressed");
  // Half random, half text: the sampled entropy must not call it incompressible.
  const mixed = bytes(BLOCK, "random", 4);
  mixed.set(text.subarray(0, BLOCK / 2), BLOCK / 2);
  assert(compressBlock(counting(), mixed, 1, 6, true).packed, "a half-text block was stored raw");
});
