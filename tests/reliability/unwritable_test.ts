/**
 * Issue 13, "Unwritable folders": a storage, cache, catalogue or temp folder
 * the user cannot write (EACCES as an ordinary user, EROFS on a read-only
 * mount) gives a message naming the variable to change, not a raw OS error.
 * Runs `sregistry` as uid 65534 with `setpriv`, and under a read-only bind
 * mount in a private mount namespace (`unshare -m`); each test says why it is
 * skipped when this machine cannot do that (not root, tools missing).
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { RUN_FLAGS } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { dataLayer, imageOf } from "./_pull_env.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const NOBODY = 65534;
const VARIABLES = [
  "SREGISTRY_STORAGE",
  "APPTAINER_CACHEDIR",
  "SREGISTRY_DATABASE",
  "SREGISTRY_TMPDIR",
] as const;

function works(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const root = Deno.uid() === 0;
const canSetpriv = root &&
  works("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
const canMount = root && works("unshare", ["-m", "--propagation", "private", "true"]);
const noRegistry = registryBinary() === undefined;
/** Prints why some tests are skipped (the ignored tests' names do not say). */
function note(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`note: unwritable_test ${text}\n`));
}
if (!canSetpriv) note("skips its EACCES tests: they need root and setpriv");
if (!canMount) note("skips its EROFS tests: they need root and unshare -m");

/** A Deno cache every user may write, shared by this file's runs (compiled once). */
const denoDir = Deno.makeTempDirSync({ prefix: "sregistry-deno-" });
if (canSetpriv) Deno.chownSync(denoDir, NOBODY, NOBODY);

interface Home {
  home: string;
  dirs: Record<(typeof VARIABLES)[number], string>;
  env: Record<string, string>;
}

function makeHome(owner: number): Home {
  const home = Deno.makeTempDirSync({ prefix: "sregistry-home-" });
  Deno.chmodSync(home, 0o755);
  const dirs = {
    SREGISTRY_STORAGE: `${home}/storage`,
    APPTAINER_CACHEDIR: `${home}/cache`,
    SREGISTRY_DATABASE: `${home}/db`,
    SREGISTRY_TMPDIR: `${home}/tmp`,
  };
  for (const d of [home, ...Object.values(dirs)]) {
    Deno.mkdirSync(d, { recursive: true });
    Deno.chownSync(d, owner, owner);
  }
  const env = { HOME: home, DENO_DIR: denoDir, PATH: Deno.env.get("PATH") ?? "", ...dirs };
  return { home, dirs, env };
}

/** Runs `sregistry ARGS`, wrapped by `wrap` (setpriv, unshare ...). */
async function run(wrap: string[], env: Record<string, string>, args: string[]) {
  const out = await new Deno.Command(wrap[0], {
    args: [...wrap.slice(1), Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];

function chownTree(path: string, uid: number): void {
  new Deno.Command("chown", { args: ["-R", String(uid), path] }).outputSync();
}

for (const variable of VARIABLES) {
  for (const state of ["empty", "in use"] as const) {
    Deno.test({
      name:
        `as an ordinary user, an unwritable ${variable} folder (${state}) is named with the variable`,
      ignore: !canSetpriv || noRegistry,
      async fn() {
        await using reg = await startRegistry();
        await pushImage(reg, "test/a", "v1", await imageOf([dataLayer("a", 1000)]));
        await pushImage(reg, "test/b", "v1", await imageOf([dataLayer("b", 1000)]));
        const h = makeHome(NOBODY);
        try {
          if (state === "in use") {
            const first = await run(AS_NOBODY, h.env, [
              "pull",
              "--no-https",
              `${reg.host}/test/a:v1`,
            ]);
            assertEquals(first.code, 0, first.stderr);
          }
          chownTree(h.dirs[variable], 0); // root's now, mode 755: nobody cannot write
          const r = await run(AS_NOBODY, h.env, ["pull", "--no-https", `${reg.host}/test/b:v1`]);
          if (variable === "APPTAINER_CACHEDIR") {
            // A cache that can only be read is read, and left alone (tests/cli/cache_faults_test.ts).
            const refused = state === "empty" ? h.dirs[variable] : `${h.dirs[variable]}/oci`;
            assertEquals(r.code, 0, r.stderr);
            assertStringIncludes(r.stderr, `(${refused}: permission denied)`);
            assertStringIncludes(r.stderr, "nothing will be cached; set APPTAINER_CACHEDIR");
            return;
          }
          assertEquals(r.code, 1, r.stderr);
          assertStringIncludes(
            r.stderr,
            `Cannot write to ${variable}=${
              h.dirs[variable]
            }: permission denied: set it to a folder you can write`,
          );
        } finally {
          Deno.removeSync(h.home, { recursive: true });
        }
      },
    });
  }
}

for (const variable of VARIABLES) {
  Deno.test({
    name: `a ${variable} folder on a read-only mount (EROFS) is named with the variable`,
    ignore: !canMount || noRegistry,
    async fn() {
      await using reg = await startRegistry();
      await pushImage(reg, "test/a", "v1", await imageOf([dataLayer("a", 1000)]));
      await pushImage(reg, "test/b", "v1", await imageOf([dataLayer("b", 1000)]));
      const h = makeHome(0);
      try {
        const first = await run(["env"], h.env, ["pull", "--no-https", `${reg.host}/test/a:v1`]);
        assertEquals(first.code, 0, first.stderr);
        const dir = h.dirs[variable];
        // A private mount namespace: the read-only bind mount is seen by this run only.
        const script = `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"`;
        const wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, dir];
        const r = await run(wrap, h.env, ["pull", "--no-https", `${reg.host}/test/b:v1`]);
        if (variable === "APPTAINER_CACHEDIR") {
          assertEquals(r.code, 0, r.stderr);
          assertStringIncludes(r.stderr, `(${dir}/oci: read-only file system)`);
          assertStringIncludes(r.stderr, "nothing will be cached; set APPTAINER_CACHEDIR");
          return;
        }
        assertEquals(r.code, 1, r.stderr);
        assertStringIncludes(
          r.stderr,
          `Cannot write to ${variable}=${dir}: read-only file system: set it to a folder you can write`,
        );
      } finally {
        Deno.removeSync(h.home, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "as an ordinary user, pull --name into an unwritable folder names --name",
  ignore: !canSetpriv || noRegistry,
  async fn() {
    await using reg = await startRegistry();
    await pushImage(reg, "test/a", "v1", await imageOf([dataLayer("a", 1000)]));
    const h = makeHome(NOBODY);
    const out = `${h.home}/out`;
    Deno.mkdirSync(out); // root's, mode 755
    try {
      const r = await run(AS_NOBODY, h.env, [
        "pull",
        "--no-https",
        "--name",
        `${out}/a.sif`,
        `${reg.host}/test/a:v1`,
      ]);
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(
        r.stderr,
        `Cannot write to ${out} (--name): permission denied: give --name a path in a folder you can write`,
      );
    } finally {
      Deno.removeSync(h.home, { recursive: true });
    }
  },
});

addEventListener("unload", () => {
  try {
    Deno.removeSync(denoDir, { recursive: true });
  } catch { /* gone */ }
});
