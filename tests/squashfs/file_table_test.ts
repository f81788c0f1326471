import { assertEquals } from "../_assert.ts";
import { FIELD, FileTable, KEY_BYTES } from "../../src/squashfs/file_table.ts";
import { ContentIndex } from "../../src/squashfs/content_index.ts";

function key(n: number): Uint8Array {
  const k = new Uint8Array(KEY_BYTES);
  new DataView(k.buffer).setUint32(0, Math.imul(n, 0x9e3779b1) >>> 0);
  new DataView(k.buffer).setUint32(12, n);
  return k;
}

Deno.test("FileTable keeps every record's fields across its pages", () => {
  const table = new FileTable();
  const count = 10_000; // over two 4096-record pages
  for (let i = 0; i < count; i++) {
    const r = table.add(i * 3);
    assertEquals(r, i);
    assertEquals(table.get(r, FIELD.blocks), -1);
    assertEquals(table.get(r, FIELD.fragment), -1);
    assertEquals(table.get(r, FIELD.fragmentOffset), 0);
    table.set(r, FIELD.start, 2 ** 40 + i); // past 32 bits: a data start in a large image
    if (i % 7 === 0) table.set(r, FIELD.blocks, i);
    if (i % 1000 === 0) table.setSparse(r, 131072 * i);
    table.setKey(r, key(i));
  }
  for (let i = 0; i < count; i++) {
    assertEquals(table.get(i, FIELD.size), i * 3);
    assertEquals(table.get(i, FIELD.start), 2 ** 40 + i);
    assertEquals(table.get(i, FIELD.blocks), i % 7 === 0 ? i : -1);
    assertEquals(table.sparse(i), i % 1000 === 0 ? 131072 * i : 0);
    assertEquals([...table.key(i)], [...key(i)]);
  }
  assertEquals(table.count, count);
  assertEquals([table.has(count - 1), table.has(count), table.has(-1), table.has(0.5)], [
    true,
    false,
    false,
    false,
  ]);
});

Deno.test("ContentIndex finds a content by key and size, through its growth", () => {
  const table = new FileTable();
  const index = new ContentIndex(table);
  const count = 5000; // the slots grow from 1024 several times
  for (let i = 0; i < count; i++) {
    const r = table.add(100 + (i % 50));
    table.setKey(r, key(i));
    assertEquals(index.find(r), -1);
    index.add(r);
  }
  for (let i = 0; i < count; i++) {
    const again = table.add(100 + (i % 50));
    table.setKey(again, key(i));
    assertEquals(index.find(again), i, `content ${i}`);
    const otherSize = table.add(101 + (i % 50));
    table.setKey(otherSize, key(i));
    assertEquals(index.find(otherSize), -1, `content ${i}, another size`);
  }
  index.clear();
  assertEquals(index.find(0), -1);
});
