/**
 * Compaction of the data area (src/squashfs/compact.ts): the plan is pure and
 * checked here on extents; `writer_test.ts` and `tests/pull/compaction_test.ts`
 * read compacted images back with the real readers.
 */
import { assertEquals, assertThrows } from "../_assert.ts";
import { planCompaction, worthCompacting } from "../../src/squashfs/compact.ts";

Deno.test("planCompaction() moves live extents down over dead ones, merging overlaps and repeats", () => {
  // Data area [96, 1096): live 96-196, dead 196-296, live 296-396 twice (a hard link,
  // a duplicate) and 350-450 overlapping it, dead to 900, live 900-1000, dead to the end.
  const plan = planCompaction(
    [
      { start: 900, length: 100 },
      { start: 296, length: 100 },
      { start: 96, length: 100 },
      { start: 296, length: 100 },
      { start: 350, length: 100 },
      { start: 500, length: 0 }, // an empty content: not live data
    ],
    96,
    1096,
  );
  assertEquals(plan.moves, [
    { from: 296, to: 196, length: 154 },
    { from: 900, to: 350, length: 100 },
  ]);
  assertEquals(plan.end, 450);
  assertEquals(plan.dropped, 1096 - 450);
  assertEquals(plan.relocate(96), 96); // in place
  assertEquals(plan.relocate(150), 150);
  assertEquals(plan.relocate(296), 196);
  assertEquals(plan.relocate(449), 349);
  assertEquals(plan.relocate(950), 400);
  // Not inside a live extent (a file with no blocks keeps a start): the next stretch, or the end.
  assertEquals(plan.relocate(250), 196);
  assertEquals(plan.relocate(1050), 450);
  assertEquals(plan.relocate(0), 96);
});

Deno.test("planCompaction() of an area that is all live moves nothing", () => {
  const plan = planCompaction([{ start: 96, length: 50 }, { start: 146, length: 50 }], 96, 196);
  assertEquals(plan.moves, []);
  assertEquals(plan.dropped, 0);
  assertEquals(plan.end, 196);
});

Deno.test("planCompaction() refuses an extent outside the data area", () => {
  assertThrows(() => planCompaction([{ start: 50, length: 10 }], 96, 200), RangeError);
  assertThrows(() => planCompaction([{ start: 150, length: 100 }], 96, 200), RangeError);
});

Deno.test("worthCompacting() asks for 1 MiB and 1% of the data area", () => {
  assertEquals(worthCompacting(1 << 20, 100 << 20), true);
  assertEquals(worthCompacting((1 << 20) - 1, 10 << 20), false);
  assertEquals(worthCompacting(2 << 20, 300 << 20), false);
});
