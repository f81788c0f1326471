/**
 * A layer descriptor whose size is not the blob's (a manifest pushed with a
 * wrong `size`, which the registry accepts): before, a size larger than the
 * blob said "resuming … at byte 104 … 416 Range Not Satisfiable … check the
 * reference and the registry address". Now: "the registry sent 104 bytes,
 * the manifest says 114 bytes", at once, with no resume. The real registry.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { blob, buildImage, MEDIA } from "../_images.ts";
import { pushImage, pushManifest, startRegistry } from "../_registry.ts";

Deno.test("sregistry pull names a blob of another size than its descriptor", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome({ SREGISTRY_RETRIES: "2" });
  const image = await buildImage({ layers: [{ entries: [{ name: "f", content: "x\n" }] }] });
  await pushImage(reg, "t/size", "ok", image);
  const manifest = JSON.parse(new TextDecoder().decode(image.manifest.bytes));
  const layer = image.layers[0];
  for (const delta of [10, -10]) {
    const wrong = blob(MEDIA.ociManifest, {
      ...manifest,
      layers: [{ ...manifest.layers[0], size: layer.size + delta }],
    });
    const tag = `delta${delta}`;
    await pushManifest(reg, "t/size", tag, wrong);
    const res = await home.run(["pull", "--no-https", `${reg.host}/t/size:${tag}`]);
    assertEquals(res.code, 1, res.stderr);
    assertStringIncludes(
      res.stderr,
      `the registry sent ${layer.size} bytes, the manifest says ${layer.size + delta} bytes`,
    );
    assertStringIncludes(res.stderr, "ask its publisher to push it again");
    assert(!/resuming|416/.test(res.stderr), res.stderr);
  }
  const gets = (await reg.requests()).filter((r) =>
    r.method === "GET" && r.path.endsWith(`/blobs/${layer.digest}`)
  );
  assertEquals(gets.length, 2, JSON.stringify(gets));
});
