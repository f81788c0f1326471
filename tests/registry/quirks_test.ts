/**
 * Registries and proxies seen in the wild (skopeo copes with each), in front
 * of the real registry: HEAD on manifests refused (405, 501, 400, 403, 500),
 * answers without `Docker-Content-Digest` or with an invalid one. A pull
 * works, and a re-pull of an unchanged image rebuilds nothing.
 */
import { parseReference } from "../../src/reference.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { assert, assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage, buildIndex } from "../_images.ts";
import { pushImage, pushManifest, startRegistry } from "../_registry.ts";
import { type Quirks, quirkyProxy } from "./_quirky_proxy.ts";

const image = await buildImage({
  layers: [{
    entries: [{ name: "etc", type: "directory" }, { name: "etc/hello", content: "hello\n" }],
    compression: "gzip",
  }],
});

const CLI_CASES: { name: string; quirks: Quirks }[] = [
  { name: "HEAD on manifests answered 405", quirks: { headStatus: 405 } },
  { name: "no Docker-Content-Digest on any answer", quirks: { stripDigest: true } },
];

for (const c of CLI_CASES) {
  Deno.test(`sregistry pull through a proxy with ${c.name}: pulls, and a re-pull rebuilds nothing`, async () => {
    await using reg = await startRegistry();
    await pushImage(reg, "test/img", "v1", image);
    await using proxy = quirkyProxy(reg.url, c.quirks);
    await using home = await cliHome();
    const ref = `${proxy.host}/test/img:v1`;
    const first = await home.run(["pull", ref]);
    assertEquals(first.code, 0, first.stderr);
    const path = first.stdout.trim();
    const before = await Deno.stat(path);
    const seen = proxy.seen.length;

    const second = await home.run(["pull", ref]);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(second.stdout.trim(), path);
    const after = await Deno.stat(path);
    assertEquals([after.ino, after.mtime?.getTime()], [before.ino, before.mtime?.getTime()]);
    const again = proxy.seen.slice(seen).filter((s) => !s.startsWith("GET /v2/ "));
    assert(!again.some((s) => s.includes("/blobs/")), `no blob fetched again: ${again}`);
    assertEquals(JSON.parse((await home.run(["images", "--json"])).stdout).length, 1);
  });
}

Deno.test("sregistry pull by digest through a proxy refusing HEAD and without Docker-Content-Digest", async () => {
  await using reg = await startRegistry();
  await pushImage(reg, "test/img", "v1", image);
  await using proxy = quirkyProxy(reg.url, { headStatus: 405, stripDigest: true });
  await using home = await cliHome();
  const good = await home.run(["pull", `${proxy.host}/test/img@${image.manifest.digest}`]);
  assertEquals(good.code, 0, good.stderr);
  assertEquals(
    JSON.parse((await home.run(["images", "--json"])).stdout)[0].manifestDigest,
    image.manifest.digest,
  );
});

const HEAD_CASES: { name: string; quirks: Quirks }[] = [
  { name: "HEAD answered 501", quirks: { headStatus: 501 } },
  { name: "HEAD answered 400", quirks: { headStatus: 400 } },
  { name: "HEAD answered 403 (a GET-only signed URL)", quirks: { headStatus: 403 } },
  { name: "HEAD answered 500 (after the retries)", quirks: { headStatus: 500 } },
  { name: "HEAD answered 404 (a GET finds it)", quirks: { headStatus: 404 } },
  { name: "an invalid Docker-Content-Digest", quirks: { digestHeader: "sha256:beef" } },
  { name: "a sha512 Docker-Content-Digest", quirks: { digestHeader: `sha512:${"a".repeat(128)}` } },
];

for (const c of HEAD_CASES) {
  Deno.test(`RegistryClient headManifest() with ${c.name}: GETs once and hashes the bytes`, async () => {
    await using reg = await startRegistry();
    const { index } = buildIndex([{ image, platform: { os: "linux", architecture: "amd64" } }]);
    await pushImage(reg, "test/img", "v1", image);
    await pushManifest(reg, "test/img", "multi", index);
    await using proxy = quirkyProxy(reg.url, c.quirks);
    const client = new RegistryClient({ plainHttp: () => true, retries: 1, sleep: async () => {} });
    for (const [tag, digest] of [["v1", image.manifest.digest], ["multi", index.digest]]) {
      const ref = parseReference(`${proxy.host}/test/img:${tag}`);
      const head = await client.headManifest(ref);
      assertEquals(head?.digest, digest);
      const resolved = await client.resolve(ref);
      assertEquals(resolved.digest, digest);
      const gets = proxy.seen.filter((s) => s.startsWith(`GET /v2/test/img/manifests/${tag} `));
      assertEquals(gets.length, 1, `the manifest is fetched once: ${proxy.seen}`);
    }
  });
}

Deno.test("RegistryClient headManifest() reports a manifest that is absent for HEAD and GET as absent", async () => {
  await using reg = await startRegistry();
  for (const quirks of [{ headStatus: 405 }, { headStatus: 404 }, {}]) {
    await using proxy = quirkyProxy(reg.url, quirks);
    const client = new RegistryClient({ plainHttp: () => true, retries: 0 });
    assertEquals(
      await client.headManifest(parseReference(`${proxy.host}/test/none:v1`)),
      undefined,
    );
  }
});
