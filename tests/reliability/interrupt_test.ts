/**
 * Issue 13, "Ctrl-C": a pull interrupted mid-download (SIGINT, or SIGTERM from
 * a batch system) says so and what it kept, keeps the partial blob, and the
 * next pull continues it with `Range`, verifying the whole blob.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import {
  checkInvariants,
  checkSif,
  dataLayer,
  homePaths,
  imageOf,
  ls,
  size,
  throttlingProxy,
} from "./_pull_env.ts";
import { spawnCli, waitFor } from "./_spawn.ts";
import { countingProxy } from "./_integrity_env.ts";

const ignore = registryBinary() === undefined;

const CASES = [
  { signal: "SIGINT", code: 130, damage: false },
  { signal: "SIGTERM", code: 143, damage: false },
  // The kept part was changed on disk: the whole-blob check fails, the blob is fetched anew.
  { signal: "SIGINT", code: 130, damage: true },
] as const;

for (const { signal, code, damage } of CASES) {
  Deno.test({
    name:
      `a pull interrupted by ${signal} mid-download says what it kept, and the next pull continues the blob with Range${
        damage ? " (kept part damaged: fetched anew)" : ""
      }`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
      await using counting = countingProxy(reg.url);
      await using home = await cliHome();
      const image = await imageOf([dataLayer("big", 8 * 1024 * 1024)]);
      await pushImage(reg, "test/img", "v1", image);
      const p = homePaths(home.home);
      const layer = image.layers[0].digest;

      const child = spawnCli(["pull", `${slow.host}/test/img:v1`], home.env);
      const partial = await waitFor(child, () => {
        const name = ls(p.blobs).find((n) => n.endsWith(".partial"));
        return name && size(`${p.blobs}/${name}`) > 1024 * 1024 ? name : undefined;
      }, "a partial download of more than 1 MiB");
      assert(partial);
      child.kill(signal);
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
        child.stdout.cancel(),
      ]);
      assertEquals(status.code, code, stderr);
      assertStringIncludes(
        stderr,
        `Interrupted (${signal}): the pull of ${slow.host}/test/img:v1 stopped`,
      );
      assertStringIncludes(stderr, "1 partial layer download");
      assertStringIncludes(stderr, "Run the same pull again to finish it");
      const kept = `${p.blobs}/${layer.slice(7)}.interrupted.partial`;
      const keptBytes = size(kept);
      assert(keptBytes > 1024 * 1024, `kept ${keptBytes} bytes`);
      assertEquals(ls(p.tmp), [], "work folders removed");
      if (damage) {
        const bytes = Deno.readFileSync(kept);
        bytes[100] ^= 0xff;
        Deno.writeFileSync(kept, bytes);
      }

      const rerun = await home.run(["pull", `${counting.host}/test/img:v1`]);
      assertEquals(rerun.code, 0, rerun.stderr);
      assertStringIncludes(rerun.stderr, `continuing layer ${layer} after the ${keptBytes} bytes`);
      assertEquals(counting.ranges[0], `${layer} bytes=${keptBytes}-`);
      if (damage) {
        assertStringIncludes(
          rerun.stderr,
          "the kept part of an interrupted download was not the blob's",
        );
        assertEquals(counting.gets.get(layer), 2, "a Range GET, then the whole blob");
      } else {
        assertEquals(counting.gets.get(layer), 1);
      }
      await checkSif(rerun.stdout.trim(), ["data/big.bin", "etc/big.txt"]);
      checkInvariants(p, { clean: true });
    },
  });
}
