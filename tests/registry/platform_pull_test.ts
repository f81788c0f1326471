/**
 * The image's platform as users see it, through the CLI and the real
 * registry: `--platform` naming a platform the image is not built for is an
 * error listing what it is built for; an image for another machine pulls with
 * a warning; the header and the record show the config's platform.
 */
import { formatPlatform, hostPlatform } from "../../src/image/platform.ts";
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage, buildIndex, type Platform } from "../_images.ts";
import { pushImage, pushManifest, startRegistry } from "../_registry.ts";

const HOST = hostPlatform();
const OTHER: Platform = HOST.architecture === "amd64"
  ? { os: "linux", architecture: "arm64" }
  : { os: "linux", architecture: "amd64" };
const host = formatPlatform({ os: HOST.os, architecture: HOST.architecture });
const other = formatPlatform(OTHER);

function image(platform: Platform) {
  return buildImage({
    platform,
    layers: [{ entries: [{ name: "hello", content: "hello\n" }], compression: "gzip" }],
  });
}

Deno.test("sregistry pull --platform naming a platform the image is not built for fails, naming what it is built for", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushImage(
    reg,
    "test/here",
    "v1",
    await image({ os: "linux", architecture: HOST.architecture }),
  );
  const r = await home.run(["pull", "--platform", other, `${reg.host}/test/here:v1`]);
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(
    r.stderr,
    `Cannot pull ${reg.host}/test/here:v1 for ${other}: the image is built for ${host} only: pull it with --platform ${host}, or choose an image built for ${other}`,
  );
  assertEquals(JSON.parse((await home.run(["images", "--json"])).stdout), []);
});

Deno.test("sregistry pull of an image for another machine warns, and the header and record show its platform", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  await pushImage(reg, "test/other", "v1", await image(OTHER));
  const ref = `${reg.host}/test/other:v1`;
  const r = await home.run(["pull", ref]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(
    r.stderr,
    `Warning: ${ref} is built for ${other}, not for this machine (${formatPlatform(HOST)})`,
  );
  assertStringIncludes(r.stderr, `Pulling ${ref} (${other})`);
  assertEquals(JSON.parse((await home.run(["images", "--json"])).stdout)[0].platform, other);

  const asked = await home.run(["pull", "--force", "--platform", other, ref]);
  assertEquals(asked.code, 0, asked.stderr);
  assert(!asked.stderr.includes("Warning"), asked.stderr);
  assertStringIncludes(asked.stderr, `Pulling ${ref} (${other})`);
});

Deno.test("sregistry pull --platform compares the config, not only the index entry, and the variant when both name one", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const here = await image({ os: "linux", architecture: HOST.architecture });
  await pushImage(reg, "test/any", "here", here);
  // An index whose entry claims another platform for an image built for this one.
  const { index } = buildIndex([{ image: here, platform: OTHER }]);
  await pushManifest(reg, "test/any", "mislabelled", index);
  const v6 = await image({ os: "linux", architecture: "arm", variant: "v6" });
  await pushImage(reg, "test/any", "armv6", v6);
  const arm64 = await image({ os: "linux", architecture: "arm64" });
  await pushImage(reg, "test/any", "arm64", arm64);
  const cases = [
    { tag: "mislabelled", platform: other, code: 1, says: `the image is built for ${host} only` },
    // A lower level runs where a higher one is asked (containerd's matcher); not the reverse.
    { tag: "armv6", platform: "linux/arm/v5", code: 1, says: "built for linux/arm/v6 only" },
    { tag: "armv6", platform: "linux/arm/v7", code: 0, says: "(linux/arm/v6)" },
    { tag: "armv6", platform: "linux/arm/v6", code: 0, says: "(linux/arm/v6)" },
    { tag: "arm64", platform: "linux/arm64/v8", code: 0, says: "(linux/arm64)" },
    { tag: "arm64", platform: "linux/arm64/v9", code: 0, says: "(linux/arm64)" },
    { tag: "arm64", platform: "windows/arm64", code: 1, says: "built for linux/arm64 only" },
  ];
  for (const [i, c] of cases.entries()) {
    const out = `${home.home}/s${i}`;
    const r = await home.run([
      "pull",
      "--platform",
      c.platform,
      "--sandbox",
      out,
      `${reg.host}/test/any:${c.tag}`,
    ]);
    assertEquals(r.code, c.code, `${c.tag} ${c.platform}: ${r.stderr}`);
    assertStringIncludes(r.stderr, c.says, `${c.tag} ${c.platform}`);
  }
});

Deno.test("sregistry pull --platform linux/arm64 of an index listing linux/arm64/v8 twice: the second only sends a HEAD", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const arm = await image({ os: "linux", architecture: "arm64", variant: "v8" });
  const amd = await image({ os: "linux", architecture: "amd64" });
  await pushImage(reg, "test/multi", "arm", arm);
  await pushImage(reg, "test/multi", "amd", amd);
  const { index } = buildIndex([
    { image: amd, platform: { os: "linux", architecture: "amd64" } },
    { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  ]);
  await pushManifest(reg, "test/multi", "latest", index);
  const ref = `${reg.host}/test/multi:latest`;
  const first = await home.run(["pull", "--platform", "linux/arm64", ref]);
  assertEquals(first.code, 0, first.stderr);
  assertStringIncludes(first.stderr, `Pulling ${ref} (linux/arm64/v8)`);
  const before = (await reg.requests()).length;
  const second = await home.run(["pull", "--platform", "linux/arm64", ref]);
  assertEquals([second.code, second.stdout], [0, first.stdout], second.stderr);
  const after = (await reg.requests()).slice(before).filter((r) => r.path !== "/v2/");
  assertEquals(after.map((r) => r.method), ["HEAD"], JSON.stringify(after));
});
