/**
 * Issue 13: sregistry never replaces a file it did not write (one no
 * catalogue record names) unless --force is given, wherever a user names a
 * path.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { Catalogue } from "../../src/store/catalogue.ts";
import { dataLayer, homePaths, imageOf } from "./_pull_env.ts";

const ignore = registryBinary() === undefined;
const PRECIOUS = "my thesis, not an image\n";

function isSif(path: string): boolean {
  const head = Deno.readFileSync(path).subarray(32, 41);
  return new TextDecoder().decode(head) === "SIF_MAGIC";
}

async function setup() {
  const reg = await startRegistry();
  await pushImage(reg, "test/a", "v1", await imageOf([dataLayer("a", 1000)]));
  await pushImage(reg, "test/b", "v1", await imageOf([dataLayer("b", 1000)]));
  return reg;
}

for (const extra of [[], ["--no-cache"]]) {
  Deno.test({
    name: `pull ${
      extra.join(" ")
    } --name onto an unrelated file refuses and keeps it; --force replaces it`
      .replace("  ", " "),
    ignore,
    async fn() {
      await using reg = await setup();
      await using home = await cliHome();
      const file = `${home.home}/thesis.sif`;
      Deno.writeTextFileSync(file, PRECIOUS);
      const refused = await home.run(["pull", ...extra, "--name", file, `${reg.host}/test/a:v1`]);
      assertEquals(refused.code, 2, refused.stderr);
      assertStringIncludes(
        refused.stderr,
        `Cannot write the image to ${file}: the file exists and sregistry did not write it`,
      );
      assertStringIncludes(refused.stderr, "add --force to replace it");
      assertEquals(Deno.readTextFileSync(file), PRECIOUS);
      assertEquals(refused.stdout, "");

      const forced = await home.run([
        "pull",
        ...extra,
        "--force",
        "--name",
        file,
        `${reg.host}/test/a:v1`,
      ]);
      assertEquals(forced.code, 0, forced.stderr);
      assert(isSif(file));
    },
  });
}

Deno.test({
  name: "pull --name onto another image's file refuses without --force and keeps its record; " +
    "the same image's file is replaced; --force replaces it and drops the old record",
  ignore,
  async fn() {
    await using reg = await setup();
    await pushImage(reg, "test/a", "v2", await imageOf([dataLayer("a2", 1000)]));
    await using home = await cliHome();
    const file = `${home.home}/img.sif`;
    const first = await home.run(["pull", "--name", file, `${reg.host}/test/a:v1`]);
    assertEquals(first.code, 0, first.stderr);
    const before = Deno.readFileSync(file);
    const recorded = () => {
      using cat = Catalogue.open(homePaths(home.home).db);
      return cat.all().filter((r) => r.image === file).map((r) => `${r.name}:${r.tag}`);
    };
    // Another repository, and another tag of the same one: both are other images.
    for (const other of ["test/b:v1", "test/a:v2"]) {
      const refused = await home.run(["pull", "--name", file, `${reg.host}/${other}`]);
      assertEquals(refused.code, 2, refused.stderr);
      assertStringIncludes(
        refused.stderr,
        `Cannot write the image to ${file}: it is the file of image 1 (${reg.host}/test/a:v1@`,
      );
      assertStringIncludes(refused.stderr, "add --force to replace it");
      assertEquals(Deno.readFileSync(file), before);
      assertEquals(recorded(), ["a:v1"]);
    }
    const again = await home.run(["pull", "--force", "--name", file, `${reg.host}/test/a:v1`]);
    assertEquals(again.code, 0, again.stderr);
    const same = await home.run(["pull", "--name", file, `${reg.host}/test/a:v1`]);
    assertEquals(same.code, 0, same.stderr);
    assertEquals(recorded(), ["a:v1"]);
    const forced = await home.run(["pull", "--force", "--name", file, `${reg.host}/test/b:v1`]);
    assertEquals(forced.code, 0, forced.stderr);
    assertEquals(recorded(), ["b:v1"]);
  },
});

Deno.test({
  name: "pull --name onto a folder (even with --force) or a symbolic link is refused",
  ignore,
  async fn() {
    await using reg = await setup();
    await using home = await cliHome();
    const dir = `${home.home}/folder`;
    Deno.mkdirSync(dir);
    for (const force of [[], ["--force"]]) {
      const r = await home.run(["pull", ...force, "--name", dir, `${reg.host}/test/a:v1`]);
      assertEquals(r.code, 2, r.stderr);
      assertStringIncludes(r.stderr, `Cannot write the image to ${dir}: it is a folder`);
    }
    const precious = `${home.home}/precious.txt`;
    Deno.writeTextFileSync(precious, PRECIOUS);
    const link = `${home.home}/link.sif`;
    Deno.symlinkSync(precious, link);
    const r = await home.run(["pull", "--name", link, `${reg.host}/test/a:v1`]);
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(r.stderr, "is not a regular file");
    assertEquals(Deno.readTextFileSync(precious), PRECIOUS);
  },
});

Deno.test({
  name: "add onto an unrecorded file in storage refuses and keeps both files",
  ignore,
  async fn() {
    await using reg = await setup();
    await using home = await cliHome();
    const pulled = await home.run([
      "pull",
      "--no-cache",
      "--name",
      `${home.home}/a.sif`,
      `${reg.host}/test/a:v1`,
    ]);
    assertEquals(pulled.code, 0, pulled.stderr);
    const digest = "sha256:" + "1".repeat(64);
    const target = `${homePaths(home.home).storage}/library/other/v1@${digest}.sif`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(target, PRECIOUS);
    const r = await home.run(["add", `${home.home}/a.sif`, "--name", `other:v1@${digest}`]);
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(r.stderr, "the file exists and sregistry did not write it");
    assertEquals(Deno.readTextFileSync(target), PRECIOUS);
    assert(isSif(`${home.home}/a.sif`));
  },
});
