/**
 * A bad value in the settings file: `backend add` refuses it with the parser
 * `loadSettings` uses; one already stored names the file and the command
 * that fixes it; path settings are made absolute once, at load.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { SregistryError, UsageError } from "../../src/errors.ts";
import { addVariable } from "../../src/config/backends.ts";
import { loadSettings, StoredSettingError } from "../../src/config/settings.ts";
import { secretsFilePath } from "../../src/config/paths.ts";

const HOME = "/home/me";
const file = (data: Record<string, unknown>) => ({ path: "/home/me/.sregistry", data });

/** Values of the kind: each refused by the parser that reads the variable. */
const BAD: [string, string][] = [
  ["SREGISTRY_PYTHON_THREADS", "abc"],
  ["SREGISTRY_PYTHON_THREADS", "0"],
  ["SREGISTRY_RETRIES", "-1"],
  ["SREGISTRY_TIMEOUT", "0"],
  ["SREGISTRY_TIMEOUT", "99999999999"],
  ["SREGISTRY_MAX_LAYER_SIZE", "12 parsecs"],
  ["SREGISTRY_PROCESSORS", "1.5"],
  ["SREGISTRY_COMPRESSION", "bogus"],
];

Deno.test("addVariable() refuses a value loadSettings would refuse, naming what it takes", () => {
  for (const [name, value] of BAD) {
    const e = assertThrows(() => addVariable({}, "docker", name, value), UsageError);
    assertStringIncludes(e.message, `Cannot add ${name}="${value}" to backend "docker"`);
    assertStringIncludes(e.message, "it is not ");
    // Also for a backend that is not active: it is read once activated.
    assertThrows(() => addVariable({}, "nvidia", name, value), UsageError);
  }
  const e = assertThrows(() => addVariable({}, "docker", "SREGISTRY_PYTHON_THREADS", "abc"));
  assertStringIncludes(e.message, "whole number from 1 to 64");
  // Good values are stored as given.
  assertEquals(addVariable({}, "docker", "SREGISTRY_PYTHON_THREADS", "8"), {
    docker: { SREGISTRY_PYTHON_THREADS: "8" },
  });
  assertEquals(addVariable({}, "docker", "SREGISTRY_COMPRESSION", "zstd"), {
    docker: { SREGISTRY_COMPRESSION: "zstd" },
  });
});

Deno.test("a bad value stored in the file names the file, the backend and the fix (exit 1)", () => {
  for (const [name, value] of BAD) {
    const e = assertThrows(
      () => loadSettings({ HOME }, file({ docker: { [name]: value } })),
      StoredSettingError,
    );
    assert(e instanceof SregistryError && !(e instanceof UsageError));
    assertStringIncludes(e.message, "the settings file /home/me/.sregistry");
    assertStringIncludes(e.message, `sregistry backend remove docker ${name}`);
    // From the environment it stays a usage error of the variable.
    assertThrows(() => loadSettings({ HOME, [name]: value }), UsageError, `Cannot use ${name}=`);
  }
  // Found in the active backend's entry when that is not docker.
  const e = assertThrows(
    () =>
      loadSettings(
        { HOME },
        file({ SREGISTRY_CLIENT: "nvidia", nvidia: { SREGISTRY_RETRIES: "x" } }),
      ),
    StoredSettingError,
  );
  assertStringIncludes(e.message, "backend remove nvidia SREGISTRY_RETRIES");
  // A good value in the environment hides the bad one in the file.
  assertEquals(
    loadSettings(
      { HOME, SREGISTRY_PYTHON_THREADS: "3" },
      file({ docker: { SREGISTRY_PYTHON_THREADS: "x" } }),
    )
      .jobs,
    3,
  );
});

Deno.test("path settings are made absolute at load, against the current folder", () => {
  const cwd = "/work/here";
  const s = loadSettings(
    {
      HOME,
      SREGISTRY_STORAGE: "rel/st",
      SREGISTRY_DATABASE: "./db",
      SREGISTRY_TMPDIR: "tmp",
      APPTAINER_CACHEDIR: "../cache",
      SREGISTRY_CA_FILE: "ca.pem",
      SREGISTRY_DOCKERHUB_SECRETS: "auth.json",
    },
    undefined,
    cwd,
  );
  assertEquals(s.storageDir, "/work/here/rel/st");
  assertEquals(s.databaseDir, "/work/here/db");
  assertEquals(s.tmpDir, "/work/here/tmp");
  assertEquals(s.explicitTmpDir, "/work/here/tmp");
  assertEquals(s.cacheDir, "/work/cache");
  assertEquals(s.caFile, "/work/here/ca.pem");
  assertEquals(s.dockerhub.secretsPath, "/work/here/auth.json");
  // From the file too, and TMPDIR; the current folder is the default.
  const f = loadSettings({ HOME, TMPDIR: "t" }, file({ docker: { SREGISTRY_STORAGE: "x" } }));
  assertEquals(f.storageDir, `${Deno.cwd()}/x`);
  assertEquals(f.tmpDir, `${Deno.cwd()}/t`);
  assertEquals(
    secretsFilePath({ HOME, SREGISTRY_CLIENT_SECRETS: "s.json" }),
    `${Deno.cwd()}/s.json`,
  );
  // Absolute and ~ paths are kept.
  assertEquals(
    loadSettings({ HOME, SREGISTRY_STORAGE: "~/st" }, undefined, cwd).storageDir,
    "/home/me/st",
  );
});
