/**
 * Seconds that a timer cannot take: past 2^31 - 1 ms (about 24 days)
 * `setTimeout` and `setInterval` fire at once. Before:
 * `SREGISTRY_TIMEOUT=99999999999` (meaning "never") failed every request at
 * once with "no answer within 99999999999 s", and
 * `SREGISTRY_PROGRESS_INTERVAL=99999999999` (or 0.0001) printed a heartbeat
 * line every millisecond into the batch log. Now the first is a usage
 * error naming the range, the second is taken between 1 s and 24 days.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, startRegistry } from "../_registry.ts";

Deno.test("SREGISTRY_TIMEOUT past what a timer takes is a usage error; a huge heartbeat interval does not flood", async () => {
  await using reg = await startRegistry();
  await using home = await cliHome();
  const content = new Uint8Array(2_000_000);
  crypto.getRandomValues(content.subarray(0, 65536));
  const image = await buildImage({ layers: [{ entries: [{ name: "a.bin", content }] }] });
  await pushImage(reg, "test/timers", "v1", image);
  const ref = `${reg.host}/test/timers:v1`;

  const huge = await home.run(["pull", ref], { env: { SREGISTRY_TIMEOUT: "99999999999" } });
  assertEquals(huge.code, 2, huge.stderr);
  assertStringIncludes(huge.stderr, 'Cannot use SREGISTRY_TIMEOUT="99999999999"');
  assertStringIncludes(huge.stderr, "from 0.001 to 2147483");
  const most = await home.run(["pull", ref], { env: { SREGISTRY_TIMEOUT: "2147483" } });
  assertEquals(most.code, 0, most.stderr);

  const flood = await home.run(["pull", "--force", ref], {
    env: { SREGISTRY_PROGRESS_INTERVAL: "99999999999" },
  });
  assertEquals(flood.code, 0, flood.stderr);
  const beats = flood.stderr.split("\n").filter((l) => l.startsWith("progress: "));
  assert(beats.length === 0, `${beats.length} heartbeat lines:\n${flood.stderr}`);
});
