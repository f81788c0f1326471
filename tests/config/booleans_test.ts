import { assertEquals } from "../_assert.ts";
import { parseBoolean } from "../../src/config/booleans.ts";

Deno.test("parseBoolean() accepts yes/true/t/1/y in any case and nothing else", () => {
  const cases: [string | undefined, boolean][] = [
    ["yes", true],
    ["YES", true],
    ["True", true],
    ["t", true],
    ["T", true],
    ["1", true],
    ["y", true],
    ["Y", true],
    [" yes ", true],
    ["false", false],
    ["no", false],
    ["0", false],
    ["", false],
    ["on", false],
    ["yess", false],
    ["2", false],
    [undefined, false],
  ];
  for (const [value, expected] of cases) {
    assertEquals(parseBoolean(value), expected, `parseBoolean(${JSON.stringify(value)})`);
  }
});
