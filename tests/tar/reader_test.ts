/**
 * The tar parser against archives written by GNU tar in each of its formats
 * (the oracle: the folder they were made from), fed whole and in random
 * slices, plus the malformed headers and endings it must refuse or tolerate.
 */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { buildTar, concat, paxRecords, rawHeader } from "../_tar.ts";
import { sha256 } from "../_images.ts";
import {
  parsePax,
  TarFormatError,
  type TarHeader,
  TarReader,
  TarTruncatedError,
} from "../../src/tar/reader.ts";
import { byteStringToText, textToByteString } from "../../src/byte_string.ts";

interface Parsed {
  header: TarHeader;
  body: Uint8Array;
}

/** Parses `tar` fed in slices of `sizes` (cycled; whole when empty). */
function parse(tar: Uint8Array, sizes: number[] = []): { entries: Parsed[]; done: boolean } {
  const entries: Parsed[] = [];
  let parts: Uint8Array[] = [];
  const reader = new TarReader({
    header: (header) => {
      entries.push({ header, body: new Uint8Array() });
      parts = [];
    },
    body: (chunk) => parts.push(chunk.slice()),
    end: () => (entries[entries.length - 1].body = concat(parts)),
  });
  if (sizes.length === 0) reader.write(tar);
  for (let at = 0, i = 0; sizes.length > 0 && at < tar.length; i++) {
    const n = sizes[i % sizes.length];
    reader.write(tar.subarray(at, at + n));
    at += n;
  }
  reader.close();
  return { entries, done: reader.done };
}

const LONG = `${"deep/".repeat(30)}${"n".repeat(120)}.txt`;

