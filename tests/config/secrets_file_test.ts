import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import { tempDir } from "./_temp.ts";
import { formatSecrets, readSecrets, writeSecrets } from "../../src/config/secrets_file.ts";

Deno.test("readSecrets() gives empty data for a missing file and does not create it", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const file = readSecrets(`${dir}/.sregistry`);
  assertEquals(file.data, {});
  assertEquals(file.exists, false);
  assertEquals([...Deno.readDirSync(dir)].length, 0);
});

Deno.test("writeSecrets() writes the original's shape, indent 4, mode 0600", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const path = `${dir}/.sregistry`;
  const data = { SREGISTRY_CLIENT: "docker", docker: { SREGISTRY_DOCKER_CMD: "yes" } };
  writeSecrets({ path, data });
  const text = Deno.readTextFileSync(path);
  assertEquals(
    text,
    '{\n    "SREGISTRY_CLIENT": "docker",\n    "docker": {\n        "SREGISTRY_DOCKER_CMD": "yes"\n    }\n}\n',
  );
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertEquals(readSecrets(path).data, data);
  assertEquals(readSecrets(path).readableByOthers, false);
});

Deno.test("writeSecrets() narrows an existing world-readable file to 0600 and leaves no temp files", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const path = `${dir}/.sregistry`;
  Deno.writeTextFileSync(path, "{}", { mode: 0o644 });
  Deno.chmodSync(path, 0o644);
  assertEquals(readSecrets(path).readableByOthers, true);
  writeSecrets({ path, data: { nvidia: { SREGISTRY_NVIDIA_TOKEN: "x" } } });
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [".sregistry"]);
});

Deno.test("writeSecrets() creates the parent folder and keeps a symlinked file a symlink", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  writeSecrets({ path: `${dir}/new/sub/.sregistry`, data: {} });
  assertEquals(Deno.readTextFileSync(`${dir}/new/sub/.sregistry`), "{}\n");
  Deno.writeTextFileSync(`${dir}/real.json`, "{}");
  Deno.symlinkSync(`${dir}/real.json`, `${dir}/link`);
  writeSecrets({ path: `${dir}/link`, data: { docker: {} } });
  assert(Deno.lstatSync(`${dir}/link`).isSymlink);
  assertEquals(JSON.parse(Deno.readTextFileSync(`${dir}/real.json`)), { docker: {} });
});

Deno.test("writeSecrets() that fails leaves no temp file and the old content", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const path = `${dir}/target`;
  Deno.mkdirSync(`${path}/occupied`, { recursive: true }); // rename onto a non-empty folder fails
  assertThrows(() => writeSecrets({ path, data: { a: {} } }), SregistryError, path);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["target"]);
});

Deno.test("writeSecrets() interrupted by SIGKILL leaves a valid file (old or new)", async () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const path = `${dir}/.sregistry`;
  writeSecrets({ path, data: { docker: {} } });
  const module = new URL("../../src/config/secrets_file.ts", import.meta.url).href;
  const script = `import { writeSecrets } from ${JSON.stringify(module)};
const docker = Object.fromEntries([...Array(20000)].map((_, i) => ["K" + i, "v".repeat(50)]));
const data = { docker };
for (let i = 0; ; i++) { data.docker.N = String(i); writeSecrets({ path: ${
    JSON.stringify(path)
  }, data }); }`;
  let rewrites = 0;
  for (let round = 0; round < 3; round++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, 700 + round * 150));
    child.kill("SIGKILL");
    await child.status;
    const parsed = JSON.parse(Deno.readTextFileSync(path));
    assert(typeof parsed.docker === "object");
    if (parsed.docker.N !== undefined) rewrites++;
  }
  assert(rewrites > 0, "the child never completed a write: the test proved nothing");
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
});

Deno.test("readSecrets() rejects invalid JSON naming the file and position, never the content", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const path = `${dir}/.sregistry`;
  Deno.writeTextFileSync(
    path,
    '{\n  "docker": {"SREGISTRY_DOCKERHUB_PASSWORD": "hunter2" oops}\n}',
  );
  const e = assertThrows(() => readSecrets(path), SregistryError, path);
  assertStringIncludes(e.message, "not JSON at line 2");
  assert(!e.message.includes("hunter2"), e.message);
  assert(!String(e.cause ?? "").includes("hunter2"));
});

Deno.test("readSecrets() rejects a file that is not the original's shape", () => {
  using tmp = tempDir();
  const dir = tmp.path;
  const cases = [
    ["[]", "$ is an array, expected an object"],
    ['{"SREGISTRY_CLIENT": 3}', "$.SREGISTRY_CLIENT is a number, expected a string"],
    ['{"docker": "yes"}', "$.docker is a string, expected an object"],
  ];
  for (const [text, message] of cases) {
    Deno.writeTextFileSync(`${dir}/f`, text);
    assertThrows(() => readSecrets(`${dir}/f`), SregistryError, message);
  }
});

Deno.test("formatSecrets() matches Python's json.dumps(indent=4) layout", () => {
  assertEquals(
    formatSecrets({ hub: { base: "https://singularity-hub.org/api" } }),
    '{\n    "hub": {\n        "base": "https://singularity-hub.org/api"\n    }\n}\n',
  );
});
