/**
 * `cache clean` interrupted (SIGINT) while it removes blobs, each under its
 * lock: it releases the lock it holds and says it stopped, so no lock file
 * naming a dead pid is left for a pull on another node to wait 10 minutes on.
 * A real `sregistry` child; the signal is sent once removal has begun.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { homePaths, ls } from "./_pull_env.ts";
import { childOutput, spawnCli, waitFor } from "./_spawn.ts";
import { sha256 } from "../_images.ts";

Deno.test("cache clean interrupted by SIGINT leaves no lock file", async () => {
  await using home = await cliHome();
  const p = homePaths(home.home);
  Deno.mkdirSync(p.blobs, { recursive: true });
  Deno.writeTextFileSync(`${p.blobs}/../../oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
  const count = 20_000;
  for (let i = 0; i < count; i++) {
    const bytes = new TextEncoder().encode(`blob ${i}\n`);
    Deno.writeFileSync(`${p.blobs}/${sha256(bytes).slice(7)}`, bytes);
  }
  const child = spawnCli(["cache", "clean", "--force"], home.env);
  await waitFor(child, () => ls(p.blobs).length < count - 500 || undefined, "removal begun");
  child.kill("SIGINT");
  const { code, stderr } = await childOutput(child);
  const left = ls(p.blobs);
  assert(left.length > 0, "the clean finished before the signal: the test needs more blobs");
  assertEquals(left.filter((n) => n.includes(".lock")), [], "a lock file was left");
  assertEquals(code, 130, stderr);
  assertStringIncludes(stderr, "Interrupted (SIGINT): the cache clean stopped");
});
