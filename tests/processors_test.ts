import { assertEquals } from "./_assert.ts";
import { availableProcessors, countCpuList } from "../src/processors.ts";

Deno.test("availableProcessors() reads the affinity list and honours SREGISTRY_PROCESSORS", () => {
  const status = () => "Name:\tdeno\nCpus_allowed:\tff\nCpus_allowed_list:\t0-3,8\n";
  assertEquals(availableProcessors(status, () => undefined), 5);
  assertEquals(availableProcessors(status, () => "2"), 2);
  assertEquals(availableProcessors(status, () => "64"), 5);
  assertEquals(availableProcessors(status, () => "zero"), 5);
  assertEquals(countCpuList("0"), 1);
  assertEquals(countCpuList("0-1,4-5,7"), 5);
  assertEquals(availableProcessors() >= 1, true);
});
