import { assertEquals } from "./_assert.ts";
import { buildImage } from "./_images.ts";
import { pushImage, startRegistry } from "./_registry.ts";

Deno.test("startRegistry() serves pushed images and logs requests", async () => {
  await using reg = await startRegistry();
  const image = await buildImage({
    layers: [{ entries: [{ name: "hello.txt", content: "hi\n" }] }],
  });
  await pushImage(reg, "test/hello", "v1", image);
  const res = await fetch(`${reg.url}/v2/test/hello/manifests/v1`, {
    headers: { Accept: image.manifest.mediaType },
  });
  assertEquals(res.headers.get("docker-content-digest"), image.manifest.digest);
  assertEquals(new Uint8Array(await res.arrayBuffer()), image.manifest.bytes);
  const log = await reg.requests();
  assertEquals(log.at(-1), { method: "GET", path: "/v2/test/hello/manifests/v1", status: 200 });
});
