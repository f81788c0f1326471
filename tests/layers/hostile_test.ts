/**
 * Hostile layers (issue 6): every case is either contained inside the root or
 * refused with a LayerFormatError naming the entry, and the sentinel directory
 * next to the root never changes.
 */
import { assertEquals, assertRejects } from "../_assert.ts";
import { gzip } from "../_images.ts";
import { buildTar, concat, rawHeader, type TarEntry } from "../_tar.ts";
import { diffTrees, snapshotTree } from "../_tree.ts";
import { decompress } from "../../src/layers/decompress.ts";
import { LayerFormatError, RootfsWriter } from "../../src/layers/extract.ts";
import { sandbox, unpackTars } from "./_unpack.ts";
import { streamOf } from "../_streams.ts";

type Box = Awaited<ReturnType<typeof sandbox>>;

/** Runs `body` and checks that nothing next to the root changed. */
async function guarded(body: (box: Box) => Promise<void>): Promise<void> {
  await using box = await sandbox();
  const before = await snapshotTree(box.sentinel, { dirMtime: true });
  const siblings = [...Deno.readDirSync(box.dir)].map((e) => e.name).sort();
  await body(box);
  assertEquals(diffTrees(before, await snapshotTree(box.sentinel, { dirMtime: true })), []);
  assertEquals([...Deno.readDirSync(box.dir)].map((e) => e.name).sort(), siblings);
}

