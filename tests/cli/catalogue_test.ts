/**
 * A catalogue that tells the truth (issue #14): `get` of a gone file fails,
 * a catalogue the user may only read still lists and answers, `images` fits
 * 100 columns and its IDs work everywhere, `add` wants a SIF, `backend add`
 * warns about names nothing reads, `inspect --summary`. The real CLI on the
 * real registry.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import {
  assertNoStack,
  type CliHome,
  cliHome,
  type CliResult,
  DENO_DIR,
  RUN_FLAGS,
  runOk,
} from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { exists } from "../_tree.ts";
import { pushImage, registryBinary, startRegistry, type TestRegistry } from "../_registry.ts";

const ignore = registryBinary() === undefined;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Pushes `repo:tag` with one file and the given config; returns the manifest digest. */
async function push(
  reg: TestRegistry,
  repo: string,
  tag: string,
  config?: Record<string, unknown>,
): Promise<string> {
  const layers = [{ entries: [{ name: "hello.txt", content: `${repo}:${tag}\n` }] }];
  const image = await buildImage({ layers, config });
  await pushImage(reg, repo, tag, image);
  return image.manifest.digest;
}

Deno.test({
  name: "get exits 1 with what to do when the image's SIF file is gone",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await push(reg, "test/gone", "v1");
    const ref = `${reg.host}/test/gone:v1`;
    const path = (await runOk(home, ["pull", "--quiet", ref])).trim();
    Deno.removeSync(path);
    const r = await home.run(["get", ref]);
    // Before: the path on stdout and exit 0, for a file that is not there.
    assertEquals([r.code, r.stdout], [1, ""], r.stderr);
    assertStringIncludes(r.stderr, `Cannot get ${ref}: its file ${path} is gone`);
    assertStringIncludes(r.stderr, "sregistry pull --force");
    assertNoStack(r.stderr);
  },
});

/**
 * How to run the CLI as a user who may not write the catalogue: as an
 * ordinary user, `chmod` is enough; as root (which ignores modes), the run
 * is made as `nobody` with setpriv. Undefined (with the reason) when neither works.
 */
