/**
 * Files a user edits, saved with a UTF-8 byte order mark (Notepad and other
 * Windows editors write one): the settings file `~/.sregistry` and the
 * docker config. The mark is not part of the JSON and is ignored. Before,
 * every command failed with "Cannot read the settings file ...: it is not
 * JSON", with no line or column to look at.
 */
import { assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("a settings file and a docker config starting with a byte order mark are read", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a" }] }] });
  await pushImage(reg, "test/bom", "v1", image);
  Deno.writeTextFileSync(`${home.home}/.sregistry`, '\uFEFF{"SREGISTRY_CLIENT": "docker"}');
  Deno.mkdirSync(`${home.home}/.docker`);
  Deno.writeTextFileSync(`${home.home}/.docker/config.json`, '\uFEFF{"auths": {}}');
  const res = await home.run(["pull", `${reg.host}/test/bom:v1`]);
  assertEquals(res.code, 0, res.stderr);
  const ls = await home.run(["backend", "ls"]);
  assertEquals(ls.code, 0, ls.stderr);
});
