/**
 * A `pull --sandbox` or `pull --keep-sandbox` that is interrupted (SIGINT) or
 * fails removes the sandbox folder it made, and only empties one the user
 * had made: the rerun the message suggests then works. The interrupted pull
 * releases its pins on cache blobs, and the next pull drops a dead process's
 * pin at once. Real `sregistry pull` children against the real registry.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { imageOfTars } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { buildTar } from "../_tar.ts";
import { exists } from "../_tree.ts";
import {
  checkInvariants,
  checkSif,
  dataLayer,
  homePaths,
  HOST,
  imageOf,
  ls,
  throttlingProxy,
} from "./_pull_env.ts";
import { deadPid } from "../_procs.ts";
import { spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

for (const option of ["--sandbox", "--keep-sandbox"]) {
  for (const existed of [false, true]) {
    Deno.test({
      name: `a pull ${option} interrupted by SIGINT ${
        existed ? "empties the folder the user made" : "removes the folder it made"
      } and releases its pins; the same pull then works and drops a dead process's pin`,
      ignore,
      async fn() {
        await using reg = await startRegistry();
        await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
        await using home = await cliHome();
        const image = await imageOf([
          dataLayer("small", 1000),
          dataLayer("big", 8 * 1024 * 1024),
        ]);
        await pushImage(reg, "test/img", "v1", image);
        const p = homePaths(home.home);
        const pins = `${home.home}/.singularity/oci/.pins`;
        const box = `${home.home}/box`;
        if (existed) Deno.mkdirSync(box);
        const args = ["pull", option, box, `${slow.host}/test/img:v1`];

        const child = spawnCli(args, home.env);
        await waitFor(child, () => ls(box).length > 0 || undefined, "the first layer unpacked");
        assert(ls(pins).length > 0, "the running pull holds a pin");
        child.kill("SIGINT");
        const [status, stderr] = await Promise.all([
          child.status,
          new Response(child.stderr).text(),
          child.stdout.cancel(),
        ]);
        assertEquals(status.code, 130, stderr);
        assertStringIncludes(stderr, "Run the same pull again to finish it");
        assertEquals(exists(box), existed, existed ? "the user's folder was removed" : "left");
        assertEquals(ls(box), [], "a partial sandbox was left");
        assertEquals(ls(pins), [], "the interrupted pull's pin was left");
        assertEquals(ls(p.tmp), [], "work folders removed");

        // A pin left by a process killed hard (no handler ran) holds nothing past the next pull.
        const dead = await deadPid();
        const stale = `${pins}/${HOST}.${dead}.0.json`;
        Deno.writeTextFileSync(stale, JSON.stringify({ host: HOST, pid: dead, digests: [] }));

        const rerun = await home.run(args);
        assertEquals(rerun.code, 0, rerun.stderr);
        const big = Deno.readFileSync(`${box}/data/big.bin`);
        assertEquals(big.length, 8 * 1024 * 1024);
        assertEquals(ls(pins), [], "the dead process's pin was left");
        if (option === "--keep-sandbox") await checkSif(rerun.stdout.trim(), ["data/big.bin"]);
        checkInvariants(p, { clean: true });
      },
    });
  }
}

Deno.test({
  name:
    "a failed pull --keep-sandbox removes the folder it made (empties the user's), and a folder not empty is refused naming --keep-sandbox",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    // Names that are not UTF-8 cannot be created in a folder: the native build refuses them.
    const names = buildTar([
      { name: "first.txt", content: "written before the bad name" },
      { name: "caf\xe9.txt", content: "latin-1", byteNames: true },
    ]);
    await pushImage(reg, "test/names", "v1", await imageOfTars([names]));
    for (const existed of [false, true]) {
      const box = `${home.home}/kept-${existed}`;
      if (existed) Deno.mkdirSync(box);
      const bad = await home.run([
        "pull",
        "--builder",
        "native",
        "--keep-sandbox",
        box,
        `${reg.host}/test/names:v1`,
      ]);
      assertEquals(bad.code, 1, bad.stderr);
      assertStringIncludes(bad.stderr, "not UTF-8");
      assertEquals(exists(box), existed, `${box}: the user's folder removed, or ours left`);
      assertEquals(ls(box), [], "a partial sandbox was left");
    }

    const box = `${home.home}/full`;
    Deno.mkdirSync(box);
    Deno.writeTextFileSync(`${box}/mine.txt`, "the user's");
    const refused = await home.run(["pull", "--keep-sandbox", box, `${reg.host}/test/names:v1`]);
    assertEquals(refused.code, 2, refused.stderr);
    assertStringIncludes(refused.stderr, "give a new or empty folder to --keep-sandbox");
    assertEquals(Deno.readTextFileSync(`${box}/mine.txt`), "the user's");
  },
});
