/**
 * A `pull --keep-sandbox DIR` whose record step fails, after the build,
 * removes the folder it made (empties the one the user made), as a failure
 * during the build does: a folder is kept only beside a recorded image.
 * Before, the full folder was left. The record step fails here because a
 * file appears at the `--name` path while the pull runs (another program
 * wrote it: kept, and the pull fails). Real `sregistry` children against the
 * real registry, through a throttling proxy.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { exists } from "../_tree.ts";
import {
  checkInvariants,
  dataLayer,
  homePaths,
  imageOf,
  ls,
  throttlingProxy,
} from "./_pull_env.ts";
import { childOutput, spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

for (const existed of [false, true]) {
  Deno.test({
    name: `a pull --keep-sandbox whose record step fails ${
      existed ? "empties the folder the user made" : "removes the folder it made"
    }`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
      await using home = await cliHome();
      await pushImage(
        reg,
        "test/img",
        "v1",
        await imageOf([dataLayer("small", 1000), dataLayer("big", 4 * 1024 * 1024)]),
      );
      const box = `${home.home}/box`;
      const target = `${home.home}/out.sif`;
      if (existed) Deno.mkdirSync(box);
      const args = ["pull", "--keep-sandbox", box, "--name", target, `${slow.host}/test/img:v1`];

      const child = spawnCli(args, home.env);
      await waitFor(child, () => ls(box).length > 0 || undefined, "the first layer unpacked");
      Deno.writeTextFileSync(target, "written by another program meanwhile");
      const { code, stderr } = await childOutput(child);
      assertEquals(code, 1, stderr);
      assertStringIncludes(stderr, `Cannot write the image to ${target}: another pull`);
      assertEquals(Deno.readTextFileSync(target), "written by another program meanwhile");
      assertEquals(exists(box), existed, existed ? "the user's folder was removed" : "left");
      assertEquals(ls(box), [], "the unpacked folder of an image not recorded was left");
      checkInvariants(homePaths(home.home), { clean: true });
    },
  });
}
