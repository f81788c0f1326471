/**
 * Issue 13, "Integrity": a cached blob is verified before a build reads it
 * again, and the layers must match the config's `rootfs.diff_ids` (count
 * before any download, each uncompressed digest while building).
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { gzip, imageOfBlobs, sha256 } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import type { TarEntry } from "../_tar.ts";
import { checkInvariants, homePaths } from "./_pull_env.ts";
import { countingProxy, diffIdOf, plainLayer } from "./_integrity_env.ts";

const ignore = registryBinary() === undefined;
const TEXT = "original content of the layer\n".repeat(200);
const ENTRIES: TarEntry[] = [
  { name: "data", type: "directory" },
  { name: "data/file.txt", content: TEXT },
];

function sifCat(sif: string, path: string): string {
  const list = new Deno.Command("siftool", { args: ["list", sif], stdout: "piped" }).outputSync();
  const id = /^\s*(\d+)\s.*FS \(Squashfs/m.exec(new TextDecoder().decode(list.stdout))?.[1];
  const info = new Deno.Command("siftool", { args: ["info", id!, sif], stdout: "piped" })
    .outputSync();
  const offset = /Offset:\s+(\d+)/.exec(new TextDecoder().decode(info.stdout))![1];
  const out = new Deno.Command("unsquashfs", {
    args: ["-o", offset, "-cat", sif, path],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** Changes one byte of the file (same size): "original" becomes "0riginal", or flips a byte. */
function damage(path: string, compressed: boolean): void {
  const bytes = Deno.readFileSync(path);
  if (compressed) bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  else {
    const at = new TextDecoder("latin1").decode(bytes).indexOf("original");
    bytes[at] = "0".charCodeAt(0);
  }
  Deno.writeFileSync(path, bytes);
}

for (const compression of ["none", "gzip"] as const) {
  Deno.test({
    name:
      `a cached ${compression} layer with one byte changed is hashed, removed and fetched again by pull --force and --sandbox`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using proxy = countingProxy(reg.url);
      await using home = await cliHome();
      const { tar } = plainLayer(ENTRIES);
      const bytes = compression === "none" ? tar : await gzip(tar);
      const blob = {
        mediaType: `application/vnd.oci.image.layer.v1.tar${compression === "gzip" ? "+gzip" : ""}`,
        digest: sha256(bytes),
        size: bytes.length,
        bytes,
      };
      await pushImage(reg, "test/img", "v1", imageOfBlobs([blob], [diffIdOf(tar)]));
      const ref = `${proxy.host}/test/img:v1`;
      const p = homePaths(home.home);
      const cached = `${p.blobs}/${blob.digest.slice(7)}`;

      const first = await home.run(["pull", ref]);
      assertEquals(first.code, 0, first.stderr);
      damage(cached, compression !== "none");

      const forced = await home.run(["pull", "--force", ref]);
      assertEquals(forced.code, 0, forced.stderr);
      assertStringIncludes(forced.stderr, `the cached layer ${blob.digest} was damaged`);
      assertStringIncludes(forced.stderr, "downloading it again");
      assertEquals(sifCat(forced.stdout.trim(), "data/file.txt"), TEXT);
      assertEquals(proxy.gets.get(blob.digest), 2, "fetched again once");
      checkInvariants(p, { clean: true });

      damage(cached, compression !== "none");
      const sandbox = `${home.home}/sandbox`;
      const unpacked = await home.run(["pull", "--sandbox", sandbox, ref]);
      assertEquals(unpacked.code, 0, unpacked.stderr);
      assertStringIncludes(unpacked.stderr, "was damaged");
      assertEquals(Deno.readTextFileSync(`${sandbox}/data/file.txt`), TEXT);
      assertEquals(proxy.gets.get(blob.digest), 3);
      checkInvariants(p, { clean: true });
    },
  });
}

Deno.test({
  name:
    "a manifest listing one layer 10,000 times against a config of one diff ID is refused before any layer downloads",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using proxy = countingProxy(reg.url);
    await using home = await cliHome();
    const { layer, tar } = plainLayer(ENTRIES);
    const image = imageOfBlobs(Array(10_000).fill(layer), [diffIdOf(tar)]);
    await pushImage(reg, "test/img", "v1", { ...image, layers: [layer] });
    const result = await home.run(["pull", `${proxy.host}/test/img:v1`]);
    assertEquals(result.code, 1, result.stderr);
    assertStringIncludes(result.stderr, "its manifest lists 10000 layers but its config 1 diff ID");
    assertEquals(proxy.gets.get(layer.digest), undefined, "no layer download");
    checkInvariants(homePaths(home.home), { clean: true });
  },
});

Deno.test({
  name: "a manifest listing one layer 1,000 times (and as many diff IDs) downloads it once",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using proxy = countingProxy(reg.url);
    await using home = await cliHome();
    const { layer, tar } = plainLayer(ENTRIES);
    const image = imageOfBlobs(Array(1000).fill(layer), Array(1000).fill(diffIdOf(tar)));
    await pushImage(reg, "test/img", "v1", { ...image, layers: [layer] });
    const result = await home.run(["pull", `${proxy.host}/test/img:v1`]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(proxy.gets.get(layer.digest), 1);
    assertEquals(sifCat(result.stdout.trim(), "data/file.txt"), TEXT);
  },
});

/** Layers whose uncompressed bytes differ from the diff ID the config gives. */
const WRONG_DIFF_IDS: Record<string, (tar: Uint8Array) => string> = {
  "another layer's digest": () => diffIdOf(new TextEncoder().encode("another layer")),
  // Differs only after the end-of-archive marker, where a tar reader stops reading.
  "bytes past the end-of-archive marker": (tar) => {
    const longer = new Uint8Array(tar.length + 10240);
    longer.set(tar);
    longer[longer.length - 1] = 1;
    return diffIdOf(longer);
  },
};

for (const [kind, wrong] of Object.entries(WRONG_DIFF_IDS)) {
  for (const mode of ["SIF", "--sandbox"]) {
    Deno.test({
      name:
        `pull (${mode}) refuses a layer whose uncompressed content differs from its diff ID: ${kind}`,
      ignore,
      async fn() {
        await using reg = await startRegistry();
        await using home = await cliHome();
        const tar = plainLayer(ENTRIES).tar;
        const bytes = await gzip(tar);
        const blob = {
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: sha256(bytes),
          size: bytes.length,
          bytes,
        };
        await pushImage(reg, "test/img", "v1", imageOfBlobs([blob], [wrong(tar)]));
        const sandbox = `${home.home}/sandbox`;
        const args = mode === "SIF" ? [] : ["--sandbox", sandbox];
        const result = await home.run(["pull", ...args, `${reg.host}/test/img:v1`]);
        assertEquals(result.code, 1, result.stderr);
        assertStringIncludes(
          result.stderr,
          "Cannot verify the uncompressed content of layer 1 (diff ID)",
        );
        const p = homePaths(home.home);
        assertEquals(checkInvariants(p, { clean: true }), [], "no record");
        assert(!result.stdout.trim(), "no path printed");
      },
    });
  }
}
