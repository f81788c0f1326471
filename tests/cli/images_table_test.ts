import { assert, assertEquals } from "../_assert.ts";
import { imagesTable, shortenMiddle } from "../../src/cli/images_table.ts";
import type { ImageRecord } from "../../src/store/record.ts";

function record(id: number, registry: string, collection: string, name: string): ImageRecord {
  return {
    id,
    registry,
    collection,
    name,
    tag: "latest",
    version: `sha256:${"ab".repeat(32)}`,
    client: "docker",
    image: `/x/${name}.sif`,
    url: null,
    uri: `${collection}/${name}:latest`,
    createdAt: "2026-11-30 10:00:00",
    metrics: {},
  };
}

Deno.test("imagesTable() keeps every line within 100 columns whatever the reference", () => {
  for (const length of [1, 40, 60, 80, 200]) {
    const rows = [
      { record: record(1, "docker.io", "library", "busybox"), size: 999_960 },
      { record: record(12345, "ghcr.io", "org/" + "x".repeat(length), "tool"), size: undefined },
    ];
    const lines = imagesTable(rows);
    for (const l of lines) assert(l.length <= 100, `${length}: ${l.length}: ${l}`);
    assertEquals(lines[1].split(/\s+/).slice(2), [
      "library/busybox:latest",
      "abababababab",
      "1.0",
      "MB",
    ]);
    assert(lines[2].includes("(missing)"));
    assertEquals(lines.at(-1), "2 images, 1.0 MB in total");
    const wide = imagesTable(rows, { wide: true });
    assert(wide[2].includes(`ghcr.io/org/${"x".repeat(length)}/tool:latest`));
    assert(wide[2].includes(`sha256:${"ab".repeat(32)}`));
  }
});

Deno.test("shortenMiddle() keeps both ends", () => {
  assertEquals(shortenMiddle("abcdefghij", 7), "abc…hij");
  assertEquals(shortenMiddle("abc", 7), "abc");
  assertEquals(shortenMiddle("abcdefghij", 6), "abc…ij");
});
