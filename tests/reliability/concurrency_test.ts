/**
 * Concurrent pulls into one HOME (issue 6): every process succeeds, each blob
 * is downloaded once (the registry's own request log says so), and the
 * catalogue holds one record per image.
 */
import { assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import {
  checkInvariants,
  checkSif,
  dataLayer,
  homePaths,
  imageOf,
  throttlingProxy,
} from "./_pull_env.ts";

const ignore = registryBinary() === undefined;

/** GETs of each blob digest, over every repository. */
function blobGets(
  requests: { method: string; path: string; status: number }[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(r.path);
    if (m && r.method === "GET") out[m[1]] = (out[m[1]] ?? 0) + 1;
  }
  return out;
}

Deno.test({
  name: "four concurrent sregistry pulls of one image: all succeed, one GET per blob, one record",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    // Slowed down so that the four really overlap while downloading.
    await using proxy = throttlingProxy(reg.url, 6 * 1024 * 1024);
    await using home = await cliHome();
    const image = await imageOf(["a", "b", "c"].map((n) => dataLayer(n, 1024 * 1024)));
    await pushImage(reg, "test/img", "v1", image);
    const before = (await reg.requests()).length;

    const ref = `${proxy.host}/test/img:v1`;
    const results = await Promise.all([1, 2, 3, 4].map(() => home.run(["pull", ref])));
    for (const r of results) assertEquals(r.code, 0, r.stderr);
    const paths = new Set(results.map((r) => r.stdout.trim()));
    assertEquals(paths.size, 1, [...paths].join(" "));

    const served = (await reg.requests()).slice(before);
    // Each of the four resolved the image itself (none took the warm path):
    // they pulled at the same time, and the blobs were shared through the cache.
    const manifestGets = served.filter((r) => r.method === "GET" && r.path.includes("/manifests/"));
    assertEquals(manifestGets.length, 4, JSON.stringify(served));
    const gets = blobGets(served);
    const blobs = [image.config, ...image.layers].map((b) => b.digest);
    assertEquals(gets, Object.fromEntries(blobs.map((d) => [d, 1])));
    const records = checkInvariants(homePaths(home.home), { clean: true });
    assertEquals(records.map((r) => r.image), [...paths]);
    await checkSif([...paths][0], ["data/a.bin", "data/b.bin", "data/c.bin"]);
  },
});

Deno.test({
  name:
    "two concurrent sregistry pulls of images sharing layers: shared blobs fetched once, two records",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using proxy = throttlingProxy(reg.url, 6 * 1024 * 1024);
    await using home = await cliHome();
    const shared = [dataLayer("base", 1024 * 1024), dataLayer("lib", 1024 * 1024)];
    const first = await imageOf([...shared, dataLayer("one", 512 * 1024)]);
    const second = await imageOf([...shared, dataLayer("two", 512 * 1024)]);
    assertEquals(first.layers[0].digest, second.layers[0].digest, "layers really shared");
    await pushImage(reg, "test/first", "v1", first);
    await pushImage(reg, "test/second", "v1", second);
    const before = (await reg.requests()).length;

    const results = await Promise.all(
      ["first", "second"].map((n) => home.run(["pull", `${proxy.host}/test/${n}:v1`])),
    );
    for (const r of results) assertEquals(r.code, 0, r.stderr);

    const gets = blobGets((await reg.requests()).slice(before));
    const blobs = new Set(
      [first.config, second.config, ...first.layers, ...second.layers].map((b) => b.digest),
    );
    assertEquals(blobs.size, 6);
    assertEquals(gets, Object.fromEntries([...blobs].map((d) => [d, 1])));
    const records = checkInvariants(homePaths(home.home), { clean: true });
    assertEquals(
      records.map((r) => r.image).toSorted(),
      results.map((r) => r.stdout.trim()).toSorted(),
    );
    await checkSif(results[0].stdout.trim(), ["data/base.bin", "data/lib.bin", "data/one.bin"]);
    await checkSif(results[1].stdout.trim(), ["data/base.bin", "data/lib.bin", "data/two.bin"]);
  },
});
