/**
 * Digest pulls and the names they are recorded under. `pull R/img:base@<v2>`
 * was recorded as `img:base` holding v2 (so `get img:base` returned v2), and
 * `pull R/img@<digest>` as `img:latest` although the registry has no latest
 * tag. Now the digest wins (Docker's ParseDockerRef, Apptainer: the tag is
 * ignored) and the image is recorded under the tag `sha256-<hex>`.
 */
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("a digest pull is never recorded (or found) under a tag it does not have", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const v1 = await buildImage({ layers: [{ entries: [{ name: "v", content: "1\n" }] }] });
  const v2 = await buildImage({ layers: [{ entries: [{ name: "v", content: "2\n" }] }] });
  await pushImage(reg, "test/img", "base", v1);
  await pushImage(reg, "test/img", "v2", v2);
  const repo = `${reg.host}/test/img`;
  const d2 = v2.manifest.digest;

  const tagged = await home.run(["pull", `${repo}:base@${d2}`]);
  assertEquals(tagged.code, 0, tagged.stderr);
  const digestPath = tagged.stdout.trim();
  assertStringIncludes(digestPath, `/test/img/${d2.replace(":", "-")}@${d2}.sif`);
  const base = await home.run(["get", `${repo}:base`]);
  assertEquals(base.code, 1, "nothing was pulled as :base");
  assertEquals((await home.run(["get", `${repo}@${d2}`])).stdout.trim(), digestPath);
  assertEquals((await home.run(["get", `${repo}:base@${d2}`])).stdout.trim(), digestPath);

  const bare = await home.run(["pull", `${repo}@${d2}`]);
  assertEquals([bare.code, bare.stdout.trim()], [0, digestPath], bare.stderr);
  assertEquals((await home.run(["get", repo])).code, 1, "the registry has no latest tag");

  // Pulled by its tag, base is v1, recorded apart from the digest pull.
  const byTag = await home.run(["pull", `${repo}:base`]);
  assertEquals(byTag.code, 0, byTag.stderr);
  assertNotEquals(byTag.stdout.trim(), digestPath);
  assertEquals((await home.run(["get", `${repo}:base`])).stdout.trim(), byTag.stdout.trim());
  const images = await home.run(["images", "--json"]);
  const tags = (JSON.parse(images.stdout) as { tag: string }[]).map((r) => r.tag).sort();
  assertEquals(tags, ["base", d2.replace(":", "-")]);
  assert(!images.stdout.includes('"latest"'));
});
