/**
 * What a platform without all its parts means, as containerd and Docker
 * read it: `--platform linux` is linux on this machine's architecture (it
 * was read as the architecture "linux": "Cannot find a manifest for
 * platform linux/linux"), and `linux/arm` is `linux/arm/v7` when the index
 * has it (it was the first arm entry: v5 or v6 on many official images).
 */
import { hostPlatform, parsePlatform, selectManifest } from "../../src/registry/platform.ts";
import type { ImageIndex } from "../../src/registry/manifest.ts";
import { assertEquals } from "../_assert.ts";

const entry = (n: number, architecture: string, variant?: string) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${String(n).repeat(64)}`,
  size: 100,
  platform: variant ? { os: "linux", architecture, variant } : { os: "linux", architecture },
});

Deno.test("parsePlatform() reads a bare os as that os on this machine's architecture", () => {
  assertEquals(parsePlatform("linux"), { ...hostPlatform(), os: "linux" });
  assertEquals(parsePlatform("LINUX"), { ...hostPlatform(), os: "linux" });
  assertEquals(parsePlatform("arm64"), { os: "linux", architecture: "arm64" });
});

Deno.test("selectManifest() takes arm/v7 for linux/arm, whatever the order of the index", () => {
  const index: ImageIndex = {
    kind: "index",
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      entry(1, "amd64"),
      entry(2, "arm", "v5"),
      entry(3, "arm", "v6"),
      entry(4, "arm", "v7"),
    ],
  };
  assertEquals(selectManifest(index, parsePlatform("linux/arm")).digest, index.manifests[3].digest);
  assertEquals(
    selectManifest(index, parsePlatform("linux/arm/v6")).digest,
    index.manifests[2].digest,
  );
  const noV7 = { ...index, manifests: index.manifests.slice(0, 3) };
  assertEquals(selectManifest(noV7, parsePlatform("linux/arm")).digest, index.manifests[1].digest);
});
