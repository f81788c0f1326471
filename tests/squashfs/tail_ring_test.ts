import { assertEquals } from "../_assert.ts";
import { TailRing } from "../../src/squashfs/tail_ring.ts";

Deno.test("TailRing keeps tails intact until released, wraps, and refuses what does not fit", () => {
  const ring = new TailRing(10);
  const a = ring.take(Uint8Array.of(1, 2, 3, 4))!;
  const b = ring.take(Uint8Array.of(5, 6, 7, 8))!;
  assertEquals(ring.take(Uint8Array.of(9, 9, 9)), undefined); // 8 used: no room for 3
  ring.release(a.cost);
  // 2 bytes left at the end: the tail wraps to the start and pays for the gap.
  const c = ring.take(Uint8Array.of(9, 10, 11))!;
  assertEquals(c.cost, 5);
  assertEquals([...b.view], [5, 6, 7, 8]);
  assertEquals([...c.view], [9, 10, 11]);
  const d = ring.take(Uint8Array.of(12))!; // the one free byte, between c and b
  assertEquals(ring.take(Uint8Array.of(13)), undefined);
  assertEquals([...b.view, ...c.view, ...d.view], [5, 6, 7, 8, 9, 10, 11, 12]);
  ring.release(b.cost);
  ring.release(c.cost);
  ring.release(d.cost);
  assertEquals([...ring.take(new Uint8Array(7).fill(3))!.view], [3, 3, 3, 3, 3, 3, 3]);
});
