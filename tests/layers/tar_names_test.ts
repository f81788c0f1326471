/**
 * Names that are not UTF-8: the reader keeps every name, link target and PAX
 * value byte for byte (ustar fields, the ustar prefix, GNU long names, PAX
 * `path`/`linkpath` with or without `hdrcharset=BINARY`, xattr values), as
 * GNU tar extracts them; the folder extractor, which cannot create such names
 * with Deno, stops naming the entries, and unpacks UTF-8 names as text.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { buildTar, concat, paxRecords, rawHeader } from "../_tar.ts";
import { type TarHeader, TarReader } from "../../src/layers/tar_reader.ts";
import { bytesToByteString, textToByteString } from "../../src/byte_string.ts";
import { LayerFormatError } from "../../src/layers/extract.ts";
import { sandbox, unpackTars } from "./_unpack.ts";

function headers(tar: Uint8Array): TarHeader[] {
  const out: TarHeader[] = [];
  const reader = new TarReader({ header: (h) => out.push(h), body: () => {}, end: () => {} });
  reader.write(tar);
  reader.close();
  return out;
}

/** The paths (byte strings) of what GNU tar extracts from `tar`, read with `find -print0`. */
async function gnuTarNames(tar: Uint8Array): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.tar`, tar);
    await Deno.mkdir(`${dir}/x`);
    const x = await new Deno.Command("tar", { args: ["-xf", `${dir}/a.tar`, "-C", `${dir}/x`] })
      .output();
    assert(x.success, new TextDecoder().decode(x.stderr));
    const found = await new Deno.Command("find", {
      args: [".", "-mindepth", "1", "-not", "-type", "d", "-print0"],
      cwd: `${dir}/x`,
    }).output();
    return bytesToByteString(found.stdout).split("\0").filter((n) => n !== "")
      .map((n) => n.slice(2)).sort();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LATIN1 = "chan/caf\xe9.txt";
const RESUME = ["c/r\xe9sum\xe9", "c/r\xe8sum\xe8"];

Deno.test("TarReader keeps a ustar name that is not UTF-8 byte for byte (chan/caf\\xe9.txt)", async () => {
  const tar = buildTar([{ name: LATIN1, content: "latin-1", byteNames: true }]);
  assertEquals(headers(tar).map((h) => h.name), [LATIN1]);
  assertEquals(await gnuTarNames(tar), [LATIN1]);
});

Deno.test("TarReader keeps c/r\\xe9sum\\xe9 and c/r\\xe8sum\\xe8 two names", async () => {
  const tar = buildTar(RESUME.map((name, i) => ({ name, content: `${i}`, byteNames: true })));
  assertEquals(headers(tar).map((h) => h.name), RESUME);
  assertEquals(await gnuTarNames(tar), [...RESUME].sort());
});

Deno.test("TarReader keeps names' bytes in every place a name can be: prefix, GNU long names, PAX", async () => {
  const long = `long/${"x".repeat(110)}\xff\x80`;
  const overlong = "over/\xc0\xaf\xe0\x80\xaf"; // overlong UTF-8 for "/": bytes, never a separator
  const gnuLong = (type: string, name: string) => {
    const body = concat([Uint8Array.from(name, (c) => c.charCodeAt(0)), new Uint8Array(1)]);
    const header = rawHeader({ name: "././@LongLink", typeflag: type, size: body.length });
    return [header, body, new Uint8Array(512 - body.length)];
  };
  const paxBinary = paxRecords({ hdrcharset: "BINARY", path: "pax/\xfe\xff" }, true);
  const parts = [
    rawHeader({ name: "file\x80", typeflag: "0", prefix: "pre\xe9", byteNames: true }),
    ...gnuLong("L", "gnu/\x80\x81"),
    ...gnuLong("K", "target\xe9"),
    rawHeader({ name: "short", typeflag: "2", linkname: "short" }),
    rawHeader({ name: "PaxHeader", typeflag: "x", size: paxBinary.length }),
    paxBinary,
    new Uint8Array(512 - paxBinary.length),
    rawHeader({ name: "replaced", typeflag: "0" }),
    rawHeader({ name: overlong, typeflag: "0", byteNames: true }),
  ];
  const built = buildTar([
    { name: long, content: "l", byteNames: true },
    {
      name: "xattr",
      content: "",
      pax: { "SCHILY.xattr.user.b\xe9": "\x00\xff\x80" },
      byteNames: true,
    },
  ]);
  const tar = concat([...parts, built]);
  const names = ["pre\xe9/file\x80", "gnu/\x80\x81", "pax/\xfe\xff", overlong, long, "xattr"];
  const got = headers(tar);
  assertEquals(got.map((h) => h.name), names);
  assertEquals(got[1].linkname, "target\xe9");
  assertEquals(got[5].pax["SCHILY.xattr.user.b\xe9"], "\x00\xff\x80");
  assertEquals(await gnuTarNames(tar), [...names].sort());
});

Deno.test("RootfsWriter stops at names that are not UTF-8, naming them and what to do", async () => {
  await using box = await sandbox();
  const layer = buildTar([
    { name: "ok.txt", content: "fine" },
    ...RESUME.map((name, i) => ({ name, content: `${i}`, byteNames: true })),
    { name: "c/link", type: "symlink" as const, linkname: "\xff", byteNames: true },
    { name: "after.txt", content: "not written" },
  ]);
  const e = await assertRejects(() => unpackTars([layer], box.root), LayerFormatError);
  assertStringIncludes(e.message, "it has 3 entries whose names or link targets are not UTF-8");
  assertStringIncludes(e.message, '"c/r\\xe9sum\\xe9", "c/r\\xe8sum\\xe8", "c/link"');
  assertStringIncludes(e.message, "pull it into a SIF instead");
  assertEquals([...Deno.readDirSync(box.root)].map((d) => d.name), ["ok.txt"]);
});

Deno.test("RootfsWriter unpacks UTF-8 names and link targets as text", async () => {
  await using box = await sandbox();
  const name = textToByteString("café/naïve-日本.txt");
  await unpackTars([buildTar([
    { name, content: "utf-8", byteNames: true },
    { name: textToByteString("é-link"), type: "symlink", linkname: name, byteNames: true },
    { name: textToByteString("é-hard"), type: "link", linkname: name, byteNames: true },
  ])], box.root);
  assertEquals(Deno.readTextFileSync(`${box.root}/café/naïve-日本.txt`), "utf-8");
  assertEquals(Deno.readLinkSync(`${box.root}/é-link`), "café/naïve-日本.txt");
  assertEquals(Deno.readTextFileSync(`${box.root}/é-hard`), "utf-8");
});
