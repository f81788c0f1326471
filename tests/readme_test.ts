/**
 * The README as users read it: the permission flags it documents, and its
 * TypeScript examples, type-checked and run as scripts with those flags
 * against a local registry standing in for Docker Hub
 * (`SREGISTRY_DOCKERHUB_BASE`, the setting every pull reads).
 */
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { cliHome, DENO_DIR, RUN_FLAGS } from "./_cli.ts";
import { buildImage } from "./_images.ts";
import { exists } from "./_tree.ts";
import { pushImage, registryBinary, startRegistry } from "./_registry.ts";
import { settingsTable } from "../src/config/settings.ts";

const README = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
const MOD = new URL("../mod.ts", import.meta.url).href;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The README's ```ts blocks. */
function examples(): string[] {
  return [...README.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

Deno.test("README documents exactly the permission flags the sregistry task and the tests use", () => {
  assertStringIncludes(README, `deno run --quiet ${RUN_FLAGS.join(" ")} main.ts`);
});

Deno.test("the README's scripting example is at most 10 lines and uses the high-level API", () => {
  const [example] = examples();
  assert(example !== undefined, "the README has a ts example");
  const lines = example.trim().split("\n").filter((l) => l.trim() !== "");
  assert(lines.length <= 10, `${lines.length} lines`);
  for (const name of ["pull(", "get(", "inspect(", "images(", "rm("]) {
    assertStringIncludes(example, name);
  }
});

Deno.test({
  name: "the README's scripting example runs with the README's flags and does what it says",
  ignore: registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const image = await buildImage({
      layers: [{ entries: [{ name: "bin/sh", content: "#!/bin/true\n", mode: 0o755 }] }],
    });
    await pushImage(reg, "library/busybox", "latest", image);
    const env = { ...home.env, SREGISTRY_DOCKERHUB_BASE: reg.host, NO_COLOR: "1", DENO_DIR };
    for (const [i, example] of examples().entries()) {
      const script = `${home.home}/example-${i}.ts`;
      Deno.writeTextFileSync(script, example.replaceAll('"./mod.ts"', `"${MOD}"`));
      const check = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", `--config=${CONFIG}`, script],
        cwd: new URL("..", import.meta.url).pathname,
        env,
      }).output();
      assertEquals(check.code, 0, new TextDecoder().decode(check.stderr));
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", ...RUN_FLAGS, `--config=${CONFIG}`, script],
        env,
        stdin: "null",
      }).output();
      const stdout = new TextDecoder().decode(run.stdout);
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
      const path =
        `${home.home}/.singularity/shub/library/busybox/latest@${image.manifest.digest}.sif`;
      const lines = stdout.trim().split("\n");
      assertEquals(lines[0], `${path} (new)`);
      assertEquals(lines[1], "true");
      assert(lines[2].startsWith("linux/amd64 "), lines[2]);
      assertStringIncludes(lines[2], image.manifest.digest);
      assertEquals(lines[3].split(" ")[1], path);
      assertEquals(exists(path), false, "rm() removed the file");
    }
  },
});

Deno.test("the README's table of environment variables is settingsTable(), row for row", () => {
  const section = README.split("## Environment variables")[1]?.split("\n## ")[0] ?? "";
  const rows = section.split("\n").filter((l) => l.startsWith("| `")).map((l) => {
    const cells = l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
    return { name: cells[0].replaceAll("`", ""), default: cells[1], meaning: cells[2] };
  });
  assertEquals(rows, settingsTable());
});
