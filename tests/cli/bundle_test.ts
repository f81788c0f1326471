/**
 * The shipped bundle: `deno task bundle` builds `dist/sregistry`, one
 * executable file whose header runs Deno with exactly the README's permission
 * flags. Copied away from the checkout and run as a program, it pulls a real
 * image into a SIF that siftool accepts.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome, type CliResult, RUN_FLAGS } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { header, runFlags } from "../../scripts/bundle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs the copied bundle as a program, from its own folder, with deno on PATH. */
async function runProgram(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const denoDir = Deno.execPath().replace(/\/[^/]+$/, "");
  const out = await new Deno.Command(program, {
    args,
    cwd: program.replace(/\/[^/]+$/, ""),
    env: { ...env, NO_COLOR: "1", PATH: `${denoDir}:/usr/bin:/bin` },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("the bundle's header carries exactly the README's flags, in lines old kernels read", () => {
  const flags = runFlags(Deno.readTextFileSync(`${ROOT}deno.json`));
  assertEquals(flags, ["--quiet", ...RUN_FLAGS]);
  const [shebang, second] = header(flags).split("\n");
  assertEquals(shebang, "#!/bin/sh");
  assert(shebang.length < 128, "Linux before 5.1 reads 127 bytes of the #! line");
  assertStringIncludes(second, `exec deno run ${flags.join(" ")} --ext=js "$0" "$@"`);
});

Deno.test({
  name: "deno task bundle builds an executable dist/sregistry that pulls a SIF from another folder",
  ignore: registryBinary() === undefined,
  async fn() {
    const task = await new Deno.Command(Deno.execPath(), {
      args: ["task", "bundle"],
      cwd: ROOT,
      stdin: "null",
    }).output();
    assertEquals(task.code, 0, new TextDecoder().decode(task.stderr));
    const built = Deno.statSync(`${ROOT}dist/sregistry`);
    assertEquals(built.mode! & 0o111, 0o111, "executable");
    // A copy away from the checkout: the bundle must need nothing from it.
    await using home = await cliHome();
    const program = `${home.home}/bin/sregistry`;
    Deno.mkdirSync(`${home.home}/bin`);
    Deno.copyFileSync(`${ROOT}dist/sregistry`, program);

    await using reg = await startRegistry();
    await pushImage(
      reg,
      "test/bundle",
      "v1",
      await buildImage({ layers: [{ entries: [{ name: "hello.txt", content: "hi\n" }] }] }),
    );
    const version = await runProgram(program, ["--version"], home.env);
    assertEquals(version.code, 0, version.stderr);
    const pull = await runProgram(program, ["pull", `${reg.host}/test/bundle:v1`], home.env);
    assertEquals(pull.code, 0, pull.stderr);
    const path = pull.stdout.trim();
    assertStringIncludes(path, `${home.home}/.singularity/shub/${reg.host}/test/bundle/v1@sha256:`);
    const list = await new Deno.Command("siftool", { args: ["list", path] }).output();
    assertEquals(list.code, 0, new TextDecoder().decode(list.stderr));
    assertStringIncludes(new TextDecoder().decode(list.stdout), "FS (Squashfs/*System/amd64)");
    const get = await runProgram(program, ["get", `${reg.host}/test/bundle:v1`], home.env);
    assertEquals(get.stdout, path + "\n");
    const usage = await runProgram(program, ["pull"], home.env);
    assertEquals(usage.code, 2, "usage errors exit 2 from the bundle too");
  },
});
