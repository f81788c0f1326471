/**
 * The blob cache as users meet it: a damaged `index.json` (empty, garbage,
 * `null`) blocked every pull, even with --force; a cache on a read-only mount
 * made `pull --offline` fail "Cannot write to APPTAINER_CACHEDIR" although
 * every blob was there.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("a damaged cache index.json is set aside with a warning and rebuilt; pulls go on", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a\n" }] }] });
  await pushImage(reg, "test/idx", "v1", image);
  const ref = `${reg.host}/test/idx:v1`;
  assertEquals((await home.run(["pull", ref])).code, 0);
  const oci = `${home.home}/.singularity/oci`;
  for (const damage of ["", "garbage{", "null", '{"schemaVersion": 2}', "[]"]) {
    Deno.writeTextFileSync(`${oci}/index.json`, damage);
    const before = Deno.readDirSync(oci).toArray().length;
    const r = await home.run(["pull", "--force", ref]);
    assertEquals(r.code, 0, `${JSON.stringify(damage)}: ${r.stderr}`);
    assertStringIncludes(r.stderr, "index.json was damaged");
    const aside = Deno.readDirSync(oci).toArray().filter((e) =>
      e.name.startsWith("index.json.damaged-")
    );
    assertEquals(Deno.readDirSync(oci).toArray().length, before + 1, "one file set aside");
    assert(aside.some((e) => Deno.readTextFileSync(`${oci}/${e.name}`) === damage));
    // Rebuilt with the pulled tag: an offline pull finds the image again.
    const index = JSON.parse(Deno.readTextFileSync(`${oci}/index.json`));
    assertEquals(index.manifests.length, 1);
    const offline = await home.run(["pull", "--offline", "--force", ref]);
    assertEquals(offline.code, 0, offline.stderr);
    for (const e of aside) Deno.removeSync(`${oci}/${e.name}`);
  }
});

/** Mounts a tmpfs at `dir` (root only); undefined when this machine does not allow it. */
async function tmpfs(dir: string): Promise<AsyncDisposable | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const out = await new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", dir] }).output();
  if (!out.success) return undefined;
  return {
    [Symbol.asyncDispose]: async () => {
      await new Deno.Command("umount", { args: [dir] }).output();
    },
  };
}

const remount = (dir: string, mode: "ro" | "rw") =>
  new Deno.Command("mount", { args: ["-o", `remount,${mode}`, dir] }).output();

Deno.test("a read-only cache is read: offline pulls from it work, with one note", async (t) => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const cacheDir = `${home.home}/rocache`;
  Deno.mkdirSync(cacheDir);
  await using mounted = await tmpfs(cacheDir);
  if (!mounted) {
    await t.step({ name: "needs root and mount", ignore: true, fn: () => {} });
    return;
  }
  const image = await buildImage({ layers: [{ entries: [{ name: "b.txt", content: "b\n" }] }] });
  await pushImage(reg, "test/ro", "v1", image);
  const ref = `${reg.host}/test/ro:v1`;
  const env = { APPTAINER_CACHEDIR: cacheDir };
  assertEquals((await home.run(["pull", ref], { env })).code, 0);
  assertEquals((await remount(cacheDir, "ro")).success, true);
  try {
    const r = await home.run(["pull", "--offline", "--force", ref], { env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr.match(/cannot be written/g)?.length, 1, r.stderr);
    assertStringIncludes(r.stderr, `${cacheDir}/oci: read-only file system`);
    assertStringIncludes(r.stderr, "nothing will be cached");
    // Online too: the pull goes on without caching.
    const online = await home.run(["pull", "--force", ref], { env });
    assertEquals(online.code, 0, online.stderr);
  } finally {
    await remount(cacheDir, "rw");
  }
});
