/**
 * `pull --name` and the catalogue: a file sregistry manages is never left
 * without a record, and no record names a file holding another image.
 * - The image's one record moves to the file `--name` asks for; the managed
 *   file in storage it named goes with it (before, it stayed, listed and
 *   removed by nothing). A later plain `pull REF` writes the managed file
 *   again and prints it (before, it printed the user's file).
 * - Two pulls of different images to one `--name` at once: the one that
 *   places its file second fails, exit 1, saying another pull wrote the file
 *   (before, both exited 0 and one record was gone or named the other image).
 * Real `sregistry` children against the real registry.
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
  throttlingProxy,
} from "./_pull_env.ts";
import { childOutput, spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

Deno.test({
  name:
    "pull --name after pull moves the record and removes the managed file; pull REF then writes it again",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await pushImage(reg, "big/rand", "v1", await imageOf([dataLayer("r", 100_000)]));
    const p = homePaths(home.home);
    const ref = `${reg.host}/big/rand:v1`;
    const mine = `${home.home}/mine.sif`;

    const managed = (await home.run(["pull", ref])).stdout.trim();
    assert(managed.startsWith(`${p.storage}/`), managed);
    const named = await home.run(["pull", "--name", mine, ref]);
    assertEquals(named.code, 0, named.stderr);
    assertEquals(named.stdout.trim(), mine);
    assertEquals((await home.run(["get", ref])).stdout.trim(), mine);
    checkInvariants(p); // no file in storage without a record
    assertEquals(ls(managed.slice(0, managed.lastIndexOf("/"))), [], "the managed file was left");

    // A plain pull asks for the managed file: written again and printed, and it is the image.
    const plain = await home.run(["pull", ref]);
    assertEquals(plain.code, 0, plain.stderr);
    assertEquals(plain.stdout.trim(), managed);
    await checkSif(managed, ["data/r.bin"]);
    assertEquals((await home.run(["get", ref])).stdout.trim(), managed);
    assert(Deno.statSync(mine).isFile, "the user's file is the user's");
    checkInvariants(p);

    // rm leaves nothing in storage that no record lists.
    const rm = await home.run(["rm", ref]);
    assertEquals(rm.code, 0, rm.stderr);
    assertEquals((await home.run(["images"])).stdout.includes("big/rand"), false);
    assertEquals(checkInvariants(p), []);

    // Same again, rm right after the --name pull (the breaker's order).
    await home.run(["pull", ref]);
    Deno.removeSync(mine);
    assertEquals((await home.run(["pull", "--name", mine, ref])).code, 0);
    assertEquals((await home.run(["rm", ref])).code, 0);
    assertEquals(checkInvariants(p), []);
    assertEquals(ls(managed.slice(0, managed.lastIndexOf("/"))), []);
  },
});

for (const extra of [[], ["--force"], ["--no-cache"]]) {
  Deno.test({
    name: `two pulls of different images to one --name${
      extra.map((o) => ` ${o}`).join("")
    } at once: the second to place it fails, and no record names the other image's file`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
      await using home = await cliHome();
      await pushImage(reg, "test/one", "v1", await imageOf([dataLayer("one", 4 * 1024 * 1024)]));
      await pushImage(reg, "test/two", "v1", await imageOf([dataLayer("two", 1024 * 1024)]));
      const same = `${home.home}/same.sif`;
      const p = homePaths(home.home);
      const opts = [...extra, "--name", same];

      // The first is mid-download (its target judged) when the second starts.
      const first = spawnCli(["pull", ...opts, `${slow.host}/test/one:v1`], home.env);
      await waitFor(
        first,
        () => ls(p.blobs).some((n) => n.endsWith(".partial")) || undefined,
        "a download",
      );
      const second = spawnCli(["pull", ...opts, `${slow.host}/test/two:v1`], home.env);
      const results = await Promise.all([first, second].map(childOutput));
      const codes = results.map((r) => r.code).sort();
      assertEquals(codes, [0, 1], results.map((r) => r.stderr).join("\n"));
      const winner = results.findIndex((r) => r.code === 0);
      const loser = results[1 - winner];
      assertStringIncludes(loser.stderr, `Cannot write the image to ${same}: another pull`);
      assertEquals(results[winner].stdout.trim(), same);
      await checkSif(same, [winner === 0 ? "data/one.bin" : "data/two.bin"]);

      const records = checkInvariants(p, { clean: true }) as { name?: string; image: string }[];
      assertEquals(
        records.map((r) => `${r.name}:${r.image}`),
        extra.includes("--no-cache") ? [] : [`${winner === 0 ? "one" : "two"}:${same}`],
      );
    },
  });
}

Deno.test({
  name: "two pulls of one image to one --name at once both succeed with one record",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using slow = throttlingProxy(reg.url, 2 * 1024 * 1024);
    await using home = await cliHome();
    await pushImage(reg, "test/one", "v1", await imageOf([dataLayer("one", 2 * 1024 * 1024)]));
    const same = `${home.home}/same.sif`;
    const ref = `${slow.host}/test/one:v1`;
    const results = await Promise.all([1, 2].map(() => home.run(["pull", "--name", same, ref])));
    for (const r of results) {
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim(), same);
    }
    await checkSif(same, ["data/one.bin"]);
    assertEquals(checkInvariants(homePaths(home.home), { clean: true }).length, 1);
  },
});
