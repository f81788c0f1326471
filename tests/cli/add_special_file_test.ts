/**
 * `sregistry add` of something that is not a regular file: a fifo or a
 * device is read forever (`--force` hashes and copies it), so it is refused
 * at once whatever the flags, naming the path. Before, `add FIFO` waited
 * silently for a writer that never came.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";

Deno.test("sregistry add refuses a fifo, a device and a folder at once", async () => {
  await using home = await cliHome();
  const fifo = `${home.home}/pipe.sif`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assertEquals(made.code, 0);
  for (const path of [fifo, "/dev/zero", home.home]) {
    for (const force of [[], ["--force"]]) {
      const res = await home.run(["add", path, "--name", "local/x:1", ...force]);
      assertEquals(res.code, 1, `${path} ${force}: ${res.stderr}`);
      assertStringIncludes(res.stderr, `Cannot add ${path}: it is not a regular file`);
    }
  }
  assertEquals((await home.run(["images", "--json"])).stdout.trim(), "[]");
});
