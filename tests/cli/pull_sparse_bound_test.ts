/**
 * The holes of a GNU sparse file count against `SREGISTRY_MAX_LAYER_SIZE`
 * on every route of `sregistry pull`: the SIF built straight from the layers
 * (tar2sqfs) as well as `--sandbox`. Before, the SIF route bounded holes
 * with a fixed 64 GiB whatever the variable said, so a few KiB of layer
 * could expand past the user's ceiling (and a genuine sparse file over
 * 64 GiB could not be pulled whatever the user raised the variable to),
 * while the message told the user to raise a variable that had no effect.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { type BuiltImage, imageOfTars } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { gnuSparseTar } from "../_tools.ts";

/** One layer by `tar --format=posix --sparse`: `sp/big`, 8 MiB of holes around 4 KiB of data. */
async function sparseImage(dir: string): Promise<BuiltImage> {
  const { tar } = await gnuSparseTar(dir, "big", "8M", "data".repeat(1024), [100 * 4096]);
  assert(tar.length < 64 * 1024, `the layer is ${tar.length} bytes: not stored sparse`);
  return await imageOfTars([tar]);
}

Deno.test("sregistry pull bounds the holes of a sparse file by SREGISTRY_MAX_LAYER_SIZE, into a SIF as into a sandbox", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome({ SREGISTRY_MAX_LAYER_SIZE: "1M" });
  await pushImage(reg, "test/sparse-bound", "v1", await sparseImage(home.home));
  const ref = `${reg.host}/test/sparse-bound:v1`;
  for (const args of [["pull", ref], ["pull", "--sandbox", `${home.home}/box`, ref]]) {
    const res = await home.run(args);
    assertEquals(res.code, 1, `${args.join(" ")}: ${res.stderr}`);
    assertStringIncludes(res.stderr, "expands to more than 1048576 bytes");
    assertStringIncludes(res.stderr, "raise SREGISTRY_MAX_LAYER_SIZE");
    assertEquals(res.stdout, "");
  }
  const images = await home.run(["images", "--json"]);
  assertEquals(JSON.parse(images.stdout), [], "an image was recorded");

  // Raised above the file's real size, the same image pulls.
  const ok = await home.run(["pull", ref], { env: { SREGISTRY_MAX_LAYER_SIZE: "16M" } });
  assertEquals(ok.code, 0, ok.stderr);
});
