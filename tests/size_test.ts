import { assertEquals } from "./_assert.ts";
import { humanSize } from "../src/size.ts";

Deno.test("humanSize() picks the unit after rounding: 999,960 bytes is 1.0 MB, not 1000.0 kB", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [999, "999 B"],
    [999.6, "1.0 kB"],
    [1000, "1.0 kB"],
    [1549, "1.5 kB"],
    [999_949, "999.9 kB"],
    [999_960, "1.0 MB"],
    [1_500_000, "1.5 MB"],
    [999_960_000, "1.0 GB"],
    [123.456, "123 B"],
    [2.5e15, "2.5 PB"],
  ];
  for (const [bytes, text] of cases) assertEquals(humanSize(bytes), text, String(bytes));
});
