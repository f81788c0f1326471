import { assertStringIncludes } from "./_assert.ts";
import { RUN_FLAGS } from "./_cli.ts";

Deno.test("README documents exactly the permission flags the sregistry task and the tests use", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  assertStringIncludes(readme, `deno run --quiet ${RUN_FLAGS.join(" ")} main.ts`);
});
