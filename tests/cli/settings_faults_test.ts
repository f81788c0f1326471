/**
 * Settings that used to lock users out or mislead: a bad value stored by
 * `backend add` stopped every command, the `backend` ones included; a
 * relative `SREGISTRY_STORAGE` was recorded relative, so `get` from another
 * folder said the image was gone; a `SREGISTRY_STORAGE` that is a file
 * failed only after the download and the build.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";
import { exists } from "../_tree.ts";

Deno.test("a bad stored setting is refused by backend add, and one already stored can be fixed", async () => {
  await using home = await cliHome();
  const secrets = `${home.home}/.sregistry`;
  const refused = await home.run(["backend", "add", "docker", "SREGISTRY_PYTHON_THREADS", "abc"]);
  assertEquals(refused.code, 2, refused.stderr);
  assertStringIncludes(refused.stderr, 'Cannot add SREGISTRY_PYTHON_THREADS="abc"');
  assertStringIncludes(refused.stderr, "whole number from 1 to 64");
  assert(!exists(secrets) || !Deno.readTextFileSync(secrets).includes("abc"), "not stored");
  assertEquals((await home.run(["images"])).code, 0);

  // Stored by an older version, or by hand: every command names the file and the fix.
  Deno.writeTextFileSync(secrets, JSON.stringify({ docker: { SREGISTRY_PYTHON_THREADS: "abc" } }));
  const images = await home.run(["images"]);
  assertEquals(images.code, 1, images.stderr);
  assertStringIncludes(images.stderr, `the settings file ${secrets}`);
  assertStringIncludes(images.stderr, "sregistry backend remove docker SREGISTRY_PYTHON_THREADS");
  assert(!images.stderr.includes("Usage:"), images.stderr);
  for (const fix of [["backend", "ls", "docker"], ["backend", "status"]]) {
    assertEquals((await home.run(fix)).code, 0, fix.join(" "));
  }
  const forced = await home.run(["backend", "add", "--force", "docker", "PYTHON_THREADS", "x"]);
  assertEquals(forced.code, 0, forced.stderr); // another name: a warning, nothing read
  const removed = await home.run(["backend", "remove", "docker", "SREGISTRY_PYTHON_THREADS"]);
  assertEquals(removed.code, 0, removed.stderr);
  assertEquals((await home.run(["images"])).code, 0);

  Deno.writeTextFileSync(secrets, JSON.stringify({ docker: { SREGISTRY_TIMEOUT: "0" } }));
  const replaced = await home.run([
    "backend",
    "add",
    "--force",
    "docker",
    "SREGISTRY_TIMEOUT",
    "9",
  ]);
  assertEquals(replaced.code, 0, replaced.stderr);
  Deno.writeTextFileSync(secrets, JSON.stringify({ docker: { SREGISTRY_COMPRESSION: "bogus" } }));
  assertEquals((await home.run(["backend", "delete", "docker"])).code, 0);
  assertEquals((await home.run(["images"])).code, 0);

  // Registry addresses: refused by backend add; one stored names the file where it is read.
  const mirror = await home.run([
    "backend",
    "add",
    "docker",
    "SREGISTRY_DOCKERHUB_MIRROR",
    "ftp://m",
  ]);
  assertEquals(mirror.code, 2, mirror.stderr);
  assertStringIncludes(mirror.stderr, 'Cannot add SREGISTRY_DOCKERHUB_MIRROR="ftp://m"');
  Deno.writeTextFileSync(secrets, JSON.stringify({ docker: { SREGISTRY_DOCKERHUB_BASE: "a b" } }));
  const tags = await home.run(["tags", "busybox"]);
  assertEquals(tags.code, 1, tags.stderr);
  assertStringIncludes(tags.stderr, `stored in the settings file ${secrets}`);
  assertStringIncludes(tags.stderr, "sregistry backend remove docker SREGISTRY_DOCKERHUB_BASE");
  assert(!tags.stderr.includes("Usage:"), tags.stderr);
});

Deno.test("relative path settings are recorded absolute; a storage that is a file fails before the download", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const image = await buildImage({ layers: [{ entries: [{ name: "a.txt", content: "a\n" }] }] });
  await pushImage(reg, "test/rel", "v1", image);
  const ref = `${reg.host}/test/rel:v1`;
  const a = `${home.home}/a`;
  const b = `${home.home}/b`;
  Deno.mkdirSync(a);
  Deno.mkdirSync(b);
  const env = { SREGISTRY_STORAGE: "rel/st", APPTAINER_CACHEDIR: "cache" };
  const pulled = await home.run(["pull", ref], { cwd: a, env });
  assertEquals(pulled.code, 0, pulled.stderr);
  const path = pulled.stdout.trim();
  assert(path.startsWith(`${a}/rel/st/`), path);
  assert(Deno.statSync(`${a}/cache/oci`).isDirectory);
  const got = await home.run(["get", ref], { cwd: b });
  assertEquals([got.code, got.stdout.trim()], [0, path], got.stderr);
  // rm from another folder removes the recorded file, not a same-named file there.
  const decoy = `${b}/${path.slice(a.length + 1)}`;
  Deno.mkdirSync(decoy.slice(0, decoy.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(decoy, "mine");
  assertEquals((await home.run(["rm", ref], { cwd: b })).code, 0);
  assertEquals(Deno.readTextFileSync(decoy), "mine");
  assert(!exists(path));

  Deno.writeTextFileSync(`${a}/notafolder`, "x");
  for (
    const [name, value] of [["SREGISTRY_STORAGE", "notafolder"], [
      "SREGISTRY_TMPDIR",
      "notafolder/t",
    ]]
  ) {
    const r = await home.run(["pull", "--force", ref], {
      cwd: a,
      env: { [name]: value, APPTAINER_CACHEDIR: `${home.home}/fresh` },
    });
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(r.stderr, `${name}=${a}/${value}`);
    assertStringIncludes(r.stderr, "not a folder");
    assert(!exists(`${home.home}/fresh/oci/blobs`), "nothing was downloaded");
  }
});
