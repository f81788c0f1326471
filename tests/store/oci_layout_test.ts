import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { sha256Digest } from "../../src/digest.ts";
import { BlobCache } from "../../src/store/blob_cache.ts";
import { initLayout, layoutBlobPath, layoutPaths, REF_NAME } from "../../src/store/oci_layout.ts";
import { LayoutSource } from "../../src/sources/layout.ts";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

Deno.test("initLayout() writes a layout umoci reads, and keeps existing files", async () => {
  const root = await Deno.makeTempDir();
  try {
    initLayout(root);
    const paths = layoutPaths(root);
    assertEquals(JSON.parse(Deno.readTextFileSync(paths.ociLayout)), {
      imageLayoutVersion: "1.0.0",
    });
    assertEquals(JSON.parse(Deno.readTextFileSync(paths.index)).manifests, []);
    assert(Deno.statSync(paths.blobs).isDirectory);
    const ls = await new Deno.Command("umoci", { args: ["ls", "--layout", root], stderr: "piped" })
      .output();
    assert(ls.success, new TextDecoder().decode(ls.stderr));
    Deno.writeTextFileSync(paths.index, '{"schemaVersion":2,"manifests":[]}\n');
    initLayout(root);
    assertEquals(Deno.readTextFileSync(paths.index), '{"schemaVersion":2,"manifests":[]}\n');
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("layoutBlobPath() follows blobs/<algorithm>/<encoded> and refuses other strings", () => {
  const hex = "a".repeat(64);
  assertEquals(layoutBlobPath("/l", `sha256:${hex}`), `/l/blobs/sha256/${hex}`);
  assertEquals(layoutBlobPath("/l", "sha512:abc"), "/l/blobs/sha512/abc");
  for (const bad of ["sha256:../../etc/passwd", "sha256", "../x:y", ""]) {
    assertThrows(() => layoutBlobPath("/l", bad), SyntaxError);
  }
});

Deno.test("the blob cache's layout is what the oci: source reads (one format owner)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const layer = new TextEncoder().encode("not really a layer");
    const config = json({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    });
    const desc = (mediaType: string, bytes: Uint8Array) => ({
      mediaType,
      digest: sha256Digest(bytes),
      size: bytes.length,
    });
    const configDesc = desc("application/vnd.oci.image.config.v1+json", config);
    const layerDesc = desc("application/vnd.oci.image.layer.v1.tar", layer);
    const manifest = json({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configDesc,
      layers: [layerDesc],
    });
    const manifestDesc = desc("application/vnd.oci.image.manifest.v1+json", manifest);
    const cache = new BlobCache(root);
    cache.putBytes(configDesc, config);
    cache.putBytes(layerDesc, layer);
    cache.putBytes(manifestDesc, manifest);
    await cache.tag("example/app:1", manifestDesc);
    assertEquals(cache.index().manifests[0].annotations?.[REF_NAME], "example/app:1");
    const source = new LayoutSource(root, "example/app:1");
    const resolved = await source.resolve();
    assertEquals(resolved.manifestDigest, manifestDesc.digest);
    const read = await new Response(await source.openBlob(layerDesc)).bytes();
    assertEquals(read, layer);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
