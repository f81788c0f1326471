/**
 * `pull --name FILE REF` of an image already recorded under another file:
 * the image is written at FILE, as asked. Before, the recorded copy was
 * "reused": the old path was printed, exit 0, and FILE was never written, so
 * a script going on with FILE found nothing.
 */
import { assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("sregistry pull --name writes the file asked for even when the image is recorded elsewhere", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a\n" }] }] });
  await pushImage(reg, "test/named", "v1", image);
  const ref = `${reg.host}/test/named:v1`;
  const first = `${home.home}/first.sif`;
  const second = `${home.home}/second.sif`;
  assertEquals((await home.run(["pull", "--name", first, ref])).stdout.trim(), first);

  const again = await home.run(["pull", "--name", second, ref]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals(again.stdout.trim(), second);
  assertEquals(Deno.readFileSync(second).length, Deno.readFileSync(first).length);
  assertEquals((await home.run(["get", ref])).stdout.trim(), second);

  // Asked at the recorded file: reused, not rebuilt.
  const same = await home.run(["pull", "--name", second, ref]);
  assertEquals(same.code, 0, same.stderr);
  assertEquals(same.stdout.trim(), second);
  assertEquals(same.stderr, "", "nothing was pulled or built");
});
