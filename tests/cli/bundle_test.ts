/**
 * The shipped bundle: `deno task bundle` builds `dist/sregistry.js`, which,
 * run with exactly the README's permission flags from outside the checkout,
 * pulls a real image into a SIF that siftool accepts.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome, runCli } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test({
  name: "deno task bundle builds dist/sregistry.js, which pulls a SIF with the README's flags",
  ignore: registryBinary() === undefined,
  async fn() {
    const task = await new Deno.Command(Deno.execPath(), {
      args: ["task", "bundle"],
      cwd: ROOT,
      stdin: "null",
    }).output();
    assertEquals(task.code, 0, new TextDecoder().decode(task.stderr));
    // A copy away from the checkout: the bundle must need nothing from it.
    await using home = await cliHome();
    const script = `${home.home}/sregistry.js`;
    Deno.copyFileSync(`${ROOT}dist/sregistry.js`, script);

    await using reg = await startRegistry();
    await pushImage(
      reg,
      "test/bundle",
      "v1",
      await buildImage({ layers: [{ entries: [{ name: "hello.txt", content: "hi\n" }] }] }),
    );
    const version = await runCli(["--version"], { env: home.env, script });
    assertEquals(version.code, 0, version.stderr);
    const pull = await runCli(["pull", `${reg.host}/test/bundle:v1`], { env: home.env, script });
    assertEquals(pull.code, 0, pull.stderr);
    const path = pull.stdout.trim();
    assertStringIncludes(path, `${home.home}/.singularity/shub/${reg.host}/test/bundle/v1@sha256:`);
    const list = await new Deno.Command("siftool", { args: ["list", path] }).output();
    assertEquals(list.code, 0, new TextDecoder().decode(list.stderr));
    assertStringIncludes(new TextDecoder().decode(list.stdout), "FS (Squashfs/*System/amd64)");
    const get = await runCli(["get", `${reg.host}/test/bundle:v1`], { env: home.env, script });
    assertEquals(get.stdout, path + "\n");
  },
});
