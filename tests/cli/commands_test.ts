/**
 * Every command as users meet it: the real CLI in a subprocess with the
 * README's permission flags, against the real registry where a pull is
 * involved. Success paths, usage errors (exit 2 with the usage line),
 * unknown images (exit 1 with what to do), and no stack traces.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { assertNoStack, cliHome, runOk } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { exists } from "../_tree.ts";
import { pushImage, registryBinary, startRegistry, type TestRegistry } from "../_registry.ts";

const ignore = registryBinary() === undefined;

function layer(text: string) {
  return { entries: [{ name: "hello.txt", content: text }] };
}

/** Pushes `repo:tag` with one file and returns its manifest digest. */
async function push(reg: TestRegistry, repo: string, tag: string, text: string): Promise<string> {
  const image = await buildImage({ layers: [layer(text)] });
  await pushImage(reg, repo, tag, image);
  return image.manifest.digest;
}

Deno.test({
  name: "pull, images, get, inspect: the table, JSON, queries, newest version and @digest",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const alpha1 = await push(reg, "test/alpha", "v1", "first\n");
    await push(reg, "test/beta", "v2", "beta\n");
    const alphaRef = `${reg.host}/test/alpha:v1`;
    const path1 = (await runOk(home, ["pull", "--quiet", alphaRef])).trim();
    await runOk(home, ["pull", "--quiet", `${reg.host}/test/beta:v2`]);
    // A new image under the same tag: a second version, newest wins in `get`.
    const alpha2 = await push(reg, "test/alpha", "v1", "second\n");
    const path2 = (await runOk(home, ["pull", "--quiet", alphaRef])).trim();
    assert(path1 !== path2, "a new manifest gives a new file");

    const table = (await runOk(home, ["images"])).trimEnd().split("\n");
    assertMatch(table[0], /^ID\s+CREATED\s+REFERENCE\s+DIGEST\s+SIZE$/);
    const today = new Date().toISOString().slice(0, 10);
    const alphaRow = table.find((l) => l.includes(alpha1.slice(7, 19)))!;
    assertMatch(
      alphaRow,
      new RegExp(
        `^\\d+\\s+${today}\\s+${reg.host}/test/alpha:v1\\s+${alpha1.slice(7, 19)}\\s+[\\d.]+ kB$`,
      ),
    );
    assertEquals(table.length, 5, table.join("\n"));
    assertMatch(table[4], /^3 images, [\d.]+ kB in total$/);

    const records = JSON.parse(await runOk(home, ["images", "--json"]));
    assertEquals(records.length, 3);
    const queried = JSON.parse(await runOk(home, ["images", "--json", "beta"]));
    assertEquals(queried.map((r: { name: string }) => r.name), ["beta"]);
    const byRegistry = (await runOk(home, ["images", `${reg.host}/test/alpha`])).trimEnd().split(
      "\n",
    );
    assertEquals(byRegistry.length, 4, byRegistry.join("\n"));

    const get = await home.run(["get", alphaRef]);
    assertEquals([get.code, get.stdout, get.stderr], [0, path2 + "\n", ""]);
    assertEquals(await runOk(home, ["get", `${alphaRef}@${alpha1}`]), path1 + "\n");
    assertEquals(await runOk(home, ["get", `${reg.host}/test/alpha@${alpha2}`]), path2 + "\n");

    const record = JSON.parse(await runOk(home, ["inspect", `${alphaRef}@${alpha1}`]));
    assertEquals(record.digest, alpha1);
    assertEquals(record.manifestDigest, alpha1);
    assertEquals(record.platform, "linux/amd64");
    assertEquals(record.path, path1);
    assertEquals(record.size, Deno.statSync(path1).size);
    assertEquals(record.manifest.layers.length, 1);
    assertEquals(record.config.architecture, "amd64");
  },
});

