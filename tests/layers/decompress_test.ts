import { zstdCompressSync } from "node:zlib";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { gzip } from "../_images.ts";
import { buildTar } from "../_tar.ts";
import { SregistryError } from "../../src/errors.ts";
import { decompress, sniffCompression } from "../../src/layers/decompress.ts";
import { streamOf } from "../_streams.ts";

const tar = buildTar([{ name: "hello", content: "hello world ".repeat(5000) }]);

async function bytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const cases: { name: string; make: () => Promise<Uint8Array> | Uint8Array; mediaType: string }[] = [
  { name: "gzip", make: () => gzip(tar), mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" },
  {
    name: "zstd",
    make: () => new Uint8Array(zstdCompressSync(tar)),
    mediaType: "application/vnd.oci.image.layer.v1.tar+zstd",
  },
  { name: "plain tar", make: () => tar, mediaType: "application/vnd.oci.image.layer.v1.tar" },
  {
    name: "plain tar labelled gzip",
    make: () => tar,
    mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  },
  {
    name: "zstd labelled gzip",
    make: () => new Uint8Array(zstdCompressSync(tar)),
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  },
];

for (const c of cases) {
  for (const chunk of [1, 3, 65536]) {
    Deno.test(`decompress() ${c.name} in ${chunk}-byte chunks`, async () => {
      const input = await c.make();
      const out = await bytes(decompress(streamOf(input, chunk === 1 ? 1 : chunk), c.mediaType));
      assertEquals(out.length, tar.length);
      assertEquals(out, tar);
    });
  }
}

Deno.test("decompress() passes an empty layer through", async () => {
  assertEquals((await bytes(decompress(streamOf(new Uint8Array()), "x"))).length, 0);
});

Deno.test("decompress() fails on a corrupt gzip layer", async () => {
  const gz = await gzip(tar);
  await assertRejects(() => bytes(decompress(streamOf(gz.slice(0, gz.length - 20)), "gz")), Error);
});

Deno.test("sniffCompression() refuses xz and bzip2 layers", () => {
  assertThrows(
    () => sniffCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), "layer sha256:1"),
    SregistryError,
    "xz",
  );
  assertThrows(
    () => sniffCompression(new TextEncoder().encode("BZh91AY")),
    SregistryError,
    "bzip2",
  );
});

Deno.test("decompress() cancelling the output cancels the source", async () => {
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(tar.slice(0, 1024)),
    cancel: () => {
      cancelled = true;
    },
  });
  const reader = decompress(source, "x").getReader();
  await reader.read();
  await reader.cancel();
  assertEquals(cancelled, true);
});

Deno.test("decompress() fails, not hangs, when the compressed source fails midway", async () => {
  const zstd = (t: Uint8Array) => Promise.resolve(new Uint8Array(zstdCompressSync(t)));
  for (const compress of [gzip, zstd]) {
    const layer = await compress(tar);
    let sent = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error("connection reset by peer"));
        sent = true;
        controller.enqueue(layer.subarray(0, Math.floor(layer.length / 2)));
      },
    });
    await assertRejects(() => bytes(decompress(source, "layer")), Error, "connection reset");
  }
});