async function gnuTar(format: string): Promise<{ tar: Uint8Array; dir: string }> {
  const dir = await Deno.makeTempDir();
  Deno.mkdirSync(`${dir}/src/${LONG.slice(0, LONG.lastIndexOf("/"))}`, { recursive: true });
  if (format !== "ustar") Deno.writeTextFileSync(`${dir}/src/${LONG}`, "long\n");
  Deno.writeTextFileSync(`${dir}/src/b-é.txt`, "accent\n".repeat(300));
  Deno.writeFileSync(`${dir}/src/zero`, new Uint8Array());
  Deno.writeFileSync(`${dir}/src/block`, new Uint8Array(512).fill(7));
  Deno.symlinkSync(`../${"t".repeat(format === "ustar" ? 50 : 150)}`, `${dir}/src/sym`);
  Deno.linkSync(`${dir}/src/b-é.txt`, `${dir}/src/c-hard`);
  const out = await new Deno.Command("tar", {
    args: [`--format=${format}`, "--sort=name", "-cf", "-", "-C", `${dir}/src`, "."],
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return { tar: out.stdout, dir };
}

const FORMATS = ["gnu", "oldgnu", "pax", "posix", "ustar"];

for (const format of FORMATS) {
  Deno.test(`TarReader reads GNU tar --format=${format} as the folder it came from`, async () => {
    const { tar, dir } = await gnuTar(format);
    try {
      const { entries, done } = parse(tar);
      assert(done, "the end marker was not seen");
      const byName = new Map(
        entries.map((e) => [
          byteStringToText(e.header.name)!.replace(/^\.\//, "").replace(/\/$/, ""),
          e,
        ]),
      );
      if (format !== "ustar") {
        const long = byName.get(LONG);
        assert(long, `missing the ${LONG.length}-byte name: ${[...byName.keys()]}`);
        assertEquals(new TextDecoder().decode(long.body), "long\n");
        assertEquals(byName.get("sym")?.header.linkname, `../${"t".repeat(150)}`);
      }
      const accent = byName.get("b-é.txt")!;
      assertEquals(accent.header.type, "file");
      assertEquals(accent.body, Deno.readFileSync(`${dir}/src/b-é.txt`));
      // The PAX formats carry the fraction (GNU tar writes nanoseconds): within the millisecond
      // Deno's stat gives (floating point). The others carry whole seconds.
      const ms = Deno.statSync(`${dir}/src/b-é.txt`).mtime!.getTime();
      if (format === "pax" || format === "posix") {
        const off = Math.abs(accent.header.mtime * 1000 - ms);
        assert(off < 1, `mtime ${accent.header.mtime} is ${off} ms from ${ms} ms`);
      } else {
        assertEquals(accent.header.mtime, Math.floor(ms / 1000));
      }
      assertEquals(accent.header.mode & 0o777, Deno.statSync(`${dir}/src/b-é.txt`).mode! & 0o777);
      assertEquals(byName.get("c-hard")?.header.type, "link");
      assertEquals(
        byName.get("c-hard")?.header.linkname.replace(/^\.\//, ""),
        textToByteString("b-é.txt"),
      );
      assertEquals(byName.get("zero")?.body.length, 0);
      assertEquals(byName.get("block")?.body, new Uint8Array(512).fill(7));
      assertEquals(byName.get("deep")?.header.type, "directory");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("TarReader gives the same entries whatever the slices it is fed in", async () => {
  const { tar, dir } = await gnuTar("pax");
  await Deno.remove(dir, { recursive: true });
  const whole = parse(tar).entries;
  for (const sizes of [[1], [511, 513], [7, 1000, 3], [4096]]) {
    const sliced = parse(tar, sizes).entries;
    assertEquals(sliced.map((e) => e.header), whole.map((e) => e.header), `slices ${sizes}`);
    assertEquals(sliced.map((e) => sha256(e.body)), whole.map((e) => sha256(e.body)));
  }
});

Deno.test("TarReader.pause: write returns after the entry that paused, the rest parses on the next write", () => {
  const tar = buildTar([
    { name: "a", content: "first" },
    { name: "p", type: "directory" },
    { name: "b", content: "x".repeat(700) },
    { name: "c", content: "" },
  ]);
  const names: string[] = [];
  const ends: number[] = [];
  const reader: TarReader = new TarReader({
    header: (h) => names.push(h.name),
    body: () => {},
    end: () => {
      ends.push(names.length);
      reader.pause();
    },
  });
  // One write per entry: each returns where its entry (and no more) ends.
  const used: number[] = [];
  for (let at = 0; !reader.done && at < tar.length;) {
    const n = reader.write(tar.subarray(at));
    assert(n > 0, "a paused write parsed nothing");
    used.push(n);
    at += n;
  }
  assertEquals(names, ["a", "p/", "b", "c"]);
  assertEquals(ends, [1, 2, 3, 4]);
  // a: its header and 5 bytes; p: a's padding and p's header; b: its header and 700 bytes;
  // c: b's padding and c's header; then the end-of-archive marker
  assertEquals(used, [517, 1019, 1212, 836, 1024]);
  assert(reader.done);
  // A reader that never pauses parses the whole chunk, as before.
  assertEquals(parse(tar).entries.map((e) => e.header.name), names);
});

function withBase256(header: Uint8Array, offset: number, length: number, value: number) {
  header.fill(0, offset, offset + length);
  header[offset] = 0x80;
  for (let i = offset + length - 1, v = value; v > 0; i--, v = Math.floor(v / 256)) {
    header[i] = v % 256;
  }
  return resum(header);
}

function resum(header: Uint8Array): Uint8Array {
  header.fill(0x20, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  header.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return header;
}

Deno.test("TarReader reads base-256 numbers (uids over 2097151, as GNU tar writes them)", () => {
  const header = withBase256(rawHeader({ name: "f", typeflag: "0", size: 3 }), 108, 8, 3_000_000);
  const tar = concat([header, new TextEncoder().encode("abc"), new Uint8Array(509 + 1024)]);
  const [entry] = parse(tar).entries;
  assertEquals([entry.header.uid, new TextDecoder().decode(entry.body)], [3_000_000, "abc"]);
});

Deno.test("TarReader skips no body of header-only entries, whatever their size field says", () => {
  const tar = concat([
    rawHeader({ name: "s", typeflag: "2", size: 600, linkname: "t" }),
    rawHeader({ name: "f", typeflag: "0", size: 1 }),
    new TextEncoder().encode("x"),
    new Uint8Array(511 + 1024),
  ]);
  const entries = parse(tar).entries;
  assertEquals(entries.map((e) => [e.header.name, e.header.size]), [["s", 0], ["f", 1]]);
});

Deno.test("TarReader applies PAX and GNU records to the next entry only, and ignores global ones", () => {
  const pax = (type: string, body: string) => {
    const bytes = new TextEncoder().encode(body);
    return concat([
      rawHeader({ name: "meta", typeflag: type, size: bytes.length }),
      bytes,
      new Uint8Array((512 - bytes.length % 512) % 512),
    ]);
  };
  const tar = concat([
    pax("g", "15 path=global\n"),
    pax("L", "long-name\0"),
    pax("x", "17 path=from-pax\n"),
    rawHeader({ name: "short", typeflag: "0" }),
    rawHeader({ name: "plain", typeflag: "0" }),
    new Uint8Array(1024),
  ]);
  assertEquals(parse(tar).entries.map((e) => e.header.name), ["from-pax", "plain"]);
});

Deno.test("TarReader gives one header: PAX uid, gid, mtime, atime and xattrs applied, an empty record keeps the header's", () => {
  const withPax = (records: Record<string, string>, name: string) => {
    const body = paxRecords(records, true);
    return concat([
      rawHeader({ name: "PaxHeader", typeflag: "x", size: body.length }),
      body,
      new Uint8Array((512 - body.length % 512) % 512),
      rawHeader({ name, typeflag: "0", mode: 0o104755, uid: 1, gid: 2, mtime: 7 }),
    ]);
  };
  const tar = concat([
    withPax({
      uid: "3000000",
      gid: "4000000",
      mtime: "1700000000.25",
      atime: "1600000000.5",
      "SCHILY.xattr.user.b\xe9": "\x00\xff",
    }, "pax"),
    withPax({ uid: "", gid: "", mtime: "", atime: "" }, "empty"),
    new Uint8Array(1024),
  ]);
  const [pax, empty] = parse(tar).entries.map((e) => e.header);
  assertEquals(
    [pax.mode, pax.uid, pax.gid, pax.mtime, pax.atime],
    [0o4755, 3_000_000, 4_000_000, 1700000000.25, 1600000000.5],
  );
  assertEquals(pax.xattrs, new Map([["user.b\xe9", new Uint8Array([0, 0xff])]]));
  // An empty record keeps the header's value (POSIX; Go's archive/tar `mergePAX`).
  assertEquals([empty.uid, empty.gid, empty.mtime, empty.atime, empty.xattrs], [
    1,
    2,
    7,
    7,
    undefined,
  ]);
});

Deno.test("TarReader ends at two zero blocks and ignores what follows; EOF between entries is an end", () => {
  const one = buildTar([{ name: "a", content: "1" }]);
  const trailing = concat([one, new Uint8Array(100).fill(9)]);
  assertEquals(parse(trailing).entries.map((e) => e.header.name), ["a"]);
  const noMarker = one.subarray(0, one.length - 1024);
  assertEquals(parse(noMarker), { entries: parse(one).entries, done: false });
});

const refused: {
  name: string;
  tar: () => Uint8Array; // deno-lint-ignore no-explicit-any
  error: new (...args: any[]) => Error;
  includes: string;
}[] = [
  {
    name: "a wrong checksum",
    tar: () => {
      const t = buildTar([{ name: "f", content: "x" }]);
      t[148] = 0x37;
      return t;
    },
    error: TarFormatError,
    includes: "checksum",
  },
  {
    name: "a header after a lone zero block",
    tar: () => concat([new Uint8Array(512), buildTar([{ name: "f", content: "x" }])]),
    error: TarFormatError,
    includes: "lone zero block",
  },
  {
    name: "a size that is not octal",
    tar: () => {
      const h = rawHeader({ name: "f", typeflag: "0" });
      h.set(new TextEncoder().encode("0000000009x"), 124);
      return resum(h);
    },
    error: TarFormatError,
    includes: "size field is not an octal number",
  },
  {
    name: "an end inside a body",
    tar: () => buildTar([{ name: "big", content: "y".repeat(5000) }]).slice(0, 2048),
    error: TarTruncatedError,
    includes: "inside an entry",
  },
  {
    name: "an end inside a header",
    tar: () => buildTar([{ name: "a", content: "1" }]).slice(0, 1024 + 100),
    error: TarTruncatedError,
    includes: "inside a header",
  },
  {
    name: "a PAX record of over 1 MiB",
    tar: () => rawHeader({ name: "p", typeflag: "x", size: 2 << 20 }),
    error: TarFormatError,
    includes: "over",
  },
];

for (const c of refused) {
  Deno.test(`TarReader refuses ${c.name}`, () => {
    const e = assertThrows(() => parse(c.tar()), c.error, c.includes);
    if (e instanceof TarTruncatedError) assertEquals(e.inBody, c.includes === "inside an entry");
  });
}

Deno.test("parsePax() keeps the bytes of values (UTF-8 or not) and refuses malformed ones", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assertEquals(parsePax(enc("11 path=é\n12 uid=1000\n")), { path: "\xc3\xa9", uid: "1000" });
  const latin1 = concat([enc("13 path=caf"), new Uint8Array([0xe9]), enc("\n")]);
  assertEquals(parsePax(latin1), { path: "caf\xe9" });
  for (const bad of ["5 a=b", "x path=a\n", "99 path=a\n", "10 noequal\n", "7 =ab\n"]) {
    assertThrows(() => parsePax(enc(bad)), TarFormatError);
  }
});
