import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { type DirEntry, writeListing } from "../../src/squashfs/directory.ts";
import { MetadataWriter } from "../../src/squashfs/metadata.ts";
import { SquashfsLimitError } from "../../src/squashfs/errors.ts";

const STORED_BLOCK = 2 + 8192; // u16 header + an uncompressed 8 KiB block

/** The uncompressed stream of a metadata writer that stores blocks as they are. */
function plain(meta: MetadataWriter): Uint8Array {
  const { chunks } = meta.finish();
  const parts = chunks.filter((_, i) => i % 2 === 1);
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface Header {
  at: number;
  count: number;
  block: number;
  base: number;
  names: string[];
}

function parse(bytes: Uint8Array, begin: number, size: number): Header[] {
  const view = new DataView(bytes.buffer);
  const headers: Header[] = [];
  let at = begin;
  while (at < begin + size) {
    const header: Header = {
      at: at - begin,
      count: view.getUint32(at, true) + 1,
      block: view.getUint32(at + 4, true),
      base: view.getUint32(at + 8, true),
      names: [],
    };
    at += 12;
    for (let i = 0; i < header.count; i++) {
      const nameSize = view.getUint16(at + 6, true) + 1;
      header.names.push(String.fromCharCode(...bytes.subarray(at + 8, at + 8 + nameSize)));
      at += 8 + nameSize;
    }
    headers.push(header);
  }
  assertEquals(at, begin + size);
  return headers;
}

function entries(
  count: number,
  options: { inodeBlockEvery?: number; far?: number } = {},
): DirEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `name-${String(i).padStart(5, "0")}`,
    ino: options.far !== undefined && i === options.far ? 100_000 : 10 + i,
    ref: Math.floor(i / (options.inodeBlockEvery ?? 1e9)) * 500 * 0x10000 + (i * 32) % 8192,
    type: 2,
  }));
}

Deno.test("writeListing() splits headers at 256 entries, inode blocks, far inode numbers and table blocks", () => {
  const meta = new MetadataWriter(() => undefined);
  meta.write(new Uint8Array(5000)); // the listing starts inside the first block
  const list = entries(1500, { inodeBlockEvery: 700, far: 1000 });
  const place = writeListing(meta, list);
  const bytes = plain(meta);
  assertEquals(place.startBlock, 0);
  assertEquals(place.offset, 5000);
  const headers = parse(bytes, 5000, place.listingSize);
  assertEquals(headers.flatMap((h) => h.names), list.map((e) => e.name));
  for (const header of headers) {
    assert(header.count <= 256, `a header has ${header.count} entries`);
    const first = list.findIndex((e) => e.name === header.names[0]);
    const group = list.slice(first, first + header.count);
    for (const entry of group) {
      assertEquals(Math.floor(entry.ref / 0x10000), header.block);
      assert(Math.abs(entry.ino - header.base) <= 32767);
    }
  }
  // Entries 699/700 change inode block, 1000 is far: each starts a header.
  for (const name of ["name-00700", "name-01000", "name-01001", "name-01400"]) {
    assert(headers.some((h) => h.names[0] === name), `no header starts at ${name}`);
  }
  // Every table block the listing enters has an index entry at a header.
  assert(place.index.length >= Math.floor((5000 + place.listingSize) / 8192));
  for (const entry of place.index) {
    const header = headers.find((h) => h.at === entry.index);
    assert(header, `index entry at ${entry.index} is not a header`);
    assertEquals(entry.name, header.names[0]);
    assertEquals(entry.start, Math.floor((5000 + entry.index) / 8192) * STORED_BLOCK);
  }
  const blocks = place.index.map((e) => Math.floor((5000 + e.index) / 8192));
  assertEquals(new Set(blocks).size, blocks.length);
});

Deno.test("writeListing() rejects an empty or too long name", () => {
  const meta = new MetadataWriter(() => undefined);
  const entry = { ino: 1, ref: 0, type: 2 };
  assertThrows(
    () => writeListing(meta, [{ ...entry, name: "" }]),
    SquashfsLimitError,
    "has 0 bytes, squashfs holds 1 to 256",
  );
  assertThrows(() => writeListing(meta, [{ ...entry, name: "x".repeat(257) }]), SquashfsLimitError);
  writeListing(meta, [{ ...entry, name: "x".repeat(256) }]);
});
