/**
 * Test helper: a two-platform image on the test registry, as multi-arch
 * images are served (an OCI image index over a linux/amd64 and a
 * linux/arm64/v8 image manifest).
 * @module
 */
import { type Blob, buildImage, buildIndex, type BuiltImage } from "./_images.ts";
import { pushBlob, pushImage, pushManifest, type TestRegistry } from "./_registry.ts";

/**
 * Pushes to `repo` an amd64 and an arm64/v8 image, each holding one file `arch`
 * ("amd64\n" or "arm64\n"), and tags their index `latest`. With `attestations`,
 * the index also lists a BuildKit-style attestation manifest per image (pushed too).
 */
export async function pushTwoArchIndex(
  reg: TestRegistry,
  repo: string,
  options: { attestations?: boolean } = {},
): Promise<{ amd: BuiltImage; arm: BuiltImage; index: Blob }> {
  const amd = await buildImage({
    layers: [{ entries: [{ name: "arch", content: "amd64\n" }] }],
    platform: { os: "linux", architecture: "amd64" },
  });
  const arm = await buildImage({
    layers: [{ entries: [{ name: "arch", content: "arm64\n" }] }],
    platform: { os: "linux", architecture: "arm64", variant: "v8" },
  });
  await pushImage(reg, repo, amd.manifest.digest, amd);
  await pushImage(reg, repo, arm.manifest.digest, arm);
  const { index, extra } = buildIndex([
    { image: amd, platform: { os: "linux", architecture: "amd64" } },
    { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  ], { attestations: options.attestations });
  for (const b of extra.filter((b) => !b.mediaType.includes("manifest"))) {
    await pushBlob(reg, repo, b);
  }
  for (const b of extra.filter((b) => b.mediaType.includes("manifest"))) {
    await pushManifest(reg, repo, b.digest, b);
  }
  await pushManifest(reg, repo, "latest", index);
  return { amd, arm, index };
}
