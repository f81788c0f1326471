import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { runCommand, which } from "../../src/builders/command.ts";

Deno.test("runCommand() streams output and keeps the tail of stderr", async () => {
  const chunks: string[] = [];
  const result = await runCommand("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], {
    onOutput: (chunk) => chunks.push(chunk),
  });
  assertEquals(result.code, 3);
  assertEquals(result.stderr, "err\n");
  assertStringIncludes(chunks.join(""), "out\n");
});

Deno.test("runCommand() removes variables named in unsetEnv", async () => {
  Deno.env.set("SREGISTRY_TEST_VAR", "set");
  try {
    const result = await runCommand("/bin/sh", ["-c", 'echo "[${SREGISTRY_TEST_VAR-unset}]" >&2'], {
      unsetEnv: ["SREGISTRY_TEST_VAR"],
    });
    assertEquals(result.stderr, "[unset]\n");
  } finally {
    Deno.env.delete("SREGISTRY_TEST_VAR");
  }
});

Deno.test("which() finds executables on PATH only", () => {
  assertEquals(which("sh")?.endsWith("/sh"), true);
  assertEquals(which("no-such-program-sregistry"), undefined);
  assertEquals(which("/bin/sh"), "/bin/sh");
});
