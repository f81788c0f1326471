/**
 * A cached blob the user cannot read (`chmod 000`, another user's file):
 * when it can be removed it is, and fetched again, saying so; when it cannot
 * (another user's file in a shared sticky folder), the pull says it cannot READ that blob and what to do
 * (before: "Cannot write to APPTAINER_CACHEDIR ... permission denied"). An
 * unreadable kept part of an interrupted download is dropped and the blob
 * fetched from its start.
 * Runs `sregistry` as uid 65534 with `setpriv` (root reads any file);
 * skipped, saying why, when this machine cannot.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { checkSif, dataLayer, imageOf, ls } from "./_pull_env.ts";

const NOBODY = 65534;

function works(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const canSetpriv = Deno.uid() === 0 &&
  works("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
if (!canSetpriv) {
  Deno.stderr.writeSync(
    new TextEncoder().encode("note: unreadable_blob_test skips: it needs root and setpriv\n"),
  );
}

Deno.test({
  name:
    "a cached layer blob the user cannot read is fetched again, or, another user's in a shared sticky folder, named as unreadable",
  ignore: !canSetpriv || registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry();
    const image = await imageOf([dataLayer("a", 100_000)]);
    await pushImage(reg, "test/img", "v1", image);
    const home = Deno.makeTempDirSync({ prefix: "sregistry-home-" });
    const denoDir = `${home}/deno`;
    Deno.mkdirSync(denoDir);
    for (const d of [home, denoDir]) Deno.chownSync(d, NOBODY, NOBODY);
    const env = {
      HOME: home,
      DENO_DIR: denoDir,
      PATH: Deno.env.get("PATH") ?? "",
      SREGISTRY_TMPDIR: `${home}/tmp`,
      SREGISTRY_DOCKERHUB_NOHTTPS: "yes",
      NO_COLOR: "1",
    };
    const run = (args: string[]) => runCli(args, { env, clearEnv: true, asUser: 65534 });
    try {
      const ref = `${reg.host}/test/img:v1`;
      const first = await run(["pull", ref]);
      assertEquals(first.code, 0, first.stderr);
      const blobs = `${home}/.singularity/oci/blobs/sha256`;
      const layer = `${blobs}/${image.layers[0].digest.slice(7)}`;

      Deno.chmodSync(layer, 0o000);
      const again = await run(["pull", "--force", ref]);
      assertEquals(again.code, 0, again.stderr);
      assertStringIncludes(again.stderr, "could not be read: permission denied");
      assert((Deno.statSync(layer).mode! & 0o400) !== 0, "fetched again, readable");
      await checkSif(again.stdout.trim(), ["data/a.bin"]);

      // An unreadable kept part of an interrupted download: fetched from its start.
      const kept = `${layer}.interrupted.partial`;
      Deno.writeFileSync(kept, Deno.readFileSync(layer).subarray(0, 1000));
      Deno.chmodSync(kept, 0o000);
      Deno.removeSync(layer);
      const resumed = await run(["pull", "--force", ref]);
      assertEquals(resumed.code, 0, resumed.stderr);
      assert(!resumed.stderr.includes("continuing layer"), resumed.stderr);
      assertEquals(ls(blobs).filter((n) => n.includes("partial")), []);
      await checkSif(resumed.stdout.trim(), ["data/a.bin"]);

      // A shared cache: a sticky folder everyone writes, the blob another user's (root's), 0600.
      Deno.chownSync(layer, 0, 0);
      Deno.chmodSync(layer, 0o600);
      Deno.chownSync(blobs, 0, 0);
      Deno.chmodSync(blobs, 0o1777);
      const stuck = await run(["pull", "--force", ref]);
      assertEquals(stuck.code, 1, stuck.stderr);
      assertStringIncludes(stuck.stderr, `Cannot read the cached blob ${layer}`);
      assertStringIncludes(stuck.stderr, "permission denied");
      assertStringIncludes(stuck.stderr, `chmod a+r ${layer}`);
      assertStringIncludes(stuck.stderr, "sregistry cache clean");
      assert(!stuck.stderr.includes("Cannot write to"), stuck.stderr);
    } finally {
      await new Deno.Command("chmod", { args: ["-R", "u+rwX", home] }).output();
      Deno.removeSync(home, { recursive: true });
    }
  },
});
