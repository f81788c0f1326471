/**
 * The README's one-line install, run as written into a temporary
 * DENO_INSTALL_ROOT: it puts an `sregistry` command in `<root>/bin` with
 * exactly the README's flags, which pulls a SIF and opens the shell.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome, type CliResult, DENO_DIR, RUN_FLAGS } from "../_cli.ts";
import { pushSmallImage, registryBinary, startRegistry } from "../_registry.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The README's install line. */
function installLine(): string {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const lines = readme.split("\n").filter((l) => l.startsWith("deno install --global "));
  assertEquals(lines.length, 1, "the README has one install line");
  return lines[0];
}

Deno.test("the README's install line carries exactly the README's permission flags", () => {
  const line = installLine();
  assertStringIncludes(
    line,
    `--quiet --config deno.json --name sregistry ${RUN_FLAGS.join(" ")} main.ts`,
  );
});

Deno.test({
  name: "the README's one-line install puts a working sregistry on PATH",
  ignore: registryBinary() === undefined,
  async fn() {
    await using home = await cliHome();
    const root = `${home.home}/deno-root`;
    const denoDir = Deno.execPath().replace(/\/[^/]+$/, "");
    const PATH = `${root}/bin:${denoDir}:/usr/bin:/bin`;
    const env = { ...home.env, DENO_DIR, DENO_INSTALL_ROOT: root, PATH, NO_COLOR: "1" };
    const install = await new Deno.Command("sh", {
      args: ["-c", installLine()],
      cwd: ROOT,
      env,
      stdin: "null",
    }).output();
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));

    const run = async (args: string[], stdin?: string): Promise<CliResult> => {
      const child = new Deno.Command("sregistry", {
        args,
        cwd: home.home,
        env,
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(stdin));
        await writer.close();
      }
      const out = await child.output();
      const text = new TextDecoder();
      return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
    };
    const version = await run(["--version"]);
    assertEquals(version.code, 0, version.stderr);
    assertEquals(version.stderr, "", "--quiet keeps Deno's notes out");

    await using reg = await startRegistry();
    const ref = await pushSmallImage(reg, "test/install");
    const pull = await run(["pull", ref]);
    assertEquals(pull.code, 0, pull.stderr);
    const shell = await run(["shell"], `console.log("GOT=" + await client.get("${ref}"));\n`);
    assertEquals(shell.code, 0, shell.stderr);
    assertStringIncludes(shell.stdout, `GOT=${pull.stdout.trim()}`);
  },
});
