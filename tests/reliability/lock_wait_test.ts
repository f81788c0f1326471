/**
 * Issue 13: a pull that finds a layer's lock busy never waits silently. An
 * empty or garbage lock file is taken over (no running sregistry writes one);
 * a lock with an owner is named: pid, host, since when, how long the pull waits.
 */
import { hostname } from "node:os";
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import {
  checkInvariants,
  dataLayer,
  homePaths,
  imageOf,
  ls,
  throttlingProxy,
} from "./_pull_env.ts";
import { killHard, spawnCli, waitFor } from "./_spawn.ts";

const ignore = registryBinary() === undefined;

/** Output of a child, read to its end. */
async function finish(child: Deno.ChildProcess, timeoutMs: number) {
  const timer = setTimeout(() => killHard(child), timeoutMs);
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code: status.code, stdout: out, stderr: err };
}

const LOCKS: Record<string, (path: string) => void> = {
  "empty": (path) => Deno.writeTextFileSync(path, ""),
  "garbage": (path) => Deno.writeTextFileSync(path, "\u0000\u0000 not a lock \u00ff"),
  "JSON without an owner": (path) => Deno.writeTextFileSync(path, '{"pid":null}'),
};

for (const [kind, write] of Object.entries(LOCKS)) {
  Deno.test({
    name: `a pull that meets an ${kind} layer lock takes it over at once and says so`,
    ignore,
    async fn() {
      await using reg = await startRegistry();
      await using proxy = throttlingProxy(reg.url, 4 * 1024 * 1024);
      await using home = await cliHome({ SREGISTRY_PYTHON_THREADS: "1" });
      const image = await imageOf([dataLayer("a", 2 * 1024 * 1024), dataLayer("b", 100_000)]);
      await pushImage(reg, "test/img", "v1", image);
      const p = homePaths(home.home);
      const second = image.layers[1].digest.slice(7);
      const child = spawnCli(["pull", `${proxy.host}/test/img:v1`], home.env);
      // While the first layer downloads, the second one's lock appears, ownerless.
      await waitFor(child, () => ls(p.blobs).find((n) => n.endsWith(".partial")), "a download");
      write(`${p.blobs}/${second}.lock`);
      const result = await finish(child, 60_000); // the old behaviour waited 10 minutes
      assertEquals(result.code, 0, result.stderr);
      assertStringIncludes(result.stderr, `${second}.lock is empty or unreadable`);
      assertStringIncludes(result.stderr, "taking it over");
      checkInvariants(p, { clean: true });
    },
  });
}

Deno.test({
  name: "a pull waiting for a layer lock held by a live process names its pid, host and start",
  ignore,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await imageOf([dataLayer("a", 100_000)]);
    await pushImage(reg, "test/img", "v1", image);
    const p = homePaths(home.home);
    Deno.mkdirSync(p.blobs, { recursive: true });
    const lock = `${p.blobs}/${image.layers[0].digest.slice(7)}.lock`;
    const since = new Date().toISOString();
    Deno.writeTextFileSync(lock, JSON.stringify({ host: hostname(), pid: Deno.pid, since }));
    const child = spawnCli(["pull", `${reg.host}/test/img:v1`], home.env);
    const chunks: string[] = [];
    const stderr = child.stderr.pipeThrough(new TextDecoderStream());
    const reading = (async () => {
      for await (const c of stderr) chunks.push(c);
    })();
    await waitFor(
      child,
      () => chunks.join("").includes("is held by") || undefined,
      "the wait line",
    );
    const text = chunks.join("");
    assertStringIncludes(
      text,
      `is held by pid ${Deno.pid} on host ${hostname()} since ${since}: waiting until that process finishes with it`,
    );
    Deno.removeSync(lock); // the holder finishes
    const [status, out] = await Promise.all([child.status, new Response(child.stdout).text()]);
    await reading;
    assertEquals(status.code, 0, chunks.join(""));
    assert(out.trim().endsWith(".sif"));
  },
});
