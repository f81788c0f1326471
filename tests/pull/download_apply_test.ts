/**
 * downloadAndApply(): layers downloaded into the blob cache are applied in
 * order, each read once; the layer the engine is at is read from its
 * download while it arrives; a failed download is reported rather than what
 * its partial bytes looked like.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { buildImage } from "../_images.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { downloadAndApply } from "../../src/pull/download.ts";
import type { ImageSource, Resolved } from "../../src/sources/source.ts";
import type { Descriptor } from "../../src/image/manifest.ts";
import { streamOf } from "../_streams.ts";

/** A source serving `blobs` (bytes by digest), slowly, optionally corrupting one. */
function sourceOf(
  resolved: Resolved,
  blobs: Map<string, Uint8Array>,
  opts: { corrupt?: string; opened?: string[] } = {},
): ImageSource {
  return {
    name: "test",
    verifies: false,
    resolve: () => Promise.resolve(resolved),
    openBlob: (desc: Descriptor) => {
      opts.opened?.push(desc.digest);
      let bytes = blobs.get(desc.digest)!;
      if (desc.digest === opts.corrupt) {
        bytes = bytes.slice(0, Math.floor(bytes.length / 2)); // cut short: the digest fails
        bytes = new Uint8Array([...bytes, ...new Uint8Array(desc.size - bytes.length)]);
      }
      return Promise.resolve(streamOf(bytes, 1024));
    },
  };
}

async function fixture() {
  const image = await buildImage({
    layers: [
      // incompressible: the blob spans many chunks, so its download outlasts the engine's first read
      { entries: [{ name: "a", content: crypto.getRandomValues(new Uint8Array(60_000)) }] },
      { entries: [{ name: "b", content: "y".repeat(50_000) }, { name: ".wh.a" }] },
    ],
  });
  const blobs = new Map(image.layers.map((l) => [l.digest, l.bytes]));
  const manifest = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
  const resolved = { manifest } as unknown as Resolved;
  const dir = await Deno.makeTempDir({ prefix: "sregistry-apply-" });
  return { image, blobs, resolved, dir, cache: new BlobCache(`${dir}/oci`) };
}

Deno.test("downloadAndApply() applies the layers in order, each read once", async () => {
  const { blobs, resolved, dir, cache } = await fixture();
  try {
    cache.init();
    const opened: string[] = [];
    const seen: string[] = [];
    const downloaded = await downloadAndApply(
      { source: sourceOf(resolved, blobs, { opened }), resolved, cache, jobs: 4 },
      async (tar, layer) => {
        seen.push(layer.digest);
        await tar.cancel();
      },
    );
    const digests = resolved.manifest.layers.map((l) => l.digest);
    assertEquals(seen, digests);
    assertEquals(opened.sort(), [...digests].sort()); // one download each, no re-read
    assertEquals(downloaded, 2);
    for (const d of digests) assert(cache.has({ digest: d, size: blobs.get(d)!.length }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadAndApply() reports a failed download rather than what its partial bytes looked like", async () => {
  const { blobs, resolved, dir, cache } = await fixture();
  try {
    cache.init();
    const bad = resolved.manifest.layers[0].digest;
    const error = await assertRejects(() =>
      downloadAndApply(
        { source: sourceOf(resolved, blobs, { corrupt: bad }), resolved, cache, jobs: 1 },
        async (tar) => {
          // the engine finds the layer broken early, while it still downloads
          await tar.getReader().read();
          throw new Error("the layer is truncated or not a tar archive");
        },
      )
    );
    assert(/digest|sha256/i.test((error as Error).message), (error as Error).message);
    assertEquals(cache.has({ digest: bad, size: blobs.get(bad)!.length }), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadAndApply() reads the first layer from its download, the others from it or the cache", async () => {
  const { blobs, resolved, dir, cache } = await fixture();
  try {
    cache.init();
    const log: string[] = [];
    const onEvent = (e: { kind: string; state?: string; digest?: string }) => {
      if (e.kind === "layer" && e.state === "extracting") log.push(`cache ${e.digest}`);
    };
    await downloadAndApply(
      { source: sourceOf(resolved, blobs), resolved, cache, jobs: 4, onEvent },
      async (tar, layer) => {
        log.push(`apply ${layer.digest}`);
        assert((await new Response(tar).arrayBuffer()).byteLength > 0);
      },
    );
    const [first, second] = resolved.manifest.layers.map((l) => l.digest);
    // the engine claims layer 0 before its download starts: it is read as it arrives
    assertEquals(log[0], `apply ${first}`);
    assertEquals(log.filter((l) => l.startsWith("apply")), [`apply ${first}`, `apply ${second}`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
