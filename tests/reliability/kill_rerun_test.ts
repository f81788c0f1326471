/**
 * Crash safety of the whole pull (issue 6): `kill -9` a pull at each stage,
 * check the invariants, rerun it, and get a correct image with the dead
 * process's leftovers swept.
 */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { Catalogue } from "../../src/store/catalogue.ts";
import {
  checkInvariants,
  checkSif,
  dataLayer,
  type HomePaths,
  homePaths,
  HOST,
  imageOf,
  ls,
  size,
  throttlingProxy,
} from "./_pull_env.ts";
import { exists } from "../_tree.ts";
import { killHard, spawnCli, waitFor } from "./_spawn.ts";
import { deadPid } from "../_procs.ts";

const ignore = registryBinary() === undefined;
const NAMES = ["l0", "l1", "l2", "l3"];
const FILES = NAMES.flatMap((n) => [`data/${n}.bin`, `etc/${n}.txt`]);

function workDirs(tmp: string): string[] {
  return ls(tmp).filter((n) => n.startsWith("sregistry-work-")).map((n) => `${tmp}/${n}`);
}

/** Where each stage leaves a trace, polled to kill the pull inside that stage. */
const STAGES: Record<
  string,
  (p: HomePaths, imageDir: string) => string | undefined
> = {
  download: (p) => ls(p.blobs).find((n) => n.endsWith(".partial") && size(`${p.blobs}/${n}`) > 0),
  // Seen in the --keep-sandbox folder (the native build writes no other file).
  extract: (p) => ls(`${p.tmp}/../kept/data`).find((n) => n.endsWith(".bin")),
  // The folder road's mksquashfs (the native build writes the squashfs straight into the SIF).
  squashfs: (p) => workDirs(p.tmp).flatMap(ls).find((n) => n.endsWith(".squashfs")),
  "SIF write": (_, imageDir) => ls(imageDir).find((n) => n.endsWith(".partial")),
};

for (const [stage, trace] of Object.entries(STAGES)) {
  Deno.test({
    name:
      `sregistry pull killed with SIGKILL during ${stage}, then rerun: correct image, leftovers swept`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using proxy = throttlingProxy(reg.url, 12 * 1024 * 1024);
      await using home = await cliHome({ SREGISTRY_PYTHON_THREADS: "2" });
      const image = await imageOf(NAMES.map((n) => dataLayer(n, 3 * 1024 * 1024)));
      await pushImage(reg, "test/img", "v1", image);
      const ref = `${proxy.host}/test/img:v1`;
      const p = homePaths(home.home);
      const imageDir = `${p.storage}/${proxy.host}/test/img`;
      Deno.mkdirSync(imageDir, { recursive: true });

      const keep = stage === "extract"
        ? ["--keep-sandbox", `${home.home}/kept`]
        : stage === "squashfs"
        ? ["--builder", "mksquashfs"]
        : [];
      const child = spawnCli(["pull", ...keep, ref], home.env);
      const seen = await waitFor(child, () => trace(p, imageDir), `the ${stage} stage`);
      await killHard(child);
      assert(seen, stage);
      checkInvariants(p);
      assertEquals(ls(imageDir).filter((n) => n.endsWith(".sif")), [], "no image file yet");

      const rerun = await home.run(["pull", ref]);
      assertEquals(rerun.code, 0, rerun.stderr);
      const path = rerun.stdout.trim();
      await checkSif(path, FILES);
      const records = checkInvariants(p, { clean: true });
      assertEquals(records.map((r) => r.image), [path]);
    },
  });
}

Deno.test({
  name:
    "sregistry pull after a crash between SIF rename and commit: the unrecorded file is replaced or removed",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const p = homePaths(home.home);
    const first = await imageOf([dataLayer("a", 100_000)]);
    await pushImage(reg, "test/img", "v1", first);
    const ref = `${reg.host}/test/img:v1`;
    const pulled = await home.run(["pull", ref]);
    assertEquals(pulled.code, 0, pulled.stderr);
    const oldPath = pulled.stdout.trim();

    // The state a kill between rename and commit leaves: the file is in place,
    // the transaction never committed. Plus other leftovers of that process.
    const crash = async () => {
      using cat = Catalogue.open(p.db);
      for (const r of cat.all()) cat.remove(r.id);
      const dead = await deadPid();
      const dir = oldPath.slice(0, oldPath.lastIndexOf("/"));
      Deno.writeTextFileSync(
        `${dir}/.${oldPath.slice(dir.length + 1)}.${HOST}.${dead}.partial`,
        "half",
      );
      Deno.mkdirSync(`${p.tmp}/sregistry-work-${dead}@${HOST}-0a1b2c/rootfs`, { recursive: true });
      const hex = first.layers[0].digest.slice(7);
      Deno.writeTextFileSync(`${p.blobs}/${hex}.${HOST}.${dead}.0.partial`, "half");
      Deno.writeTextFileSync(
        `${p.blobs}/${"e".repeat(64)}.lock`,
        JSON.stringify({ host: HOST, pid: dead, since: new Date().toISOString() }),
      );
      assertThrows(() => checkInvariants(p), Error, "file in storage without a record");
    };

    // The same image again: rebuilt over the orphan, recorded.
    await crash();
    const again = await home.run(["pull", ref]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(again.stdout.trim(), oldPath);
    assertEquals(checkInvariants(p, { clean: true }).map((r) => r.image), [oldPath]);

    // The tag moved on meanwhile: the orphan of the old digest is removed.
    await crash();
    const second = await imageOf([dataLayer("b", 100_000)]);
    await pushImage(reg, "test/img", "v1", second);
    const moved = await home.run(["pull", ref]);
    assertEquals(moved.code, 0, moved.stderr);
    const newPath = moved.stdout.trim();
    assert(newPath !== oldPath && !exists(oldPath), "the unrecorded old file is gone");
    assertEquals(checkInvariants(p, { clean: true }).map((r) => r.image), [newPath]);
    await checkSif(newPath, ["data/b.bin"]);
  },
});