async function read(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

const contained: {
  name: string;
  layers: (box: Box) => TarEntry[][];
  check: (box: Box) => Promise<void>;
}[] = [
  {
    name: "re-roots names with ..",
    layers: () => [[{ name: "../sentinel/file", content: "pwned" }]],
    check: async (b) => assertEquals(await read(`${b.root}/sentinel/file`), "pwned"),
  },
  {
    name: "re-roots absolute names",
    layers: (b) => [[{ name: `${b.sentinel}/file`, content: "pwned" }]],
    check: async (b) => assertEquals(await read(`${b.root}${b.sentinel}/file`), "pwned"),
  },
  {
    name: "writes through a relative symlink pointing outside stay inside",
    layers: () => [[
      { name: "evil", type: "symlink", linkname: "../../sentinel" },
      { name: "evil/file", content: "pwned" },
    ]],
    check: async (b) => assertEquals(await read(`${b.root}/sentinel/file`), "pwned"),
  },
  {
    name: "writes through an absolute symlink planted in an earlier layer stay inside",
    layers: (b) => [
      [{ name: "evil", type: "symlink", linkname: b.sentinel }],
      [{ name: "evil/file", content: "pwned" }, { name: "evil/sub/deeper", content: "x" }],
    ],
    check: async (b) => {
      assertEquals(await read(`${b.root}${b.sentinel}/file`), "pwned");
      assertEquals(await Deno.readLink(`${b.root}/evil`), b.sentinel);
    },
  },
  {
    name: "a file replacing a symlink does not write through it",
    layers: (b) => [
      [{ name: "s", type: "symlink", linkname: `${b.sentinel}/file` }],
      [{ name: "s", content: "replaced" }],
    ],
    check: async (b) => assertEquals(await read(`${b.root}/s`), "replaced"),
  },
  {
    name: "a directory entry through an outside symlink is created inside",
    layers: (b) => [[
      { name: "evil", type: "symlink", linkname: b.dir },
      { name: "evil/newdir", type: "directory" },
    ]],
    check: async (b) =>
      assertEquals((await Deno.stat(`${b.root}${b.dir}/newdir`)).isDirectory, true),
  },
  {
    name: "whiteouts and opaque markers through an outside symlink remove nothing outside",
    layers: (b) => [
      [{ name: "evil", type: "symlink", linkname: b.sentinel }],
      [{ name: "evil/.wh.file" }, { name: "evil/.wh..wh..opq" }, { name: ".wh.evil/sub" }],
    ],
    check: async (b) => assertEquals(await Deno.readLink(`${b.root}/evil`), b.sentinel),
  },
  {
    name: "a device node is skipped when not root",
    layers: () => [[{ name: "dev/sda", type: "block", devmajor: 8, devminor: 0 }]],
    check: async (b) => assertEquals(await read(`${b.root}/dev/sda`), undefined),
  },
];

for (const c of contained) {
  Deno.test(`RootfsWriter.applyLayer() ${c.name}`, () =>
    guarded(async (box) => {
      await unpackTars(c.layers(box), box.root, { isRoot: false });
      await c.check(box);
    }));
}

function paxEntry(records: string, header: Parameters<typeof rawHeader>[0]): Uint8Array {
  const body = new TextEncoder().encode(records);
  const pad = new Uint8Array((512 - (body.length % 512)) % 512);
  return concat([
    rawHeader({ name: "PaxHeader", typeflag: "x", size: body.length }),
    body,
    pad,
    rawHeader(header),
  ]);
}

const refused: { name: string; tar: (box: Box) => Uint8Array; includes: string }[] = [
  {
    name: "refuses a hard link to a path outside",
    tar: () => buildTar([{ name: "hl", type: "link", linkname: "../sentinel/file" }]),
    includes: `"hl"`,
  },
  {
    name: "refuses a hard link through an outside symlink",
    tar: (b) =>
      buildTar([
        { name: "evil", type: "symlink", linkname: b.sentinel },
        { name: "hl", type: "link", linkname: "evil/file" },
      ]),
    includes: `"hl"`,
  },
  {
    name: "refuses a hard link to a directory",
    tar: () =>
      buildTar([{ name: "d", type: "directory" }, { name: "hl", type: "link", linkname: "d" }]),
    includes: "is a directory",
  },
  {
    name: "refuses names over 4 KiB",
    tar: () => buildTar([{ name: "a/".repeat(2100) + "f", content: "x" }]),
    includes: "bytes long",
  },
  {
    name: "refuses a component over 255 bytes",
    tar: () => buildTar([{ name: "x".repeat(300), content: "x" }]),
    includes: "File name too long",
  },
  {
    name: "refuses a bad PAX size",
    tar: () =>
      concat([paxEntry("13 size=abcd\n", { name: "bad", typeflag: "0" }), new Uint8Array(1024)]),
    includes: 'entry "bad" has the PAX record size="abcd", which is not a decimal number of bytes',
  },
  {
    name: "refuses a bad PAX mtime",
    tar: () =>
      buildTar([{ name: "f", content: "x", mtime: 1_400_000_000, pax: { mtime: "1e999" } }]),
    includes:
      'entry "f" has the PAX record mtime="1e999", which is not a decimal number of seconds',
  },
  {
    name: "refuses a truncated archive",
    tar: () => buildTar([{ name: "big", content: "y".repeat(5000) }]).slice(0, 2048),
    includes: "truncated",
  },
  {
    name: "refuses a header with a wrong checksum",
    tar: () => {
      const t = buildTar([{ name: "f", content: "x" }]);
      t[148] = 0x37;
      return t;
    },
    includes: "not a tar archive",
  },
];

for (const c of refused) {
  Deno.test(`RootfsWriter.applyLayer() ${c.name}`, () =>
    guarded(async (box) => {
      const writer = new RootfsWriter(box.root, { isRoot: false });
      await assertRejects(
        () => writer.applyLayer(streamOf(c.tar(box)), "sha256:feed"),
        LayerFormatError,
        c.includes,
      );
    }));
}

Deno.test("RootfsWriter.applyLayer() stops a decompression bomb at maxLayerBytes", () =>
  guarded(async (box) => {
    const tar = buildTar([{ name: "zeros", content: new Uint8Array(8 << 20) }]);
    const layer = await gzip(tar);
    assertEquals(layer.length < 100_000, true);
    const writer = new RootfsWriter(box.root, { isRoot: false, maxLayerBytes: 1 << 20 });
    const err = await assertRejects(
      () => writer.applyLayer(decompress(streamOf(layer), "application/x-tar"), "sha256:b0mb"),
      LayerFormatError,
      "decompression bomb",
    );
    assertEquals(err.message.includes("sha256:b0mb"), true);
    const size = (await Deno.stat(`${box.root}/zeros`).catch(() => undefined))?.size ?? 0;
    assertEquals(size <= 1 << 20, true);
  }));

Deno.test("RootfsWriter.applyLayer() reads GNU long names and long link targets", async () => {
  await using box = await sandbox();
  const name = "gnu/" + "n".repeat(150) + "/file";
  const link = "gnu/" + "l".repeat(150);
  const body = (s: string) => {
    const b = new TextEncoder().encode(s + "\0");
    return concat([b, new Uint8Array((512 - (b.length % 512)) % 512)]);
  };
  const tar = concat([
    rawHeader({ name: "././@LongLink", typeflag: "L", size: name.length + 1 }),
    body(name),
    rawHeader({ name: name.slice(0, 99), typeflag: "0", size: 0 }),
    rawHeader({ name: "././@LongLink", typeflag: "L", size: link.length + 1 }),
    body(link),
    rawHeader({ name: "././@LongLink", typeflag: "K", size: name.length + 1 }),
    body(name),
    rawHeader({ name: link.slice(0, 99), typeflag: "1", linkname: name.slice(0, 99) }),
    new Uint8Array(1024),
  ]);
  await unpackTars([tar], box.root);
  assertEquals((await Deno.lstat(`${box.root}/${name}`)).isFile, true);
  assertEquals((await Deno.lstat(`${box.root}/${link}`)).nlink, 2);
});
