/**
 * A reader that goes away before the command is done writing: `sregistry
 * images | grep -q x`, `sregistry pull REF 2>&1 | head -1`, a batch job's
 * log collector that died. The write fails with EPIPE. Before, the first
 * such write aborted the command ("Cannot complete the command: Broken
 * pipe", exit 1): a pull whose progress lines went to a closed pipe built
 * nothing. Now what would go to the closed stream is dropped and the
 * command finishes as it would have.
 */
import { assert, assertEquals } from "../_assert.ts";
import { cliHome, DENO_DIR, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs the CLI with the read end of `closed` shut at once; returns the code and the other stream. */
async function runClosed(
  args: string[],
  env: Record<string, string>,
  closed: "stdout" | "stderr",
): Promise<{ code: number; other: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_FLAGS, MAIN, ...args],
    env: { NO_COLOR: "1", DENO_DIR, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await (closed === "stdout" ? child.stdout : child.stderr).cancel();
  const open = closed === "stdout" ? child.stderr : child.stdout;
  const [other, status] = await Promise.all([new Response(open).text(), child.status]);
  return { code: status.code, other };
}

Deno.test("sregistry finishes its work when the reader of stdout or stderr goes away", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const entries = [{ name: "hello.txt", content: "hi\n" }];
  await pushImage(reg, "test/pipe", "v1", await buildImage({ layers: [{ entries }] }));
  const ref = `${reg.host}/test/pipe:v1`;

  // Progress and messages go to a closed stderr: the pull still builds, records and prints.
  const pulled = await runClosed(["pull", ref], home.env, "stderr");
  assertEquals(pulled.code, 0, "pull with a closed stderr");
  const path = pulled.other.trim();
  assert(path.endsWith(".sif"), `stdout: ${pulled.other}`);
  assert(Deno.statSync(path).size > 0);

  // The listing goes to a closed stdout: no error, exit 0.
  for (const args of [["images"], ["images", "--json"], ["inspect", ref], ["get", ref]]) {
    const listed = await runClosed(args, home.env, "stdout");
    assertEquals(listed.other, "", `${args.join(" ")}: stderr`);
    assertEquals(listed.code, 0, `${args.join(" ")}: exit code`);
  }
});
