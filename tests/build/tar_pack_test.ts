/**
 * The flattener's tar writer, read back by GNU tar (the oracle) and by our
 * parser: names long and non-ASCII, numbers too big for their field, every
 * entry type.
 */
import { assertEquals } from "../_assert.ts";
import { END_OF_ARCHIVE, PackBuffer, type PackHeader } from "../../src/build/_tar_pack.ts";
import { type TarHeader, TarReader } from "../../src/layers/tar_reader.ts";
import { concat } from "../_tar.ts";
import { textToByteString } from "../../src/byte_string.ts";

const LONG = `${"folder/".repeat(20)}file.txt`;
const HEADERS: PackHeader[] = [
  { name: "./", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 1_600_000_000 },
  { name: "plain.txt", type: "file", mode: 0o644, uid: 1000, gid: 100, mtime: 1, size: 3 },
  { name: LONG, type: "file", mode: 0o4755, uid: 0, gid: 0, mtime: 2, size: 0 },
  {
    name: textToByteString("é-ünïcode"),
    type: "file",
    mode: 0o600,
    uid: 3_000_000,
    gid: 0,
    mtime: 3,
    size: 0,
  },
  { name: "link", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: 4, linkname: LONG },
  { name: "hard", type: "link", mode: 0o644, uid: 0, gid: 0, mtime: 5, linkname: "plain.txt" },
  { name: "null", type: "char", mode: 0o666, uid: 0, gid: 0, mtime: 6, devmajor: 1, devminor: 3 },
  { name: "fifo", type: "fifo", mode: 0o600, uid: 0, gid: 0, mtime: 9_000_000_000 },
];

function pack(): Uint8Array {
  const out = new PackBuffer();
  for (const h of HEADERS) {
    out.header(h);
    if (h.name === "plain.txt") {
      out.bytes(new TextEncoder().encode("abc"));
      out.pad(3);
    }
  }
  out.bytes(END_OF_ARCHIVE);
  return concat(out.take(true));
}

Deno.test("PackBuffer writes headers GNU tar lists as written", async () => {
  const file = await Deno.makeTempFile({ suffix: ".tar" });
  try {
    await Deno.writeFile(file, pack());
    const out = await new Deno.Command("tar", {
      args: ["--list", "--verbose", "--numeric-owner", "--full-time", "-f", file],
      env: { TZ: "UTC" },
    }).output();
    assertEquals(new TextDecoder().decode(out.stderr), "");
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assertEquals(lines.map((l) => l.split(/\s+/).slice(0, 2).join(" ")), [
      "drwxr-xr-x 0/0",
      "-rw-r--r-- 1000/100",
      "-rwsr-xr-x 0/0",
      "-rw------- 3000000/0",
      "lrwxrwxrwx 0/0",
      "hrw-r--r-- 0/0",
      "crw-rw-rw- 0/0",
      "prw------- 0/0",
    ]);
    const names = lines.map((l) => l.replace(/^.*?:\d\d /, ""));
    assertEquals(names, [
      "./",
      "plain.txt",
      LONG,
      "é-ünïcode",
      `link -> ${LONG}`,
      "hard link to plain.txt",
      "null",
      "fifo",
    ]);
    const date = new Date(9_000_000_000_000).toISOString().slice(0, 10);
    assertEquals(lines[7].includes(date), true, lines[7]); // an mtime over 8^11: PAX
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("PackBuffer output reads back through TarReader field for field", () => {
  const seen: TarHeader[] = [];
  const reader = new TarReader({ header: (h) => seen.push(h), body: () => {}, end: () => {} });
  reader.write(pack());
  reader.close();
  assertEquals(
    seen.map((h) => [h.name, h.type, h.mode, Number(h.pax.uid ?? h.uid), h.linkname, h.size]),
    HEADERS.map((h) => [
      h.name,
      {
        dir: "directory",
        file: "file",
        symlink: "symlink",
        link: "link",
        char: "char",
        fifo: "fifo",
        block: "block",
      }[h.type],
      h.mode,
      h.uid,
      h.linkname ?? "",
      h.size ?? 0,
    ]),
  );
  assertEquals(Number(seen[7].pax.mtime), 9_000_000_000);
});