function readOnlyRunner(): { how: string } | string {
  if (Deno.uid() !== 0) return { how: "chmod" };
  try {
    const probe = new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "true"],
    }).outputSync();
    return probe.success ? { how: "setpriv" } : "setpriv cannot switch to uid 65534";
  } catch {
    return "running as root without setpriv";
  }
}
const readOnly = readOnlyRunner();
if (typeof readOnly === "string") {
  const note = `catalogue_test: read-only catalogue test skipped: ${readOnly}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(note));
}

async function runAs(
  home: CliHome,
  how: string,
  args: string[],
  denoDir: string,
): Promise<CliResult> {
  const env = { ...home.env, NO_COLOR: "1", DENO_DIR: how === "setpriv" ? denoDir : DENO_DIR };
  const cli = [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN, ...args];
  const [program, ...rest] = how === "setpriv"
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ...cli]
    : cli;
  const out = await new Deno.Command(program, { args: rest, env, clearEnv: true, stdin: "null" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name: "images, get and inspect work on a catalogue the user may only read",
  ignore: ignore || typeof readOnly === "string",
  async fn() {
    const how = (readOnly as { how: string }).how;
    await using reg = await startRegistry();
    await using home = await cliHome();
    await push(reg, "test/shared", "v1");
    const ref = `${reg.host}/test/shared:v1`;
    const path = (await runOk(home, ["pull", "--quiet", ref])).trim();
    const dbDir = `${home.home}/.singularity`;
    const db = `${dbDir}/sregistry.db`;
    const denoDir = await Deno.makeTempDir({ prefix: "sregistry-deno-" });
    try {
      // A site-wide library: readable by all, writable by its owner only.
      for (const dir of [home.home, dbDir]) Deno.chmodSync(dir, 0o555);
      Deno.chmodSync(db, 0o444);
      Deno.chmodSync(denoDir, 0o777);
      const before = Deno.readFileSync(db);
      const images = await runAs(home, how, ["images"], denoDir);
      // Before: "attempt to write a readonly database" (or the file refused to open).
      assertEquals(images.code, 0, images.stderr);
      assertMatch(images.stdout, new RegExp(`${reg.host}/test/shared:v1`));
      const get = await runAs(home, how, ["get", ref], denoDir);
      assertEquals([get.code, get.stdout], [0, path + "\n"], get.stderr);
      const inspect = await runAs(home, how, ["inspect", ref], denoDir);
      assertEquals(inspect.code, 0, inspect.stderr);
      assertEquals(JSON.parse(inspect.stdout).path, path);
      // Nothing was written: the file is the same and no journal appeared.
      assertEquals(Deno.readFileSync(db), before);
      assertEquals(
        [...Deno.readDirSync(dbDir)].map((e) => e.name).filter((n) => n.includes("-")),
        [],
      );
      // A command that writes fails clearly.
      const rm = await runAs(home, how, ["rm", ref], denoDir);
      assertEquals(rm.code, 1, rm.stderr);
      assertStringIncludes(rm.stderr, `Cannot write to SREGISTRY_DATABASE=${dbDir}: `);
      assertStringIncludes(rm.stderr, "set it to a folder you can write");
      assertNoStack(rm.stderr);
    } finally {
      Deno.chmodSync(home.home, 0o700);
      Deno.chmodSync(dbDir, 0o700);
      Deno.chmodSync(db, 0o600);
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "images fits 100 columns with a 12-character digest; --wide shows all; its IDs work",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const longRepo = "test/a-rather-long-collection-name/with/several/levels/and-an-image-name";
    const longDigest = await push(reg, longRepo, "release-2026-11-30-candidate");
    const shortDigest = await push(reg, "test/small", "v1");
    const longRef = `${reg.host}/${longRepo}:release-2026-11-30-candidate`;
    const longPath = (await runOk(home, ["pull", "--quiet", longRef])).trim();
    const shortPath = (await runOk(home, ["pull", "--quiet", `${reg.host}/test/small:v1`])).trim();

    const table = (await runOk(home, ["images"])).trimEnd().split("\n");
    assertMatch(table[0], /^ID\s+CREATED\s+REFERENCE\s+DIGEST\s+SIZE$/);
    // Before: the whole reference and digest made rows of about 190 characters.
    for (const line of table) assert(line.length <= 100, `${line.length}: ${line}`);
    const hex12 = (d: string) => d.slice("sha256:".length, "sha256:".length + 12);
    const longRow = table.find((l) => l.includes(hex12(longDigest)))!;
    assertMatch(
      longRow,
      new RegExp(`^\\d+\\s+\\S+\\s+${reg.host}/test/a-rather.*….*candidate\\s+`),
    );
    assertMatch(table.at(-1)!, /^2 images, [\d.]+ kB in total$/);

    const wide = (await runOk(home, ["images", "--wide"])).trimEnd().split("\n");
    assertMatch(wide[0], /^ID\s+CREATED\s+CLIENT\s+REFERENCE\s+DIGEST\s+SIZE$/);
    assert(wide.some((l) => l.includes(longRef) && l.includes(longDigest)), wide.join("\n"));

    // The IDs shown (row number or digest) are accepted by get, inspect and rm.
    const id = longRow.split(/\s+/)[0];
    assertEquals(await runOk(home, ["get", id]), longPath + "\n");
    assertEquals(await runOk(home, ["get", hex12(longDigest)]), longPath + "\n");
    assertEquals(JSON.parse(await runOk(home, ["inspect", id])).path, longPath);
    assertEquals(JSON.parse(await runOk(home, ["inspect", hex12(shortDigest)])).path, shortPath);
    assertEquals(await runOk(home, ["rm", hex12(shortDigest)]), shortPath + "\n");
    assert(!exists(shortPath));
    assertEquals(await runOk(home, ["rm", id]), longPath + "\n");
    const unknown = await home.run(["get", "999"]);
    assertEquals(unknown.code, 1, unknown.stderr);
    assertStringIncludes(unknown.stderr, "Cannot find 999");

    // A filter that matches nothing says so (before: silence).
    const none = await home.run(["images", "no-such-thing"]);
    assertEquals([none.code, none.stdout], [0, ""]);
    assertEquals(none.stderr, "No image matches 'no-such-thing'.\n");
  },
});

Deno.test({
  name: "add refuses a file that is not a SIF unless --force; a SIF is added",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await push(reg, "test/sif", "v1");
    const sif = `${home.home}/real.sif`;
    await runOk(home, ["pull", "--quiet", "--no-cache", "--name", sif, `${reg.host}/test/sif:v1`]);
    const text = `${home.home}/notes.sif`;
    Deno.writeTextFileSync(text, "these are my notes, not an image\n");

    const refused = await home.run(["add", text, "--name", "local/notes:1"]);
    // Before: the text file was moved into storage and recorded as an image.
    assertEquals(refused.code, 1, refused.stderr);
    assertStringIncludes(refused.stderr, `Cannot add ${text}: it is not a SIF image`);
    assertStringIncludes(refused.stderr, "--force");
    assertNoStack(refused.stderr);
    assert(exists(text), "the refused file stays where it was");
    assertEquals(JSON.parse(await runOk(home, ["images", "--json"])), []);

    const forced = (await runOk(home, ["add", text, "--name", "local/notes:1", "--force"])).trim();
    assert(exists(forced) && !exists(text));
    const added = (await runOk(home, ["add", sif, "--name", "local/real:1"])).trim();
    assertEquals(await runOk(home, ["get", "local/real:1"]), added + "\n");
  },
});

Deno.test("backend add warns about a setting name that nothing reads", async () => {
  await using home = await cliHome();
  const typo = await home.run(["backend", "add", "docker", "DOCKER_CMD", "yes"]);
  assertEquals(typo.code, 0, typo.stderr);
  // Before: stored silently as SREGISTRY_DOCKER_DOCKER_CMD, which nothing reads.
  assertStringIncludes(typo.stderr, "Warning: nothing reads SREGISTRY_DOCKER_DOCKER_CMD");
  assertStringIncludes(typo.stderr, "did you mean SREGISTRY_DOCKER_CMD?");
  const other = await home.run(["backend", "add", "docker", "FAVOURITE_COLOUR", "blue"]);
  assertStringIncludes(other.stderr, "Warning: nothing reads SREGISTRY_DOCKER_FAVOURITE_COLOUR");
  const secrets = await home.run(["backend", "add", "docker", "SREGISTRY_CLIENT_SECRETS", "/x"]);
  assertStringIncludes(secrets.stderr, "read from the environment only");
  for (const known of [["CMD", "yes"], ["SREGISTRY_PYTHON_THREADS", "2"]]) {
    const r = await home.run(["backend", "add", "docker", ...known]);
    assertEquals([r.code, r.stderr], [0, ""]);
  }
});

Deno.test({
  name: "inspect --summary: platform, size, entrypoint, cmd, env, labels",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const digest = await push(reg, "test/summary", "v1", {
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ["echo hello"],
      Env: ["PATH=/usr/bin:/bin", "GREETING=hello"],
      Labels: { "org.opencontainers.image.title": "summary", team: "hpc" },
      WorkingDir: "/work",
    });
    const ref = `${reg.host}/test/summary:v1`;
    const path = (await runOk(home, ["pull", "--quiet", ref])).trim();
    const lines = (await runOk(home, ["inspect", "--summary", ref])).trimEnd().split("\n");
    const size = Deno.statSync(path).size;
    assertEquals(lines, [
      `Reference:  ${reg.host}/test/summary:v1`,
      lines[1],
      `Digest:     ${digest}`,
      "Platform:   linux/amd64",
      `Size:       ${(size / 1000).toFixed(1)} kB`,
      `Path:       ${path}`,
      "Created:    2024-01-01T00:00:00Z",
      'Entrypoint: ["/bin/sh","-c"]',
      'Cmd:        ["echo hello"]',
      "WorkingDir: /work",
      "Env:        PATH=/usr/bin:/bin",
      "            GREETING=hello",
      "Labels:     org.opencontainers.image.title=summary",
      "            team=hpc",
    ]);
    assertMatch(lines[1], /^ID:\s+\d+$/);
  },
});
