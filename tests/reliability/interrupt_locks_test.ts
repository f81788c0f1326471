/**
 * A pull interrupted (SIGINT, SIGTERM) while it holds a blob's lock releases
 * it before exiting. Left behind, the lock named a dead pid: this host takes
 * it over at once, but a pull on another node sharing the cache cannot tell
 * the owner is dead and waited 10 minutes ("held by pid ... on host othernode
 * ... at most 600 s"). SIGHUP (the ssh session dropped) is handled alike,
 * unless the pull was started ignoring it (`nohup`): then it goes on. Real
 * `sregistry pull` children against the real registry, through a throttling
 * proxy so the signal lands mid-download.
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
import { childOutput, spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
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
      const { code, stderr } = await childOutput(child);
      assertEquals(code, CODES[signal], stderr);
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

Deno.test({
  name: "a pull started with nohup ignores SIGHUP and finishes",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
    await using home = await cliHome();
    const image = await imageOf([dataLayer("big", 4 * 1024 * 1024)]);
    await pushImage(reg, "test/img", "v1", image);
    const p = homePaths(home.home);
    const child = spawnCli(["pull", `${slow.host}/test/img:v1`], home.env, { wrap: ["nohup"] });
    await waitFor(
      child,
      () => ls(p.blobs).some((n) => n.endsWith(".partial")) || undefined,
      "a download",
    );
    child.kill("SIGHUP");
    const { code, stdout, stderr } = await childOutput(child);
    assertEquals(code, 0, stderr);
    assert(stdout.trim().endsWith(".sif"), stdout);
    checkInvariants(p, { clean: true });
  },
});