Deno.test({
  name: "rm, mv, rename: file and record move together; a gone file is a warning",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const digest = await push(reg, "test/img", "v1", "x\n");
    const ref = `${reg.host}/test/img:v1`;
    const stored = (await runOk(home, ["pull", "--quiet", ref])).trim();

    // mv to a folder keeps the file name; mv to a file name renames it.
    Deno.mkdirSync(`${home.home}/keep`);
    const inFolder = (await runOk(home, ["mv", ref, `${home.home}/keep`])).trim();
    assertEquals(inFolder, `${home.home}/keep/${stored.split("/").pop()}`);
    assert(!exists(stored) && exists(inFolder));
    assertEquals(await runOk(home, ["get", ref]), inFolder + "\n");
    const renamedFile = `${home.home}/keep/img.sif`;
    assertEquals((await runOk(home, ["mv", ref, renamedFile])).trim(), renamedFile);
    assertEquals(await runOk(home, ["get", ref]), renamedFile + "\n");
    assert(!exists(inFolder) && exists(renamedFile));
    // A taken name is refused and nothing changes.
    Deno.writeTextFileSync(`${home.home}/keep/taken.sif`, "someone else's");
    const taken = await home.run(["mv", ref, `${home.home}/keep/taken.sif`]);
    assertEquals(taken.code, 1);
    assertStringIncludes(taken.stderr, "already exists");
    assertEquals(await runOk(home, ["get", ref]), renamedFile + "\n");

    // rename moves the file to the new reference's storage path.
    const newRef = `${reg.host}/other/name:v9`;
    const renamed = (await runOk(home, ["rename", ref, newRef])).trim();
    assertEquals(renamed, `${home.home}/.singularity/shub/${reg.host}/other/name/v9@${digest}.sif`);
    assert(exists(renamed) && !exists(renamedFile));
    assertEquals(await runOk(home, ["get", newRef]), renamed + "\n");
    const old = await home.run(["get", ref]);
    assertEquals(old.code, 1);

    // rm removes record and file; a second rm fails clearly.
    assertEquals(await runOk(home, ["rm", newRef]), renamed + "\n");
    assert(!exists(renamed));
    const again = await home.run(["rm", newRef]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, `Cannot find ${newRef}`);
    assertStringIncludes(again.stderr, "sregistry images");

    // rm when the file is already gone: a warning, exit 0, record gone.
    const path = (await runOk(home, ["pull", "--quiet", ref])).trim();
    Deno.removeSync(path);
    const gone = await home.run(["rm", ref]);
    assertEquals(gone.code, 0, gone.stderr);
    assertStringIncludes(gone.stderr, "already gone");
    assertEquals(JSON.parse(await runOk(home, ["images", "--json"])), []);
  },
});

Deno.test("add FILE --name REF moves the file, --copy copies it", async () => {
  await using home = await cliHome();
  const storage = `${home.home}/.singularity/shub`;
  // A SIF global header's launch script and magic, then anything.
  const bytes = new TextEncoder().encode("#!/usr/bin/env run-singularity\n\0SIF_MAGIC\0 rest\n");
  const digest = "sha256:" + Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  for (const [copy, ref] of [[false, "moved/img:1"], [true, "copied/img:2"]] as const) {
    const file = `${home.home}/local-${copy}.sif`;
    Deno.writeFileSync(file, bytes);
    const args = ["add", file, "--name", ref, ...(copy ? ["--copy"] : [])];
    const target = (await runOk(home, args)).trim();
    const [repo, tag] = ref.split(":");
    assertEquals(target, `${storage}/${repo}/${tag}@${digest}.sif`);
    assertEquals(Deno.readFileSync(target), bytes);
    assertEquals(exists(file), copy, copy ? "--copy keeps the original" : "add moves the file");
    assertEquals(await runOk(home, ["get", ref]), target + "\n");
  }
  const missing = await home.run(["add", `${home.home}/nope.sif`, "--name", "x/y:1"]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "Cannot add");
  assertNoStack(missing.stderr);
});

Deno.test({
  name: "tags lists the pushed tags",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    for (const tag of ["1.0", "latest", "2.0"]) await push(reg, "test/tags", tag, tag);
    const tags = (await runOk(home, ["tags", `${reg.host}/test/tags`])).trim().split("\n");
    assertEquals(tags.toSorted(), ["1.0", "2.0", "latest"]);
  },
});

Deno.test("version, --version and --help on every command exit 0", async () => {
  await using home = await cliHome();
  const version = await runOk(home, ["version"]);
  assertMatch(version, /^\d+\.\d+\.\d+\n$/);
  assertEquals(await runOk(home, ["--version"]), version);
  const commands = [
    "pull",
    "images",
    "get",
    "inspect",
    "rm",
    "mv",
    "rename",
    "add",
    "backend",
    "backend ls",
    "backend status",
    "backend activate",
    "backend deactivate",
    "backend add",
    "backend remove",
    "backend delete",
    "shell",
    "version",
    "tags",
    "login",
    "logout",
  ];
  const results = await Promise.all(commands.map((c) => home.run([...c.split(" "), "--help"])));
  results.forEach((r, i) => {
    assertEquals(r.code, 0, `${commands[i]} --help: ${r.stderr}`);
    assertStringIncludes(r.stdout, `Usage: sregistry ${commands[i]}`);
  });
  const top = await runOk(home, ["--help"]);
  for (const c of commands.filter((c) => !c.includes(" "))) assertStringIncludes(top, `  ${c} `);
});

Deno.test({
  name: "usage errors exit 2 with the message and the command's usage",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    await push(reg, "test/img", "latest", "x");
    const cases: [string[], string, string][] = [
      [["pull", "--bogus", "x"], "unknown option '--bogus'", "sregistry pull"],
      [["pull"], "missing required argument 'reference'", "sregistry pull"],
      [["pull", "--jobs", "0", `${reg.host}/test/img`], "--jobs", "sregistry pull"],
      [["pull", "--jobs", "many", `${reg.host}/test/img`], "--jobs", "sregistry pull"],
      [
        ["pull", "--platform", "linux/amd64/v1/x", `${reg.host}/test/img`],
        "platform",
        "sregistry pull",
      ],
      [["pull", "UPPER/Case"], "must be lowercase", "sregistry pull"],
      [["get", "a//b"], "Cannot parse image reference", "sregistry get"],
      [["mv", "x"], "missing required argument 'path'", "sregistry mv"],
      [["add", "file.sif"], "--name", "sregistry add"],
      [["backend", "add", "docker"], "missing required argument", "sregistry backend add"],
      [["nonsense"], "unknown command 'nonsense'", "sregistry"],
    ];
    const results = await Promise.all(cases.map(([args]) => home.run(args)));
    results.forEach((r, i) => {
      const [args, message, command] = cases[i];
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, message);
      assertMatch(r.stderr, /^Cannot /);
      assertStringIncludes(r.stderr, `Usage: ${command} `);
      assertNoStack(r.stderr);
      assertEquals(r.stdout, "");
    });
    // Nothing was pulled by the refused commands.
    const pulls = (await reg.requests()).filter((r) =>
      r.method !== "PUT" && r.method !== "POST" && r.path !== "/v2/"
    );
    assertEquals(pulls, []);
  },
});

