/**
 * Network settings end to end, through the CLI as users run it: Docker Hub
 * mirrors against a real pull-through cache, TLS with a private CA, HTTP
 * proxies from the environment, and rate-limit messages.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

const image = await buildImage({
  layers: [{
    entries: [{ name: "etc", type: "directory" }, { name: "etc/hello", content: "hello\n" }],
    compression: "gzip",
  }],
});
const LAYER = image.layers[0].digest;

Deno.test("sregistry pull of docker.io goes through SREGISTRY_DOCKERHUB_MIRROR, and falls back to the hub when the mirror is down", async () => {
  await using upstream = await startRegistry();
  await pushImage(upstream, "library/tool", "v1", image);
  const proxy = await startRegistry({ proxyRemote: upstream.url });
  await using home = await cliHome({
    SREGISTRY_DOCKERHUB_BASE: upstream.host,
    SREGISTRY_DOCKERHUB_MIRROR: `${proxy.url},http://127.0.0.1:1`,
  });
  try {
    const first = await home.run([
      "--debug",
      "pull",
      "--sandbox",
      `${home.home}/a`,
      "docker.io/library/tool:v1",
    ]);
    assertEquals(first.code, 0, first.stderr);
    assertStringIncludes(first.stderr, `from mirror ${proxy.url}`);
    assertEquals(await Deno.readTextFile(`${home.home}/a/etc/hello`), "hello\n");
    const served = (await proxy.requests()).filter((r) => r.method === "GET" && r.status === 200);
    assert(
      served.some((r) => r.path === `/v2/library/tool/blobs/${LAYER}`),
      JSON.stringify(served),
    );
    // The pull-through cache fetched the layer from upstream.
    const fromUpstream = (await upstream.requests()).filter((r) => r.path.includes(LAYER));
    assert(fromUpstream.some((r) => r.method === "GET"), JSON.stringify(fromUpstream));
  } finally {
    await proxy.stop();
  }
  const before = (await upstream.requests()).length;
  const second = await home.run([
    "pull",
    "--no-blob-cache",
    "--sandbox",
    `${home.home}/b`,
    "tool:v1",
  ]);
  assertEquals(second.code, 0, second.stderr);
  assertStringIncludes(second.stderr, `Warning: mirror ${proxy.url} failed`);
  assertStringIncludes(second.stderr, "trying mirror http://127.0.0.1:1");
  assertStringIncludes(
    second.stderr,
    `(connection to ${proxy.host} refused; not used again in this run)`,
  );
  assertStringIncludes(second.stderr, "trying Docker Hub");
  assertEquals(await Deno.readTextFile(`${home.home}/b/etc/hello`), "hello\n");
  const direct = (await upstream.requests()).slice(before).map((r) => r.path);
  assert(direct.includes(`/v2/library/tool/blobs/${LAYER}`), JSON.stringify(direct));
});
