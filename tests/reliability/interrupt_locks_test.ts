/**
 * A pull interrupted (SIGINT, SIGTERM) while it holds a blob's lock releases
 * it before exiting. Left behind, the lock named a dead pid: this host takes
 * it over at once, but a pull on another node sharing the cache cannot tell
 * the owner is dead and waited 10 minutes ("held by pid ... on host othernode
 * ... at most 600 s"). Real `sregistry pull` children against the real
 * registry, through a throttling proxy so the signal lands mid-download.
 */
import { assert, assertEquals } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import {
  checkInvariants,
  dataLayer,
  homePaths,
  imageOf,
  ls,
  size,
  throttlingProxy,
} from "./_pull_env.ts";
import { spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name:
      `a pull interrupted by ${signal} mid-download leaves no lock file for another node to wait on`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
      await using home = await cliHome();
      const image = await imageOf([dataLayer("big", 8 * 1024 * 1024)]);
      await pushImage(reg, "test/img", "v1", image);
      const p = homePaths(home.home);
      const ref = `${slow.host}/test/img:v1`;

      const child = spawnCli(["pull", ref], home.env);
      await waitFor(child, () => {
        const partial = ls(p.blobs).find((n) => n.endsWith(".partial"));
        const locked = ls(p.blobs).some((n) => n.endsWith(".lock"));
        return partial && locked && size(`${p.blobs}/${partial}`) > 512 * 1024 ? true : undefined;
      }, "a download under its blob lock");
      child.kill(signal);
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
        child.stdout.cancel(),
      ]);
      assertEquals(status.code, signal === "SIGINT" ? 130 : 143, stderr);
      const cache = `${home.home}/.singularity/oci`;
      const locks = [...ls(p.blobs), ...ls(cache)].filter((n) => n.includes(".lock"));
      assertEquals(locks, [], "the interrupted pull left lock files");
      assert(ls(p.blobs).some((n) => n.endsWith(".interrupted.partial")), "the download is kept");

      // The pull another node would run: it finds no lock to wait on.
      const rerun = await home.run(["pull", ref]);
      assertEquals(rerun.code, 0, rerun.stderr);
      assert(!rerun.stderr.includes("lock"), rerun.stderr);
      checkInvariants(p, { clean: true });
    },
  });
}