Deno.test("unknown images exit 1 with what to do; --debug alone shows the stack", async () => {
  await using home = await cliHome();
  for (const command of ["get", "inspect", "rm", "mv", "rename"]) {
    const args = [
      command,
      "busybox:nope",
      ...(command === "mv" || command === "rename" ? ["x"] : []),
    ];
    if (command === "rename") args[2] = "other:1";
    const r = await home.run(args);
    assertEquals(r.code, 1, `${command}: ${r.stderr}`);
    assertStringIncludes(
      r.stderr,
      'Cannot find busybox:nope: no such image in the catalogue: run "sregistry images"',
    );
    assertNoStack(r.stderr);
    assertEquals(r.stdout, "");
  }
  const debug = await home.run(["--debug", "get", "busybox:nope"]);
  assertEquals(debug.code, 1);
  assertMatch(debug.stderr, /\n\s+at .+catalogue\.ts:\d+:\d+/);
});

Deno.test("the Python client's commands for other backends say so in one line", async () => {
  await using home = await cliHome();
  const results = await Promise.all(
    ["push x.sif --name a", "search q", "share x", "delete x", "build x", "labels"]
      .map((c) => home.run(c.split(" "))),
  );
  for (const r of results) {
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assertMatch(r.stderr, /^Cannot run sregistry \w+: the docker backend of sregistry pulls only/);
  }
});

Deno.test("backend commands edit the settings file: original JSON shape, 0600, atomic", async () => {
  await using home = await cliHome();
  const dir = `${home.home}/settings`;
  Deno.mkdirSync(dir);
  const file = `${dir}/sregistry.json`;
  // A file the Python client wrote (umask mode) keeps its other backends.
  Deno.writeTextFileSync(
    file,
    JSON.stringify({ hub: { base: "https://singularity-hub.org/api" } }),
  );
  Deno.chmodSync(file, 0o644);
  const env = { SREGISTRY_CLIENT_SECRETS: file };
  const run = async (args: string, code = 0) => {
    const r = await home.run(["backend", ...args.split(" ")], { env });
    assertEquals(r.code, code, `backend ${args}: ${r.stderr}`);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["sregistry.json"],
      "no temp files",
    );
    if (code === 0) assertEquals(Deno.statSync(file).mode! & 0o777, 0o600, "mode 0600");
    return r;
  };
  const content = () => Deno.readTextFileSync(file);
  const hub = { base: "https://singularity-hub.org/api" };

  await run("add docker CMD yes");
  await run("add docker SREGISTRY_DOCKERHUB_PASSWORD hunter2-secret");
  await run("activate docker");
  const expected = {
    hub,
    docker: { SREGISTRY_DOCKER_CMD: "yes", SREGISTRY_DOCKERHUB_PASSWORD: "hunter2-secret" },
    SREGISTRY_CLIENT: "docker",
  };
  assertEquals(content(), JSON.stringify(expected, null, 4) + "\n");

  const refused = await run("add docker CMD no", 2);
  assertStringIncludes(refused.stderr, "--force");
  await run("add --force docker CMD no");
  assertEquals(JSON.parse(content()).docker.SREGISTRY_DOCKER_CMD, "no");

  assertEquals((await run("ls")).stdout, "hub\ndocker\n");
  const listed = (await run("ls docker")).stdout;
  assert(!listed.includes("hunter2-secret"), listed);
  assertEquals(JSON.parse(listed), {
    SREGISTRY_DOCKERHUB_PASSWORD: "********",
    SREGISTRY_DOCKER_CMD: "no",
  });
  assertStringIncludes((await run("status")).stdout, "active: docker");

  await run("deactivate");
  assertEquals(JSON.parse(content()).SREGISTRY_CLIENT, undefined);
  assertStringIncludes((await run("status")).stdout, "There is no active client");
  await run("remove docker CMD");
  assertEquals(JSON.parse(content()).docker, { SREGISTRY_DOCKERHUB_PASSWORD: "hunter2-secret" });
  await run("activate docker");
  await run("delete docker");
  assertEquals(content(), JSON.stringify({ hub }, null, 4) + "\n");
  const unsupported = await run("activate google-drive", 2);
  assertStringIncludes(unsupported.stderr, "only docker and nvidia");
});
