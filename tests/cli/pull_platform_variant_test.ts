/**
 * An index listing `linux/amd64/v3` before plain `linux/amd64`: `pull` (and
 * `--platform linux/amd64`) took the first os/arch match, amd64/v3, which
 * stops with "illegal instruction" on a CPU without AVX2. Now it takes the
 * entry without a variant, and a vN only when asked or when this CPU runs it
 * (`src/image/cpu_level.ts`). A real index on the real registry.
 */
import { assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage, buildIndex } from "../_images.ts";
import { pushImage, pushManifest, startRegistry } from "../_registry.ts";

Deno.test("sregistry pull takes plain amd64 before an amd64/v3 listed first", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const amd64 = { os: "linux", architecture: "amd64" };
  const images = [];
  for (const variant of ["v3", undefined]) {
    const platform = variant ? { ...amd64, variant } : amd64;
    const image = await buildImage({
      layers: [{ entries: [{ name: "level", content: `${variant ?? "plain"}\n` }] }],
      platform,
    });
    await pushImage(reg, "test/levels", image.manifest.digest, image);
    images.push({ image, platform });
  }
  await pushManifest(reg, "test/levels", "latest", buildIndex(images).index);

  const cases: [string[], string][] = [
    [["--platform", "linux/amd64"], "plain\n"],
    [["--platform", "linux/amd64/v3"], "v3\n"],
    [["--arch", "amd64"], "plain\n"],
  ];
  if (Deno.build.arch === "x86_64") cases.push([[], "plain\n"]);
  for (const [i, [flags, want]] of cases.entries()) {
    const dir = `${home.home}/sb${i}`;
    const res = await home.run(["pull", "--sandbox", dir, ...flags, `${reg.host}/test/levels`]);
    assertEquals(res.code, 0, res.stderr);
    assertEquals(Deno.readTextFileSync(`${dir}/level`), want, flags.join(" "));
  }
});
