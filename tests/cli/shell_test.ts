/**
 * `sregistry shell` with exactly the README's permission flags and the Deno
 * the README installs: a line piped in runs in the REPL, with the library as
 * `sregistry` and a ready `client` reading the same catalogue as the CLI.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { pushSmallImage, registryBinary, startRegistry } from "../_registry.ts";

Deno.test({
  name: "sregistry shell offers a ready client on the CLI's catalogue",
  ignore: registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const ref = await pushSmallImage(reg, "test/shell");
    const pulled = await home.run(["pull", ref]);
    assertEquals(pulled.code, 0, pulled.stderr);
    const line =
      `console.log("PATH=" + await client.get("${ref}"), typeof sregistry.parseReference);\n`;
    const r = await home.run(["shell"], { stdin: line });
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, '"client" is ready');
    assertStringIncludes(r.stdout, `PATH=${pulled.stdout.trim()} function`);
  },
});

Deno.test("sregistry shell refuses a backend it does not have", async () => {
  await using home = await cliHome();
  const r = await home.run(["shell", "library"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "only docker and nvidia are supported");
});
