/**
 * A site-wide catalogue the Python client wrote, which the user may only
 * read (the database 0644 in a root-owned 0755 folder): `images`, `get` and
 * `inspect` list it as uid 65534 (`setpriv`), and leave the file as it was
 * (reading never migrates). Needs root and setpriv.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { DATABASE_FILE } from "../../src/store/catalogue.ts";
import { userVersion, writePythonDatabase } from "../_python_db.ts";

const NOBODY = 65534;
const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];

function canSetpriv(): boolean {
  if (Deno.uid() !== 0) return false;
  try {
    return new Deno.Command(AS_NOBODY[0], { args: [...AS_NOBODY.slice(1), "true"] }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a read-only Python client catalogue is listed by images, get and inspect as another " +
    "user, and stays unmigrated",
  ignore: !canSetpriv(),
  async fn() {
    const home = Deno.makeTempDirSync({ prefix: "sregistry-home-" });
    const denoDir = Deno.makeTempDirSync({ prefix: "sregistry-deno-" });
    try {
      Deno.chmodSync(home, 0o755);
      Deno.chownSync(denoDir, NOBODY, NOBODY);
      const db = `${home}/db`;
      Deno.mkdirSync(db, { mode: 0o755 });
      const file = `${db}/${DATABASE_FILE}`;
      writePythonDatabase(file, [1, 1]);
      Deno.chmodSync(file, 0o644);
      Deno.chmodSync(db, 0o755);
      const image = "/s/library/app0/latest@0.sif";
      const env = {
        NO_COLOR: "1",
        HOME: home,
        DENO_DIR: denoDir,
        PATH: Deno.env.get("PATH") ?? "",
        SREGISTRY_DATABASE: db,
        SREGISTRY_STORAGE: `${home}/storage`,
      };
      const run = (args: string[]) => runCli(args, { env, clearEnv: true, asUser: NOBODY });
      const images = await run(["images"]);
      assertEquals(images.code, 0, images.stderr);
      assertStringIncludes(images.stdout, "library/app0:latest");
      assertStringIncludes(images.stdout, "library/app1:latest");
      const got = await run(["get", "library/app0"]);
      // The file of the record is not there: `get` says so, and not "Cannot write".
      assertStringIncludes(got.stderr, `its file ${image} is gone`);
      const inspect = await run(["inspect", "1"]);
      assertEquals(inspect.code, 0, inspect.stderr);
      assertEquals(JSON.parse(inspect.stdout).image, image);
      assertEquals(userVersion(file), 0, "a reading command migrated the file");
      assertEquals([...Deno.readDirSync(db)].map((e) => e.name), [DATABASE_FILE]);
    } finally {
      Deno.removeSync(home, { recursive: true });
      Deno.removeSync(denoDir, { recursive: true });
    }
  },
});
